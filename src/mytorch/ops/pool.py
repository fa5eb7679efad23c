"""Pooling: max, average, adaptive average/max, and max unpooling, in 1-D and 2-D.

Each op works on (N, C, *L) or unbatched (C, *L) input, like PyTorch; the
kernels in ``mytorch.kernels.pool`` carry any leading axes along.

Every pooling is linear in its input once the windows (and, for max, the
winners) are fixed, so the ops come in adjoint pairs whose backwards call
each other, and every gradient can be differentiated again:

    WindowSum     <->  WindowScatter   avg pooling (sum / divisor), and the gather /
                                       scatter of max pooling's winners
    GatherFlat    <->  ScatterFlat     by flat index: adaptive max, max unpooling
    AxisMaps      <->  AxisMaps^T      a matrix per spatial axis: adaptive average
                                       (``ops.resample``'s op, as interpolation is)

The windows are a ``kernels.windows.Windows``, the geometry convolution uses too.

``MaxPool`` and ``AdaptiveMaxPool`` find the winners; their backward is the
scatter of the gradient to them. ``MaxUnpool`` writes values at indices; its
backward gathers from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase, is_tensor
from mytorch.kernels import pool as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.kernels.windows import Windows, ntuple
from mytorch.ops._checks import require_float
from mytorch.ops.resample import AxisMaps

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d", "max_unpool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
]

_LAYOUTS = {1: ("(C, L)", "(N, C, L)"), 2: ("(C, H, W)", "(N, C, H, W)")}


# -- argument checking -------------------------------------------------------------------
def _check_input(op: str, x: Any, nd: int) -> None:
    """A floating Tensor of nd+1 (unbatched) or nd+2 dims, empty in the batch dim only."""
    if not is_tensor(x):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    require_float(op, x)
    unbatched, batched = _LAYOUTS[nd]
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"{op}: expected a {nd + 1}-D {unbatched} or {nd + 2}-D {batched} input, "
            f"got shape {x.shape}"
        )
    if 0 in x.shape[-nd - 1:]:
        raise ShapeError(
            f"{op}: expected non-zero channel and spatial sizes (only the batch may be empty), "
            f"got shape {x.shape}"
        )


def window_args(op: str, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any
                ) -> tuple[tuple[int, ...], ...]:
    """A window pooling's kernel_size, stride, padding, dilation as nd ints each, checked.

    The checks PyTorch makes: kernel, stride and dilation positive, padding
    non-negative and at most half the kernel. The pooling layers call this
    when built, so that a bad window fails there and not at the first forward.
    """
    K = ntuple(kernel_size, nd, "kernel_size", op)
    s = K if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else ntuple(stride, nd, "stride", op)
    p, d = ntuple(padding, nd, "padding", op), ntuple(dilation, nd, "dilation", op)
    for name, values in (("kernel_size", K), ("stride", s), ("dilation", d)):
        if min(values) <= 0:
            raise ShapeError(f"{op}: {name} must be greater than zero, got {values}")
    if min(p) < 0:
        raise ShapeError(f"{op}: padding must be non-negative, got {p}")
    if any(pi > ki // 2 for pi, ki in zip(p, K)):
        raise ShapeError(
            f"{op}: padding should be at most half of kernel_size, got padding={p} and "
            f"kernel_size={K}"
        )
    return K, s, p, d


def _windows(op: str, x: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any,
             dilation: Any, ceil_mode: bool) -> Windows:
    """Check a window pooling's arguments the way PyTorch does and return its geometry."""
    _check_input(op, x, nd)
    K, s, p, d = window_args(op, nd, kernel_size, stride, padding, dilation)
    win = Windows(x.shape[-nd:], K, s, p, d, ceil_mode)
    if min(win.out) < 1:
        raise ShapeError(
            f"{op}: input of shape {x.shape} is too small for kernel_size={K}, stride={s}, "
            f"padding={p}, dilation={d}: the output size would be {win.out}"
        )
    return win


def _adaptive_size(op: str, x: Any, nd: int, output_size: Any) -> tuple[int, ...]:
    """output_size as nd ints; None entries keep the input's size."""
    _check_input(op, x, nd)
    items = list(output_size) if isinstance(output_size, (tuple, list)) else [output_size] * nd
    if not all(v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))
               for v in items):
        raise TypeError(
            f"{op}: output_size must be an int or a tuple of ints (or None), got {output_size!r}"
        )
    if len(items) != nd:
        raise ShapeError(f"{op}: output_size must have {nd} elements, got {output_size!r}")
    out = tuple(L if v is None else int(v) for v, L in zip(items, x.shape[-nd:]))
    if min(out) < 0:
        raise ShapeError(f"{op}: output_size must be non-negative, got {out}")
    return out


