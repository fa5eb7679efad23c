"""``mytorch.nn.utils``: gradient clipping, flattening parameters into one vector, and
``window_output_size`` (how many windows a convolution or pooling makes along a dim:
``kernels.windows.output_size``, for models that size their layers).

The clipping functions work in place on the ``.grad`` of each parameter, between
``loss.backward()`` and ``optimizer.step()``, like PyTorch's.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mytorch._tensor import Tensor
from mytorch.kernels.windows import output_size as window_output_size
from mytorch.ops.shape import cat

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
    "window_output_size",
]

Parameters = Tensor | Iterable[Tensor]


def _as_list(parameters: Parameters) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(a: np.ndarray, p: float) -> np.ndarray:
    """``(sum |a|^p)^(1/p)`` of all elements; p = inf: the largest |a|; p = 0: the nonzeros."""
    a = np.abs(a.reshape(-1))
    if p == np.inf:
        norm = a.max(initial=0)
    elif p == -np.inf:
        norm = a.min(initial=np.inf)
    elif p == 0:
        norm = np.count_nonzero(a)
    elif p == 2:
        norm = np.sqrt(np.dot(a, a))
    else:
        norm = np.sum(a ** p) ** (1 / p)
    return np.asarray(norm, dtype=a.dtype)


def clip_grad_norm_(parameters: Parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type`` norm of all gradients, as if concatenated
    into one vector (the norm of the per-parameter norms). Every gradient is
    multiplied by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without ``.grad`` are skipped.
        max_norm: the largest norm allowed.
        norm_type: p of the p-norm (``float('inf')`` for the largest absolute value).
        error_if_nonfinite: raise instead of scaling by a NaN or infinite norm.
        foreach: accepted for PyTorch compatibility; has no effect.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.

    Raises:
        RuntimeError: if ``error_if_nonfinite`` and the total norm is NaN or infinite.

    >>> import mytorch
    >>> w = mytorch.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()  # grad = (6, 8), norm 10
    >>> clip_grad_norm_([w], max_norm=5.0)
    tensor(10.)
    >>> w.grad
    tensor([3.0000, 4.0000])
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(np.zeros((), dtype=np.float32))
    norms = [_vector_norm(g._data, norm_type) for g in grads]
    total = _vector_norm(np.stack(norms), norm_type)  # stack promotes mixed dtypes
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    with np.errstate(invalid="ignore"):  # a NaN norm scales by NaN, as PyTorch
        coefficient = np.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= coefficient.astype(g._data.dtype)
    return Tensor._make(total)


def clip_grad_value_(parameters: Parameters, clip_value: float, foreach: bool | None = None
                     ) -> None:
    """Clamp every gradient elementwise to ``[-clip_value, clip_value]``, in place.

    >>> import mytorch
    >>> w = mytorch.tensor([3.0, -4.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad
    tensor([ 1., -1.])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable).

    >>> import mytorch
    >>> parameters_to_vector([mytorch.ones(2, 2), mytorch.zeros(3)])
    tensor([1., 1., 1., 1., 0., 0., 0.])
    """
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data, in order.

    Each parameter's data becomes a view of its slice of ``vec`` (shared memory, as
    in PyTorch).

    Raises:
        TypeError: if ``vec`` is not a Tensor.
        ValueError: if ``vec`` is not 1-D or its length differs from the parameters' total.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    sizes = [p.numel() for p in params]
    if vec.ndim != 1 or vec.shape[0] != sum(sizes):
        raise ValueError(
            f"vector_to_parameters: expected a 1-D vector of {sum(sizes)} values (the "
            f"parameters' total), got shape {vec.shape}"
        )
    offsets = np.cumsum([0, *sizes])
    for p, start, stop in zip(params, offsets[:-1], offsets[1:]):
        p.data = vec._data[start:stop].reshape(p.shape)
