import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, op_tests
from mytorch.kernels import special

UNARY = [((3, 4),), ((),), ((2, 0, 3),), ((1, 5, 1),)]
# softmax: the 3-d shape first (gradcheck takes the first two valid shapes)
SOFTMAX_SHAPES = [(2, 3, 4), (3, 4), (), (1, 5, 1), (2, 0, 3), (4,)]


def softmax_shapes(dim):
    rank = lambda s: len(s) or 1  # noqa: E731  (a 0-d tensor accepts dim 0 and -1)
    return [(s,) for s in SOFTMAX_SHAPES if -rank(s) <= dim < rank(s)]


def large_logits(rng, shapes, dtype):
    """Logits near +-1e4, a few apart: exp would overflow without the max subtracted."""
    return [(rng.choice([-1e4, 1e4], s) + rng.uniform(-3, 3, s)).astype(dtype) for s in shapes]


SPECS = [
    OpSpec("relu", mytorch.relu, torch.relu, UNARY),
    OpSpec("relu_method", lambda x: x.relu(), lambda x: x.relu(), UNARY, gradcheck=False),
    OpSpec("leaky_relu", mytorch.leaky_relu, F.leaky_relu, UNARY),
    OpSpec("leaky_relu_0.2", lambda x: mytorch.leaky_relu(x, 0.2),
           lambda x: F.leaky_relu(x, 0.2), UNARY),
    OpSpec("elu", mytorch.elu, F.elu, UNARY),
    OpSpec("elu_alpha", lambda x: mytorch.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5), UNARY),
    OpSpec("hardtanh", mytorch.hardtanh, F.hardtanh, UNARY),
    OpSpec("hardtanh_range", lambda x: mytorch.hardtanh(x, -0.5, 1.5),
           lambda x: F.hardtanh(x, -0.5, 1.5), UNARY),
    OpSpec("sigmoid", mytorch.sigmoid, torch.sigmoid, UNARY, low=-6, high=6),
    OpSpec("sigmoid_method", lambda x: x.sigmoid(), lambda x: x.sigmoid(), UNARY, gradcheck=False),
    OpSpec("sigmoid_wide", mytorch.sigmoid, torch.sigmoid, UNARY, low=-120, high=120,
           gradcheck=False),
    OpSpec("silu", mytorch.silu, F.silu, UNARY, low=-6, high=6),
    OpSpec("gelu", mytorch.gelu, F.gelu, UNARY, low=-4, high=4),
    OpSpec("gelu_wide", mytorch.gelu, F.gelu, UNARY, low=-12, high=12, gradcheck=False),
    OpSpec("gelu_tanh", lambda x: mytorch.gelu(x, approximate="tanh"),
           lambda x: F.gelu(x, approximate="tanh"), UNARY, low=-4, high=4),
    OpSpec("softplus", mytorch.softplus, F.softplus, UNARY, low=-30, high=30),
    OpSpec("softplus_beta", lambda x: mytorch.softplus(x, beta=2, threshold=5),
           lambda x: F.softplus(x, beta=2, threshold=5), UNARY, low=-5, high=5),
]
SPECS += [
    OpSpec(f"{name}-dim{dim}", lambda x, f=f, d=dim: f(x, d), lambda x, g=g, d=dim: g(x, d),
           softmax_shapes(dim))
    for name, f, g in [("softmax", mytorch.softmax, torch.softmax),
                       ("log_softmax", mytorch.log_softmax, torch.log_softmax)]
    for dim in (-1, 0, 1)
]
SPECS += [
    OpSpec("softmax_method", lambda x: x.softmax(1), lambda x: x.softmax(1), softmax_shapes(1),
           gradcheck=False),
    OpSpec("log_softmax_method", lambda x: x.log_softmax(0), lambda x: x.log_softmax(0),
           softmax_shapes(0), gradcheck=False),
    OpSpec("softmax_dtype", lambda x: mytorch.softmax(x, -1, dtype=mytorch.float64),
           lambda x: torch.softmax(x, -1, dtype=torch.float64), softmax_shapes(-1),
           dtypes=(np.float32,), gradcheck=False),
    OpSpec("log_softmax_dtype", lambda x: mytorch.log_softmax(x, 0, dtype=mytorch.float64),
           lambda x: torch.log_softmax(x, 0, dtype=torch.float64), softmax_shapes(0),
           dtypes=(np.float32,), gradcheck=False),
    OpSpec("softmax_1e4", lambda x: mytorch.softmax(x, -1), lambda x: torch.softmax(x, -1),
           softmax_shapes(-1), make=large_logits),
    OpSpec("log_softmax_1e4", lambda x: mytorch.log_softmax(x, 1),
           lambda x: torch.log_softmax(x, 1), softmax_shapes(1), make=large_logits),
    OpSpec("logsumexp_1e4", lambda x: x.logsumexp(-1), lambda x: x.logsumexp(-1),
           softmax_shapes(-1), make=large_logits),
]