# -- sums over windows, the gather of max pooling's winners, and their adjoint -----------
class WindowSum(Function):
    """y[o] = (sum over the window of o of x) / divisor[o]; with ``arg``, the winner only.

    x (*lead, *L) -> (*lead, *OUT). Average pooling is this with PyTorch's
    divisor; with a max pool's ``arg`` and no divisor it gathers the winners.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, win: Windows, arg: np.ndarray | None,
                divisor: np.ndarray | None) -> np.ndarray:
        ctx.win, ctx.arg, ctx.divisor = win, arg, divisor
        return kernels.window_sum(x._data, win, arg, divisor)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        return WindowScatter.apply(gy, ctx.win, ctx.arg, ctx.divisor), None, None, None


class WindowScatter(Function):
    """The adjoint of ``WindowSum``: g (*lead, *OUT) -> (*lead, *L).

    Every input position receives g[o] / divisor[o] from each window o that
    contains it (with ``arg``: that it won).
    """

    @staticmethod
    def forward(ctx: Node, g: Tensor, win: Windows, arg: np.ndarray | None,
                divisor: np.ndarray | None) -> np.ndarray:
        ctx.win, ctx.arg, ctx.divisor = win, arg, divisor
        return kernels.window_scatter(g._data, win, arg, divisor)

    @staticmethod
    def backward(ctx: Node, ggx: Tensor) -> tuple[Tensor, None, None, None]:
        return WindowSum.apply(ggx, ctx.win, ctx.arg, ctx.divisor), None, None, None


# -- max pooling -------------------------------------------------------------------------
class MaxPool(Function):
    """y[o] = max over the -inf-padded window of o; the winners are kept for backward.

    x (*lead, *L) -> y (*lead, *OUT), and PyTorch's indices when asked for.
    The gradient goes to each window's winner (first maximum, last NaN):
    ``WindowScatter`` with the winners, whose own backward gathers from them.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, win: Windows,
                return_indices: bool) -> np.ndarray | tuple[np.ndarray, Tensor]:
        y, arg = kernels.max_pool(x._data, win)
        assert arg is not None
        ctx.win, ctx.arg = win, arg
        if not return_indices:
            return y
        indices = TensorBase._make(kernels.winner_index(arg, win))
        ctx.mark_non_differentiable(indices)
        return y, indices

    @staticmethod
    def backward(ctx: Node, gy: Tensor, *_: Any) -> tuple[Tensor, None, None]:
        return WindowScatter.apply(gy, ctx.win, ctx.arg, None), None, None


