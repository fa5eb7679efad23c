"""Element types in files, by their safetensors codes, and how their bytes become arrays.

NumPy has no bfloat16 or float8: those are read as their raw bits and widened to
float32, which holds every one of their values exactly.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

# code -> how one element is stored in the file (byte order applied when read)
STORED: dict[str, np.dtype] = {
    "F64": np.dtype(np.float64), "F32": np.dtype(np.float32), "F16": np.dtype(np.float16),
    "BF16": np.dtype(np.uint16), "F8_E4M3": np.dtype(np.uint8), "F8_E5M2": np.dtype(np.uint8),
    "I64": np.dtype(np.int64), "I32": np.dtype(np.int32), "I16": np.dtype(np.int16),
    "I8": np.dtype(np.int8), "U64": np.dtype(np.uint64), "U32": np.dtype(np.uint32),
    "U16": np.dtype(np.uint16), "U8": np.dtype(np.uint8), "BOOL": np.dtype(np.bool_),
}
# the codes NumPy holds natively, which are also the ones ``save`` can write
CODE_OF: dict[np.dtype, str] = {dtype: code for code, dtype in STORED.items()
           if code not in ("BF16", "F8_E4M3", "F8_E5M2")}


def _float8_table(exponent_bits: int, mantissa_bits: int, finite_only: bool) -> np.ndarray:
    """The float32 value of each of the 256 bit patterns of a float8 format.

    ``finite_only`` is E4M3's "fn" variant (OCP FP8): no infinities, and only the all-ones
    pattern is NaN, which frees the top exponent for ordinary values.
    """
    bits = np.arange(256)
    sign = np.where(bits >> 7, -1.0, 1.0)
    exponent = (bits >> mantissa_bits) & ((1 << exponent_bits) - 1)
    mantissa = bits & ((1 << mantissa_bits) - 1)
    bias = (1 << (exponent_bits - 1)) - 1
    fraction = mantissa / (1 << mantissa_bits)
    value = np.where(exponent == 0,
                     fraction * 2.0 ** (1 - bias),               # subnormal
                     (1 + fraction) * 2.0 ** (exponent - bias))  # normal
    top = exponent == (1 << exponent_bits) - 1
    if finite_only:
        value = np.where(top & (mantissa == (1 << mantissa_bits) - 1), np.nan, value)
    else:
        value = np.where(top, np.where(mantissa == 0, np.inf, np.nan), value)
    return (sign * value).astype(np.float32)


_FLOAT8 = {"F8_E4M3": _float8_table(4, 3, finite_only=True),
           "F8_E5M2": _float8_table(5, 2, finite_only=False)}


def decode(stored: np.ndarray, code: str) -> np.ndarray:
    """A native-endian, writable copy of ``stored`` (elements of type ``code``) in a NumPy dtype."""
    if code == "BF16":  # bfloat16 is the top half of a float32
        return (stored.astype(np.uint32) << 16).view(np.float32)
    if code in _FLOAT8:
        return _FLOAT8[code][stored]
    if code == "BOOL":  # a byte other than 0 or 1 is True, as in PyTorch, not a third value
        return stored.view(np.uint8) != 0
    return stored.astype(stored.dtype.newbyteorder("="), copy=True)


def check_size(shape: tuple[int, ...] | list[int], itemsize: int, what: str) -> None:
    """Refuse a shape no array could have, even an empty one (NumPy would refuse it too, less
    clearly): its non-zero dimensions multiply past 2**62 bytes."""
    if math.prod(n for n in shape if n) * itemsize > 2**62:
        raise ValueError(f"{what}: shape {list(shape)} of {itemsize}-byte elements is too big "
                         "for any array (storage size calculation overflowed)")


def stored_dtype(code: str, endian: Literal["<", ">"] = "<") -> np.dtype:
    return STORED[code].newbyteorder(endian)
