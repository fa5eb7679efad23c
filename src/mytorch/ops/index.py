"""Indexing ops: ``x[index]``, item assignment, gather, index_select, sort, topk, one_hot.

Reading through an index is a gather; its gradient is the matching
scatter-add: every input position receives the sum of the gradients of the
output positions that read it. With advanced (array) indices a position can
be read several times (``x[[0, 0, 1]]``), so the scatter uses ``np.add.at``,
which accumulates repeats; with basic indices (ints, slices, None, ...)
positions are distinct and a plain assignment into zeros does. The
scatter-add is itself an op (``IndexAdd``) whose gradient is the gather
again, so gradients of gradients work.

``gather``, ``index_select``, ``sort`` and ``topk`` are all gathers with an
advanced index, so they share ``Getitem`` and its backward.

Writes: ``x[index] = value`` is ``IndexPut``, and an in-place change of a view
(``x[1:].mul_(2)``, through any view op) is ``CopyIntoView`` on its base; both run
through ``Tensor._inplace``, the one in-place mechanism.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mytorch.autograd import grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels.errors import ShapeError
from mytorch.ops.shape import reshape, wrap_dim

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "getitem", "setitem", "gather", "index_select", "topk", "sort", "argsort", "one_hot",
]

Index = tuple[Any, ...]  # one NumPy index: ints, slices, None, Ellipsis, integer/bool arrays
Steps = tuple[Index, ...]  # indices applied one after another; all but the last are basic


# -- index normalization and messages -----------------------------------------------------
def _index_part(op: str, item: Any) -> Any:
    """One component of an index, with Tensors and sequences turned into integer/bool arrays.

    Any sequence counts as an index list, as in PyTorch: a list, a ``range``
    (``x[range(n), target]``), a tuple nested inside the index. A Tensor's array is
    copied: the backward reads the index again, and a later in-place change of the
    index tensor must not move the gradient.
    """
    if isinstance(item, TensorBase):
        item = item._data.copy()
    elif isinstance(item, (list, tuple, range)):
        item = np.asarray(item)
        if item.size == 0:
            item = item.astype(np.intp)  # x[[]] selects nothing (np.asarray([]) is float)
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in "iub":
            raise IndexError(
                f"{op}: tensors used as indices must be integer or bool, got dtype {item.dtype}"
            )
        return int(item) if item.ndim == 0 and item.dtype.kind in "iu" else item
    if isinstance(item, (int, np.integer, np.bool_, slice)) or item is None or item is Ellipsis:
        return item
    raise IndexError(
        f"{op}: only integers, slices, ellipsis (...), None and integer or bool tensors are "
        f"valid indices (got {type(item).__name__})"
    )


_PLAIN = (int, slice, type(None), type(Ellipsis))  # index parts NumPy takes as they are


def _normalize_index(op: str, index: Any) -> Index:
    parts = index if isinstance(index, tuple) else (index,)
    return tuple(p if type(p) in _PLAIN else _index_part(op, p) for p in parts)


def _is_int(p: Any) -> bool:
    return isinstance(p, (int, np.integer)) and not isinstance(p, bool)


def _steps(index: Index) -> Steps:
    """The index as NumPy indices applied in PyTorch's order.

    NumPy counts an int as part of the advanced index when arrays are present,
    and when a slice separates them the advanced dims move to the front:
    ``x[0, :, [0, 1]]`` of shape (2, 3, 4) is (2, 3) in NumPy but (3, 2) in
    PyTorch, which selects with the ints first. So with both, the ints go first
    (a basic index: a view), then the rest.
    """
    if not (any(isinstance(p, np.ndarray) for p in index) and any(map(_is_int, index))):
        return (index,)
    ints_only: list[Any] = []  # the ints in place, a full slice for every other dim used
    for p in index:
        if _is_int(p) or p is Ellipsis:
            ints_only.append(p)
        elif isinstance(p, np.ndarray) and p.dtype == np.bool_:
            ints_only += [slice(None)] * p.ndim  # a mask covers as many dims as it has
        elif isinstance(p, (np.ndarray, slice)):
            ints_only.append(slice(None))
    return tuple(ints_only), tuple(p for p in index if not _is_int(p))


def _describe(index: Index) -> str:
    """A short readable form of an index for error messages (large arrays by shape)."""
    def one(p: Any) -> str:
        if isinstance(p, np.ndarray):
            return repr(p.tolist()) if p.size <= 8 else f"<{p.dtype} array of shape {p.shape}>"
        if isinstance(p, slice):
            bounds = ["" if v is None else str(v) for v in (p.start, p.stop, p.step)]
            return ":".join(bounds if p.step is not None else bounds[:2])
        return "..." if p is Ellipsis else repr(p)

    return "[" + ", ".join(one(p) for p in index) + "]"


def _read(data: np.ndarray, steps: Steps) -> np.ndarray:
    for index in steps:
        data = data[index]
    return data


def _may_repeat(index: Index) -> bool:
    """Whether an index can name one position twice (an integer array of several elements)."""
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" and p.size > 1 for p in index)


def _index_error(op: str, error: Exception, index: Index, shape: tuple[int, ...]) -> IndexError:
    return IndexError(f"{op}: {error} (index {_describe(index)}, tensor shape {shape})")


# -- x[index] and its adjoint -------------------------------------------------------------
class Getitem(Function):
    """``x[index]``: a view for basic indices, a copy for advanced ones."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, steps: Steps) -> Tensor:
        ctx.steps, ctx.input_shape = steps, x.shape
        out = _read(x._data, steps)
        if type(out) is not np.ndarray:  # all ints: NumPy gives a scalar copy, PyTorch a 0-d view
            out = x._data[steps[0] + (Ellipsis,)]
        return x._view(out, Getitem.apply, steps)  # basic indices: a view

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return IndexAdd.apply(gy, ctx.steps, ctx.input_shape), None


