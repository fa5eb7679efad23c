"""Neural-network layers (``mytorch.nn``), PyTorch's names and signatures."""

from mytorch.nn import functional, init
from mytorch.nn.module import Module, ModuleDict, ModuleList, Sequential
from mytorch.nn.modules.activation import (
    ELU, GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Softplus, Tanh,
)
from mytorch.nn.modules.flatten import Flatten, Unflatten
from mytorch.nn.modules.linear import Bilinear, Identity, Linear
from mytorch.nn.parameter import Parameter

__all__ = [
    "ELU", "GELU", "Bilinear", "Flatten", "Identity", "LeakyReLU", "Linear", "LogSoftmax",
    "Module", "ModuleDict", "ModuleList", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh", "Unflatten", "functional", "init",
]
