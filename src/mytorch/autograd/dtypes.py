"""Dtypes and PyTorch's type-promotion rule.

mytorch's dtypes are NumPy dtypes. Promotion follows PyTorch, not NumPy:
operands are ranked in three tiers (tensors with dimensions, 0-d tensors,
Python scalars); a lower tier only changes the result when it is of a higher
category (bool < integer < float). So ``float32 tensor + int64 tensor`` is
float32, ``float32 tensor + 2.5`` is float32, ``int64 tensor + 2.5`` is the
default float dtype (float32), and ``float32 + float64`` tensors give float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

DEFAULT_FLOAT = float32
DEFAULT_INT = int64

_NAMES: dict[str, np.dtype] = {
    "float": float32, "float32": float32, "float64": float64, "double": float64,
    "half": float16, "float16": float16, "int": int32, "int32": int32, "long": int64,
    "int64": int64, "int16": int16, "short": int16, "int8": int8, "uint8": uint8,
    "bool": bool_,
}


def as_dtype(dtype: Any) -> np.dtype:
    """Turn a dtype given any common way (np.float32, 'float32', float, 'long') into np.dtype."""
    if isinstance(dtype, str) and dtype in _NAMES:
        return _NAMES[dtype]
    if dtype is float:
        return DEFAULT_FLOAT
    if dtype is int:
        return DEFAULT_INT
    return np.dtype(dtype)


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point, 3 for complex."""
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[dtype.kind]


def default_dtype_for(value: Any) -> np.dtype:
    """The dtype PyTorch gives a Python scalar standing alone."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return DEFAULT_INT
    if isinstance(value, complex):
        return np.dtype(np.complex64)
    return DEFAULT_FLOAT


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an elementwise op on ``operands`` (arrays, 0-d arrays or Python scalars)."""
    dimensioned: list[np.dtype] = []
    zero_dim: list[np.dtype] = []
    scalars: list[np.dtype] = []
    for op in operands:
        if isinstance(op, np.ndarray):
            (dimensioned if op.ndim else zero_dim).append(op.dtype)
        else:
            scalars.append(default_dtype_for(op))
    result = None
    for tier in (dimensioned, zero_dim, scalars):
        if not tier:
            continue
        top = max(category(d) for d in tier)
        if result is None or top > category(result):
            # within a tier the highest category wins; among equals, the widest dtype
            result = np.result_type(*[d for d in tier if category(d) == top])
    assert result is not None, "result_type needs at least one operand"
    return result


def common_float_dtype(data: list[Any]) -> np.dtype | None:
    """The fast path of promotion: float arrays of one dtype, with or without Python numbers."""
    dtype = None
    for d in data:
        if type(d) is np.ndarray and d.dtype.kind == "f" and d.ndim:
            if dtype is not None and d.dtype != dtype:
                return None
            dtype = d.dtype
        elif type(d) not in (float, int):
            return None
    return dtype
