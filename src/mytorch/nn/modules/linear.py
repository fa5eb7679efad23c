"""Fully connected layers: ``Identity``, ``Linear``, ``Bilinear``."""

from __future__ import annotations

from typing import Any

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter, parameter_dtype


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); accepts and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Linear(Module):
    """An affine map ``y = x W^T + b``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to learn the additive bias ``b`` (default True).
        device: 'cpu' (the only device), or None.
        dtype: dtype of the parameters (default float32).

    Shape:
        - Input: ``(*, in_features)``
        - Output: ``(*, out_features)``

    Weights ``W`` of shape ``(out_features, in_features)`` and ``b`` of shape
    ``(out_features,)`` start uniform on ``(-1/sqrt(in_features), 1/sqrt(in_features))``,
    as in PyTorch.

    >>> import mytorch
    >>> layer = Linear(20, 30)
    >>> layer(mytorch.randn(128, 20)).shape
    (128, 30)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = init.default_bound(self.in_features)
        # = kaiming_uniform_(a=sqrt(5)), PyTorch's default
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y_k = x1^T A_k x2 + b_k``.

    Args:
        in1_features, in2_features: sizes of the two inputs.
        out_features: size of the output.
        bias: whether to learn ``b`` (default True).

    Shape:
        - Input1: ``(*, in1_features)``, Input2: ``(*, in2_features)``
        - Output: ``(*, out_features)``

    ``A`` has shape ``(out_features, in1_features, in2_features)``; parameters start
    uniform on ``(-1/sqrt(in1_features), 1/sqrt(in1_features))``, as in PyTorch.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(
            creation.empty(out_features, in1_features, in2_features, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(creation.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = init.default_bound(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