class IndexAdd(Function):
    """Zeros of ``shape`` with ``g`` added where ``steps`` read: the adjoint of ``x[index]``."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, steps: Steps, shape: tuple[int, ...]) -> np.ndarray:
        ctx.steps = steps
        out = np.zeros(shape, dtype=g.dtype)
        target, index = _read(out, steps[:-1]), steps[-1]  # basic steps first: a view of out
        if _may_repeat(index):
            np.add.at(target, index, g._data)  # a position read k times gets k gradients
        else:
            target[index] = g._data
        return out

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor, None, None]:
        return Getitem.apply(gg, ctx.steps), None, None


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with PyTorch's rules: ints, slices, None, Ellipsis, integer or
    bool arrays, lists and Tensors (a 0-d integer Tensor acts as an int).

    >>> import mytorch
    >>> x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()      # index 0 read twice: its gradient is 2
    >>> x.grad
    tensor([2., 0., 1.])
    """
    parts = _normalize_index("getitem", index)
    try:
        return Getitem.apply(x, _steps(parts))
    except IndexError as error:
        raise _index_error("getitem", error, parts, x.shape) from None


# -- x[index] = value -----------------------------------------------------------------------
def _write(data: np.ndarray, steps: Steps, value: Any) -> None:
    """``data[index] = value`` in place, through the views of the basic steps."""
    _read(data, steps[:-1])[steps[-1]] = value._data if isinstance(value, TensorBase) else value


