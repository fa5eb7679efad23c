"""Reductions: sum, mean, var, std, prod, max/min, argmax/argmin, logsumexp, cumsum, norm.

Every reduction takes ``dim``/``keepdim`` (or NumPy's ``axis``/``keepdims``).
The backward of a reduction broadcasts the gradient back over the reduced
axes: ``_restore_dims`` puts the reduced axes back as size 1 first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import Tensor
from mytorch.ops.shape import broadcast_to, reshape

__all__ = ["sum"]


def normalize_dims(op: str, x: Tensor, dim: Any, axis: Any = None) -> tuple[int, ...] | None:
    """``dim`` (or NumPy's ``axis``) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        dim = axis
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    ndim = max(x.ndim, 1)
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(
                f"{op}: dimension {d} out of range for a tensor of shape {x.shape} "
                f"(expected to be in range [{-ndim}, {ndim - 1}])"
            )
    return tuple(sorted({int(d) % ndim for d in dims})) if x.ndim else ()


def _restore_dims(g: Tensor, input_shape: tuple[int, ...], dims: tuple[int, ...] | None,
                  keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input (reduced axes as 1)."""
    if keepdim or not input_shape:
        return g
    axes = range(len(input_shape)) if dims is None else dims
    kept = tuple(1 if i in axes else n for i, n in enumerate(input_shape))
    return reshape(g, kept)


def _keepdim(keepdim: bool, kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.pop("keepdims", keepdim))


class Sum(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.input_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        data = x._data
        if data.dtype.kind in "bi" and data.dtype.itemsize < 8:
            data = data.astype(np.int64)  # PyTorch sums bools and small ints as int64
        return np.asarray(data.sum(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        g = _restore_dims(gy, ctx.input_shape, ctx.dims, ctx.keepdim)
        return broadcast_to(g, ctx.input_shape), None, None


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """Sum over ``dim`` (all elements when None)."""
    keepdim = _keepdim(keepdim, kwargs)
    dims = normalize_dims("sum", x, dim, kwargs.pop("axis", None))
    out = Sum.apply(x, dims, keepdim)
    dtype = kwargs.pop("dtype", None)
    return out if dtype is None else out.to(dtype)
