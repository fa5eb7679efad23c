"""The dtype rule of the ops, in one place: which ops take integer tensors, and how.

PyTorch's rule, which mytorch follows:

- **Math functions promote.** exp, log, sqrt, sin, cos, tanh, sigmoid, logsumexp
  (a function of the values alone) compute an integer tensor in the default
  float dtype: ``torch.exp(torch.tensor([1]))`` is float32. ``float_input``.
- **Everything defined for floating point only refuses.** Reductions that average
  (mean, var, std, norm), activations with parameters, normalization, dropout,
  losses, pooling and interpolation raise ``RuntimeError`` naming the op, the
  dtype and the shape, as PyTorch's "not implemented for 'Long'". ``require_float``.

Both refuse a non-Tensor with ``TypeError``. They live here, below every op
module, so that an op checks a dtype without importing another op's module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mytorch.autograd import dtypes
from mytorch.autograd.tensor import TensorBase

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["require_float", "float_input"]


def _require_tensor(op: str, x: object) -> None:
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")


def require_float(op: str, x: Tensor) -> Tensor:
    """``x`` itself when it is floating point (or complex); else ``RuntimeError``.

    >>> import mytorch
    >>> require_float("elu", mytorch.tensor([1, 2]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    RuntimeError: elu: expected a floating point tensor, got dtype int64 (shape (2,)); ...
    """
    _require_tensor(op, x)
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: expected a floating point tensor, got dtype {x.dtype} (shape {x.shape}); "
            "convert it with .float()"
        )
    return x


def float_input(op: str, x: Tensor) -> Tensor:
    """``x`` itself when it is floating point (or complex); else ``x`` in the default float dtype.

    >>> import mytorch
    >>> float_input("exp", mytorch.tensor([1, 2])).dtype
    dtype('float32')
    """
    _require_tensor(op, x)
    return x if x.dtype.kind in "fc" else x.to(dtypes.DEFAULT_FLOAT)