class IndexPut(Function):
    """``x[index] = value``: ``x`` with ``value`` written at ``index``, recorded in the graph.

    The forward writes into ``x``'s own array and returns it: the in-place machinery
    (``Tensor._inplace``) passes it a private snapshot of the tensor being written.
    The gradient of ``x`` is ``gy`` with the overwritten positions zeroed; the
    gradient of ``value`` is ``gy`` read at ``index`` (the engine sums it back to
    ``value``'s shape when ``value`` was broadcast).
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, steps: Steps, value: Any) -> np.ndarray:
        ctx.steps = steps
        _write(x._data, steps, value)
        return x._data

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, None, Tensor | None]:
        gx = gv = None
        if ctx.needs_input_grad[0]:
            kept = np.ones(gy.shape, dtype=bool)
            _write(kept, ctx.steps, False)
            gx = gy * TensorBase._make(kept)
        if ctx.needs_input_grad[2]:
            gv = Getitem.apply(gy, ctx.steps)
        return gx, None, gv


class CopyIntoView(Function):
    """``base`` with the region of its view ``remake(base, *args)`` replaced by ``value``:
    an in-place change of a view, recorded on its base (PyTorch's ``CopySlices``).

    As ``IndexPut``, the forward writes into ``base``'s own array (a private snapshot
    made by ``Tensor._inplace``). The gradient of ``base`` is ``gy`` zeroed on the
    region; the gradient of ``value`` is the view of ``gy``.
    """

    @staticmethod
    def forward(ctx: Node, base: Tensor, remake: Any, args: tuple[Any, ...], value: Tensor
                ) -> np.ndarray:
        ctx.remake, ctx.args = remake, args
        remake(base, *args)._data[...] = value._data  # the view's array: base's memory
        return base._data

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, None, None, Tensor | None]:
        gb = gv = None
        if ctx.needs_input_grad[0]:
            kept = TensorBase._make(np.ones(gy.shape, dtype=bool))
            ctx.remake(kept, *ctx.args)._data[...] = False
            gb = gy * kept
        if ctx.needs_input_grad[3]:
            gv = ctx.remake(gy, *ctx.args)
        return gb, None, None, gv


def copy_into_view(base: Tensor, remake: Any, args: tuple[Any, ...], value: Tensor) -> Tensor:
    return CopyIntoView.apply(base, remake, args, value)


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value``, written into ``x``'s memory (so into the tensor ``x`` is a view of).

    When gradients are recorded and ``x`` or ``value`` requires grad, the write
    joins the graph (as PyTorch's ``CopySlices``): ``x.grad_fn`` becomes the
    write's node, whose gradient flows to ``x``'s old value (zeros at ``index``)
    and to ``value`` (read at ``index``). A leaf that requires grad can be written
    only under ``no_grad``: RuntimeError otherwise. Every write moves ``x``'s
    version counter, so an op that saved ``x`` before refuses to backpropagate.
    """
    parts = _normalize_index("setitem", index)
    steps = _steps(parts)
    try:
        if grad_mode._enabled and (
            x._requires_grad or (isinstance(value, TensorBase) and value._requires_grad)
        ):
            x._inplace("setitem", IndexPut.apply, steps, value)
        else:  # nothing to record: write the positions directly (no copy of x)
            x._check_writeable("setitem")
            _write(x._data, steps, value)
            x._bump_version()
    except IndexError as error:
        raise _index_error("setitem", error, parts, x.shape) from None
    except ValueError as error:
        raise ShapeError(
            f"setitem: {error} (value of shape {np.shape(value)}, index {_describe(parts)}, "
            f"tensor shape {x.shape})"
        ) from None


# -- gathers along one dim -------------------------------------------------------------------
def _integer_index(op: str, index: Any) -> np.ndarray:
    """The index as an integer array of our own (a copy of a Tensor's: see ``_index_part``)."""
    data = index._data.copy() if isinstance(index, TensorBase) else np.asarray(index)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer index tensor, got dtype {data.dtype}")
    return data


