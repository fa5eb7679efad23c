"""The NumPy convolution kernels, without autograd: sizes, im2col/col2im, the three products,
chunking under the memory budget, and the teaching matrices, checked against PyTorch."""

import doctest
import math
import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mytorch.kernels import conv as K
from mytorch.kernels import parallel
from mytorch.kernels import windows as Wn

rng = np.random.default_rng(0)
TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

# (L, k, s, p, d) along one dim
SIZES = [(7, 3, 1, 0, 1), (7, 3, 2, 1, 1), (8, 2, 3, 2, 2), (5, 5, 1, 0, 1), (1, 1, 1, 0, 1),
         (10, 3, 4, 3, 3)]


@pytest.fixture
def budget():
    """Restore the memory budget after a test changes it."""
    previous = K.get_conv_memory_budget()
    yield
    K.set_conv_memory_budget(previous)


@pytest.mark.parametrize("L, k, s, p, d", SIZES)
def test_output_sizes_match_torch(L, k, s, p, d):
    y = F.conv1d(torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d)
    assert Wn.output_size(L, k, s, p, d) == y.shape[-1]
    assert Wn.output_size(L, k, s, (p, p), d) == y.shape[-1]
    for output_padding in range(max(s, d)):
        t = F.conv_transpose1d(torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p,
                               dilation=d, output_padding=output_padding)
        assert Wn.transpose_output_size(L, k, s, p, d, output_padding) == t.shape[-1]


def test_output_size_with_asymmetric_padding():
    assert Wn.output_size(8, 4, 1, (1, 2), 1) == 8  # 'same' for an even kernel
    assert Wn.output_shape((8, 5), (4, 3), (1, 2), ((1, 2), (0, 0)), (1, 1)) == (8, 2)


