"""``repr`` of a Tensor in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes

if TYPE_CHECKING:
    from mytorch.autograd.tensor import TensorBase

# dtypes PyTorch leaves out of the repr because they are what the values imply
_IMPLIED = (dtypes.DEFAULT_FLOAT, dtypes.DEFAULT_INT, dtypes.bool_)
_THRESHOLD = 1000  # more elements than this are summarized, showing _EDGE at each end
_EDGE = 3


def _float_format(values: np.ndarray) -> tuple[Callable[[float], str], np.ndarray]:
    """The element format, and the values whose widths set the column width (as PyTorch).

    Integers print as ``1.`` (only nonzero ones set the width), others with 4 fixed
    decimals; a range wider than 1000x, above 1e8 or (not integral) below 1e-4 is scientific.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (lambda v: str(v)), finite
    magnitudes = np.abs(finite[finite != 0])
    wide = bool(magnitudes.size) and (
        magnitudes.max() / magnitudes.min() > 1000 or magnitudes.max() > 1e8
    )
    if np.all(finite == np.round(finite)):
        if not wide:
            return (lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)), finite[finite != 0]
    elif not wide and not (magnitudes.size and magnitudes.min() < 1e-4):
        return (lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)), finite
    return (lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)), finite


def _float_formatter(values: np.ndarray) -> Any:
    """The element format, right-aligned to the widest element, as PyTorch aligns columns."""
    fmt, counted = _float_format(values)
    # the widest strings come from the extremes: the largest and the smallest magnitudes
    # of each sign (sign and exponent digits); PyTorch leaves nan/inf out of the width
    positive, negative = counted[counted > 0], counted[counted <= 0]
    candidates = [a.min() for a in (positive, negative) if a.size]
    candidates += [a.max() for a in (positive, negative) if a.size]
    width = max((len(fmt(v)) for v in candidates), default=0)
    return {"float_kind": lambda v: fmt(v).rjust(width)}


def _shown(data: np.ndarray) -> np.ndarray:
    """The elements a summarized repr shows: the first and last 3 along every long axis."""
    for axis, n in enumerate(data.shape):
        if n > 2 * _EDGE:
            data = np.take(data, [*range(_EDGE), *range(n - _EDGE, n)], axis=axis)
    return data


def tensor_repr(t: TensorBase) -> str:
    data = t._data
    summarize = data.size > _THRESHOLD
    formatter = None
    if data.dtype.kind == "f":  # the format fits the elements shown, as in PyTorch
        formatter = _float_formatter(_shown(data) if summarize else data)
    body = np.array2string(
        data, max_line_width=80, separator=", ", prefix="tensor(", formatter=formatter,
        threshold=_THRESHOLD, edgeitems=_EDGE,
    )
    if summarize:
        body = body.replace(", ...,", ",  ...,")  # PyTorch's spacing of the ellipsis in a row
    extras = []
    if data.size == 0 and data.shape != (0,):
        body = "[]"  # an empty tensor prints as [] with its size, e.g. size=(2, 0, 3)
        extras.append(f"size={data.shape}")
    if data.dtype not in _IMPLIED or (data.size == 0 and data.dtype != dtypes.DEFAULT_FLOAT):
        extras.append(f"dtype=mytorch.{data.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    # a suffix that would run past 80 columns starts a new line, indented under the data;
    # PyTorch starts its column count 2 past the last line's length, and so do we
    text = "tensor(" + body
    column = len(text) - text.rfind("\n") + 1
    for extra in extras:
        if column + len(extra) + 2 > 80:
            text += ",\n" + " " * len("tensor(") + extra
            column = len("tensor(") + len(extra)
        else:
            text += ", " + extra
            column += len(extra) + 2
    return text + ")"
