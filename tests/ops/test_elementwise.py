import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests

# shapes for binary ops: equal, scalar, broadcasting in both directions, size-1 and empty dims
BINARY = [((3, 4), (3, 4)), ((), ()), ((3, 4), ()), ((), (2, 3)), ((2, 1, 4), (3, 1)),
          ((4,), (2, 3, 4)), ((2, 3, 1), (1, 1, 5)), ((0, 3), (1, 3))]
UNARY = [((3, 4),), ((),), ((2, 0, 3),), ((1, 5, 1),)]
POSITIVE = dict(low=0.5, high=3.0)

SPECS = [
    OpSpec("add", lambda a, b: a + b, lambda a, b: a + b, BINARY),
    OpSpec("sub", lambda a, b: a - b, lambda a, b: a - b, BINARY),
    OpSpec("mul", lambda a, b: a * b, lambda a, b: a * b, BINARY),
    OpSpec("div", lambda a, b: a / b, lambda a, b: a / b, BINARY, **POSITIVE),
    OpSpec("pow", lambda a, b: a ** b, lambda a, b: a ** b, BINARY, **POSITIVE),
    OpSpec("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, UNARY),
    OpSpec("rpow_scalar", lambda a: 2.0 ** a, lambda a: 2.0 ** a, UNARY),
    OpSpec("rsub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, UNARY),
    OpSpec("rdiv_scalar", lambda a: 1.5 / a, lambda a: 1.5 / a, UNARY, **POSITIVE),
    OpSpec("neg", lambda a: -a, lambda a: -a, UNARY),
    OpSpec("abs", mytorch.abs, torch.abs, UNARY, low=0.1),  # away from the kink at 0
    OpSpec("exp", mytorch.exp, torch.exp, UNARY),
    OpSpec("log", mytorch.log, torch.log, UNARY, **POSITIVE),
    OpSpec("log1p", mytorch.log1p, torch.log1p, UNARY, **POSITIVE),
    OpSpec("sqrt", mytorch.sqrt, torch.sqrt, UNARY, **POSITIVE),
    OpSpec("sin", mytorch.sin, torch.sin, UNARY),
    OpSpec("cos", mytorch.cos, torch.cos, UNARY),
    OpSpec("tanh", mytorch.tanh, torch.tanh, UNARY),
    OpSpec("clamp", lambda a: mytorch.clamp(a, -0.5, 0.7), lambda a: torch.clamp(a, -0.5, 0.7),
           UNARY),
    OpSpec("clamp_min", lambda a: a.clamp(min=0.3), lambda a: a.clamp(min=0.3), UNARY),
    OpSpec("maximum", mytorch.maximum, torch.maximum, BINARY),
    OpSpec("minimum", mytorch.minimum, torch.minimum, BINARY),
    OpSpec("where", lambda a, b: mytorch.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b),
           BINARY),
    OpSpec("masked_fill", lambda a: a.masked_fill(a > 0.5, 2.0),
           lambda a: a.masked_fill(a > 0.5, 2.0), UNARY),
    OpSpec("to_float64", lambda a: a.double() * 2, lambda a: a.double() * 2, UNARY,
           dtypes=(np.float32,), gradcheck=False),
]


test_matches_torch, test_gradcheck = op_tests(SPECS)


@pytest.mark.parametrize("spec, shapes", gradcheck_cases([s for s in SPECS if s.name in
                         ("mul", "div", "pow", "exp", "log", "tanh", "sin", "sqrt")]))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


BINARY_SPECS = [s for s in SPECS if s.shapes is BINARY]


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       index=st.integers(0, len(BINARY_SPECS) - 1), seed=st.integers(0, 2**16))
def test_binary_hypothesis_shapes(shapes, index, seed):
    spec = BINARY_SPECS[index]
    check_against_torch(spec, spec.arrays(shapes.input_shapes, np.float64, seed))


@pytest.mark.parametrize("a_dtype, b", [
    (np.float32, np.zeros(3, np.float64)), (np.float32, np.zeros(3, np.int64)),
    (np.int64, 2.5), (np.float32, 2.5), (np.int64, 3), (np.float64, np.zeros((), np.float32)),
    (np.float32, np.zeros((), np.float64)), (np.int32, np.zeros((), np.float64)),
    (np.bool_, np.zeros(3, np.bool_)), (np.bool_, 2), (np.int32, np.zeros(3, np.int64)),
])
def test_type_promotion_matches_torch(a_dtype, b):
    a = np.ones(3, dtype=a_dtype)
    tb = torch.tensor(b) if isinstance(b, np.ndarray) else b
    mb = mytorch.tensor(b) if isinstance(b, np.ndarray) else b
    expected = (torch.tensor(a) * tb).numpy().dtype
    assert (mytorch.tensor(a) * mb).dtype == expected


