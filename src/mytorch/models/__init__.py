"""The model zoo (``mytorch.models``): classic networks, each with ``summary()``.

==================  ============================  =====================================
name                class                         default dataset, input of one sample
==================  ============================  =====================================
``digits_cnn``      ``DigitsCNN``                 digits, (1, 8, 8) — ``mytorch train``
``lenet5``          ``LeNet5``                    mnist, (1, 28, 28)
``course_cnn``      ``CourseCNN``                 mnist1d, (1, 40)
``mnist1d_cnn``     ``MNIST1DCNN``                mnist1d, (1, 40)
``mnist1d_gru``     ``MNIST1DGRU``                mnist1d, (1, 40)
``resnet20``        ``ResNet20``                  cifar10, (3, 32, 32)
``vgg11_small``     ``VGG11Small``                cifar10, (3, 32, 32)
``alexnet_small``   ``AlexNetSmall``              cifar10, (3, 32, 32)
==================  ============================  =====================================

``MODELS`` maps each name to a :class:`ModelSpec` (constructor, input shape,
default dataset, one-line description); ``get_model(name, **kwargs)`` builds
one and ``available()`` lists them. Names compare without case, dashes or
underscores, so ``get_model("ResNet20")`` works too. ``scanning_mlp_to_conv1d``
builds a network from a given MLP, so it has no entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from mytorch.models.alexnet import AlexNetSmall
from mytorch.models.course_cnn import CourseCNN
from mytorch.models.digits import DigitsCNN
from mytorch.models.lenet import LeNet5
from mytorch.models.mnist1d import MNIST1DCNN, MNIST1DGRU
from mytorch.models.resnet import ResNet20
from mytorch.models.scanning import ScanningConv1d, scanning_mlp_to_conv1d
from mytorch.models.summary import Model, summary
from mytorch.models.vgg import VGG11Small

__all__ = [
    "AlexNetSmall", "CourseCNN", "DEFAULT_MODEL", "DigitsCNN", "LeNet5", "MNIST1DCNN",
    "MNIST1DGRU", "MODELS", "Model", "ModelSpec", "ResNet20", "ScanningConv1d", "VGG11Small",
    "available", "default_model_for", "get_model", "scanning_mlp_to_conv1d", "summary",
]


class ModelSpec(NamedTuple):
    """A registry entry: how to build a model and what it is for."""

    constructor: Callable[..., Model]
    input_shape: tuple[int, ...]  # one sample, without the batch dimension
    dataset: str  # the name in ``mytorch.datasets.DATASETS`` it trains on by default
    description: str


MODELS: dict[str, ModelSpec] = {
    "digits_cnn": ModelSpec(DigitsCNN, (1, 8, 8), "digits",
                            "small CNN for the 8x8 digits, the default of `mytorch train`"),
    "lenet5": ModelSpec(LeNet5, (1, 28, 28), "mnist",
                        "LeNet-5 (ReLU, max pooling) for 28x28 digits"),
    "mnist1d_cnn": ModelSpec(MNIST1DCNN, (1, 40), "mnist1d",
                             "1-D CNN for MNIST-1D (3 conv + batch norm layers)"),
    # the course CNN with the shapes of MNIST-1D: 1 channel, 40 steps
    "course_cnn": ModelSpec(
        functools.partial(CourseCNN, in_channels=1, channels=(32, 32, 32),
                          kernel_sizes=(5, 3, 3), strides=(1, 2, 2),
                          activations=("relu", "relu", "relu"), input_width=40),
        (1, 40), "mnist1d", "the course's Conv1d network over time series, sized for MNIST-1D",
    ),
    "mnist1d_gru": ModelSpec(MNIST1DGRU, (1, 40), "mnist1d",
                             "GRU classifier for MNIST-1D (128 units, last state)"),
    "resnet20": ModelSpec(ResNet20, (3, 32, 32), "cifar10",
                          "ResNet-20 of He et al. for CIFAR-10 (0.27M parameters)"),
    "vgg11_small": ModelSpec(VGG11Small, (3, 32, 32), "cifar10",
                             "VGG-11's layer plan at a quarter width, with batch norm"),
    "alexnet_small": ModelSpec(AlexNetSmall, (3, 32, 32), "cifar10",
                               "AlexNet's layer plan at reduced width for 32x32 images"),
}

DEFAULT_MODEL = "digits_cnn"


def _key(name: str) -> str:
    """Names compare without case, dashes or underscores: ResNet20 = resnet_20."""
    return name.lower().replace("-", "").replace("_", "")


def get_model(name: str, **kwargs: Any) -> Model:
    """Build the model called ``name`` (a key of ``MODELS``), passing ``kwargs`` on.

    Raises:
        ValueError: for an unknown name, listing the known ones.

    >>> get_model("lenet5", num_classes=3).summary().splitlines()[-3]
    'Total params: 61,111'
    """
    for known, spec in MODELS.items():
        if _key(known) == _key(name):
            return spec.constructor(**kwargs)
    raise ValueError(f"unknown model {name!r}; available: {', '.join(MODELS)}")


def available() -> dict[str, str]:
    """Each model's name and one-line description, in ``MODELS`` order."""
    return {name: spec.description for name, spec in MODELS.items()}


def default_model_for(dataset: str) -> str:
    """The model ``mytorch train`` uses for ``dataset`` when none is named: the first one
    made for that dataset, else the first one taking its input shape."""
    from mytorch.datasets import get_dataset

    for name, spec in MODELS.items():
        if _key(spec.dataset) == _key(dataset):
            return name
    shape = tuple(get_dataset(dataset).input_shape)
    for name, spec in MODELS.items():
        if tuple(spec.input_shape) == shape:
            return name
    raise ValueError(f"no default model for dataset {dataset!r}; name one with --model")
