"""Neural-network layers (``mytorch.nn``), PyTorch's names and signatures."""

from mytorch.nn import functional, init, utils
from mytorch.nn.module import Module, ModuleDict, ModuleList, Sequential
from mytorch.nn.modules.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from mytorch.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from mytorch.nn.modules.dropout import Dropout, Dropout1d, Dropout2d
from mytorch.nn.modules.embedding import Embedding
from mytorch.nn.modules.flatten import Flatten, Unflatten
from mytorch.nn.modules.fold import Fold, Unfold
from mytorch.nn.modules.linear import Bilinear, Identity, Linear
from mytorch.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    CTCLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from mytorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from mytorch.nn.modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from mytorch.nn.modules.resample import Downsample1d, Downsample2d, Upsample, Upsample1d, Upsample2d
from mytorch.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from mytorch.nn.parameter import Parameter

# isort: split
from mytorch.nn import parallel  # noqa: E402  (DistributedDataParallel builds on Module)

__all__ = [
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Bilinear",
    "CTCLoss",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "Downsample1d",
    "Downsample2d",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "Fold",
    "GroupNorm",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Unflatten",
    "Unfold",
    "Upsample",
    "Upsample1d",
    "Upsample2d",
    "functional",
    "init",
    "parallel",
    "utils",
]