test_matches_torch, test_gradcheck = op_tests(SPECS)


SECOND_ORDER = ("sigmoid", "silu", "gelu", "gelu_tanh", "elu", "softplus", "softplus_beta",
                "leaky_relu", "softmax-dim-1", "softmax-dim0", "log_softmax-dim1",
                "log_softmax-dim-1", "softmax_1e4", "log_softmax_1e4")


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name in SECOND_ORDER], ids=lambda s: s.name)
def test_gradgradcheck(spec):
    check_gradcheck(spec, spec.arrays(((2, 3, 2),), np.float64), second_order=True)


# -- hypothesis-drawn shapes and dims -----------------------------------------------------------
SOFTMAX_SPECS = [s for s in SPECS if s.name in ("softmax-dim-1", "log_softmax-dim-1")]
ELEMENTWISE_SPECS = [s for s in SPECS if s.shapes is UNARY]


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       data=st.data(), seed=st.integers(0, 2**16))
def test_hypothesis_softmax(shape, data, seed):
    rank = len(shape) or 1
    dim = data.draw(st.integers(-rank, rank - 1))
    name = data.draw(st.sampled_from(["softmax", "log_softmax"]))
    spec = OpSpec(name, lambda x: getattr(mytorch, name)(x, dim),
                  lambda x: getattr(torch, name)(x, dim), [], low=-20, high=20)
    check_against_torch(spec, spec.arrays((shape,), np.float64, seed))


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       index=st.integers(0, len(ELEMENTWISE_SPECS) - 1), seed=st.integers(0, 2**16))
def test_hypothesis_elementwise(shape, index, seed):
    spec = ELEMENTWISE_SPECS[index]
    check_against_torch(spec, spec.arrays((shape,), np.float64, seed))


# -- numerics beyond the grid ----------------------------------------------------------------
def test_large_logits_give_finite_values_and_gradients():
    data = np.array([[1e4, -1e4, 1e4 - 2.0], [-1e4, -1e4 + 1.0, -1e4]], dtype=np.float32)
    for op in (mytorch.softmax, mytorch.log_softmax, lambda x, d: x.logsumexp(d)):
        for dim in (0, 1):
            x = mytorch.tensor(data, requires_grad=True)
            y = op(x, dim)
            (y * mytorch.tensor(np.arange(y.numel(), dtype=np.float32).reshape(y.shape))).sum() \
                .backward()
            assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))


def test_sigmoid_and_softplus_do_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        x = mytorch.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
        y = mytorch.sigmoid(x)
        y.sum().backward()
        # sigmoid(-100) is a float32 subnormal: compare to within one subnormal step
        np.testing.assert_allclose(y.numpy(), [0, 3.7200760e-44, 0.5, 1, 1], rtol=1e-6,
                                   atol=np.finfo(np.float32).smallest_subnormal)
        assert np.all(np.isfinite(x.grad.numpy()))
        s = mytorch.softplus(mytorch.tensor([-1000.0, 1000.0]), threshold=1e9)
        np.testing.assert_allclose(s.numpy(), [0, 1000])
        e = mytorch.elu(mytorch.tensor([1000.0, -1000.0]))
        np.testing.assert_allclose(e.numpy(), [1000, -1])


