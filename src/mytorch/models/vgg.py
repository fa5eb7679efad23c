"""VGG-11 (Simonyan and Zisserman, 2015, configuration A) at a quarter width, for 32x32 images."""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.models.summary import Model
from mytorch.nn.module import Module, Sequential
from mytorch.nn.modules.activation import ReLU
from mytorch.nn.modules.conv import Conv2d
from mytorch.nn.modules.dropout import Dropout
from mytorch.nn.modules.flatten import Flatten
from mytorch.nn.modules.linear import Linear
from mytorch.nn.modules.normalization import BatchNorm2d
from mytorch.nn.modules.pooling import MaxPool2d

__all__ = ["VGG11Small"]

# VGG-11's plan with every width divided by 4: five stages of 3x3 convolutions (their output
# channels), each stage ending in a 2x2 max pooling
PLAN: tuple[tuple[int, ...], ...] = ((16,), (32,), (64, 64), (128, 128), (128, 128))


class VGG11Small(Model):
    """VGG-11's eight 3x3 convolutions and three fully connected layers, at a quarter width.

    The features follow ``PLAN``: five stages of 3x3 convolutions with
    padding 1 (each followed by batch norm when ``batch_norm``, and ReLU),
    each stage ending in a 2x2 max pooling, taking 32x32 to 1x1 with 128
    channels. The classifier keeps
    VGG's three fully connected layers, 4096 wide in the paper and 256 here,
    with ReLU and dropout 0.5 after the first two.

    Args:
        num_classes: outputs (default 10).
        in_channels: input channels (default 3).
        batch_norm: batch norm after every convolution (default True, as in
            the ``vgg11_bn`` variant; the paper has none).

    Shape:
        - Input: ``(N, in_channels, 32, 32)``
        - Output: ``(N, num_classes)``

    >>> import mytorch
    >>> VGG11Small()(mytorch.zeros(2, 3, 32, 32)).shape
    (2, 10)
    """

    input_shape = (3, 32, 32)

    def __init__(self, num_classes: int = 10, in_channels: int = 3,
                 batch_norm: bool = True) -> None:
        super().__init__()
        self.input_shape = (in_channels, 32, 32)
        layers: list[Module] = []
        channels = in_channels
        for stage in PLAN:
            for width in stage:
                layers.append(Conv2d(channels, width, 3, padding=1))
                if batch_norm:
                    layers.append(BatchNorm2d(width))
                layers.append(ReLU())
                channels = width
            layers.append(MaxPool2d(2))
        self.features = Sequential(*layers)
        self.classifier = Sequential(
            Flatten(),
            Linear(channels, 256), ReLU(), Dropout(0.5),
            Linear(256, 256), ReLU(), Dropout(0.5),
            Linear(256, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, 32, 32) -> (N, 128, 1, 1) -> (N, num_classes)
        return self.classifier(self.features(x))
