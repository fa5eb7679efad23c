"""Winograd F(2x2, 3x3) (kernels/winograd.py): its three computations against PyTorch in
float64 and float32 (odd sizes, every padding 0..2, chunks), the transforms' algebra, and
which convolutions ``conv`` sends to it."""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
from harness import TOL, OpSpec, check_against_torch
from mytorch.kernels import conv as K
from mytorch.kernels import winograd as Wg

BUDGET = 256 * 2**20


def _torch_all(x, W, gy, padding):
    """y, gx, gW of torch's conv2d on x zero-padded by (before, after) pairs."""
    xt, Wt = torch.tensor(x, requires_grad=True), torch.tensor(W, requires_grad=True)
    (top, bottom), (left, right) = padding
    yt = F.conv2d(F.pad(xt, (left, right, top, bottom)), Wt)
    yt.backward(torch.tensor(gy))
    return yt.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy()


def _winograd_all(x, W, gy, padding, budget=BUDGET):
    return (Wg.forward(x, W, padding, budget), Wg.input_grad(gy, W, padding, budget),
            Wg.weight_grad(x, gy, padding, budget))


@st.composite
def problems(draw):
    """Any size (odd ones too), channel counts, padding pairs 0..2 and chunking."""
    padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(2))
    size = tuple(draw(st.integers(max(1, 3 - b - a), 9)) for b, a in padding)
    N, C, O = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    budget = draw(st.sampled_from([1, 5000, BUDGET]))  # one sample a chunk .. the whole batch
    return (N, C, O, size, padding, budget, draw(st.integers(0, 2**16)))


@settings(max_examples=60, deadline=None)
@given(problems())
def test_three_computations_match_torch_float64(problem):
    N, C, O, size, padding, budget, seed = problem
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((N, C, *size)), rng.standard_normal((O, C, 3, 3))
    out = tuple(L + b + a - 2 for L, (b, a) in zip(size, padding))
    gy = rng.standard_normal((N, O, *out))
    for got, want in zip(_winograd_all(x, W, gy, padding, budget), _torch_all(x, W, gy, padding)):
        assert got.shape == want.shape and got.dtype == want.dtype and got.flags.c_contiguous
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 8, 8, 9, 7), (2, 16, 12, 12, 11), (3, 9, 16, 10, 13)])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_float32_within_the_parity_tolerance(shape, pad):
    """float32 against torch's float32 at the op tests' tolerance: F(2x2, 3x3) rounds about
    like a direct sum (measured: max error / max |y| 2-4e-7 in y, gx and gW, as im2col's)."""
    N, C, O, H, W_ = shape
    rng = np.random.default_rng(pad)
    padding = ((pad, pad), (pad, pad))
    x = rng.uniform(-2, 2, (N, C, H, W_)).astype(np.float32)
    W = rng.uniform(-2, 2, (O, C, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((N, O, H + 2 * pad - 2, W_ + 2 * pad - 2)).astype(np.float32)
    for got, want in zip(_winograd_all(x, W, gy, padding), _torch_all(x, W, gy, padding)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, **TOL[np.dtype(np.float32)])


def test_transforms_compute_two_outputs_of_a_three_tap_correlation():
    """AT [(G g) * (BT d)] = the correlation of d (4) with g (3), in 1-D and nested in 2-D."""
    rng = np.random.default_rng(0)
    d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    direct = np.array([[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(2)] for i in range(2)])
    tile = Wg.TILE_OUT @ ((Wg.KERNEL @ g.ravel()) * (Wg.TILE_IN @ d.ravel()))
    np.testing.assert_allclose(tile.reshape(2, 2), direct, rtol=1e-13, atol=1e-13)


def _call(fn, **kwargs):
    return lambda *tensors: fn(*tensors, **kwargs)


def _spy(monkeypatch):
    """Record which Winograd computations conv's three kernels call."""
    calls = []
    for name in ("forward", "input_grad", "weight_grad"):
        real = getattr(Wg, name)
        monkeypatch.setattr(Wg, name, lambda *a, _real=real, _name=name: calls.append(_name)
                            or _real(*a))
    return calls


def test_conv_sends_3x3_stride_1_convolutions_here(monkeypatch):
    calls = _spy(monkeypatch)
    x = mytorch.randn(4, 8, 10, 9, requires_grad=True)
    W = mytorch.randn(8, 8, 3, 3, requires_grad=True)
    mytorch.nn.functional.conv2d(x, W, padding=1).sum().backward()
    assert set(calls) == {"forward", "input_grad", "weight_grad"}


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((4, 8, 10, 10), (8, 8, 3, 3), dict(stride=2)),
    ((4, 8, 10, 10), (8, 8, 3, 3), dict(dilation=2)),
    ((4, 8, 10, 10), (8, 4, 3, 3), dict(groups=2)),
    ((4, 8, 10, 10), (8, 8, 5, 5), dict()),
    ((4, 8, 10, 10), (8, 8, 3, 3), dict(padding=3)),
    ((4, 4, 10, 10), (8, 4, 3, 3), dict()),     # too few channels to pay
    ((1, 8, 6, 6), (8, 8, 3, 3), dict()),       # too few tiles to pay
])
def test_conv_keeps_the_rest(monkeypatch, x_shape, w_shape, kwargs):
    calls = _spy(monkeypatch)
    x = mytorch.randn(*x_shape, requires_grad=True)
    W = mytorch.randn(*w_shape, requires_grad=True)
    mytorch.nn.functional.conv2d(x, W, **kwargs).sum().backward()
    assert calls == []