def test_softmax_of_masked_rows_like_torch():
    data = np.array([[-math.inf, 0.0, 1.0], [-math.inf, -math.inf, -math.inf]])
    for name in ("softmax", "log_softmax"):
        m = getattr(mytorch, name)(mytorch.tensor(data), 1).numpy()
        t = getattr(torch, name)(torch.tensor(data), 1).numpy()
        np.testing.assert_allclose(m, t, rtol=1e-15)  # nan where torch has nan


def _ulps(got: np.ndarray, want: np.ndarray) -> float:
    """The largest error in units in the last place of ``want`` (in got's dtype)."""
    scale = np.spacing(np.abs(want).astype(got.dtype)).astype(np.float64)
    return float(np.max(np.abs(got.astype(np.float64) - want) / scale))


def test_erf_kernel_is_accurate_to_float64():
    # a fine grid over [-27, 27] (erfc underflows past 26.6), the block size not dividing it
    x = np.concatenate([np.linspace(-27, 27, 540_011), [0.0, -0.0, 1e-300, 0.5, -0.5, 4.0, -4.0]])
    erf, erfc = np.vectorize(math.erf)(x), np.vectorize(math.erfc)(x)
    assert _ulps(special.erf(x), erf) <= 3
    assert _ulps(special.erfc(x[erfc > 0]), erfc[erfc > 0]) <= 10  # relative, deep in the tail too
    x32 = x.astype(np.float32)
    assert _ulps(special.erf(x32), np.vectorize(math.erf)(x32.astype(np.float64))) <= 1
    assert special.erf(np.float32(0.5)).dtype == np.float32
    assert np.isnan(special.erf(np.array([math.nan])))[0]
    assert special.erfc(np.array([30.0, math.inf, -math.inf])).tolist() == [0.0, 0.0, 2.0]
    assert special.erf(np.array([math.inf, -math.inf])).tolist() == [1.0, -1.0]


def test_gelu_exact_matches_torch_on_a_wide_grid():
    for dtype in (np.float32, np.float64):
        x = np.linspace(-12, 12, 100_003).astype(dtype)
        m, t = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        mytorch.gelu(m).sum().backward()
        F.gelu(t).sum().backward()
        # atol: torch's 1 + erf(x / sqrt 2) cancels for negative x (float32: 0 below -5.5)
        tol = 1e-6 if dtype == np.float32 else 1e-14
        np.testing.assert_allclose(mytorch.gelu(m).detach().numpy(), F.gelu(t).detach().numpy(),
                                   rtol=tol, atol=tol)
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def test_gelu_float32_kernel_is_accurate_to_float32():
    # the float32 formula of kernels/special.gelu against float64 math.erfc on a fine grid
    x = np.linspace(-14, 14, 400_009).astype(np.float32)
    y, slope = special.gelu(x)
    assert y.dtype == slope.dtype == np.float32
    a = x.astype(np.float64)
    cdf = np.vectorize(math.erfc)(-a / math.sqrt(2)) / 2
    exact_y, exact_slope = a * cdf, cdf + a * np.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    assert np.all(np.abs(y - exact_y) <= 2e-7 + 6e-7 * np.abs(exact_y))
    assert np.all(np.abs(slope - exact_slope) <= 3e-7)
    # relative accuracy in the tail, where torch's 1 + erf(x / sqrt 2) cancels to nothing
    tail = (a < -3) & (cdf > 1e-37)
    assert np.max(np.abs(y[tail] / a[tail] / cdf[tail] - 1)) < 5e-6
    y, slope = special.gelu(np.array([0.0, -0.0, math.inf, math.nan], dtype=np.float32))
    assert y[:2].tolist() == [0.0, 0.0] and slope[:2].tolist() == [0.5, 0.5]
    assert y[2] == math.inf and np.isnan(y[3]) and np.isnan(slope[3])


