"""ResNet-20 for 32x32 images (He, Zhang, Ren and Sun, 2016, section 4.2)."""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.models.summary import Model
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module, Sequential
from mytorch.nn.modules.conv import Conv2d
from mytorch.nn.modules.linear import Identity, Linear
from mytorch.nn.modules.normalization import BatchNorm2d
from mytorch.nn.modules.pooling import AdaptiveAvgPool2d

__all__ = ["BasicBlock", "ResNet20", "ShortcutA"]


class ShortcutA(Module):
    """The paper's option A shortcut: subsample by ``stride``, zero-pad the new channels.

    It has no parameters: the input ``(N, C, H, W)`` keeps every ``stride``-th
    row and column and gains ``out_channels - C`` channels of zeros, half
    before and half after.

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: ``(N, out_channels, ceil(H / stride), ceil(W / stride))``
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: Tensor) -> Tensor:
        extra = self.out_channels - self.in_channels
        # (N, C, H, W) -> (N, C, H/s, W/s) -> (N, out_channels, H/s, W/s)
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class BasicBlock(Module):
    """Two 3x3 convolutions with batch norm, added to a shortcut: ``relu(F(x) + shortcut(x))``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        stride: of the first convolution (2 halves the image at a stage's start).
        shortcut: 'A' (subsample and zero-pad, parameter-free) or 'B'
            (1x1 convolution and batch norm), used where the shape changes;
            elsewhere the shortcut is the identity.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 shortcut: str = "A") -> None:
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.bn2 = BatchNorm2d(out_channels)
        if stride == 1 and in_channels == out_channels:
            self.shortcut: Module = Identity()
        elif shortcut == "A":
            self.shortcut = ShortcutA(in_channels, out_channels, stride)
        else:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False), BatchNorm2d(out_channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(Model):
    """He et al.'s ResNet-20 for CIFAR-10: 19 convolutions and a linear layer, 0.27M parameters.

    A 3x3 convolution to 16 channels, then three stages of three basic
    blocks with 16, 32 and 64 channels on 32x32, 16x16 and 8x8 maps (the first
    block of stages 2 and 3 has stride 2), global average pooling and a linear
    layer. Every convolution is followed by batch norm; convolutions have no
    bias. Shortcuts are the paper's option A for CIFAR (identity, with
    subsampling and zero-padded channels where the shape changes), so all
    parameters are in the convolutions, the batch norms and the final
    linear layer: 269,722 for 10 classes. Convolution weights start from He
    (Kaiming) normal initialization.

    Args:
        num_classes: outputs (default 10).
        in_channels: input channels (default 3).
        shortcut: 'A' (default, the paper's choice for CIFAR) or 'B' (1x1
            convolution + batch norm where the shape changes, 272,474 parameters).

    Shape:
        - Input: ``(N, in_channels, H, W)``, 32x32 by design (any size works,
          thanks to the global pooling)
        - Output: ``(N, num_classes)``

    >>> import mytorch
    >>> ResNet20()(mytorch.zeros(2, 3, 32, 32)).shape
    (2, 10)
    >>> ResNet20().num_parameters()
    269722
    """

    input_shape = (3, 32, 32)

    def __init__(self, num_classes: int = 10, in_channels: int = 3, shortcut: str = "A") -> None:
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"ResNet20: shortcut must be 'A' or 'B', got {shortcut!r}")
        self.input_shape = (in_channels, 32, 32)
        self.conv1 = Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn1 = BatchNorm2d(16)
        stages = []
        channels = 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(3):
                blocks.append(BasicBlock(channels, width, stride if i == 0 else 1, shortcut))
                channels = width
            stages.append(Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = AdaptiveAvgPool2d(1)
        self.fc = Linear(64, num_classes)
        for module in self.modules():
            if isinstance(module, Conv2d):
                init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        # (N, 64, 8, 8) -> (N, 64, 1, 1) -> (N, 64)
        return self.fc(self.avgpool(x).flatten(1))