def test_float64_stays_float64_end_to_end():
    x = mytorch.randn(4, dtype=mytorch.float64, requires_grad=True)
    y = ((x * 0.1 + 1).exp().log() / 3.0) ** 2
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64
    xd = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (xd * 0.1 + 1) / 9 * 0.1, rtol=1e-12)


def test_mixed_precision_gradient_has_input_dtype():
    a = mytorch.ones(3, requires_grad=True)
    b = mytorch.ones(3, dtype=mytorch.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        mytorch.ones(2, 3) + mytorch.ones(4)
    with pytest.raises(ValueError, match=r"mul.*\(2, 3\).*\(2,\)"):
        mytorch.ones(2, 3) * mytorch.ones(2)


def test_comparisons_return_bool_without_grad():
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, x.eq(2), x.gt(1)):
        assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])


def test_clamp_requires_a_bound():
    with pytest.raises(ValueError, match="clamp"):
        mytorch.clamp(mytorch.ones(2))


def test_math_on_integers_gives_float32():
    assert mytorch.exp(mytorch.tensor([1, 2])).dtype == np.float32
    assert (mytorch.tensor([1, 2]) / 2).dtype == np.float32


def test_tanh_backward_is_differentiable_in_both_its_inputs_to_third_order():
    """tanh's backward, gy * (1 - y^2) from its output y: gradients of gradients through it,
    with a non-constant upstream gradient (so both gy and y carry a gradient), match torch
    up to the third derivative."""
    x_np = np.linspace(-1.5, 1.5, 5)
    results = []
    for lib in (mytorch, torch):
        x = lib.tensor(x_np, requires_grad=True)
        (g,) = lib.autograd.grad((x.tanh() * x.sin()).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        (k,) = lib.autograd.grad(h.sum(), x)
        results.append((g, h, k))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@given(seed=st.integers(0, 2**31 - 1), equal_nan=st.booleans())
def test_isclose_allclose_equal_match_torch(dtype, seed, equal_nan):
    """Random values with some exact copies, near misses, infinities and NaNs, against torch."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(4, 5)) * 10.0 ** rng.integers(-3, 4)
    b = (a * (1 + rng.choice([0, 1e-9, 1e-6, 1e-4], size=a.shape))
         + rng.choice([0, 1e-9, 1e-7], size=a.shape))
    if dtype != "int64":
        a[0, :3], b[0, :3] = [np.inf, np.nan, -np.inf], [np.inf, np.nan, np.inf]
    a, b = a.astype(dtype), b.astype(dtype)
    ma, mb, ta, tb = mytorch.tensor(a), mytorch.tensor(b), torch.tensor(a), torch.tensor(b)
    for rtol, atol in ((1e-5, 1e-8), (0.0, 1e-6), (1e-3, 0.0)):
        np.testing.assert_array_equal(
            mytorch.isclose(ma, mb, rtol, atol, equal_nan).numpy(),
            torch.isclose(ta, tb, rtol, atol, equal_nan).numpy())
        expected = torch.allclose(ta, tb, rtol, atol, equal_nan)
        assert ma.allclose(mb, rtol, atol, equal_nan) == expected
    assert mytorch.equal(ma, mb) == torch.equal(ta, tb)
    assert ma.equal(ma) == torch.equal(ta, ta)  # False where a NaN is present, as in torch


def test_isclose_broadcasts_and_equal_does_not():
    a, b = mytorch.ones(2, 3), mytorch.ones(3)
    assert mytorch.isclose(a, b).shape == (2, 3) and mytorch.allclose(a, b)
    assert not mytorch.equal(a, b)


def test_closeness_errors_name_the_op_and_the_operands():
    with pytest.raises(RuntimeError, match=r"isclose.*float32.*float64"):
        mytorch.isclose(mytorch.ones(2), mytorch.ones(2, dtype=mytorch.float64))
    with pytest.raises(TypeError, match=r"allclose.*Tensor and float"):
        mytorch.allclose(mytorch.ones(2), 1.0)
    with pytest.raises(ValueError, match=r"isclose.*\(2, 3\).*\(2,\)"):
        mytorch.isclose(mytorch.ones(2, 3), mytorch.ones(2))
    with pytest.raises(RuntimeError, match=r"equal.*float32.*int64"):
        mytorch.equal(mytorch.ones(2), mytorch.tensor([1, 1]))
