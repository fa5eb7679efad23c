"""Shape ops: reshape, broadcast, transpose, concatenate, split, pad, flip, roll...

They move or copy data without arithmetic, so each backward is the inverse
movement of the gradient (a reshape back, a sum over broadcast axes, a split
of a concatenation, a scatter-add of padding...), itself made of these ops,
so gradients of gradients work. The padding index arithmetic lives in
``mytorch.kernels.padding``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes
from mytorch.autograd.fit import broadcast_to, sum_to
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import padding as _padding
from mytorch.kernels.errors import ShapeError

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "sum_to", "broadcast_to", "expand", "reshape", "view", "flatten", "squeeze", "unsqueeze",
    "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "repeat", "tile",
    "cat", "concatenate", "concat", "stack", "split", "chunk", "flip", "roll", "pad",
]


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(x, 2, 3)`` and ``f(x, (2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _int_tuple(value: int | Sequence[int]) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple of ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def wrap_dim(op: str, dim: int, shape: tuple[int, ...], extra: int = 0) -> int:
    """``dim`` as a non-negative axis, checked against ``shape`` (plus ``extra`` new axes).

    Negative dims count from the end. As in PyTorch, a 0-d tensor accepts dim 0
    and -1. ``extra=1`` is for ops that insert an axis (unsqueeze, stack).
    """
    n = max(len(shape) + extra, 1)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension {dim} out of range for a tensor of shape {shape} "
            f"(expected to be in range [{-n}, {n - 1}])"
        )
    return int(dim) % n


def wrap_dims(op: str, dims: int | Sequence[int], shape: tuple[int, ...]) -> tuple[int, ...]:
    """Several dims through ``wrap_dim``; each may appear only once."""
    axes = tuple(wrap_dim(op, d, shape) for d in _int_tuple(dims))
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: a dim appears multiple times in the list of dims {dims}")
    return axes


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes``; -1 keeps a dimension's size (PyTorch's ``expand``)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: the number of sizes {sizes} must be >= the number of dims of shape {x.shape}"
        )
    target = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, target)


class Reshape(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, shape: tuple[int, ...]) -> Tensor:
        ctx.input_shape = x.shape
        try:
            # a view when the layout allows, as PyTorch's
            return x._view(x._data.reshape(shape), Reshape.apply, shape)
        except ValueError:
            raise ShapeError(
                f"reshape: shape {shape} is invalid for input of shape {x.shape} "
                f"({x._data.size} elements)"
            ) from None

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return reshape(gy, ctx.input_shape), None


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one size may be -1)."""
    return Reshape.apply(x, _shape_arg(shape))