# geometries: (N, C, O, L, K, stride, padding pairs, dilation, groups)
GEOMETRIES = [
    (2, 3, 4, (9,), (3,), (1,), ((0, 0),), (1,), 1),
    (3, 4, 6, (11,), (2,), (3,), ((2, 1),), (2,), 2),
    (2, 3, 4, (7, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    (2, 4, 4, (8, 9), (2, 3), (2, 1), ((0, 1), (2, 2)), (2, 1), 4),
    (1, 6, 9, (5, 7), (3, 2), (2, 3), ((1, 0), (0, 2)), (1, 2), 3),
    (2, 2, 4, (4, 5, 6), (2, 3, 2), (1, 2, 1), ((1, 1), (0, 0), (1, 1)), (1, 1, 2), 2),
    # stride 1: the input gradient is a convolution of gy (grouped, dilated, asymmetric) ...
    (2, 6, 4, (7, 6), (3, 2), (1, 1), ((2, 1), (0, 1)), (2, 1), 2),
    # ... except where the padding reaches past the kernel's span (the adjoint crops gy)
    (2, 2, 3, (6,), (2,), (1,), ((2, 1),), (1,), 1),
    # kernels a multiple of the stride: the input gradient is one convolution of gy into the
    # s^d phases (grouped, asymmetric, windows that stop short of the input's end)
    (2, 4, 4, (9, 8), (4, 2), (2, 2), ((1, 2), (1, 0)), (1, 1), 2),
    (3, 3, 2, (10,), (6,), (3,), ((2, 2),), (1,), 1),
]
GEOMETRY_IDS = [f"{len(g[3])}d-{i}" for i, g in enumerate(GEOMETRIES)]


def _problem(geometry, dtype=np.float64):
    N, C, O, L, Ks, s, p, d, G = geometry
    x = rng.standard_normal((N, C, *L)).astype(dtype)
    W = rng.standard_normal((O, C // G, *Ks)).astype(dtype)
    out = Wn.output_shape(L, Ks, s, p, d)
    gy = rng.standard_normal((N, O, *out)).astype(dtype)
    return x, W, gy


def _all_three(x, W, gy, geometry):
    """The fast path's forward, input gradient and weight gradient for one geometry."""
    _, _, _, L, Ks, s, p, d, G = geometry
    return (K.conv_forward(x, W, s, p, d, G), K.conv_input_grad(gy, W, L, s, p, d, G),
            K.conv_weight_grad(x, gy, Ks, s, p, d, G))


def _torch_pad(x, padding):
    """Zero-pad with (before, after) pairs, first spatial dim first."""
    return F.pad(torch.tensor(x), [n for pair in reversed(padding) for n in pair])


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=GEOMETRY_IDS)
def test_three_products_match_torch(geometry):
    x, W, gy = _problem(geometry)
    _, _, _, L, Ks, s, p, d, G = geometry
    xt = _torch_pad(x, p).requires_grad_()
    Wt = torch.tensor(W, requires_grad=True)
    yt = TORCH_CONV[len(L)](xt, Wt, stride=s, dilation=d, groups=G)
    yt.backward(torch.tensor(gy))
    crop = (..., *(slice(b, b + n) for n, (b, _) in zip(L, p)))
    np.testing.assert_allclose(K.conv_forward(x, W, s, p, d, G), yt.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(K.conv_input_grad(gy, W, L, s, p, d, G), xt.grad.numpy()[crop],
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.conv_weight_grad(x, gy, Ks, s, p, d, G), Wt.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


def _reference(geometry, x, W, gy):
    """The reference convolution's y, gx, gW, one group at a time (channel slices)."""
    _, C, O, L, Ks, s, p, d, G = geometry
    Cg, Og = C // G, O // G
    xs = [x[:, g * Cg:(g + 1) * Cg] for g in range(G)]
    Ws = [W[g * Og:(g + 1) * Og] for g in range(G)]
    gys = [gy[:, g * Og:(g + 1) * Og] for g in range(G)]
    y = np.concatenate([K.reference_conv_forward(xg, Wg, s, p, d) for xg, Wg in zip(xs, Ws)], 1)
    gx = np.concatenate([K.reference_conv_input_grad(gyg, Wg, L, s, p, d)
                         for gyg, Wg in zip(gys, Ws)], 1)
    gW = np.concatenate([K.reference_conv_weight_grad(xg, gyg, Ks, s, p, d)
                         for xg, gyg in zip(xs, gys)], 0)
    return y, gx, gW


@pytest.mark.parametrize("geometry", [g for g in GEOMETRIES if g[-1] == 1],
                         ids=[i for i, g in zip(GEOMETRY_IDS, GEOMETRIES) if g[-1] == 1])
def test_reference_convolution_matches_torch(geometry):
    x, W, gy = _problem(geometry)
    _, _, _, L, Ks, s, p, d, _ = geometry
    xt = _torch_pad(x, p).requires_grad_()
    Wt = torch.tensor(W, requires_grad=True)
    yt = TORCH_CONV[len(L)](xt, Wt, stride=s, dilation=d)
    yt.backward(torch.tensor(gy))
    crop = (..., *(slice(b, b + n) for n, (b, _) in zip(L, p)))
    for got, want in zip(_reference(geometry, x, W, gy),
                         (yt.detach().numpy(), xt.grad.numpy()[crop], Wt.grad.numpy())):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=GEOMETRY_IDS)
def test_fast_path_matches_the_reference_convolution(geometry, chunked, budget):
    """Groups, chunks and reused buffers are a layer around the reference's algebra."""
    x, W, gy = _problem(geometry)
    if chunked:
        K.set_conv_memory_budget(1)  # one sample per chunk
    fast = _all_three(x, W, gy, geometry)
    for got, want in zip(fast, _reference(geometry, x, W, gy)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# depthwise geometries (groups == C, multiplier M = O / C), as GEOMETRIES
DEPTHWISE = [
    (3, 4, 4, (9, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 4),
    (2, 3, 6, (10, 7), (3, 2), (2, 3), ((1, 2), (0, 1)), (2, 1), 3),
    (2, 2, 6, (11,), (3,), (2,), ((2, 1),), (3,), 2),
    (2, 2, 4, (5, 6, 4), (2, 3, 2), (1, 2, 1), ((1, 0), (1, 1), (0, 0)), (1, 1, 2), 2),
    (1, 3, 3, (4, 5), (4, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 3),   # one window
]
DEPTHWISE_IDS = [f"{len(g[3])}d-M{g[2] // g[1]}-{i}" for i, g in enumerate(DEPTHWISE)]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("geometry", DEPTHWISE, ids=DEPTHWISE_IDS)
def test_depthwise_path_matches_torch_and_the_reference(geometry, chunked, monkeypatch):
    """groups == C goes through the direct kernels, which give the reference's y, gx
    and gW, and torch's."""
    x, W, gy = _problem(geometry)
    N, C, O, L, Ks, s, p, d, G = geometry
    if chunked:
        monkeypatch.setattr(K, "_DIRECT_WORKING_SET", 1)  # one sample per chunk
    out = Wn.output_shape(L, Ks, s, p, d)
    direct = (K.depthwise_forward(x, W, s, p, d, out),
              K.depthwise_input_grad(gy, W, L, s, p, d, C),
              K.depthwise_weight_grad(x, gy, Ks, s, p, d))
    routed = _all_three(x, W, gy, geometry)
    for got, same in zip(direct, routed):
        np.testing.assert_array_equal(got, same)
    for got, want in zip(direct, _reference(geometry, x, W, gy)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    xt = _torch_pad(x, p).requires_grad_()
    Wt = torch.tensor(W, requires_grad=True)
    yt = TORCH_CONV[len(L)](xt, Wt, stride=s, dilation=d, groups=G)
    yt.backward(torch.tensor(gy))
    crop = (..., *(slice(b, b + n) for n, (b, _) in zip(L, p)))
    for got, want in zip(direct, (yt.detach().numpy(), xt.grad.numpy()[crop], Wt.grad.numpy())):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_depthwise_sample_larger_than_the_budget_goes_in_pieces_of_rows(budget):
    """The direct path unfolds a sample at a time; a larger one takes the products by rows."""
    # its own generator: float32 sums of 1600 terms in two orders agree to ~4e-5 at worst,
    # so which draws of the shared one it gets (which tests ran before) decided the outcome
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 8, 40, 40)).astype(np.float32)
    W = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((1, 8, 40, 40)).astype(np.float32)
    unfolded = x.size * 9 * 4  # bytes of the sample's columns
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 8)
    whole = (K.conv_forward(x, W, *args), K.conv_input_grad(gy, W, (40, 40), *args),
             K.conv_weight_grad(x, gy, (3, 3), *args))
    K.set_conv_memory_budget(unfolded // 8)
    for fn, want in zip((lambda: K.conv_forward(x, W, *args),
                         lambda: K.conv_input_grad(gy, W, (40, 40), *args),
                         lambda: K.conv_weight_grad(x, gy, (3, 3), *args)), whole):
        tracemalloc.start()
        try:
            got = fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < unfolded // 2
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_input_grad_of_an_infinite_weight_matches_torch():
    """The fold's extra outputs (past the row's end, gy zero there) must not turn 0 * inf
    into NaN in the next row: unpadded, that row's first column is an input."""
    W = rng.standard_normal((3, 2, 3, 3))
    W[1, 0, 1, 2] = np.inf
    gy = rng.standard_normal((2, 3, 5, 5))
    gy[:, :, 2:], gy[:, :, :, :2] = 0, 0    # where torch's own products have no 0 * inf
    expected = torch.nn.grad.conv2d_input((2, 2, 11, 11), torch.tensor(W), torch.tensor(gy),
                                          stride=2)
    with np.errstate(invalid="ignore"):     # torch's NaNs: 0 * inf where gy is 0
        gx = K.conv_input_grad(gy, W, (11, 11), (2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    np.testing.assert_allclose(gx, expected.numpy(), rtol=1e-12)


def test_depthwise_weight_grad_of_an_infinite_input_matches_torch():
    """The direct path's extra windows (past the row's end) must not turn 0 * inf into NaN."""
    x = rng.standard_normal((1, 2, 5, 6))
    x[0, 0, 2, 0] = np.inf
    W, gy = rng.standard_normal((2, 1, 3, 3)), np.abs(rng.standard_normal((1, 2, 5, 6)))
    xt, Wt = torch.tensor(x, requires_grad=True), torch.tensor(W, requires_grad=True)
    F.conv2d(xt, Wt, padding=1, groups=2).backward(torch.tensor(gy))
    gW = K.conv_weight_grad(x, gy, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2)
    np.testing.assert_allclose(gW, Wt.grad.numpy(), rtol=1e-12)


def test_depthwise_path_in_float32_and_an_empty_batch():
    x, W, gy = (a.astype(np.float32) for a in _problem(DEPTHWISE[0]))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 4)
    assert K.conv_forward(x, W, *args).dtype == np.float32
    assert K.conv_input_grad(gy, W, (9, 8), *args).dtype == np.float32
    assert K.conv_weight_grad(x, gy, (3, 3), *args).dtype == np.float32
    empty_x, empty_gy = x[:0], gy[:0]
    assert K.conv_forward(empty_x, W, *args).shape == (0, 4, 9, 8)
    assert K.conv_input_grad(empty_gy, W, (9, 8), *args).shape == (0, 4, 9, 8)
    np.testing.assert_array_equal(K.conv_weight_grad(empty_x, empty_gy, (3, 3), *args),
                                  np.zeros_like(W))


@pytest.mark.parametrize("geometry, folds", [(GEOMETRIES[6], False), (GEOMETRIES[7], True),
                                              (GEOMETRIES[1], True), (GEOMETRIES[0], True),
                                              (GEOMETRIES[8], False), (GEOMETRIES[9], False)],
                         ids=["s1", "s1-crop", "s3", "s1-widening", "s2-k4", "s3-k6"])
def test_input_grad_is_a_convolution_of_gy_where_the_stride_divides_k(geometry, folds, monkeypatch):
    """At stride 1 the transposed convolution is conv_forward of gy with the flipped kernel
    (no col2im), and so it is at stride s where every kernel size is a multiple of s (one
    convolution into the s^d phases); other strided ones, those whose adjoint would crop
    gy, and those with more output than input channels (gy's columns would outgrow x's)
    fold columns back."""
    _, W, gy = _problem(geometry)
    _, _, _, L, _, s, p, d, G = geometry
    calls, fold = [], K._PhaseFold.fold
    monkeypatch.setattr(K._PhaseFold, "fold",
                        lambda *args, **kw: calls.append(1) or fold(*args, **kw))
    K.conv_input_grad(gy, W, L, s, p, d, G)
    assert bool(calls) == folds


def test_im2col_layout_is_channels_kernel_batch_output():
    """cols[c, k, n, o] = x_pad[n, c, o*s + k*d], the layout the convolution multiplies."""
    x = rng.standard_normal((2, 3, 7))
    cols = K.im2col(x, 3, stride=2, padding=((1, 2),), dilation=2)
    x_pad = np.pad(x, ((0, 0), (0, 0), (1, 2)))
    assert cols.shape == (3, 3, 2, 3) and cols.flags.c_contiguous
    for c, k, n, o in np.ndindex(*cols.shape):
        assert cols[c, k, n, o] == x_pad[n, c, o * 2 + k * 2]


def test_im2col_writes_into_a_given_buffer():
    x = rng.standard_normal((2, 3, 6, 5))
    buffer = np.empty(1000)
    cols = K.im2col(x, 2, buffer=buffer)
    assert np.shares_memory(cols, buffer)
    np.testing.assert_array_equal(cols, K.im2col(x, 2))


# torch's conv_transpose takes symmetric padding only
SYMMETRIC = [pytest.param(g, id=i) for g, i in zip(GEOMETRIES, GEOMETRY_IDS)
             if all(b == a for b, a in g[6])]


@pytest.mark.parametrize("geometry", SYMMETRIC)
def test_input_grad_is_torch_transposed_conv(geometry):
    _, W, gy = _problem(geometry)
    _, _, _, L, Ks, s, p, d, G = geometry
    out_padding = [n + 2 * b - (d_ * (k - 1) + 1) - (o - 1) * s_
                   for n, (b, _), k, s_, d_, o in zip(L, p, Ks, s, d, gy.shape[2:])]
    expected = TORCH_CONV_T[len(L)](torch.tensor(gy), torch.tensor(W), stride=s,
                                    padding=[b for b, _ in p], output_padding=out_padding,
                                    groups=G, dilation=d)
    np.testing.assert_allclose(K.conv_input_grad(gy, W, L, s, p, d, G), expected.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_im2col_matches_torch_unfold():
    x = rng.standard_normal((2, 3, 7, 8))
    cols = K.im2col(x, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2))
    expected = F.unfold(torch.tensor(x), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    assert cols.flags.c_contiguous and cols.shape[:4] == (3, 2, 3, 2)  # (C, *K, N, ...)
    # (C, *K, N, *OUT) -> (N, C * prod(K), prod(OUT)), unfold's layout
    np.testing.assert_array_equal(np.moveaxis(cols, 3, 0).reshape(2, 18, -1), expected.numpy())


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=GEOMETRY_IDS)
def test_col2im_is_the_adjoint_of_im2col(geometry):
    """<im2col(x), c> == <x, col2im(c)> for random x and c."""
    x, W, _ = _problem(geometry)
    _, _, _, L, Ks, s, p, d, _ = geometry
    cols = K.im2col(x, Ks, s, p, d)
    c = rng.standard_normal(cols.shape)
    back = K.col2im(c, L, s, p, d)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-12)


def test_col2im_sums_overlaps_and_leaves_uncovered_zero():
    ones = np.ones((1, 3, 1, 2))  # kernel 3, two windows, stride 2 over a length-6 input
    np.testing.assert_array_equal(K.col2im(ones, (6,), stride=2)[0, 0], [1, 1, 2, 1, 1, 0])


def test_int_arguments_mean_every_dim():
    x = rng.standard_normal((1, 2, 6, 5))
    np.testing.assert_array_equal(K.im2col(x, 2, 2, 1, 1),
                                  K.im2col(x, (2, 2), (2, 2), ((1, 1), (1, 1)), (1, 1)))


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=GEOMETRY_IDS)
def test_chunked_equals_unchunked(geometry, budget):
    x, W, gy = _problem(geometry)
    whole = _all_three(x, W, gy, geometry)
    K.set_conv_memory_budget(1)  # one sample per chunk
    chunked = _all_three(x, W, gy, geometry)
    # Chunks change the width of each GEMM, and BLAS may pick another kernel (another
    # summation order) for another width, so the results agree to float64 rounding, not
    # bit for bit (numpy 2.4's OpenBLAS differs by ~3e-15 on 2d-2); the weight gradient also
    # sums over the batch in another order.
    for got, want in zip(chunked, whole):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_memory_budget_bounds_the_unfolded_copy(budget):
    x = rng.standard_normal((16, 8, 20, 20)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    unfolded = x.size * 9 * 4  # bytes of the whole batch's columns

    def peak(fn):
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    # without the budget the peak is above the bound below (one run of the whole batch,
    # or on two threads two runs of half of it each)
    assert peak(lambda: K.conv_forward(x, W, *args)) > unfolded // 2
    assert K.set_conv_memory_budget(unfolded // 8) == 256 * 2**20
    assert K.get_conv_memory_budget() == unfolded // 8
    assert peak(lambda: K.conv_forward(x, W, *args)) < unfolded // 2


@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=GEOMETRY_IDS)
def test_one_sample_in_pieces_of_rows_equals_the_whole(geometry, rows, budget):
    """A budget below one sample's columns cuts it into pieces of output rows, whose
    padded input regions overlap; the results agree with the whole to rounding."""
    x, W, gy = _problem(geometry)
    N, C, O, L, Ks, s, p, d, G = geometry
    whole = _all_three(x, W, gy, geometry)
    out = Wn.output_shape(L, Ks, s, p, d)
    per_row = (C * math.prod(Ks) + O) * x.itemsize * math.prod(out[1:])
    K.set_conv_memory_budget(rows * per_row)
    plan = K._Plan(x.shape, Ks, out, s, p, d, (C * math.prod(Ks) + O) * x.itemsize)
    assert (plan.samples, plan.rows) == (1, min(rows, out[0]))
    pieces = _all_three(x, W, gy, geometry)
    for got, want in zip(pieces, whole):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("threads", [1, 2])
def test_pieces_are_cache_sized_at_any_thread_count(threads):
    """Pieces of ``_WORKING_SET`` bytes, which stay in cache from im2col to the product and
    which the threads share out; the same pieces, and results, at any thread count."""
    x = rng.standard_normal((64, 16, 32, 32))
    W = rng.standard_normal((32, 16, 3, 3))
    gy = rng.standard_normal((64, 32, 16, 16))
    args = ((2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    per_sample = (16 * 9 + 32) * x.itemsize * 16 * 16
    before = parallel.get_num_threads()
    try:
        parallel.set_num_threads(threads)
        plan = K._Plan(x.shape, (3, 3), (16, 16), *args[:3], (16 * 9 + 32) * x.itemsize)
        got = (K.conv_forward(x, W, *args), K.conv_input_grad(gy, W, (32, 32), *args),
               K.conv_weight_grad(x, gy, (3, 3), *args))
    finally:
        parallel.set_num_threads(before)
    assert (plan.samples, plan.rows) == (min(64, K._WORKING_SET // per_sample), 16)
    want = (K.reference_conv_forward(x, W, 2, 1),
            K.reference_conv_input_grad(gy, W, (32, 32), 2, 1),
            K.reference_conv_weight_grad(x, gy, (3, 3), 2, 1))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_memory_budget_bounds_the_columns_of_one_large_sample(budget):
    x = rng.standard_normal((1, 8, 40, 40)).astype(np.float32)
    W = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((1, 8, 40, 40)).astype(np.float32)
    unfolded = x.size * 9 * 4  # bytes of the sample's columns
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    K.set_conv_memory_budget(unfolded // 8)
    for fn in (lambda: K.conv_forward(x, W, *args),
               lambda: K.conv_input_grad(gy, W, (40, 40), *args),
               lambda: K.conv_weight_grad(x, gy, (3, 3), *args)):
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < unfolded // 2


def test_memory_budget_must_be_positive():
    with pytest.raises(ValueError, match="set_conv_memory_budget.*0"):
        K.set_conv_memory_budget(0)


def test_float32_stays_float32():
    x, W, gy = (a.astype(np.float32) for a in _problem(GEOMETRIES[2]))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert K.conv_forward(x, W, *args).dtype == np.float32
    assert K.conv_input_grad(gy, W, (7, 6), *args).dtype == np.float32
    assert K.conv_weight_grad(x, gy, (3, 3), *args).dtype == np.float32


def test_empty_batch():
    x, gy = np.zeros((0, 3, 7, 6)), np.zeros((0, 4, 7, 6))
    W = rng.standard_normal((4, 3, 3, 3))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert K.conv_forward(x, W, *args).shape == (0, 4, 7, 6)
    assert K.conv_input_grad(gy, W, (7, 6), *args).shape == (0, 3, 7, 6)
    np.testing.assert_array_equal(K.conv_weight_grad(x, gy, (3, 3), *args), np.zeros_like(W))


# -- teaching matrices -------------------------------------------------------------------
TEACHING = [  # (input_shape (C, *L), O, K, stride, padding, dilation, groups)
    ((2, 7), 3, (3,), 1, 0, 1, 1),
    ((2, 9), 4, (2,), 2, 1, 2, 2),
    ((3, 5, 6), 2, (3, 3), 1, 1, 1, 1),
    ((4, 6, 5), 4, (2, 3), (2, 1), (0, 2), (2, 1), 4),
]


@pytest.mark.parametrize("shape, O, Ks, s, p, d, G", TEACHING)
def test_im2col_matrix_selects_the_columns(shape, O, Ks, s, p, d, G):
    x = rng.standard_normal(shape)
    S = K.im2col_matrix(shape, Ks, s, p, d)
    np.testing.assert_array_equal(S @ x.ravel(), K.im2col(x[None], Ks, s, p, d).ravel())
    assert set(np.unique(S)) <= {0.0, 1.0} and (S.sum(axis=1) <= 1).all()


@pytest.mark.parametrize("shape, O, Ks, s, p, d, G", TEACHING)
def test_conv_matrix_is_the_convolution(shape, O, Ks, s, p, d, G):
    x = rng.standard_normal(shape)
    W = rng.standard_normal((O, shape[0] // G, *Ks))
    M = K.conv_matrix(W, shape, s, p, d, G)
    expected = TORCH_CONV[len(Ks)](torch.tensor(x[None]), torch.tensor(W), stride=s, padding=p,
                                   dilation=d, groups=G)
    np.testing.assert_allclose(x.ravel() @ M, expected.numpy().ravel(), rtol=1e-12, atol=1e-12)
    # its transpose is the transposed convolution (the input gradient)
    gy = rng.standard_normal(expected.shape[1:])
    nd = len(Ks)
    gx = K.conv_input_grad(gy[None], W, shape[1:], Wn.ntuple(s, nd), Wn.pad_pairs(p, nd),
                           Wn.ntuple(d, nd), G)
    np.testing.assert_allclose(M @ gy.ravel(), gx.ravel(), rtol=1e-12, atol=1e-12)


def test_sparse_im2col_matrix_equals_dense():
    pytest.importorskip("scipy")
    dense = K.im2col_matrix((2, 5, 6), (2, 3), 2, 1, 1)
    sparse = K.im2col_matrix((2, 5, 6), (2, 3), 2, 1, 1, sparse=True)
    np.testing.assert_array_equal(sparse.toarray(), dense)


def test_sparse_im2col_matrix_without_scipy_says_so(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(ImportError, match="im2col_matrix.*scipy"):
        K.im2col_matrix((1, 4), 2, sparse=True)


def test_docstring_examples():
    assert doctest.testmod(K).failed == 0


# (N, C, O, L, K, stride, padding pairs, dilation, groups): im2col + GEMM with col2im,
# Winograd (3x3, stride 1, 8+ channels), the depthwise path, a 1-d convolution
THREADED = [
    (7, 3, 4, (9, 8), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 1),
    (5, 8, 8, (12, 10), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    (6, 4, 8, (9, 9), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 4),
    (9, 3, 5, (13,), (5,), (2,), ((2, 2),), (1,), 1),
]


@pytest.mark.parametrize("geometry", THREADED, ids=["im2col", "winograd", "depthwise", "1d"])
def test_chunks_on_threads_give_the_same_bits_as_one_thread(geometry, monkeypatch):
    import mytorch
    from mytorch.kernels import winograd

    for module, name in ((K, "_WORKING_SET"), (K, "_DIRECT_WORKING_SET"),
                         (winograd, "_WORKING_SET"), (winograd, "_MIN_TILES")):
        monkeypatch.setattr(module, name, 1)  # a sample per chunk
    x, W, gy = _problem(geometry, np.float32)
    before = mytorch.get_num_threads()
    results = {}
    try:
        for n in (1, 2, 3):
            mytorch.set_num_threads(n)
            results[n] = _all_three(x, W, gy, geometry)
    finally:
        mytorch.set_num_threads(before)
    for n in (2, 3):
        for threaded, sequential in zip(results[n], results[1], strict=True):
            np.testing.assert_array_equal(threaded, sequential)
