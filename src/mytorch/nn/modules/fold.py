"""``Unfold`` (im2col) and ``Fold`` (col2im) as layers."""

from __future__ import annotations

from typing import Any

from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.ops.conv import block_args


class Unfold(Module):
    """Extracts sliding blocks: each column is one receptive field, flattened (im2col).

    Shape: ``(N, C, H, W) -> (N, C * prod(kernel_size), L)``, L the number of blocks.
    """

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        block_args("Unfold", kernel_size, dilation, padding, stride)  # fail here, not in forward
        self.kernel_size, self.dilation, self.padding, self.stride = (
            kernel_size,
            dilation,
            padding,
            stride,
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Sums sliding blocks back into an image (col2im): the adjoint of ``Unfold``.

    Shape: ``(N, C * prod(kernel_size), L) -> (N, C, *output_size)``.
    """

    def __init__(
        self,
        output_size: Any,
        kernel_size: Any,
        dilation: Any = 1,
        padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        block_args("Fold", kernel_size, dilation, padding, stride)  # fail here, not in forward
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
