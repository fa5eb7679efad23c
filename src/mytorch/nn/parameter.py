"""``Parameter``: a leaf Tensor that a Module registers as one of its weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd import dtypes
from mytorch.device import check_device


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it to a Module attribute registers it.

    Args:
        data: initial values (Tensor or array-like); float data keeps its dtype,
            other data becomes float32.
        requires_grad: whether the optimizer should train it (default True).
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data._data
        array = np.asarray(() if data is None else data)
        if array.dtype.kind != "f":
            array = array.astype(dtypes.DEFAULT_FLOAT)
        super().__init__(requires_grad=False)
        self._data = array
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def parameter_dtype(layer: str, device: Any, dtype: Any) -> np.dtype:
    """The dtype of a layer's parameters and buffers, from its ``device=`` and ``dtype=``.

    Every layer with parameters calls this first, so all of them honour the two
    arguments alike: ``device`` must mean the CPU (None, ``'cpu'``,
    ``mytorch.device('cpu')``), the only device mytorch computes on, else a
    RuntimeError names the layer; ``dtype`` (default float32) must be floating
    point, since parameters need gradients.

    >>> parameter_dtype("Linear", "cpu", "float64")
    dtype('float64')
    """
    if device is not None:
        check_device(device, layer)
    dt = dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    if dt.kind != "f":
        raise TypeError(f"{layer}: parameters need a floating point dtype, got dtype={dt}")
    return dt
