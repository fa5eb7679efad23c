"""The pooling, window and interpolation kernels against explicit loops, their adjoints, and
PyTorch."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mytorch.kernels import interpolate as I
from mytorch.kernels import pool as K
from mytorch.kernels import windows as Wn

# (size, kernel, stride, padding, dilation): overlapping, disjoint, dilated and padded windows
GEOMETRIES = [
    ((5, 6), (2, 2), (2, 2), (0, 0), (1, 1)),
    ((7, 5), (3, 3), (2, 1), (1, 1), (1, 1)),
    ((6, 7), (2, 3), (1, 2), (1, 1), (2, 1)),
    ((8, 4), (3, 1), (3, 1), (1, 0), (2, 1)),
    ((9,), (4,), (3,), (2,), (1,)),
    ((4,), (1,), (1,), (0,), (3,)),
]


def naive_windows(win):
    """For every output position, the list of (offset number, padded-input position) it reads."""
    windows = {}
    for o in np.ndindex(*win.out):
        windows[o] = [(i, tuple(oi * s + ki * d for oi, s, ki, d in
                                zip(o, win.stride, k, win.dilation)))
                      for i, k in enumerate(np.ndindex(*win.kernel))]
    return windows


def naive_max_pool(x, win):
    """PyTorch's scan: the first maximum in row-major order among positions inside the input."""
    y = np.empty(x.shape[:-len(win.size)] + win.out)
    index = np.empty(y.shape, dtype=np.int64)
    for lead in np.ndindex(*x.shape[:-len(win.size)]):
        for o, reads in naive_windows(win).items():
            best, best_index = -np.inf, None
            for _, position in reads:
                inside = tuple(q - p for q, (p, _) in zip(position, win.padding))
                if all(0 <= q < L for q, L in zip(inside, win.size)):
                    if best_index is None or x[lead + inside] > best:
                        best, best_index = x[lead + inside], np.ravel_multi_index(inside, win.size)
            y[lead + o], index[lead + o] = best, best_index
    return y, index


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_output_size_matches_torch(size, kernel, stride, padding, dilation, ceil_mode):
    win = Wn.Windows(size, kernel, stride, padding, dilation, ceil_mode)
    pool = F.max_pool1d if len(size) == 1 else F.max_pool2d
    expected = pool(torch.zeros(1, *size), kernel, stride, padding, dilation, ceil_mode).shape[1:]
    assert win.out == tuple(expected)
    assert all(Wn.output_size(*axis, ceil_mode) == o for axis, o in
               zip(zip(size, kernel, stride, padding, dilation), win.out))


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    assert Wn.output_size(4, 2, 3, 1, ceil_mode=False) == 2
    assert Wn.output_size(4, 2, 3, 1, ceil_mode=True) == 2   # a 3rd would start at 6 > L + p
    assert Wn.output_size(5, 2, 2, 0, ceil_mode=True) == 3   # the 3rd starts at 4 < L


@pytest.fixture(params=[None, 1], ids=["one-block", "plane-blocks"])
def block_bytes(request, monkeypatch):
    """The box sums' block size: the default (these small inputs fit in one block) or one
    plane per block, so that the blocks' work buffers are reused and the last is shorter."""
    if request.param is not None:
        monkeypatch.setattr(K, "_BLOCK_BYTES", request.param)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_matches_explicit_scan(size, kernel, stride, padding, dilation, ceil_mode,
                                       block_bytes):
    win = Wn.Windows(size, kernel, stride, padding, dilation, ceil_mode)
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 3, (2,) + size).astype(np.float64)  # many ties: the first must win
    y, arg = K.max_pool(x, win)
    y_ref, index_ref = naive_max_pool(x, win)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(K.winner_index(arg, win), index_ref)


def test_max_pool_numbers_more_than_256_offsets():
    """17 x 17 windows: the offsets' numbers no longer fit in uint8 (they raised
    OverflowError, a Python int above 255 multiplied into uint8)."""
    win = Wn.Windows((19, 18), (17, 17), (1, 1), (0, 0), (1, 1))
    x = np.random.default_rng(6).integers(-3, 3, (2,) + win.size).astype(np.float64)
    y, arg = K.max_pool(x, win)
    assert arg.dtype == np.uint16
    y_ref, index_ref = naive_max_pool(x, win)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(K.winner_index(arg, win), index_ref)