def test_gelu_float32_kernel_over_the_whole_float32_range():
    # every 4099th bit pattern: denormals, tails, and past the clip of z (20) up to the largest
    bits = np.arange(0, 2**32, 4099, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x)]
    y, slope = special.gelu(x)
    a = x.astype(np.float64)
    near = np.abs(a) < 30
    cdf = np.vectorize(math.erfc)(-a[near] / math.sqrt(2)) / 2
    exact_y = a[near] * cdf
    exact_slope = cdf + a[near] * np.exp(-a[near] ** 2 / 2) / math.sqrt(2 * math.pi)
    assert np.all(np.abs(y[near] - exact_y) <= 2e-7 + 6e-7 * np.abs(exact_y))
    assert np.all(np.abs(slope[near] - exact_slope) <= 3e-7)
    assert np.array_equal(y[~near], np.maximum(x[~near], 0))
    assert np.array_equal(slope[~near], (x[~near] > 0).astype(np.float32))
    # the limits at -inf, nan slopes at +-inf (as torch), nan stays nan
    y, slope = special.gelu(np.array([-math.inf, math.inf, -math.nan], dtype=np.float32))
    assert y[:2].tolist() == [0.0, math.inf] and np.isnan(y[2]) and np.all(np.isnan(slope))


def test_gelu_backward_is_the_saved_derivative_and_differentiates_again():
    x = mytorch.tensor([-2.0, -0.5, 0.0, 1.5], dtype=mytorch.float64, requires_grad=True)
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    (gx,) = mytorch.autograd.grad(mytorch.gelu(x).sum(), x, create_graph=True)
    (tgx,) = torch.autograd.grad(F.gelu(t).sum(), t, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-14)
    gx.sum().backward()
    tgx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_integer_inputs_like_torch():
    data = np.array([[-2, 1], [3, 0]], dtype=np.int64)
    for op in (lambda lib, x: lib.relu(x), lambda lib, x: lib.sigmoid(x),
               lambda lib, x: lib.nn.functional.hardtanh(x) if lib is torch else lib.hardtanh(x),
               lambda lib, x: lib.softmax(x, 1, dtype=lib.float32),
               lambda lib, x: lib.log_softmax(x, 0, dtype=lib.float64)):
        m, t = op(mytorch, mytorch.tensor(data)), op(torch, torch.tensor(data))
        assert m.dtype == t.numpy().dtype
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("op, call", [
    ("softmax", lambda x: mytorch.softmax(x, 0)), ("log_softmax", lambda x: x.log_softmax(1)),
    ("gelu", mytorch.gelu), ("elu", mytorch.elu), ("silu", mytorch.silu),
    ("softplus", mytorch.softplus), ("leaky_relu", mytorch.leaky_relu),
])
def test_integer_inputs_torch_refuses_raise(op, call):
    with pytest.raises(RuntimeError, match=rf"{op}: expected a floating point.*int64.*\(2, 3\)"):
        call(mytorch.ones(2, 3).long())


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_dim_out_of_range_names_op_and_shape(op):
    with pytest.raises(IndexError, match=rf"{op}: dimension 2 out of range.*\(2, 3\)"):
        getattr(mytorch, op)(mytorch.ones(2, 3), 2)
    with pytest.raises(TypeError, match=rf"{op}: dim must be an int"):
        getattr(mytorch, op)(mytorch.ones(2, 3), (0, 1))


def test_softmax_without_dim_uses_torchs_legacy_rule():
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        data = np.random.default_rng(0).standard_normal(shape)
        with pytest.warns(UserWarning, match="softmax: implicit dimension"):
            m = mytorch.softmax(mytorch.tensor(data), dim=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = F.softmax(torch.tensor(data), dim=None)
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-12)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        mytorch.gelu(mytorch.ones(2), approximate="fast")
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2\) must not exceed max_val \(1\)"):
        mytorch.hardtanh(mytorch.ones(2), 2, 1)
    with pytest.raises(TypeError, match="gelu: expected a Tensor"):
        mytorch.gelu([1.0, 2.0])


def test_float64_stays_float64():
    x = mytorch.randn(3, 4, dtype=mytorch.float64, requires_grad=True)
    for op in (mytorch.relu, mytorch.sigmoid, mytorch.gelu, mytorch.silu, mytorch.elu,
               mytorch.softplus, mytorch.leaky_relu, mytorch.hardtanh,
               lambda t: mytorch.softmax(t, 1), lambda t: mytorch.log_softmax(t, 0)):
        x.grad = None
        y = op(x)
        y.sum().backward()
        assert y.dtype == np.float64 and x.grad.dtype == np.float64
