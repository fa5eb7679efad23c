"""AlexNet's layer plan (Krizhevsky, Sutskever and Hinton, 2012) at reduced width, for 32x32."""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.models.summary import Model
from mytorch.nn.module import Sequential
from mytorch.nn.modules.activation import ReLU
from mytorch.nn.modules.conv import Conv2d
from mytorch.nn.modules.dropout import Dropout
from mytorch.nn.modules.flatten import Flatten
from mytorch.nn.modules.linear import Linear
from mytorch.nn.modules.pooling import MaxPool2d

__all__ = ["AlexNetSmall"]


class AlexNetSmall(Model):
    """AlexNet's five convolutions, three overlapping max poolings and three fully connected
    layers, at a quarter of the convolution widths, for 32x32 images.

    ====================  ==========================  =========================
    AlexNet (224x224)      here (32x32)                output here
    ====================  ==========================  =========================
    conv 11x11/4, 96       conv 5x5/1 pad 2, 24        24 x 32 x 32
    max pool 3x3/2         max pool 3x3/2              24 x 15 x 15
    conv 5x5, 256          conv 5x5 pad 2, 64          64 x 15 x 15
    max pool 3x3/2         max pool 3x3/2              64 x 7 x 7
    conv 3x3, 384          conv 3x3 pad 1, 96          96 x 7 x 7
    conv 3x3, 384          conv 3x3 pad 1, 96          96 x 7 x 7
    conv 3x3, 256          conv 3x3 pad 1, 64          64 x 7 x 7
    max pool 3x3/2         max pool 3x3/2              64 x 3 x 3
    FC 4096, 4096, 1000    FC 256, 256, num_classes    num_classes
    ====================  ==========================  =========================

    ReLU follows every convolution and the first two fully connected layers;
    dropout 0.5 comes before those two, as in the paper. The large strided
    first filter, made for 224x224 photographs, becomes a 5x5 stride-1 filter
    on 32x32 images; local response normalization, which later work found of
    little use, is left out.

    Args:
        num_classes: outputs (default 10).
        in_channels: input channels (default 3).

    Shape:
        - Input: ``(N, in_channels, 32, 32)``
        - Output: ``(N, num_classes)``

    >>> import mytorch
    >>> AlexNetSmall()(mytorch.zeros(2, 3, 32, 32)).shape
    (2, 10)
    """

    input_shape = (3, 32, 32)

    def __init__(self, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        self.input_shape = (in_channels, 32, 32)
        self.features = Sequential(
            Conv2d(in_channels, 24, 5, padding=2), ReLU(), MaxPool2d(3, 2),
            Conv2d(24, 64, 5, padding=2), ReLU(), MaxPool2d(3, 2),
            Conv2d(64, 96, 3, padding=1), ReLU(),
            Conv2d(96, 96, 3, padding=1), ReLU(),
            Conv2d(96, 64, 3, padding=1), ReLU(), MaxPool2d(3, 2),
        )
        self.classifier = Sequential(
            Flatten(),
            Dropout(0.5), Linear(64 * 3 * 3, 256), ReLU(),
            Dropout(0.5), Linear(256, 256), ReLU(),
            Linear(256, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        # (N, C, 32, 32) -> (N, 64, 3, 3) -> (N, num_classes)
        return self.classifier(self.features(x))