def starting_at(a, offset):
    """A copy of ``a`` whose data starts ``offset`` bytes past a 64-byte boundary."""
    raw = np.empty(a.nbytes + 64, np.uint8)
    start = (offset - raw.ctypes.data) % 64
    copy = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    copy[...] = a
    return copy


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
def test_max_pool_is_the_same_at_any_alignment(size, kernel, stride, padding, dilation,
                                               block_bytes):
    """A 64-byte-aligned input is pooled from a copy at another alignment (it is faster)."""
    win = Wn.Windows(size, kernel, stride, padding, dilation, True)
    x = np.random.default_rng(5).integers(-3, 3, (3, 2) + size).astype(np.float32)
    y, arg = K.max_pool(starting_at(x, 16), win)
    aligned = starting_at(x, 0)
    for got, expected in zip(K.max_pool(aligned, win), (y, arg), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(aligned, x)  # the input is left alone


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
def test_max_pool_without_winners_gives_the_same_maximum(size, kernel, stride, padding, dilation):
    win = Wn.Windows(size, kernel, stride, padding, dilation, True)
    x = np.random.default_rng(10).standard_normal((2,) + size)
    x[(0,) + (0,) * len(size)] = np.nan
    y, arg = K.max_pool(x, win, winners=False)
    assert arg is None
    np.testing.assert_array_equal(y, K.max_pool(x, win)[0])  # NaN where the other has NaN


def test_max_pool_nan_wins_and_all_minus_inf_window_points_inside():
    win = Wn.Windows((2, 2), (2, 2), (2, 2), (0, 0), (1, 1))
    y, arg = K.max_pool(np.array([[np.nan, 1.0], [np.nan, 2.0]]), win)
    assert np.isnan(y).all() and K.winner_index(arg, win).item() == 2  # the last NaN
    win = Wn.Windows((3, 3), (2, 2), (2, 2), (1, 1), (1, 1))
    y, arg = K.max_pool(np.full((3, 3), -np.inf), win)
    assert np.isneginf(y).all()
    np.testing.assert_array_equal(K.winner_index(arg, win), [[0, 1], [3, 4]])  # never padding


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("ceil_mode, with_arg", [(False, False), (True, False), (True, True)])
def test_window_scatter_is_the_adjoint_of_window_sum(size, kernel, stride, padding, dilation,
                                                     ceil_mode, with_arg):
    win = Wn.Windows(size, kernel, stride, padding, dilation, ceil_mode)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3) + size)
    g = rng.standard_normal((2, 3) + win.out)
    arg = K.max_pool(x, win)[1] if with_arg else None
    lhs = np.vdot(K.window_sum(x, win, arg), g)
    rhs = np.vdot(x, K.window_scatter(g, win, arg))
    assert np.isclose(lhs, rhs, rtol=1e-12)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES + [
    ((1, 3), (2, 2), (2, 2), (1, 1), (1, 1)),  # offset 0 of axis 0 reads padding only
    ((7, 4), (2, 2), (3, 2), (0, 0), (1, 1)),  # rows 2 and 5 lie in no window: zero gradient
    ((6,), (2,), (1,), (1,), (2,)),            # no offset reads for every output
    ((1, 3), (2, 2), (1, 1), (1, 1), (2, 1)),  # windows of padding alone: winners there
])
@pytest.mark.parametrize("with_arg", [False, True])
def test_window_scatter_matches_explicit_scatter(size, kernel, stride, padding, dilation,
                                                 with_arg, block_bytes):
    """Every window adds its gradient to each position it reads (its winner only, with arg)."""
    win = Wn.Windows(size, kernel, stride, padding, dilation, True)
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 2, (2,) + size).astype(np.float64)  # ties: the first maximum wins
    g = rng.standard_normal((2,) + win.out)
    arg = K.max_pool(x, win)[1] if with_arg else None
    expected = np.zeros((2,) + tuple(L + b + a for L, (b, a) in zip(size, win.pads)))
    for o, reads in naive_windows(win).items():
        for i, position in reads:
            chosen = 1.0 if arg is None else (arg[(slice(None),) + o] == i)
            expected[(slice(None),) + position] += g[(slice(None),) + o] * chosen
    interior = tuple(slice(b, b + L) for L, (b, _) in zip(size, win.pads))
    np.full(expected[(Ellipsis,) + interior].shape, np.nan)  # freed: recycled memory is dirty
    np.testing.assert_allclose(K.window_scatter(g, win, arg), expected[(Ellipsis,) + interior],
                               rtol=1e-12)


