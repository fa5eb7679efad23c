"""Resampling layers: the course's integer-factor Upsample/Downsample, and ``nn.Upsample``."""

from __future__ import annotations

from typing import Any

from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn.module import Module


class _Factor(Module):
    def __init__(self, factor: int) -> None:
        super().__init__()
        self.factor = factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class Upsample1d(_Factor):
    """Inserts ``factor - 1`` zeros between neighbouring samples (dilation of the signal).

    Shape: ``(N, C, W) -> (N, C, factor * (W - 1) + 1)``. Its backward keeps every
    ``factor``-th gradient, so Upsample1d and Downsample1d are each other's adjoint.
    """

    def forward(self, A: Tensor) -> Tensor:
        return F.upsample1d(A, self.factor)


class Upsample2d(_Factor):
    """Inserts ``factor - 1`` zeros between neighbours along height and width.

    Shape: ``(N, C, H, W) -> (N, C, factor * (H - 1) + 1, factor * (W - 1) + 1)``.
    """

    def forward(self, A: Tensor) -> Tensor:
        return F.upsample2d(A, self.factor)


class Downsample1d(_Factor):
    """Keeps every ``factor``-th sample starting at index 0 (``A[..., ::factor]``).

    Shape: ``(N, C, W) -> (N, C, ceil(W / factor))``; backward returns the input's shape,
    zeros at the dropped samples.
    """

    def forward(self, A: Tensor) -> Tensor:
        return F.downsample1d(A, self.factor)


class Downsample2d(_Factor):
    """Keeps every ``factor``-th row and column starting at 0 (``A[..., ::factor, ::factor]``).

    Shape: ``(N, C, H, W) -> (N, C, ceil(H / factor), ceil(W / factor))``.
    """

    def forward(self, A: Tensor) -> Tensor:
        return F.downsample2d(A, self.factor)


class Upsample(Module):
    """PyTorch's ``nn.Upsample``: ``F.interpolate`` with stored options.

    Args:
        size: the output spatial size, or
        scale_factor: a multiplier of the input size.
        mode: 'nearest', 'linear' (3-D input) or 'bilinear' (4-D input).
        align_corners: for the linear modes, whether corner samples are aligned.
    """

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = (
            size,
            scale_factor,
            mode,
            align_corners,
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(
            input, self.size, self.scale_factor, self.mode, self.align_corners
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = (
                f"scale_factor={float(self.scale_factor)!r}"
                if not isinstance(self.scale_factor, tuple)
                else f"scale_factor={self.scale_factor!r}"
            )
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode='{self.mode}'"