def _check_bounds(op: str, index: np.ndarray, n: int, axis: int, shape: tuple[int, ...]) -> None:
    """Indices must lie in [0, n) (no negative wrap-around, as in PyTorch's gather)."""
    bad = index[(index < 0) | (index >= n)]
    if bad.size:
        raise IndexError(
            f"{op}: index {bad.flat[0]} is out of bounds for dimension {axis} with size {n} "
            f"(input shape {shape})"
        )


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """Pick values along ``dim``: ``out[i][j][k] = x[i][index[i][j][k]][k]`` for dim=1.

    ``index`` has as many dims as ``x`` and is no larger than ``x`` in the
    other dims; the result has ``index``'s shape. The gradient scatter-adds.

    >>> import mytorch
    >>> mytorch.gather(mytorch.tensor([[1, 2], [3, 4]]), 1, mytorch.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    idx = _integer_index("gather", index)
    axis = wrap_dim("gather", dim, x.shape)
    if idx.ndim != x.ndim:
        raise ShapeError(
            f"gather: index of shape {idx.shape} must have as many dims as the input of "
            f"shape {x.shape}"
        )
    if x.ndim == 0:
        return reshape(gather(reshape(x, (1,)), 0, idx.reshape(1)), ())
    for d, (m, n) in enumerate(zip(idx.shape, x.shape)):
        if d != axis and m > n:
            raise ShapeError(
                f"gather: index of shape {idx.shape} is larger than the input of shape {x.shape} "
                f"in dimension {d}"
            )
    _check_bounds("gather", idx, x.shape[axis], axis, x.shape)
    # an advanced index: open ranges (broadcastable aranges) in every dim but `axis`
    grid: list[Any] = list(np.indices(idx.shape, sparse=True))
    grid[axis] = idx
    return Getitem.apply(x, (tuple(grid),))


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (a 0-d or 1-d integer tensor) of ``x`` along ``dim``."""
    idx = _integer_index("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-d or 1-d, got shape {idx.shape}")
    axis = wrap_dim("index_select", dim, x.shape)
    _check_bounds("index_select", idx, x.shape[axis] if x.ndim else 1, axis, x.shape)
    return Getitem.apply(x, ((slice(None),) * axis + (idx.reshape(-1),),))


class ValuesIndices(NamedTuple):
    """``(values, indices)``, as PyTorch's ``torch.return_types.sort`` / ``topk``."""

    values: Tensor
    indices: Tensor


def _sort_order(x: Tensor, axis: int, descending: bool) -> np.ndarray:
    """Stable sort order along ``axis`` (int64, ``x``'s shape).

    Descending order is the stable ascending order of the data reversed along
    ``axis``, reversed back: equal elements keep their original order and NaN
    comes first, as PyTorch's stable descending sort.
    """
    data = x._data.reshape(1) if x.ndim == 0 else x._data
    if descending:
        order = data.shape[axis] - 1 - np.flip(
            np.argsort(np.flip(data, axis), axis=axis, kind="stable"), axis
        )
    else:
        order = np.argsort(data, axis=axis, kind="stable")
    return order.astype(np.int64, copy=False).reshape(x.shape)


def sort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
         ) -> ValuesIndices:
    """Sort along ``dim``: ``(values, indices)``; values carry gradient to their sources.

    The sort is always stable (``stable`` is accepted for PyTorch's signature).

    >>> import mytorch
    >>> mytorch.sort(mytorch.tensor([3.0, 1.0, 2.0])).indices
    tensor([1, 2, 0])
    """
    axis = wrap_dim("sort", dim, x.shape)
    order = _sort_order(x, axis, descending)
    return ValuesIndices(gather(x, axis, order), TensorBase._make(order))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
            ) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (stable; no gradient)."""
    return TensorBase._make(_sort_order(x, wrap_dim("argsort", dim, x.shape), descending))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> ValuesIndices:
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    Results are always sorted (``sorted=False`` allows any order in PyTorch).

    Shape:
        (..., n, ...) -> (..., k, ...) at ``dim``
    """
    axis = wrap_dim("topk", dim, x.shape)
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise ShapeError(
            f"topk: k={k} is out of range for dimension {axis} of size {n} (shape {x.shape})"
        )
    order = _sort_order(x, axis, descending=largest)
    picked = order[(slice(None),) * axis + (slice(0, k),)] if x.ndim else order
    return ValuesIndices(gather(x, axis, picked), TensorBase._make(picked))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices -> one-hot int64 vectors (PyTorch's ``F.one_hot``).

    Shape:
        (...) -> (..., num_classes); num_classes=-1 means ``max + 1``

    >>> import mytorch
    >>> one_hot(mytorch.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    labels = _integer_index("one_hot", tensor)
    if num_classes == -1:
        if labels.size == 0:
            raise ShapeError("one_hot: cannot infer the number of classes from an empty tensor")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {labels.min()}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, "
            f"got {labels.max()}"
        )
    # (...) -> (..., 1) compared with (C,) -> (..., C)
    return TensorBase._make((labels[..., None] == np.arange(num_classes)).astype(np.int64))