def test_gather_of_winners_reads_the_winner_alone():
    """window_sum with arg is x at each window's winner: an inf elsewhere in the window stays
    out (multiplying every offset by a 0/1 mask made inf * 0 = NaN there)."""
    win = Wn.Windows((2, 4), (2, 2), (2, 2), (0, 0), (1, 1))
    x = np.array([[[3.0, 1.0, -2.0, 5.0], [0.0, 2.0, 1.0, 4.0]]])
    _, arg = K.max_pool(x, win)
    other = np.array([[[7.0, -np.inf, np.inf, 8.0], [np.nan, 1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(K.window_sum(other, win, arg), [[[7.0, 8.0]]])


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES + [
    ((6,), (2,), (1,), (1,), (2,)),  # no offset reads for every output
    ((3, 4), (1, 1), (1, 1), (0, 0), (1, 1)),  # every window one position: a copy
])
def test_window_sum_matches_explicit_sum(size, kernel, stride, padding, dilation, block_bytes):
    win = Wn.Windows(size, kernel, stride, padding, dilation, True)
    x = np.random.default_rng(2).standard_normal((3,) + size)
    x_pad = np.pad(x, [(0, 0)] + [(b, a) for b, a in win.pads])
    expected = np.zeros((3,) + win.out)
    for o, reads in naive_windows(win).items():
        for _, position in reads:
            expected[(slice(None),) + o] += x_pad[(slice(None),) + position]
    y = K.window_sum(x, win)
    assert not np.shares_memory(y, x)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    divisor = np.arange(1.0, 1.0 + math.prod(win.out)).reshape(win.out)
    np.testing.assert_array_equal(K.window_sum(x, win, None, divisor), y / divisor)
    g = np.random.default_rng(4).standard_normal((3,) + win.out)
    np.testing.assert_array_equal(K.window_scatter(g, win, None, divisor),
                                  K.window_scatter(g / divisor, win))


def naive_divisor(win, count_include_pad, divisor_override):
    """PyTorch's avg_pool divisor, one window at a time."""
    if divisor_override is not None:
        return np.full(win.out, float(divisor_override))
    out = np.empty(win.out)
    for o in np.ndindex(*win.out):
        count = 1
        for oi, L, k, s, (p, _) in zip(o, win.size, win.kernel, win.stride, win.padding):
            start = oi * s - p
            end = min(start + k, L + p)
            if not count_include_pad:
                start, end = max(start, 0), min(end, L)
            count *= end - start
        out[o] = count
    return out


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", GEOMETRIES)
@pytest.mark.parametrize("ceil_mode, count_include_pad, divisor_override",
                         [(False, True, None), (True, True, None), (True, False, None),
                          (False, False, 3)])
def test_avg_divisor_matches_explicit_rule(size, kernel, stride, padding, dilation, ceil_mode,
                                           count_include_pad, divisor_override):
    win = Wn.Windows(size, kernel, stride, padding, (1,) * len(size), ceil_mode)
    np.testing.assert_array_equal(K.avg_divisor(win, count_include_pad, divisor_override),
                                  naive_divisor(win, count_include_pad, divisor_override))


@pytest.mark.parametrize("size, out", [(5, 3), (7, 7), (3, 5), (10, 4), (1, 2), (6, 1)])
def test_adaptive_bounds_and_average_matrix(size, out):
    start, end = K.adaptive_bounds(size, out)
    np.testing.assert_array_equal(start, [i * size // out for i in range(out)])
    np.testing.assert_array_equal(end, [int(np.ceil((i + 1) * size / out)) for i in range(out)])
    M = K.adaptive_avg_matrix(size, out, np.dtype(np.float64))
    x = np.random.default_rng(3).standard_normal(size)
    np.testing.assert_allclose(M @ x, [x[a:b].mean() for a, b in zip(start, end)], rtol=1e-12)


@pytest.mark.parametrize("size, out", [((5, 7), (3, 2)), ((4, 4), (4, 4)), ((3, 5), (5, 7)),
                                       ((9,), (4,)), ((6, 6), (1, 1))])
def test_adaptive_max_pool_matches_torch(size, out):
    x = np.random.default_rng(4).permutation(2 * 3 * int(np.prod(size))).reshape((2, 3) + size)
    x = x.astype(np.float64)
    y, index = K.adaptive_max_pool(x, out)
    pool = F.adaptive_max_pool1d if len(size) == 1 else F.adaptive_max_pool2d
    y_ref, index_ref = pool(torch.tensor(x), out, return_indices=True)
    np.testing.assert_array_equal(y, y_ref.numpy())
    np.testing.assert_array_equal(index, index_ref.numpy())


def test_adaptive_max_pool_nan_and_minus_inf_windows_match_torch():
    x = np.random.default_rng(11).permutation(2 * 7 * 5).reshape(2, 7, 5).astype(np.float64)
    x[0, 1, 1] = x[0, 2, 0] = x[1, 5, 4] = np.nan        # several NaNs in a window: the last wins
    x[1, :3, :3] = -np.inf                                # a window of nothing but -inf
    y, index = K.adaptive_max_pool(x, (3, 2))
    y_ref, index_ref = F.adaptive_max_pool2d(torch.tensor(x), (3, 2), return_indices=True)
    np.testing.assert_array_equal(y, y_ref.numpy())
    np.testing.assert_array_equal(index, index_ref.numpy())


def test_adaptive_max_pool_to_zero_size_is_empty():
    y, index = K.adaptive_max_pool(np.ones((2, 5, 5)), (0, 3))
    assert y.shape == index.shape == (2, 0, 3) and index.dtype == np.int64


def test_gather_and_scatter_flat_are_adjoint_and_sum_repeats():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 5))
    index = rng.integers(0, 20, (2, 3, 3, 3))
    g = rng.standard_normal((2, 3, 3, 3))
    assert np.isclose(np.vdot(K.gather_flat(x, index, 2), g),
                      np.vdot(x, K.scatter_add_flat(g, index, (4, 5))), rtol=1e-12)
    repeated = K.scatter_add_flat(np.ones((1, 3)), np.array([[2, 2, 0]]), (4,))
    np.testing.assert_array_equal(repeated, [[1.0, 0.0, 2.0, 0.0]])


def test_unpool_places_values_at_indices():
    out = K.unpool(np.array([[[1.0, 2.0]]]), np.array([[[3, 0]]]), (2, 2))  # (1, 1, 2) -> (1, 2, 2)
    np.testing.assert_array_equal(out, [[[2.0, 0.0], [0.0, 1.0]]])


def test_apply_axis_maps_matches_einsum_and_transpose_is_adjoint():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 5, 6))
    maps = [rng.standard_normal((o, n)) for o, n in zip((3, 7, 2), (4, 5, 6))]
    y = I.apply_axis_maps(x, maps)
    # (n, c, d, h, w) with (a, d), (b, h), (e, w) -> (n, c, a, b, e)
    np.testing.assert_allclose(y, np.einsum("ncdhw,ad,bh,ew->ncabe", x, *maps), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    assert np.isclose(np.vdot(y, g), np.vdot(x, I.apply_axis_maps(g, [M.T for M in maps])))


SIZES = [(L, o) for L in (1, 2, 3, 5, 8, 9) for o in (1, 2, 3, 4, 7, 10, 16, 18)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("nearest-exact", None),
                                                 ("linear", False), ("linear", True)])
def test_interpolation_matrices_match_torch(dtype, mode, align_corners):
    """Every (L, OUT) pair, by size and by scale factor: M is torch's image of unit vectors."""
    cases = [(L, o, None) for L, o in SIZES]
    cases += [(L, int(L * s), s) for L in (3, 5, 9)
              for s in (0.5, 0.7, 1.0, 4 / 3, 1.5, 2.0, 2.5, 3.0) if int(L * s) >= 1]
    for L, o, scale in cases:
        eye = torch.eye(L, dtype=torch.float64 if dtype == np.float64 else torch.float32)
        size = None if scale is not None else o
        ref = F.interpolate(eye[None], size=size, scale_factor=scale, mode=mode,
                            align_corners=align_corners)[0].numpy().T  # (o, L): column l is M e_l
        if mode == "linear":
            M = I.linear_matrix(L, o, scale, align_corners, np.dtype(dtype))
        else:
            M = I.nearest_matrix(L, o, scale, mode == "nearest-exact", np.dtype(dtype))
        assert M.dtype == dtype
        tol = 1e-7 if dtype == np.float32 else 1e-15
        np.testing.assert_allclose(M, ref, rtol=tol, atol=tol, err_msg=f"L={L} out={o} s={scale}")


def test_every_geometry_offset_pattern_is_covered():
    """The grid above holds disjoint and overlapping windows, with and without padding."""
    wins = [Wn.Windows(*g) for g in GEOMETRIES]
    assert {w.disjoint for w in wins} == {True, False}
    assert any(any(a for _, a in w.pads) for w in wins)
    assert len(set(itertools.chain.from_iterable(w.dilation for w in wins))) > 1
