"""Shape ops: reshape, broadcast, transpose, concatenate, split, pad, flip, roll...

They move or copy data without arithmetic, so each backward is the inverse
movement of the gradient (a reshape back, a sum over broadcast axes, a slice
of a concatenation...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import Tensor
from mytorch.kernels.broadcast import sum_to as _sum_to_array

__all__ = ["sum_to", "broadcast_to", "expand", "reshape", "view"]


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(x, 2, 3)`` and ``f(x, (2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


class SumTo(Function):
    """Sum over the axes that broadcasting added: the adjoint of ``broadcast_to``."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        return _sum_to_array(x._data, shape)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return broadcast_to(gy, ctx.input_shape), None


class BroadcastTo(Function):
    """Repeat size-1 and missing leading axes to reach ``shape`` (a read-only view)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        try:
            return np.broadcast_to(x._data, shape)
        except ValueError:
            raise ValueError(
                f"expand: the shape {x.shape} cannot be broadcast to {shape}"
            ) from None

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return sum_to(gy, ctx.input_shape), None


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum ``x`` down to ``shape`` (the gradient of broadcasting from ``shape``)."""
    if x.shape == tuple(shape):
        return x
    return SumTo.apply(x, tuple(shape))


def broadcast_to(x: Tensor, shape: Any) -> Tensor:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo.apply(x, shape)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes``; -1 keeps a dimension's size (PyTorch's ``expand``)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(
            f"expand: the number of sizes {sizes} must be >= the number of dims of shape {x.shape}"
        )
    target = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, target)


class Reshape(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        try:
            return x._data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: shape {shape} is invalid for input of shape {x.shape} "
                f"({x._data.size} elements)"
            ) from None

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return reshape(gy, ctx.input_shape), None


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one size may be -1)."""
    return Reshape.apply(x, _shape_arg(shape))


view = reshape
