"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

One base class per kind holds what every dimensionality shares (options,
parameters, initialization, repr); the subclasses only fix the number of
spatial dimensions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.kernels.windows import ntuple
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter, parameter_dtype
from mytorch.ops.conv import PADDING_MODES, check_conv_args


class _ConvNd(Module):
    """Shared by convolutions and transposed convolutions of any dimensionality."""

    nd: int
    transposed: bool

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        dtype = parameter_dtype(name, device, dtype)
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both "
                f"be divisible by groups ({groups})"
            )
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only 'zeros' padding_mode is supported")
        check_conv_args(name, self.nd, kernel_size, stride, padding, dilation, output_padding)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, self.nd, "kernel_size", name)
        self.stride = ntuple(stride, self.nd, "stride", name)
        self.padding = padding if isinstance(padding, str) else \
            ntuple(padding, self.nd, "padding", name)
        self.dilation = ntuple(dilation, self.nd, "dilation", name)
        self.output_padding = ntuple(output_padding, self.nd, "output_padding", name)
        self.padding_mode = padding_mode
        # weight: (out, in/groups, *K) for a convolution, (in, out/groups, *K) transposed
        channels = (
            (in_channels, out_channels // groups)
            if self.transposed
            else (out_channels, in_channels // groups)
        )
        self.weight = Parameter(creation.empty(*channels, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        init.uniform_(self.weight, -init.default_bound(fan_in), init.default_bound(fan_in))
        if self.bias is not None:
            init.uniform_(self.bias, -init.default_bound(fan_in), init.default_bound(fan_in))

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0,) * self.nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.nd:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.conv_nd(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.padding_mode,
        )


class Conv1d(_Conv):
    """1-D convolution (cross-correlation, as in every deep-learning library).

    Args:
        in_channels, out_channels: channels C of the input and O of the output.
        kernel_size, stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, 'valid' or 'same' (stride 1 only).
        groups: split the channels into independent groups (groups=C: depthwise).
        bias: learn an additive bias (default True).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, O, L_out)``, ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``

    >>> import mytorch
    >>> Conv1d(16, 33, 3, stride=2)(mytorch.randn(20, 16, 50)).shape
    (20, 33, 24)
    """

    nd = 1


class Conv2d(_Conv):
    """2-D convolution (cross-correlation).

    Args:
        in_channels, out_channels: channels C of the input and O of the output.
        kernel_size, stride, dilation: int or (h, w) tuple.
        padding: int, (h, w) tuple, 'valid' or 'same' (stride 1 only).
        groups: split the channels into independent groups (groups=C: depthwise).
        bias: learn an additive bias (default True).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, O, H_out, W_out)``, per spatial dim
          ``out = floor((in + 2p - d(k - 1) - 1) / s) + 1``

    >>> import mytorch
    >>> Conv2d(16, 33, 3, padding=1)(mytorch.randn(2, 16, 8, 8)).shape
    (2, 33, 8, 8)
    """

    nd = 2


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device=device,
            dtype=dtype,
        )

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        output_padding = self.output_padding
        padding: tuple[int, ...] = self.padding  # type: ignore[assignment]  # never a str here
        if output_size is not None:  # choose output_padding to reach the requested size
            spatial = tuple(output_size)[-self.nd :]
            smallest = [
                (n - 1) * s - 2 * p + d * (k - 1) + 1
                for n, s, p, d, k in zip(
                    input.shape[-self.nd :],
                    self.stride,
                    padding,
                    self.dilation,
                    self.kernel_size,
                )
            ]
            output_padding = tuple(want - low for want, low in zip(spatial, smallest))
        return F.conv_transpose_nd(
            input,
            self.weight,
            self.bias,
            self.stride,
            padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution: the adjoint (gradient) of ``Conv1d`` with the same options.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, O, L_out)``,
          ``L_out = (L - 1) s - 2p + d(k - 1) + output_padding + 1``
    """

    nd = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution: the adjoint (gradient) of ``Conv2d`` with the same options.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, O, H_out, W_out)``, per spatial dim
          ``out = (in - 1) s - 2p + d(k - 1) + output_padding + 1``

    >>> import mytorch
    >>> ConvTranspose2d(8, 4, 3, stride=2)(mytorch.randn(1, 8, 5, 5)).shape
    (1, 4, 11, 11)
    """

    nd = 2
