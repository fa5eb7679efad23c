"""Check autograd against finite differences: ``gradcheck`` and ``gradgradcheck``.

The numerical Jacobian perturbs each input element by +-eps (central
differences, float64); the analytical one backpropagates a one-hot gradient
from each output element. They must agree within ``atol + rtol * |numerical|``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.engine import grad
from mytorch.autograd.tensor import TensorBase, is_tensor

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when autograd and finite differences disagree."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(fn: Callable[..., Any], inputs: tuple[Any, ...]) -> list[Tensor]:
    return [o for o in _as_tuple(fn(*inputs)) if is_tensor(o) and o.dtype.kind == "f"]


def _numerical_jacobians(
    fn: Callable[..., Any], inputs: tuple[Any, ...], wrt: list[int], eps: float
) -> list[list[np.ndarray]]:
    """J[out][inp] of shape (out.size, inp.size), by central differences."""
    sizes = [o._data.size for o in _float_outputs(fn, inputs)]
    jacobians = [[np.zeros((n, inputs[i]._data.size)) for i in wrt] for n in sizes]
    for col, i in enumerate(wrt):
        flat = inputs[i]._data.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = [o._data.astype(np.float64).ravel() for o in _float_outputs(fn, inputs)]
            flat[j] = original - eps
            minus = [o._data.astype(np.float64).ravel() for o in _float_outputs(fn, inputs)]
            flat[j] = original
            for out, (p, m) in enumerate(zip(plus, minus)):
                jacobians[out][col][:, j] = (p - m) / (2 * eps)
    return jacobians


def _analytical_jacobians(
    fn: Callable[..., Any], inputs: tuple[Any, ...], wrt: list[int]
) -> list[list[np.ndarray]]:
    """J[out][inp], one backward per output element."""
    outputs = _float_outputs(fn, inputs)
    jacobians = []
    for out in outputs:
        rows = [np.zeros((out._data.size, inputs[i]._data.size)) for i in wrt]
        if out.requires_grad:
            for k in range(out._data.size):
                onehot = np.zeros(out._data.size, dtype=out.dtype)
                onehot[k] = 1
                onehot_out = TensorBase._make(onehot.reshape(out.shape))
                grads = grad(out, [inputs[i] for i in wrt], onehot_out,
                             retain_graph=True, allow_unused=True)
                for col, g in enumerate(grads):
                    if g is not None:
                        rows[col][k] = g._data.ravel()
        jacobians.append(rows)
    return jacobians


def gradcheck(
    fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True if the gradients of ``fn`` at ``inputs`` match central differences.

    Args:
        fn: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of them (float64, some with requires_grad=True);
            other arguments are passed through unchanged.
        eps: the finite-difference step.
        atol, rtol: the tolerance, ``|analytical - numerical| <= atol + rtol * |numerical|``.
        raise_exception: raise GradcheckError on a mismatch (else return False).

    >>> import mytorch
    >>> x = mytorch.randn(3, dtype=mytorch.float64, requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sin(), x)
    True
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: at least one input tensor must have requires_grad=True")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 inputs"
            )
    numerical = _numerical_jacobians(fn, inputs, wrt, eps)
    analytical = _analytical_jacobians(fn, inputs, wrt)
    for out, (num_rows, ana_rows) in enumerate(zip(numerical, analytical)):
        for col, (num, ana) in enumerate(zip(num_rows, ana_rows)):
            excess = np.abs(ana - num) - (atol + rtol * np.abs(num))
            if excess.size and excess.max() > 0:
                k, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
                message = (
                    f"gradcheck: Jacobian mismatch for output {out} with respect to input "
                    f"{wrt[col]} (shape {inputs[wrt[col]].shape}): worst at output element "
                    f"{k}, input element {j}: numerical {num[k, j]:.8g}, "
                    f"analytical {ana[k, j]:.8g}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(
    fn: Callable[..., Any], inputs: Any, grad_outputs: Sequence[Tensor] | None = None,
    eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
) -> bool:
    """True if the second derivatives of ``fn`` match finite differences of its gradients.

    Checks the function ``(inputs, v) -> vector-Jacobian product of fn with v``
    with ``gradcheck``; ``v`` (``grad_outputs``) is random unless given.
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    outputs = _float_outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [TensorBase._make(rng.standard_normal(o.shape)) for o in outputs]
    grad_outputs = [g.detach().requires_grad_() for g in _as_tuple(grad_outputs)]
    n = len(inputs)

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        outs = _float_outputs(fn, args[:n])
        grads = grad(outs, [args[i] for i in wrt], list(args[n:]), create_graph=True,
                      allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(vjp, (*inputs, *grad_outputs), eps, atol, rtol, raise_exception)
