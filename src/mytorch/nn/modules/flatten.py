"""``Flatten`` and ``Unflatten``: reshape layers."""

from __future__ import annotations

from typing import Any

from mytorch._tensor import Tensor
from mytorch.nn.module import Module


class Flatten(Module):
    """Flattens dimensions ``start_dim`` to ``end_dim`` into one.

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``
        - Output: ``(*, S_start * ... * S_end, *)``; by default ``(N, C, H, W) -> (N, C*H*W)``.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` into ``unflattened_size``.

    Shape:
        - Input: ``(*, S_dim, *)``
        - Output: ``(*, U_1, ..., U_n, *)`` with ``prod(U) == S_dim``.
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        dim = self.dim % x.ndim
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