def test_a_sample_over_the_memory_budget_stays_with_conv():
    assert Wg.applies((2, 8, 64, 64), (8, 8, 3, 3), (64, 64), (1, 1), ((1, 1), (1, 1)), (1, 1),
                      1, np.float32, BUDGET)
    assert not Wg.applies((2, 8, 64, 64), (8, 8, 3, 3), (64, 64), (1, 1), ((1, 1), (1, 1)),
                          (1, 1), 1, np.float32, 2**20)


def test_chunked_memory_stays_within_the_budget():
    """The work of a large batch goes in chunks within the memory budget: the peak is the
    output and about one chunk, not the whole batch's tiles (4 * x.nbytes = 16 MiB)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 16, 32, 32)).astype(np.float32)
    W = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    padding, budget = ((1, 1), (1, 1)), 2**21
    tracemalloc.start()
    y = Wg.forward(x, W, padding, budget)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < y.nbytes + 2 * budget
    np.testing.assert_allclose(y, K.reference_conv_forward(x, W, 1, padding), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["conv2d", "conv_transpose2d"])
def test_ops_through_winograd_match_torch(monkeypatch, kind, dtype):
    """conv2d and the stride-1 conv_transpose2d (whose forward is conv's input gradient),
    forward and gradients, at the op tests' tolerances, with Winograd doing the work."""
    calls = _spy(monkeypatch)
    w = (8, 10, 3, 3) if kind == "conv2d" else (10, 8, 3, 3)
    spec = OpSpec(f"{kind}-winograd", _call(getattr(mytorch.nn.functional, kind), padding=1),
                  _call(getattr(F, kind), padding=1), [((4, 10, 9, 7), w, (8,))])
    check_against_torch(spec, spec.arrays(spec.shapes[0], dtype))
    assert set(calls) == {"forward", "input_grad", "weight_grad"}


def test_second_derivatives_through_winograd_match_torch(monkeypatch):
    """d/dx and d/dW of <v, grad of <gy, conv(x, W)>>: every Function's backward, vs torch."""
    calls = _spy(monkeypatch)
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((4, 8, 9, 8)), rng.standard_normal((12, 8, 3, 3))
    gy = rng.standard_normal((4, 12, 9, 8))
    vx, vW = rng.standard_normal(x.shape), rng.standard_normal(W.shape)
    results = []
    for lib in (mytorch, torch):
        xs, Ws = lib.tensor(x, requires_grad=True), lib.tensor(W, requires_grad=True)
        y = lib.nn.functional.conv2d(xs, Ws, padding=1)
        gx, gW = lib.autograd.grad((y * lib.tensor(gy)).sum(), [xs, Ws], create_graph=True)
        total = (gx * lib.tensor(vx)).sum() + (gW * lib.tensor(vW)).sum()
        results.append([np.asarray(g.detach().numpy()) for g in lib.autograd.grad(total, [xs, Ws])])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)
    assert set(calls) == {"forward", "input_grad", "weight_grad"}
