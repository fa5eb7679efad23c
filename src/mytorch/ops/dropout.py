"""Dropout: dropout (single elements), dropout1d and dropout2d (whole channels).

In training, each element (or each channel) is kept with probability
``1 - p`` and the kept ones are scaled by ``1 / (1 - p)``, so the expected
output equals the input; in evaluation the input passes unchanged. The
output is ``x * mask``, a recorded product with a constant mask, so the
gradient is ``gy * mask`` (and differentiable again). Masks are drawn from
mytorch's global generator: ``mytorch.manual_seed`` makes them repeatable.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from mytorch import random
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels.errors import ShapeError
from mytorch.ops._checks import require_float
from mytorch.ops.elementwise import mul

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d"]


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape: tuple[int, ...], p: float, dtype: np.dtype) -> Tensor:
    """0 with probability ``p``, else ``1 / (1 - p)``; in ``dtype``, of ``shape``."""
    if p == 1.0:
        return TensorBase._make(np.zeros(shape, dtype))
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float32
    mask = (random.generator().random(shape, dtype=draw_dtype) >= p).astype(dtype)
    mask /= 1.0 - p
    return TensorBase._make(mask)


def _dropout(x: Tensor, p: float, training: bool, inplace: bool, drawn_dims: int) -> Tensor:
    """``x * mask``, with one draw per entry of ``x``'s first ``drawn_dims`` dims (each
    draw broadcast over the remaining dims: a whole channel for feature dropout)."""
    if not training or p == 0.0:
        return x
    mask_shape = x.shape[:drawn_dims] + (1,) * (x.ndim - drawn_dims)
    mask = _keep_mask(mask_shape, p, x.dtype)
    return x._inplace("dropout_", mul, mask) if inplace else x * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: a floating point tensor of any shape.
        p: probability of an element being zeroed, in [0, 1].
        training: apply dropout (True) or return the input unchanged (False).
        inplace: write the result into ``input``'s memory and return ``input``.

    Shape:
        - Input: ``(*)``
        - Output: same shape as the input

    Raises:
        ValueError: ``p`` outside [0, 1].

    >>> import mytorch
    >>> _ = mytorch.manual_seed(0)
    >>> dropout(mytorch.ones(6), p=0.5)
    tensor([2., 2., 2., 0., 0., 0.])
    """
    _check_p("dropout", p)
    x = require_float("dropout", input)
    return _dropout(x, p, training, inplace, x.ndim)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels (1-d feature maps ``input[n, c, :]``) with probability ``p``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, floating point.
        p: probability of a channel being zeroed, in [0, 1].
        training: apply dropout (True) or return the input unchanged (False).
        inplace: write the result into ``input``'s memory and return ``input``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: same shape as the input

    Raises:
        ValueError: ``p`` outside [0, 1].
        RuntimeError: an input that is not 2-d or 3-d (as PyTorch).
    """
    _check_p("dropout1d", p)
    x = require_float("dropout1d", input)
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input of shape "
            f"{x.shape}. Note that dropout1d exists to provide channel-wise dropout on inputs "
            "with 1 spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs)."
        )
    # one draw per channel: (N, C) of (N, C, L), or (C,) of an unbatched (C, L)
    return _dropout(x, p, training, inplace, x.ndim - 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels (2-d feature maps ``input[n, c]``) with probability ``p``.

    As in PyTorch, the draw is per entry of the first two dims whatever the rank:
    a 3-d input is read as ``(N, C, L)`` (channel-wise 1-d dropout), with a
    warning; ranks other than 3 and 4 are deprecated (a warning too).

    Args:
        input: ``(N, C, H, W)``, floating point.
        p: probability of a channel being zeroed, in [0, 1].
        training: apply dropout (True) or return the input unchanged (False).
        inplace: write the result into ``input``'s memory and return ``input``.

    Shape:
        - Input: ``(N, C, H, W)`` (or ``(N, C, L)``, see above)
        - Output: same shape as the input

    Raises:
        ValueError: ``p`` outside [0, 1].
        RuntimeError: an input of fewer than 2 dims.

    >>> import mytorch
    >>> _ = mytorch.manual_seed(0)
    >>> dropout2d(mytorch.ones(1, 4, 1, 2))[0, :, 0]
    tensor([[2., 2.],
            [2., 2.],
            [2., 2.],
            [0., 0.]])
    """
    _check_p("dropout2d", p)
    x = require_float("dropout2d", input)
    if x.ndim < 2:
        raise ShapeError(
            f"dropout2d: Feature dropout requires at least 2 dimensions in the input, got "
            f"shape {x.shape}"
        )
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated (as in "
            "PyTorch); dropout2d exists for 3D or 4D inputs. Use dropout instead.",
            UserWarning, stacklevel=2,
        )
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim (as PyTorch). Use dropout1d for this behavior.",
            UserWarning, stacklevel=2,
        )
    return _dropout(x, p, training, inplace, 2)
