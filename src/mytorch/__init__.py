"""mytorch: a readable deep-learning library on NumPy alone.

>>> import mytorch
>>> w = mytorch.tensor([1.0, -2.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad
tensor([ 2., -4.])
"""

import builtins
from importlib import import_module as _import_module
from types import ModuleType as _ModuleType
from typing import TYPE_CHECKING

from mytorch import autograd, ops
from mytorch._tensor import Tensor
from mytorch.autograd import dtypes as _dtypes
from mytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mytorch.creation import (
    BoolTensor,
    DoubleTensor,
    FloatTensor,
    LongTensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from mytorch.device import cuda, device
from mytorch.kernels.errors import ShapeError
from mytorch.kernels.parallel import get_num_threads, set_num_threads
from mytorch.ops import *  # noqa: F403  (exp, sum, cat, einsum, ... as functions)
from mytorch.random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from mytorch.scalar import Scalar
from mytorch.serialization import load, save
from mytorch.version import __version__

# isort: split
from mytorch import distributed, nn, onnx, optim, viz  # noqa: E402  (after the core they build on)

# The namespaces for data, models and training are attributes too, as `import torch` makes
# `torch.utils.data` one, but load on first use: `import mytorch` stays as light as the core.
_ON_FIRST_USE = ("datasets", "models", "training", "transforms", "utils")
if TYPE_CHECKING:
    from mytorch import datasets, models, training, transforms, utils  # noqa: F401


def __getattr__(name: str) -> _ModuleType:
    if name in _ON_FIRST_USE:
        return _import_module(f"mytorch.{name}")  # binds it: later use is direct
    raise AttributeError(f"module 'mytorch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})


def get_default_dtype() -> _dtypes.np.dtype:
    """The dtype of floating tensors made without an explicit dtype (float32)."""
    return _dtypes.DEFAULT_FLOAT


def is_tensor(obj: object) -> builtins.bool:  # `bool` is rebound below, to the dtype
    return isinstance(obj, Tensor)


# dtype names, as PyTorch spells them (NumPy dtypes underneath)
float16 = half = _dtypes.float16
float32 = float = _dtypes.float32  # noqa: A001
float64 = double = _dtypes.float64
int8 = _dtypes.int8
uint8 = _dtypes.uint8
int16 = short = _dtypes.int16
int32 = int = _dtypes.int32  # noqa: A001
int64 = long = _dtypes.int64
bool = _dtypes.bool_  # noqa: A001
dtype = _dtypes.np.dtype
