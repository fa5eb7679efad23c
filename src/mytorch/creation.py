"""Tensor factories: ``tensor``, ``zeros``, ``randn``, ``arange`` and the rest, as in PyTorch.

Sizes are given as separate ints or one tuple (``zeros(2, 3)`` or
``zeros((2, 3))``). Floating results default to float32. Random draws come
from the global generator in ``mytorch.random``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd import dtypes
from mytorch.device import check_device
from mytorch.random import generator


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _finish(array: np.ndarray, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    if device is not None:
        check_device(device)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Data as an array with PyTorch's inferred dtype (floats float32, ints int64).

    With an explicit ``dtype`` numbers are kept exact (float64 here) for the caller to
    cast, so ``tensor(0.1, dtype=float64)`` is never rounded through float32.
    """
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, (np.ndarray, np.generic)):  # NumPy data keeps its dtype, as in PyTorch
        return np.array(data)
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    array = np.array(data)
    if dtype is not None and array.dtype.kind in "biufc":
        return array
    if array.dtype.kind == "f":
        return array.astype(dtypes.DEFAULT_FLOAT)
    if array.dtype.kind in "iu":
        return array.astype(dtypes.DEFAULT_INT)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"tensor: could not convert data of type {type(data).__name__} to a tensor")
    return array


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a Tensor).

    >>> tensor([[1, 2], [3, 4]]).dtype
    dtype('int64')
    """
    return _finish(_infer_array(data, dtype), dtype, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but without copying an ndarray or Tensor that already fits."""
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray):
        return _finish(data, dtype, False, device)
    return tensor(data, dtype, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_size(size), dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)),
                   None, requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_size(size), dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)),
                   None, requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_size(size), dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)),
                   None, requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.default_dtype_for(fill_value)
    return _finish(np.full(_size((size,)), fill_value, dtypes.as_dtype(dtype)),
                   None, requires_grad, device)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros_like(np.asarray(t), dtype=dtype), None, requires_grad, None)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones_like(np.asarray(t), dtype=dtype), None, requires_grad, None)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.full_like(np.asarray(t), fill_value, dtype=dtype), None, requires_grad, None)


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty_like(np.asarray(t), dtype=dtype), None, requires_grad, None)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform on [0, 1)."""
    dt = dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    return _finish(generator().random(_size(size), dtype=dt), None, requires_grad, device)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal."""
    dt = dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    return _finish(generator().standard_normal(_size(size), dtype=dt), None, requires_grad, device)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(np.shape(t), dtype=dtype or np.asarray(t).dtype, requires_grad=requires_grad)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(np.shape(t), dtype=dtype or np.asarray(t).dtype, requires_grad=requires_grad)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` starts at 0, as in PyTorch."""
    if size is None:
        low, high, size = 0, low, high
    array = generator().integers(low, high, _size((size,)))
    return _finish(array.astype(dtypes.as_dtype(dtype or dtypes.DEFAULT_INT)), None, False, device)


def randperm(n: int, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    return _finish(generator().permutation(n).astype(dtypes.as_dtype(dtype or dtypes.DEFAULT_INT)),
                   None, False, device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); integer unless an argument is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    return _finish(np.arange(start, end, step).astype(dtypes.as_dtype(dtype)),
                   None, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    dt = dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    return _finish(np.linspace(start, end, steps).astype(dt), None, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    dt = dtypes.as_dtype(dtype or dtypes.DEFAULT_FLOAT)
    return _finish(np.eye(n, m, dtype=dt), None, requires_grad, device)


def FloatTensor(*data: Any) -> Tensor:
    """Legacy constructor: data (or a size) as float32."""
    return _legacy(data, dtypes.float32)


def DoubleTensor(*data: Any) -> Tensor:
    return _legacy(data, dtypes.float64)


def LongTensor(*data: Any) -> Tensor:
    return _legacy(data, dtypes.int64)


def BoolTensor(*data: Any) -> Tensor:
    return _legacy(data, dtypes.bool_)


def _legacy(data: tuple[Any, ...], dtype: np.dtype) -> Tensor:
    if all(isinstance(d, int) for d in data):  # a size: FloatTensor(2, 3)
        return zeros(*data, dtype=dtype)
    return tensor(data[0], dtype=dtype)
