"""gradcheck and gradgradcheck: they pass correct gradients and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import mytorch
from mytorch.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def _x(*shape: int, seed: int = 0) -> mytorch.Tensor:
    data = np.random.default_rng(seed).uniform(-1.0, 1.0, shape)
    return mytorch.tensor(data, requires_grad=True)


class WrongAtElementTwo(Function):
    """y = x^2, but the gradient it reports for element 2 is off by 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        error = np.zeros(x.shape)
        error[2] = 1.0
        return g * (2 * x) + g * mytorch.from_numpy(error)


class FirstOrderOnly(Function):
    """y = x^3 with a backward that is right, but built from a detached array.

    Its first derivative passes gradcheck; its second derivative is wrong
    (zero, since the backward does not depend on x through the graph).
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * mytorch.from_numpy(3 * x.numpy() ** 2)


def test_passes_correct_gradients() -> None:
    assert gradcheck(lambda t: (t.tanh() ** 3).sum(), _x(4))
    assert gradcheck(lambda a, b: a * b.exp(), (_x(2, 3), _x(3, seed=1)))
    assert gradcheck(lambda t: (t * t.exp(), t.sin()), _x(3))  # two outputs


def test_non_tensor_inputs_are_passed_through() -> None:
    assert gradcheck(lambda t, k: t**k, (_x(3), 3))


def test_inputs_without_requires_grad_are_constants() -> None:
    c = mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64)
    assert gradcheck(lambda t, u: t * u, (_x(3), c))


def test_wrong_gradient_raises_naming_the_worst_element() -> None:
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(5,\)\).*input element 2") as info:
        gradcheck(WrongAtElementTwo.apply, _x(5))
    assert isinstance(info.value, RuntimeError)
    assert "numerical" in str(info.value) and "analytical" in str(info.value)


def test_raise_exception_false_returns_false() -> None:
    assert gradcheck(WrongAtElementTwo.apply, _x(5), raise_exception=False) is False


def test_gradgradcheck_passes_correct_second_derivatives() -> None:
    assert gradgradcheck(lambda t: t.tanh() ** 3, _x(4))
    assert gradgradcheck(lambda t: t * t.exp(), _x(2, 2))
    assert gradgradcheck(lambda a, b: (a * b).exp(), (_x(3), _x(3, seed=1)))


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable() -> None:
    x = _x(3)
    assert gradcheck(FirstOrderOnly.apply, x)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(FirstOrderOnly.apply, x)


def test_gradgradcheck_with_given_grad_outputs() -> None:
    x = _x(3)
    v = mytorch.tensor([1.0, -2.0, 0.5], dtype=mytorch.float64)
    assert gradgradcheck(lambda t: t**3, x, grad_outputs=[v])


def test_float32_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, mytorch.ones(2, requires_grad=True))


def test_no_input_requiring_grad_is_refused() -> None:
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, mytorch.ones(2, dtype=mytorch.float64))


def test_inputs_are_left_unchanged() -> None:
    x = _x(4)
    before = x.detach().numpy().copy()
    gradcheck(lambda t: t.exp(), x)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None
