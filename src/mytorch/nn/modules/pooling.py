"""Pooling layers: max, average, adaptive, and max-unpooling, in 1-D and 2-D.

Each layer stores its options and calls its ``nn.functional`` twin; the
options and reprs are PyTorch's.
"""

from __future__ import annotations

from typing import Any

from mytorch._tensor import Tensor
from mytorch.kernels.windows import ntuple
from mytorch.nn import functional as F
from mytorch.nn.module import Module
from mytorch.ops.pool import window_args


class _MaxPoolNd(Module):
    nd: int

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        window_args(type(self).__name__, self.nd, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum over sliding windows; padding is -inf, so it never wins.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)``, ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``
          (ceil instead of floor with ``ceil_mode``); stride defaults to kernel_size.
    """

    nd = 1

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """The maximum over sliding 2-D windows; padding is -inf, so it never wins.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)``, per spatial dim
          ``out = floor((in + 2p - d(k - 1) - 1) / s) + 1`` (ceil with ``ceil_mode``).

    >>> import mytorch
    >>> MaxPool2d(2)(mytorch.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    nd = 2

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _MaxUnpoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Puts each value back where ``MaxPool1d(return_indices=True)`` found it; zeros elsewhere.

    Shape: ``(N, C, L_in) -> (N, C, L_out)``, ``L_out = (L_in - 1) s - 2p + k`` or ``output_size``.
    """

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Puts each value back where ``MaxPool2d(return_indices=True)`` found it; zeros elsewhere.

    Shape: ``(N, C, H_in, W_in) -> (N, C, H_out, W_out)``, per dim ``(in - 1) s - 2p + k``
    or ``output_size``.
    """

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _AvgPoolNd(Module):
    nd: int

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        window_args(type(self).__name__, self.nd, kernel_size, stride, padding, 1)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """The mean over sliding windows (or the sum divided by ``divisor_override``).

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)``, ``L_out = floor((L + 2p - k) / s) + 1`` (ceil with ceil_mode).
    """

    nd = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        # PyTorch keeps AvgPool1d's options as 1-tuples (and shows them so in repr)
        name = type(self).__name__
        super().__init__(ntuple(kernel_size, 1, "kernel_size", name),
                         ntuple(kernel_size if stride is None else stride, 1, "stride", name),
                         ntuple(padding, 1, "padding", name), ceil_mode, count_include_pad,
                         divisor_override)

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolNd):
    """The mean over sliding 2-D windows (or the sum divided by ``divisor_override``).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)``, per dim ``floor((in + 2p - k) / s) + 1``.
    """

    nd = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Mean pooling to a fixed output length: window i covers [floor(iL/out), ceil((i+1)L/out)).

    Shape: ``(N, C, L) -> (N, C, output_size)``.
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Mean pooling to a fixed output size (``None`` keeps that dimension).

    Shape: ``(N, C, H, W) -> (N, C, *output_size)``.

    >>> import mytorch
    >>> AdaptiveAvgPool2d((1, 1))(mytorch.randn(2, 8, 7, 5)).shape
    (2, 8, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePoolNd):
    """Max pooling to a fixed output length. Shape: ``(N, C, L) -> (N, C, output_size)``."""

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """Max pooling to a fixed output size. Shape: ``(N, C, H, W) -> (N, C, *output_size)``."""

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
