"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), with modern ReLU and max pooling."""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.models.summary import Model
from mytorch.nn.module import Sequential
from mytorch.nn.modules.activation import ReLU
from mytorch.nn.modules.conv import Conv2d
from mytorch.nn.modules.flatten import Flatten
from mytorch.nn.modules.linear import Linear
from mytorch.nn.modules.pooling import MaxPool2d
from mytorch.nn.utils import window_output_size

__all__ = ["LeNet5"]


class LeNet5(Model):
    """LeNet-5: two 5x5 convolutions with 2x2 pooling, then three fully connected layers.

    LeCun's plan: C1 6 maps 5x5 -> S2 pool 2 -> C3 16 maps 5x5 -> S4 pool 2 ->
    C5 120 -> F6 84 -> output. LeCun fed 32x32 images (the 28x28 MNIST digit
    centred in a larger field), so the first convolution pads a smaller image
    to 32x32 (padding 2 for 28x28) and then all sizes are the paper's
    (28 -> 14 -> 10 -> 5). Two modern choices replace the paper's scaled tanh,
    trainable subsampling and RBF output: ReLU, max pooling and a plain linear
    output (logits for cross-entropy); C3 connects to all six maps.

    Args:
        num_classes: outputs (default 10).
        in_channels: input channels (default 1; 3 for colour images).
        input_size: height and width of the input (default 28). The first
            convolution pads ``(32 - input_size) // 2`` on each side (none for
            32 and larger); the width of the first fully connected layer
            follows from the output-size formulas.

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``
        - Output: ``(N, num_classes)``

    >>> import mytorch
    >>> LeNet5()(mytorch.zeros(2, 1, 28, 28)).shape
    (2, 10)
    >>> LeNet5().num_parameters()
    61706
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 28) -> None:
        super().__init__()
        padding = max(0, (32 - input_size) // 2)
        size = window_output_size(input_size, 5, padding=padding)  # C1
        for kernel, stride in ((2, 2), (5, 1), (2, 2)):  # S2 C3 S4
            size = window_output_size(size, kernel, stride)
        self.input_shape = (in_channels, input_size, input_size)
        self.features = Sequential(
            Conv2d(in_channels, 6, 5, padding=padding), ReLU(), MaxPool2d(2),
            Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        )
        self.classifier = Sequential(
            Flatten(),
            Linear(16 * size * size, 120), ReLU(),
            Linear(120, 84), ReLU(),
            Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
