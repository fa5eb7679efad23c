"""Embedding lookup: rows of a weight matrix picked by integer indices.

``embedding(idx, W)`` is ``W[idx]``: an output of shape ``idx.shape + (D,)``.
Its gradient adds each output row's gradient into the row of ``W`` it came
from, so an index used k times gets k contributions. The lookup and the
row scatter-add are each other's adjoints (``Embedding`` / ``EmbeddingScatter``),
so every backward here is differentiable again. ``padding_idx`` and
``scale_grad_by_freq`` weight the gradient per position (0 for the padding
index, 1/count for the frequency scaling) before it is scattered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels.errors import ShapeError

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["embedding"]


def _scatter_rows(g: np.ndarray, indices: np.ndarray, num_rows: int) -> np.ndarray:
    """Zeros of ``(num_rows, D)`` with each row ``g[i]`` added at row ``indices[i]``.

    The rows are sorted by index and each run of equal indices summed in one
    ``np.add.reduceat`` (much faster than ``np.add.at``, and in a fixed order).

    Args:
        g: ``(*, D)`` rows to add.
        indices: integer array of shape ``(*)``, values in ``[0, num_rows)``.
        num_rows: rows of the result.
    """
    D = g.shape[-1]
    flat_idx, rows = indices.reshape(-1), g.reshape(-1, D)  # (M,), (M, D)
    out = np.zeros((num_rows, D), dtype=g.dtype)
    if flat_idx.size == 0:
        return out
    order = np.argsort(flat_idx, kind="stable")
    sorted_idx = flat_idx[order]
    starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])  # each run's start
    out[sorted_idx[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Function):
    """``W[indices]``: ``(V, D)`` and ``(*)`` -> ``(*, D)``.

    ``grad_weights`` (``(*, 1)`` or None) scales each position's gradient before
    it is scattered back into ``W``'s rows (0 at padding positions).
    """

    @staticmethod
    def forward(ctx: Node, weight: Tensor, indices: np.ndarray,
                grad_weights: Tensor | None) -> np.ndarray:
        ctx.indices, ctx.grad_weights, ctx.num_rows = indices, grad_weights, weight.shape[0]
        return weight._data[indices]

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        g = gy if ctx.grad_weights is None else gy * ctx.grad_weights
        return EmbeddingScatter.apply(g, ctx.indices, ctx.num_rows), None, None


class EmbeddingScatter(Function):
    """The adjoint of the lookup: ``(*, D)`` rows scatter-added into ``(V, D)`` zeros."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, indices: np.ndarray, num_rows: int) -> np.ndarray:
        ctx.indices = indices
        return _scatter_rows(g._data, indices, num_rows)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor, None, None]:
        return Embedding.apply(gg, ctx.indices, None), None, None


def _renorm_rows(weight: np.ndarray, indices: np.ndarray, max_norm: float,
                 norm_type: float) -> None:
    """Rescale, in place, the rows used by ``indices`` whose p-norm exceeds ``max_norm``."""
    rows = np.unique(indices)
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    too_long = norms > max_norm
    scale = max_norm / (norms[too_long] + 1e-7)  # PyTorch's formula, epsilon included
    weight[rows[too_long]] *= scale[:, None].astype(weight.dtype)


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: integer indices of any shape (a Tensor or array-like), in ``[0, V)``.
        weight: the ``(V, D)`` embedding matrix.
        padding_idx: this row gets no gradient (negative counts from the end).
        max_norm: rows used here with a larger ``norm_type``-norm are first rescaled
            to norm ``max_norm``, in place in ``weight``.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how often its index
            occurs in ``input``.
        sparse: accepted for PyTorch's signature; the gradient is always dense.

    Shape:
        - Input: ``(*)``, integers
        - Weight: ``(V, D)``
        - Output: ``(*, D)``

    Raises:
        TypeError: non-integer indices.
        RuntimeError: a weight that is not 2-d (as PyTorch).
        IndexError: an index outside ``[0, V)``.
        ValueError: ``padding_idx`` outside ``[-V, V)``.

    >>> import mytorch
    >>> W = mytorch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> embedding(mytorch.tensor([[1, 2, 1]]), W).sum().backward()
    >>> W.grad
    tensor([[0., 0.],
            [2., 2.],
            [1., 1.]])
    """
    # our own copy of a Tensor's indices: backward reads them, whatever happens to the tensor
    indices = input._data.copy() if isinstance(input, TensorBase) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: expected integer indices, got dtype {indices.dtype} "
            f"(indices of shape {indices.shape})"
        )
    if not isinstance(weight, TensorBase) or weight.ndim != 2:
        raise ShapeError(
            f"embedding: 'weight' must be 2-D (V, D), got shape {np.shape(weight)}"
        )
    V = weight.shape[0]
    out_of_range = indices[(indices < 0) | (indices >= V)]
    if out_of_range.size:
        raise IndexError(
            f"embedding: index {out_of_range.flat[0]} is out of range for a weight with {V} "
            f"rows (weight of shape {weight.shape}, indices of shape {indices.shape})"
        )
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(
                f"embedding: padding_idx={padding_idx} must be within num_embeddings={V}"
            )
        padding_idx %= V
    if max_norm is not None:
        _renorm_rows(weight._data, indices, max_norm, norm_type)
        weight._bump_version()  # an in-place change of the weight, as PyTorch's renorm

    grad_weights = None
    if padding_idx is not None or scale_grad_by_freq:
        scale = np.ones(indices.shape, dtype=weight.dtype)
        if scale_grad_by_freq:
            scale /= np.bincount(indices.reshape(-1), minlength=V)[indices]
        if padding_idx is not None:
            scale[indices == padding_idx] = 0
        grad_weights = TensorBase._make(scale[..., None])  # (*, 1): broadcast over D
    return Embedding.apply(weight, indices, grad_weights)
