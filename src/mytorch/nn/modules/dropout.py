"""Dropout layers: ``Dropout``, ``Dropout1d``, ``Dropout2d``.

Active in training mode only (``module.train()``); in evaluation
(``module.eval()``) they return their input unchanged.
"""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn.module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: dropout probability has to be between 0 and 1, "
                f"but got {p}"
            )
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)`` (so the expected output is the input).

    Args:
        p: probability of an element being zeroed (default 0.5).
        inplace: write the result into the input's memory (default False).

    Shape:
        - Input: ``(*)``
        - Output: same shape as the input

    >>> import mytorch
    >>> drop = Dropout(p=0.2)
    >>> drop
    Dropout(p=0.2, inplace=False)
    >>> x = mytorch.ones(4)
    >>> drop.eval()(x) is x
    True
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """In training, zero whole channels (``input[n, c, :]``) with probability ``p`` and scale
    the others by ``1 / (1 - p)``.

    Args:
        p: probability of a channel being zeroed (default 0.5).
        inplace: write the result into the input's memory (default False).

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: same shape as the input
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training, zero whole channels (``input[n, c, :, :]``) with probability ``p`` and
    scale the others by ``1 / (1 - p)``.

    As in PyTorch, a 3-d input is read as ``(N, C, L)`` (channel-wise 1-d dropout),
    with a warning.

    Args:
        p: probability of a channel being zeroed (default 0.5).
        inplace: write the result into the input's memory (default False).

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: same shape as the input
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
