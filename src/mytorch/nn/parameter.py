"""``Parameter``: a leaf Tensor that a Module registers as one of its weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch.autograd import dtypes
from mytorch.autograd.tensor import Tensor


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