view = reshape


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` (inclusive) into one.

    Shape:
        (n_0, ..., n_s, ..., n_e, ...) -> (n_0, ..., n_s * ... * n_e, ...); a 0-d tensor -> (1,)

    >>> import mytorch
    >>> mytorch.zeros(2, 3, 4).flatten(1).shape
    (2, 12)
    """
    start, end = wrap_dim("flatten", start_dim, x.shape), wrap_dim("flatten", end_dim, x.shape)
    if start > end:
        raise ShapeError(
            f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim} "
            f"(tensor of shape {x.shape})"
        )
    shape = x.shape
    merged = math.prod(shape[start:end + 1])
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 dims: all of them, or those among ``dim`` (others in ``dim`` stay)."""
    if dim is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = tuple(d for d in wrap_dims("squeeze", dim, x.shape) if x.ndim and x.shape[d] == 1)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at position ``dim`` (in ``[-ndim - 1, ndim]``)."""
    axis = wrap_dim("unsqueeze", dim, x.shape, extra=1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


class Permute(Function):
    """Reorder the axes (a view); the gradient goes back through the inverse order."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: tuple[int, ...]) -> Tensor:
        ctx.dims = dims
        return x._view(np.transpose(x._data, dims), Permute.apply, dims)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return Permute.apply(gy, tuple(np.argsort(ctx.dims))), None


def permute(x: Tensor, *dims: Any) -> Tensor:
    """Axis ``i`` of the result is axis ``dims[i]`` of ``x``; ``dims`` as varargs or one tuple.

    >>> import mytorch
    >>> mytorch.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    order = _shape_arg(dims)
    if len(order) != x.ndim:
        raise ShapeError(
            f"permute: the number of dims {order} does not match the number of dimensions "
            f"of shape {x.shape}"
        )
    return Permute.apply(x, wrap_dims("permute", order, x.shape) if x.ndim else ())


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    a, b = wrap_dim("transpose", dim0, x.shape), wrap_dim("transpose", dim1, x.shape)
    order = list(range(x.ndim))
    if x.ndim:
        order[a], order[b] = b, a
    return Permute.apply(x, tuple(order))


swapaxes = swapdims = transpose


def movedim(x: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    src = wrap_dims("movedim", source, x.shape)
    dst = wrap_dims("movedim", destination, x.shape)
    if len(src) != len(dst):
        raise ShapeError(
            f"movedim: source {source} and destination {destination} must have the same length"
        )
    if not x.ndim:
        return Permute.apply(x, ())
    order = [d for d in range(x.ndim) if d not in src]
    for to, frm in sorted(zip(dst, src)):
        order.insert(to, frm)
    return Permute.apply(x, tuple(order))


moveaxis = movedim


class Repeat(Function):
    """Tile ``x`` ``reps`` times along each dim (PyTorch's ``repeat``, NumPy's ``tile``)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, reps: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape, ctx.reps = x.shape, reps
        return np.tile(x._data, reps)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        reps = ctx.reps
        shape = (1,) * (len(reps) - len(ctx.input_shape)) + ctx.input_shape
        # (r0 * n0, r1 * n1, ...) -> (r0, n0, r1, n1, ...): copy k of element i sits at (k, i)
        blocks = reshape(gy, tuple(v for r, n in zip(reps, shape) for v in (r, n)))
        # (r0, n0, r1, n1, ...) -> (1, n0, 1, n1, ...): add up the copies
        summed = sum_to(blocks, tuple(v for n in shape for v in (1, n)))
        return reshape(summed, ctx.input_shape), None


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """Tile ``x``: ``sizes[i]`` copies along dim ``i``; extra leading sizes add new dims.

    Shape:
        (n_0, ..., n_k) with sizes (r_0, ..., r_k) -> (r_0 * n_0, ..., r_k * n_k), after
        padding ``x``'s shape with leading 1s to the length of ``sizes``

    >>> import mytorch
    >>> mytorch.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    reps = _shape_arg(sizes)
    if len(reps) < x.ndim:
        raise ShapeError(
            f"repeat: the number of repeats {reps} cannot be smaller than the number of "
            f"dimensions of shape {x.shape}"
        )
    if any(r < 0 for r in reps):
        raise ShapeError(f"repeat: repeats {reps} must be non-negative (tensor of shape {x.shape})")
    return Repeat.apply(x, reps)


def tile(x: Tensor, dims: int | Sequence[int]) -> Tensor:
    """``repeat`` where too few ``dims`` are padded with leading 1s (PyTorch's ``tile``)."""
    reps = _int_tuple(dims)
    return repeat(x, (1,) * (x.ndim - len(reps)) + reps)


class Cat(Function):
    """Join tensors along ``dim``; the gradient is split back into their sizes."""

    @staticmethod
    def forward(ctx: Node, dim: int, *xs: Tensor) -> np.ndarray:
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        dtype = dtypes.result_type(*[x._data for x in xs])  # PyTorch's promotion
        return np.concatenate([x._data for x in xs], axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, ...]:
        return (None, *split(gy, ctx.sizes, ctx.dim))


def _tensor_list(op: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    """A non-empty list of Tensors, or a clear error."""
    if isinstance(tensors, TensorBase):
        raise TypeError(f"{op}: expected a sequence of Tensors, got a single Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, TensorBase):
            raise TypeError(f"{op}: expected a sequence of Tensors, got {type(t).__name__} at {i}")
    return tensors


def _without(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1:]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dim; all other sizes must agree.

    Mixed dtypes promote as PyTorch does. As in PyTorch, 1-D empty tensors
    (shape ``(0,)``) are skipped, whatever the other shapes.

    Shape:
        (..., n_i, ...) for each input i -> (..., sum_i n_i, ...)

    >>> import mytorch
    >>> mytorch.cat([mytorch.zeros(2, 3), mytorch.ones(1, 3)]).shape
    (3, 3)
    """
    tensors = _tensor_list("cat", tensors)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    kept = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    axis = wrap_dim("cat", dim, kept[0].shape)
    first = kept[0].shape
    for t in kept:
        if t.ndim != len(first) or _without(t.shape, axis) != _without(first, axis):
            raise ShapeError(
                f"cat: tensors must have the same shape except in dimension {axis}, "
                f"got shapes {[t.shape for t in tensors]}"
            )
    return Cat.apply(axis, *kept)


concatenate = concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dim ``dim``.

    Shape:
        k tensors of (n_0, ..., n_d, ...) -> (n_0, ..., k, n_d, ...)
    """
    tensors = _tensor_list("stack", tensors)
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ShapeError(
                f"stack: expects each tensor to be equal size, but got {shape} at entry 0 "
                f"and {t.shape} at entry {i}"
            )
    axis = wrap_dim("stack", dim, shape, extra=1)
    return cat([unsqueeze(t, axis) for t in tensors], axis)


class Split(Function):
    """Cut ``x`` along ``dim`` into pieces of ``sizes`` (views): one node, several outputs.

    The gradient of the pieces is their concatenation; a piece that got no
    gradient arrives as zeros (the engine materializes it).
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, sizes: tuple[int, ...], dim: int) -> tuple[Tensor, ...]:
        ctx.dim = dim
        pieces = np.split(x._data, np.cumsum(sizes)[:-1], axis=dim)
        return tuple(x._view(p, _split_piece, sizes, dim, k) for k, p in enumerate(pieces))

    @staticmethod
    def backward(ctx: Node, *gys: Tensor) -> tuple[Tensor, None, None]:
        return cat(gys, ctx.dim), None, None


def _split_piece(x: Tensor, sizes: tuple[int, ...], dim: int, k: int) -> Tensor:
    """Piece ``k`` of ``split``: how an in-place change of one piece is recorded on ``x``."""
    return Split.apply(x, sizes, dim)[k]


def _split_dim(op: str, x: Tensor, dim: int) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{op}: expects at least a 1-dimensional tensor, got shape {x.shape}")
    return wrap_dim(op, dim, x.shape)


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
          ) -> tuple[Tensor, ...]:
    """Split ``x`` along ``dim`` into pieces of ``split_size`` (the last may be smaller)
    or of the given list of sizes, which must add up to the size of ``dim``.

    >>> import mytorch
    >>> [p.shape for p in mytorch.zeros(5, 2).split(2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    axis = _split_dim("split", x, dim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise ShapeError(
                f"split: split_size must be positive (0 only for an empty dimension), got "
                f"{size} for dimension {axis} of shape {x.shape}"
            )
        if n == 0:
            sizes = [0]  # one empty piece, as PyTorch
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: split sizes {sizes} must be non-negative and sum to {n}, the size of "
                f"dimension {axis} of shape {x.shape}"
            )
    return Split.apply(x, tuple(sizes), axis)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` (PyTorch's rule: there may be fewer).

    >>> import mytorch
    >>> len(mytorch.zeros(6).chunk(4))      # pieces of 2: only 3 of them
    3
    """
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be greater than 0, got {chunks} (shape {x.shape})")
    axis = _split_dim("chunk", x, dim)
    n = x.shape[axis]
    if n == 0:
        return Split.apply(x, (0,) * chunks, axis)
    return split(x, -(-n // chunks), axis)


class Flip(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.flip(x._data, dims).copy()  # a copy, as PyTorch's (NumPy's is a view of x)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return Flip.apply(gy, ctx.dims), None


def flip(x: Tensor, dims: int | Sequence[int]) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    axes = wrap_dims("flip", dims, x.shape)
    return Flip.apply(x, axes if x.ndim else ())


class Roll(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, shifts: tuple[int, ...], dims: tuple[int, ...] | None
                ) -> np.ndarray:
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x._data, shifts, dims)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        return Roll.apply(gy, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(x: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements cyclically by ``shifts[i]`` along ``dims[i]``; without dims, the
    flattened tensor is rolled and the shape restored.
    """
    shift = _int_tuple(shifts)
    if dims is None:
        if len(shift) != 1:
            raise ShapeError(f"roll: without dims, shifts must be one int, got {shifts}")
        return Roll.apply(x, shift, None)
    axes = tuple(wrap_dim("roll", d, x.shape) for d in _int_tuple(dims))
    if len(shift) != len(axes):
        raise ShapeError(
            f"roll: shifts {shifts} and dims {dims} must have the same length (shape {x.shape})"
        )
    return Roll.apply(x, shift, axes if x.ndim else None)


class Pad(Function):
    """Pad (or crop, for negative amounts) every dim by ``pads``; see ``kernels.padding``."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, pads: tuple[tuple[int, int], ...], mode: str,
                value: float) -> np.ndarray:
        ctx.pads, ctx.mode, ctx.input_shape = pads, mode, x.shape
        return _padding.pad(x._data, pads, mode, value)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        return PadAdjoint.apply(gy, ctx.pads, ctx.mode, ctx.input_shape), None, None, None


class PadAdjoint(Function):
    """The gradient of ``Pad``: crop the interior and scatter-add the border onto the
    positions it copied; its own gradient is ``Pad`` again (so second order works)."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, pads: tuple[tuple[int, int], ...], mode: str,
                shape: tuple[int, ...]) -> np.ndarray:
        ctx.pads, ctx.mode = pads, mode
        return _padding.pad_adjoint(g._data, pads, mode, shape)

    @staticmethod
    def backward(ctx: Node, gg: Tensor) -> tuple[Tensor, None, None, None]:
        return Pad.apply(gg, ctx.pads, ctx.mode, 0), None, None, None


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims of ``x`` (PyTorch's ``F.pad``).

    Args:
        x: the tensor.
        pad: amounts from the last dim backwards: ``(left, right)`` pads the last
            dim, ``(left, right, top, bottom)`` the last two, and so on. Negative
            amounts crop.
        mode: 'constant' (fill with ``value``), 'reflect' (mirror, edge not
            repeated; amounts < the dim's size), 'replicate' (repeat the edge) or
            'circular' (wrap around; amounts <= the dim's size).
        value: the fill of 'constant' mode (default 0).

    Shape:
        (..., n) with pad (l, r) -> (..., l + n + r)

    >>> import mytorch
    >>> pad(mytorch.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    amounts = _int_tuple(pad)
    if len(amounts) % 2:
        raise ShapeError(f"pad: padding length must be divisible by 2, got pad {amounts}")
    k = len(amounts) // 2
    if k > x.ndim:
        raise ShapeError(
            f"pad: pad {amounts} pads {k} dims but the tensor of shape {x.shape} has {x.ndim}"
        )
    if mode not in _padding.MODES:
        raise ValueError(f"pad: unknown padding mode {mode!r}; expected one of {_padding.MODES}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take a value (got {value})")
    # (left, right, top, bottom) -> ((0, 0), ..., (top, bottom), (left, right)): first dim first
    pads = ((0, 0),) * (x.ndim - k) + tuple(
        (amounts[2 * i], amounts[2 * i + 1]) for i in reversed(range(k))
    )
    for n, (before, after) in zip(x.shape, pads):
        if before or after:
            _check_pad(amounts, mode, x.shape, n, before, after)
    return Pad.apply(x, pads, mode, 0 if value is None else value)


def _check_pad(amounts: tuple[int, ...], mode: str, shape: tuple[int, ...], n: int,
               before: int, after: int) -> None:
    """Raise ValueError unless a dim of size ``n`` can be padded by ``(before, after)``."""
    kept = n + min(before, 0) + min(after, 0)  # what is left after cropping
    if kept < 0:
        problem = "crops more than the size of a dim"
    elif mode == "reflect" and max(before, after) >= n:
        problem = "reflect padding must be less than the size of the padded dim"
    elif mode == "circular" and max(before, after) > kept:
        problem = "circular padding must be at most the size of the (cropped) padded dim"
    elif mode == "replicate" and n == 0:
        problem = "replicate padding needs a non-empty padded dim"
    else:
        return
    raise ShapeError(f"pad: pad {amounts} {problem} (mode {mode!r}, tensor of shape {shape})")
