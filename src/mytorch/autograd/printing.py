"""``repr`` of a Tensor in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mytorch.autograd import dtypes

if TYPE_CHECKING:
    from mytorch.autograd.tensor import Tensor

# dtypes PyTorch leaves out of the repr because they are what the values imply
_IMPLIED = (dtypes.DEFAULT_FLOAT, dtypes.DEFAULT_INT, dtypes.bool_)


def _float_formatter(values: np.ndarray) -> dict[str, object]:
    """Fixed 4 decimals, integers as ``1.``, scientific for wide or huge ranges (as PyTorch)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return {"float_kind": lambda v: f"{v:.4f}".replace(".0000", ".")}
    if np.all(finite == np.round(finite)) and finite.max() < 1e8:
        return {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
    nonzero = finite[finite > 0]
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8):
        return {"float_kind": lambda v: f"{v:.4e}"}
    return {"float_kind": lambda v: f"{v:.4f}"}


def tensor_repr(t: Tensor) -> str:
    data = t._data
    formatter = _float_formatter(data) if data.dtype.kind == "f" else None
    body = np.array2string(
        data, separator=", ", prefix="tensor(", formatter=formatter, threshold=1000, edgeitems=3,
    )
    extras = []
    if data.dtype not in _IMPLIED or (data.size == 0 and data.dtype != dtypes.DEFAULT_FLOAT):
        extras.append(f"dtype=mytorch.{data.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
