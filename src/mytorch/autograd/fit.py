r"""Fitting a gradient to its input: the two ops the engine itself applies.

A ``backward`` may return a gradient of the broadcast shape or of a promoted
dtype; the engine sums it back to the input's shape (``sum_to``, the adjoint
of broadcasting) and casts it to the input's dtype (``cast``). Both are
``Function``\ s, so that with ``create_graph=True`` this fitting is recorded
too; ``BroadcastTo``, the adjoint of ``SumTo``, is here as its backward. They
live in autograd (on the array kernel ``kernels.broadcast.sum_to``), so the
engine needs nothing from ``mytorch.ops``; ``ops.shape`` and ``ops.elementwise``
export them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes
from mytorch.autograd.function import Function
from mytorch.autograd.graph import Node
from mytorch.kernels.broadcast import sum_to as _sum_to_array
from mytorch.kernels.errors import ShapeError

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor


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
    def forward(ctx: Node, x: Tensor, shape: tuple[int, ...]) -> Tensor:
        ctx.input_shape = x.shape
        try:
            return x._view(np.broadcast_to(x._data, shape))
        except ValueError:
            raise ShapeError(
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



class Cast(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dtype: np.dtype) -> np.ndarray:
        return x._data.astype(dtype)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return gy, None  # the engine casts the gradient back to the input's dtype


def cast(x: Tensor, dtype: Any) -> Tensor:
    """A copy of ``x`` in ``dtype``; gradients flow back in the input's dtype."""
    return Cast.apply(x, dtypes.as_dtype(dtype))