def _max_pool(op: str, nd: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    win = _windows(op, input, nd, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and not (grad_mode.is_grad_enabled() and input.requires_grad):
        # nothing will ask for the winners (inference): the maximum alone is cheaper
        return TensorBase._make(kernels.max_pool(input._data, win, winners=False)[0])
    return MaxPool.apply(input, win, bool(return_indices))


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-D max pooling over (N, C, L) or (C, L) input; the padding is -inf, never zero.

    Args:
        input: (N, C, L) or (C, L), floating point.
        kernel_size: the window length k.
        stride: the step s between windows (default: kernel_size).
        padding: p, added on both sides, at most k // 2.
        dilation: d, the step between the elements of a window.
        ceil_mode: use the ceiling in the output size, keeping a last partial
            window if it starts inside the input or the left padding.
        return_indices: also return each maximum's index along L (for ``max_unpool1d``).

    Shape:
        (N, C, L) -> (N, C, OL) with ``OL = floor((L + 2p - d(k-1) - 1) / s) + 1``.

    >>> import mytorch
    >>> max_pool1d(mytorch.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling over (N, C, H, W) or (C, H, W) input; the padding is -inf, never zero.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        kernel_size: (KH, KW) or one int for both.
        stride: (sH, sW) or one int (default: kernel_size).
        padding: (pH, pW) or one int, at most half the kernel size.
        dilation: (dH, dW) or one int, the step between the elements of a window.
        ceil_mode: use the ceiling in the output size (see ``max_pool1d``).
        return_indices: also return each maximum's flat index ``h * W + w`` in
            its (H, W) plane, as PyTorch (for ``max_unpool2d``).

    Shape:
        (N, C, H, W) -> (N, C, OH, OW) with
        ``OH = floor((H + 2 pH - dH (KH - 1) - 1) / sH) + 1``, OW alike.

    >>> import mytorch
    >>> x = mytorch.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


# -- average pooling ---------------------------------------------------------------------
def _avg_pool(op: str, nd: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    win = _windows(op, input, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise ShapeError(f"{op}: divisor_override must not be zero")
    divisor = kernels.avg_divisor(win, count_include_pad, divisor_override)
    return WindowSum.apply(input, win, None, divisor.astype(input.dtype))


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L) input (zero padding).

    Args:
        input: (N, C, L) or (C, L), floating point.
        kernel_size: the window length k.
        stride: s (default: kernel_size).
        padding: p zeros on both sides, at most k // 2.
        ceil_mode: use the ceiling in the output size; the last window may then
            reach past the padding, and its divisor counts only up to ``L + p``.
        count_include_pad: divide by the window length including padding (else
            by the number of input elements in the window).
        divisor_override: divide every window sum by this instead (not 0). An
            extension: PyTorch has it for ``avg_pool2d`` only; this equals
            ``avg_pool2d`` over a height-1 window.

    Shape:
        (N, C, L) -> (N, C, OL) with ``OL = floor((L + 2p - k) / s) + 1``.

    >>> import mytorch
    >>> avg_pool1d(mytorch.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W) input (zero padding).

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        kernel_size, stride, padding: as for ``max_pool2d`` (no dilation).
        ceil_mode, count_include_pad: as for ``avg_pool1d``, per axis; the
            divisor of a window is the product of its lengths along H and W.
        divisor_override: divide every window sum by this instead (not 0).

    Shape:
        (N, C, H, W) -> (N, C, OH, OW) with ``OH = floor((H + 2 pH - KH) / sH) + 1``, OW alike.

    >>> import mytorch
    >>> avg_pool2d(mytorch.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# -- a matrix per axis: adaptive average pooling --------------------------------------
def _adaptive_avg_pool(op: str, nd: int, input: Tensor, output_size: Any) -> Tensor:
    out = _adaptive_size(op, input, nd, output_size)
    maps = tuple(kernels.adaptive_avg_matrix(L, o, input.dtype)
                 for L, o in zip(input.shape[-nd:], out))
    return AxisMaps.apply(input, maps)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output length, over (N, C, L) or (C, L) input.

    Output i averages input positions ``floor(i L / OL) <= l < ceil((i + 1) L / OL)``:
    windows of unequal length when OL does not divide L, overlapping when OL > L.

    Args:
        input: (N, C, L) or (C, L), floating point.
        output_size: OL (None keeps L).

    Shape:
        (N, C, L) -> (N, C, OL)

    >>> import mytorch
    >>> adaptive_avg_pool1d(mytorch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (OH, OW), over (N, C, H, W) or (C, H, W) input.

    Along each axis, the windows of ``adaptive_avg_pool1d``.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        output_size: (OH, OW) or one int for both; a None entry keeps that size.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW)

    >>> import mytorch
    >>> adaptive_avg_pool2d(mytorch.ones(2, 3, 7, 5), (2, None)).shape
    (2, 3, 2, 5)
    """
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


# -- gather and scatter by flat index: adaptive max pooling, max unpooling ---------------
class GatherFlat(Function):
    """y[..., o] = x[..., index[..., o]] within each spatial plane: (*lead, *L) -> index's shape."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, index: np.ndarray, nd: int) -> np.ndarray:
        ctx.index, ctx.size = index, x.shape[-nd:]
        return kernels.gather_flat(x._data, index, nd)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        return ScatterFlat.apply(gy, ctx.index, ctx.size), None, None


class ScatterFlat(Function):
    """The adjoint of ``GatherFlat``: zeros (*lead, *size) plus g[..., o] at ``index[..., o]``."""

    @staticmethod
    def forward(ctx: Node, g: Tensor, index: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
        ctx.index, ctx.nd = index, len(size)
        return kernels.scatter_add_flat(g._data, index, size)

    @staticmethod
    def backward(ctx: Node, ggx: Tensor) -> tuple[Tensor, None, None]:
        return GatherFlat.apply(ggx, ctx.index, ctx.nd), None, None


class AdaptiveMaxPool(Function):
    """y[o] = max over the adaptive window of o; the gradient goes to the winner.

    x (*lead, *L) -> y (*lead, *OUT), and the winners' flat indices when asked for.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, out: tuple[int, ...],
                return_indices: bool) -> np.ndarray | tuple[np.ndarray, Tensor]:
        y, index = kernels.adaptive_max_pool(x._data, out)
        ctx.index, ctx.size = index, x.shape[-len(out):]
        if not return_indices:
            return y
        indices = TensorBase._make(index)
        ctx.mark_non_differentiable(indices)
        return y, indices

    @staticmethod
    def backward(ctx: Node, gy: Tensor, *_: Any) -> tuple[Tensor, None, None]:
        return ScatterFlat.apply(gy, ctx.index, ctx.size), None, None


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output length, over (N, C, L) or (C, L) input.

    The windows are those of ``adaptive_avg_pool1d``.

    Args:
        input: (N, C, L) or (C, L), floating point.
        output_size: OL (None keeps L).
        return_indices: also return each maximum's index along L.

    Shape:
        (N, C, L) -> (N, C, OL)

    >>> import mytorch
    >>> adaptive_max_pool1d(mytorch.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2)
    tensor([[[5., 4.]]])
    """
    out = _adaptive_size("adaptive_max_pool1d", input, 1, output_size)
    return AdaptiveMaxPool.apply(input, out, bool(return_indices))


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed (OH, OW), over (N, C, H, W) or (C, H, W) input.

    Args:
        input: (N, C, H, W) or (C, H, W), floating point.
        output_size: (OH, OW) or one int for both; a None entry keeps that size.
        return_indices: also return each maximum's flat index ``h * W + w``.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW)

    >>> import mytorch
    >>> adaptive_max_pool2d(mytorch.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[15.]]]])
    """
    out = _adaptive_size("adaptive_max_pool2d", input, 2, output_size)
    return AdaptiveMaxPool.apply(input, out, bool(return_indices))


# -- max unpooling -----------------------------------------------------------------------
class MaxUnpool(Function):
    """Zeros of the output size with x[..., o] written at ``index[..., o]`` of its plane.

    x (*lead, *L) -> (*lead, *size). The backward reads the gradient back at
    the same indices (``GatherFlat``), as PyTorch does.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, index: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
        ctx.index, ctx.nd = index, len(size)
        return kernels.unpool(x._data, index, size)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        return GatherFlat.apply(gy, ctx.index, ctx.nd), None, None


def _max_unpool(op: str, nd: int, input: Tensor, indices: Any, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Tensor:
    _check_input(op, input, nd)
    if not isinstance(indices, TensorBase) or indices.dtype.kind not in "iu":
        kind = indices.dtype if isinstance(indices, TensorBase) else type(indices).__name__
        raise TypeError(f"{op}: indices must be an integer Tensor (int64), got {kind}")
    if indices.shape != input.shape:
        raise ShapeError(
            f"{op}: indices of shape {indices.shape} must have the input's shape {input.shape}"
        )
    K = ntuple(kernel_size, nd, "kernel_size", op)
    s = K if stride is None else ntuple(stride, nd, "stride", op)
    p = ntuple(padding, nd, "padding", op)
    default = tuple((L - 1) * si + ki - 2 * pi
                    for L, ki, si, pi in zip(input.shape[-nd:], K, s, p))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)
        if len(size) == nd + 2:
            size = size[2:]
        if len(size) != nd:
            raise ValueError(
                f"{op}: output_size should have {nd} or {nd + 2} elements, got {output_size!r}"
            )
        for axis, (v, dv, si) in enumerate(zip(size, default, s)):
            if not dv - si < v < dv + si:
                raise ValueError(
                    f"{op}: invalid output_size {tuple(output_size)} for input of shape "
                    f"{input.shape} (dim {axis} must be between {dv - si} and {dv + si}, exclusive)"
                )
    if min(size) < 1:
        raise ShapeError(
            f"{op}: the output size {size} must be positive (input shape {input.shape})"
        )
    index = indices._data.astype(np.int64)  # a copy: backward reads it, whatever happens to indices
    plane = math.prod(size)
    if index.size and (index.min() < 0 or index.max() >= plane):
        bad = index.min() if index.min() < 0 else index.max()
        raise ShapeError(
            f"{op}: found an invalid max index {bad} (the output plane is "
            f"{'x'.join(map(str, size))})"
        )
    return MaxUnpool.apply(input, index, size)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Sequence[int] | None = None) -> Tensor:
    """The partial inverse of ``max_pool1d``: each value back at its index, zeros elsewhere.

    Args:
        input: (N, C, L) or (C, L), the pooled values.
        indices: int64 of input's shape, from ``max_pool1d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the pooling (stride defaults to kernel_size).
        output_size: the length to restore (or (N, C, L)); default ``(L - 1) s - 2p + k``,
            and a given one must lie within ``s - 1`` of it.

    Shape:
        (N, C, L) -> (N, C, OL)

    >>> import mytorch
    >>> y, i = max_pool1d(mytorch.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
    >>> max_unpool1d(y, i, 2)
    tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Sequence[int] | None = None) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value back at its flat index, zeros elsewhere.

    Args:
        input: (N, C, H, W) or (C, H, W), the pooled values.
        indices: int64 of input's shape, from ``max_pool2d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the pooling (stride defaults to kernel_size).
        output_size: (OH, OW) or (N, C, OH, OW); default ``(H - 1) sH - 2 pH + KH`` (OW
            alike), and a given size must lie within ``s - 1`` of it.

    Shape:
        (N, C, H, W) -> (N, C, OH, OW)

    >>> import mytorch
    >>> y, i = max_pool2d(mytorch.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(y, i, 2)[0, 0, 1]
    tensor([0., 5., 0., 7.])
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)
