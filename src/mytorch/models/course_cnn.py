"""The classic course CNN over time series: Conv1d layers, then Flatten and one Linear."""

from __future__ import annotations

from collections.abc import Sequence

from mytorch._tensor import Tensor
from mytorch.models.summary import Model
from mytorch.nn.module import Module, Sequential
from mytorch.nn.modules.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from mytorch.nn.modules.conv import Conv1d
from mytorch.nn.modules.flatten import Flatten
from mytorch.nn.modules.linear import Identity, Linear
from mytorch.nn.utils import window_output_size

__all__ = ["ACTIVATIONS", "CourseCNN"]

# activations by name: all act elementwise, so they fit between any two layers
ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU, "elu": ELU,
    "gelu": GELU, "silu": SiLU, "softplus": Softplus, "identity": Identity,
}


def _activation(spec: str | Module) -> Module:
    if isinstance(spec, Module):
        return spec
    if spec not in ACTIVATIONS:
        raise ValueError(f"CourseCNN: unknown activation {spec!r}; expected one of "
                         f"{sorted(ACTIVATIONS)} or a Module")
    return ACTIVATIONS[spec]()


class CourseCNN(Model):
    """Conv1d layers with chosen channels, kernels, strides and activations, then Flatten + Linear.

    Layer ``i`` is ``Conv1d(channels[i-1], channels[i], kernel_sizes[i], strides[i])``
    (no padding) followed by ``activations[i]``; the last feature map
    ``(N, channels[-1], W_L)`` is flattened channel-major and a Linear maps
    it to the classes. The widths follow the output-size formula
    ``W_i = (W_{i-1} - kernel_sizes[i]) // strides[i] + 1`` from ``W_0 = input_width``
    and are kept in ``output_widths``. The defaults are the course's
    homework network: 24 channels x 128 time steps, channels (56, 28, 14),
    kernels (5, 6, 2), strides (1, 2, 2), tanh / ReLU / sigmoid, giving widths
    (124, 60, 30) and a Linear(14 * 30, 10).

    Args:
        in_channels: features per time step of the input (default 24).
        num_classes: outputs of the final Linear (default 10).
        channels: output channels of each convolution.
        kernel_sizes: kernel size of each convolution.
        strides: stride of each convolution.
        activations: per convolution, a name from ``ACTIVATIONS`` or a Module.
        input_width: time steps of the input (default 128).

    Shape:
        - Input: ``(N, in_channels, input_width)``
        - Output: ``(N, num_classes)``

    >>> CourseCNN().output_widths
    (124, 60, 30)
    """

    def __init__(self, in_channels: int = 24, num_classes: int = 10,
                 channels: Sequence[int] = (56, 28, 14), kernel_sizes: Sequence[int] = (5, 6, 2),
                 strides: Sequence[int] = (1, 2, 2),
                 activations: Sequence[str | Module] = ("tanh", "relu", "sigmoid"),
                 input_width: int = 128) -> None:
        super().__init__()
        lengths = {len(channels), len(kernel_sizes), len(strides), len(activations)}
        if len(lengths) != 1 or not channels:
            raise ValueError(
                f"CourseCNN: channels {tuple(channels)}, kernel_sizes {tuple(kernel_sizes)}, "
                f"strides {tuple(strides)} and activations ({len(activations)}) must have one "
                "entry per convolution"
            )
        widths = [input_width]
        for k, s in zip(kernel_sizes, strides):
            widths.append(window_output_size(widths[-1], k, s))
        if widths[-1] < 1:
            raise ValueError(
                f"CourseCNN: input_width {input_width} is too short for kernels "
                f"{tuple(kernel_sizes)} and strides {tuple(strides)} (widths {widths})"
            )
        self.input_shape = (in_channels, input_width)
        self.output_widths = tuple(widths[1:])
        layers: list[Module] = []
        for c_in, c_out, k, s, act in zip(
            [in_channels, *channels[:-1]], channels, kernel_sizes, strides, activations
        ):
            layers += [Conv1d(c_in, c_out, k, s), _activation(act)]
        self.convolutions = Sequential(*layers)
        self.flatten = Flatten()
        self.linear = Linear(channels[-1] * widths[-1], num_classes)

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, W) -> (N, channels[-1], W_L) -> (N, channels[-1] * W_L) -> (N, num_classes)
        return self.linear(self.flatten(self.convolutions(x)))
