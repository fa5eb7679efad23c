"""Pooling and resampling on plain arrays: windows, running maxima, and linear maps per axis.

The spatial axes are the trailing ones; every leading axis (batch, channels,
or channels alone for unbatched input) is carried along untouched. Letters:

    x     (*lead, *L)     input, spatial sizes L = (H, W) in 2-D
    y     (*lead, *OUT)   output
    K, s, p, d            kernel size, stride, padding, dilation (one int per spatial axis)

Window pooling (max and average) reads the input through the window view of
``kernels.conv``: for each kernel offset ``k`` the view gives the strided slice
``x_pad[..., k*d :: s]`` of the padded input, of the output's shape, so a pool
is a loop over the ``prod(K)`` kernel offsets, never over pixels. Its adjoint
writes the same strided slices of a zero gradient buffer.

    max pool       y = max_k x_pad[o*s + k*d]          (padded with -inf)
                   arg[o] = the winning k; gx scatters gy to the winners
    avg pool       y = sum_k x_pad[o*s + k*d] / div    (padded with 0)

Adaptive pooling and interpolation are separable: along each spatial axis the
output is a fixed linear combination of the input, an (OUT_i, L_i) matrix, so
``y = M_H @ x @ M_W^T`` in 2-D and the adjoint applies the transposes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mytorch.kernels.conv import _window_view
from mytorch.kernels.padding import pad

__all__ = [
    "pool_output_size", "Windows", "max_pool", "window_sum", "window_scatter", "winner_index",
    "avg_divisor", "adaptive_bounds", "adaptive_max_pool", "adaptive_avg_matrix",
    "gather_flat", "scatter_add_flat", "unpool", "apply_axis_maps", "nearest_matrix",
    "linear_matrix",
]


# -- window geometry ---------------------------------------------------------------------
def pool_output_size(size: int, kernel_size: int, stride: int, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output length of a pooling along one axis, PyTorch's rule.

    ``floor((L + 2p - d(k-1) - 1) / s) + 1``, or with ``ceil_mode`` the ceiling,
    except that the last window must start inside the input or the left padding
    (a window starting in the right padding is dropped).

    >>> pool_output_size(5, 2, 2), pool_output_size(5, 2, 2, ceil_mode=True)
    (2, 3)
    >>> pool_output_size(4, 2, 3, padding=1, ceil_mode=True)  # a 3rd would start at 6 > 4 + 1
    2
    """
    span = size + 2 * padding - dilation * (kernel_size - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


class Windows:
    """Where the pooling windows lie: the geometry forward and backward share.

    Args:
        size: the input's spatial size L.
        kernel_size, stride, padding, dilation: one int per spatial axis.
        ceil_mode: whether a partial window at the end counts (see ``pool_output_size``).

    Attributes:
        out: the output's spatial size OUT.
        pads: ``(before, after)`` per axis: ``p`` before, and after it as much as the
            last window reaches past the input (up to ``p``, or more in ceil mode).
        disjoint: whether no input position lies in two windows
            (``s >= d(k-1) + 1`` on every axis), so a scatter may assign instead of add.
    """

    def __init__(self, size: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int],
                 padding: Sequence[int], dilation: Sequence[int], ceil_mode: bool = False) -> None:
        self.size, self.kernel = tuple(size), tuple(kernel_size)
        self.stride, self.padding, self.dilation = tuple(stride), tuple(padding), tuple(dilation)
        self.out = tuple(
            pool_output_size(*axis, ceil_mode)
            for axis in zip(self.size, self.kernel, self.stride, self.padding, self.dilation)
        )
        self.pads = tuple(
            (p, max(0, (o - 1) * s + d * (k - 1) + 1 - p - L))
            for L, k, s, p, d, o in zip(self.size, self.kernel, self.stride, self.padding,
                                        self.dilation, self.out)
        )
        self.disjoint = all(s >= d * (k - 1) + 1
                            for k, s, d in zip(self.kernel, self.stride, self.dilation))

    @property
    def offsets(self) -> list[tuple[int, ...]]:
        """The kernel offsets k in row-major order (the order PyTorch scans a window in)."""
        return list(np.ndindex(*self.kernel))

    def index(self, k: tuple[int, ...]) -> tuple[Any, ...]:
        """The index of what offset ``k`` reads in a padded (*lead, *Lp) array.

        ``k*d, k*d + s, ...`` along each spatial axis: a strided view of shape
        (*lead, *OUT), the window view's offset k as plain slices, which unlike
        that read-only view can be written (the adjoints scatter through it).
        """
        return (Ellipsis,) + tuple(slice(ki * d, ki * d + s * (o - 1) + 1, s)
                                   for ki, d, s, o in zip(k, self.dilation, self.stride, self.out))

    def past_left_padding(self, k: tuple[int, ...]) -> np.ndarray:
        """OUT-shaped mask: where offset ``k`` reads at or after the input's start on every axis.

        PyTorch starts its scan of a window at the first such offset.
        """
        mask = np.ones((1,) * len(self.out), dtype=bool)
        for axis, (ki, s, p, d, o) in enumerate(
                zip(k, self.stride, self.padding, self.dilation, self.out)):
            shape = [1] * len(self.out)
            shape[axis] = o
            mask = mask & (np.arange(o) * s + ki * d - p >= 0).reshape(shape)  # broadcasts up
        return mask


def _padded(x: np.ndarray, win: Windows, value: float) -> np.ndarray:
    """x (*lead, *L) padded by ``win.pads`` with ``value`` (x itself when nothing is padded)."""
    if not any(b or a for b, a in win.pads):
        return x
    lead = [(0, 0)] * (x.ndim - len(win.size))
    return pad(x, lead + list(win.pads), "constant", value)


def _offset_views(x: np.ndarray, win: Windows, value: float) -> Callable[[int], np.ndarray]:
    """A function k -> the read-only slice (*lead, *OUT) of the padded input at offset k."""
    x_pad = _padded(x, win, value)
    nd = len(win.size)
    lead = x.shape[:-nd]
    # (*lead, *Lp) -> (B, 1, *Lp): the (N, C, ...) layout of the window view, a free reshape
    view = _window_view(x_pad.reshape(-1, 1, *x_pad.shape[-nd:]), win.kernel, win.out,
                        win.stride, win.dilation)  # (B, 1, *K, *OUT)
    offsets = win.offsets
    return lambda i: view[(slice(None), 0) + offsets[i]].reshape(*lead, *win.out)


# -- max pooling -------------------------------------------------------------------------
def max_pool(x: np.ndarray, win: Windows,
             winners: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Max pooling over -inf padding: x (*lead, *L) -> y, arg (*lead, *OUT).

    A running maximum over the kernel offsets; ``arg`` holds the row-major
    number of the winning offset (uint8 for kernels of up to 256 elements), which
    is all the backward needs (``window_scatter(gy, win, arg)``). Without
    ``winners`` (inference) ``arg`` is None and each offset costs one pass.

    The winner is PyTorch's: its scan of a window starts at the first position
    past the left padding and keeps ``val > max or isnan(val)``, so the first
    maximum wins ties and the last NaN wins over everything.
    """
    views = _offset_views(x, win, -np.inf)
    count = len(win.offsets)
    y = views(0).copy()
    if not winners:
        for k in range(1, count):
            np.maximum(y, views(k), out=y)  # propagates NaN, as PyTorch
        return y, None
    arg = np.zeros(y.shape, dtype=np.min_scalar_type(count - 1))
    better = np.empty(y.shape, dtype=bool)
    for k in range(1, count):
        v = views(k)
        np.greater(v, y, out=better)
        np.maximum(y, v, out=y)
        # k only grows, so "k where better, else arg" is a running maximum
        np.maximum(arg, better * arg.dtype.type(k), out=arg)
    special = ~(y > -np.inf)
    if special.any():
        _pick_like_torch(views, win, special, arg)
    return y, arg


def _pick_like_torch(views: Callable[[int], np.ndarray], win: Windows, special: np.ndarray,
                     arg: np.ndarray) -> None:
    """Redo ``arg`` where a window's maximum is NaN or -inf (rare), PyTorch's way, in place.

    A NaN window points at its last NaN; a window of nothing but -inf at the
    first offset past the left padding (the start of PyTorch's scan, even
    when that lies past the input's end, for a window of padding only).
    """
    started = np.zeros(special.shape, dtype=bool)
    for k, offset in enumerate(win.offsets):
        first = special & ~started & win.past_left_padding(offset)
        arg[first | (special & np.isnan(views(k)))] = k
        started |= first


def winner_index(arg: np.ndarray, win: Windows) -> np.ndarray:
    """PyTorch's max-pool indices: the winner's flat position in the input's spatial plane.

    arg (*lead, *OUT) -> int64 (*lead, *OUT) with values ``sum_i pos_i * prod(L[i+1:])``
    where ``pos_i = o_i * s_i - p_i + k_i * d_i``.
    """
    k = np.unravel_index(arg, win.kernel)  # the winning offset, one array per axis
    flat = np.zeros(arg.shape, dtype=np.int64)
    nd = len(win.size)
    for axis, (L, s, p, d, o) in enumerate(
            zip(win.size, win.stride, win.padding, win.dilation, win.out)):
        grid = np.arange(o).reshape((o,) + (1,) * (nd - 1 - axis))  # o_i along its own axis
        flat = flat * L + (grid * s - p + k[axis] * d)
    return flat


# -- sums over windows and their adjoint ------------------------------------------------
def window_sum(x: np.ndarray, win: Windows, arg: np.ndarray | None = None) -> np.ndarray:
    """y[o] = sum over the window of o of x_pad (zero padding): x (*lead, *L) -> (*lead, *OUT).

    With ``arg`` only the winner of each window counts: y[o] = x_pad[window(o)][arg[o]],
    the gather that is the adjoint of max pooling's scatter.
    """
    views = _offset_views(x, win, 0.0)
    y = views(0).copy() if arg is None else views(0) * (arg == 0)
    for k in range(1, len(win.offsets)):
        y += views(k) if arg is None else views(k) * (arg == k)
    return y


def window_scatter(g: np.ndarray, win: Windows, arg: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``window_sum``: g (*lead, *OUT) -> gx (*lead, *L).

    Each input position receives the sum of ``g`` over the windows containing
    it (with ``arg``: over the windows it won). One strided write per kernel
    offset into a zero buffer of the padded shape; disjoint windows assign
    (no read-modify-write), overlapping ones accumulate.
    """
    nd = len(win.size)
    lead = g.shape[:-nd]
    padded = tuple(L + b + a for L, (b, a) in zip(win.size, win.pads))
    gx = np.zeros(lead + padded, dtype=g.dtype)
    mask = np.empty(g.shape, dtype=bool)  # where offset i won, when arg is given
    for i, k in enumerate(win.offsets):
        target = gx[win.index(k)]  # (*lead, *OUT), a strided view
        if arg is None:
            if win.disjoint:
                target[...] = g
            else:
                target += g
        else:
            np.equal(arg, i, out=mask)
            if win.disjoint:
                np.multiply(g, mask, out=target)
            else:
                target += g * mask
    if padded == win.size:
        return gx
    return pad(gx, [(0, 0)] * len(lead) + [(-b, -a) for b, a in win.pads], "constant", 0)


def avg_divisor(win: Windows, count_include_pad: bool = True,
                divisor_override: int | None = None) -> np.ndarray:
    """The OUT-shaped divisor of average pooling, PyTorch's rule (float64).

    A window clipped to [-p, L + p) counts its length there when
    ``count_include_pad``, else its length inside [0, L); the count is a
    product over axes. ``divisor_override`` replaces it everywhere.
    """
    if divisor_override is not None:
        return np.full(win.out, float(divisor_override))
    divisor = np.ones(())
    for L, k, s, p, o in zip(win.size, win.kernel, win.stride, win.padding, win.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, L + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, L)
        divisor = np.multiply.outer(divisor, end - start)  # grows one axis per spatial dim
    return divisor.astype(np.float64)


# -- adaptive pooling --------------------------------------------------------------------
def adaptive_bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """The windows of adaptive pooling along one axis, as (start, end) arrays.

    ``start = floor(i L / out)`` and ``end = ceil((i + 1) L / out)``.

    >>> [a.tolist() for a in adaptive_bounds(5, 3)]
    [[0, 1, 3], [2, 4, 5]]
    """
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def adaptive_avg_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """The (out, size) matrix of adaptive average pooling along one axis: 1/len in each window."""
    start, end = adaptive_bounds(size, out)
    position = np.arange(size)
    inside = (position >= start[:, None]) & (position < end[:, None])  # (out, size)
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_max_pool(x: np.ndarray, out: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive max pooling: x (*lead, *L) -> y, index (*lead, *OUT), index as ``winner_index``.

    Every window is read as if it had the longest window's length, a shorter
    one repeating its last position (a repeat changes neither the maximum nor
    where it first occurs). So one gather makes all candidates,
    (*lead, prod(OUT), prod(Kmax)), and one argmax finds each window's first
    maximum, PyTorch's winner; a window holding NaN takes its last NaN instead.
    """
    nd = len(out)
    size, lead = x.shape[-nd:], x.shape[:-nd]
    if 0 in out:
        empty = np.zeros(lead + tuple(out))
        return empty.astype(x.dtype), empty.astype(np.int64)
    # flat positions (*OUT, *Kmax) of the candidates, one axis at a time (row-major Horner)
    flat = np.zeros((1,) * (2 * nd), dtype=np.int64)
    for axis, (L, o) in enumerate(zip(size, out)):
        start, end = adaptive_bounds(L, o)
        position = np.minimum(start[:, None] + np.arange((end - start).max()), end[:, None] - 1)
        shape = [1] * (2 * nd)
        shape[axis], shape[nd + axis] = position.shape  # (OUT_i, Kmax_i) on axes i and nd + i
        flat = flat * L + position.reshape(shape)
    P = math.prod(out)
    flat = flat.reshape(P, -1)                                              # (P, prod(Kmax))
    # (*lead, prod(L)) gathered at (P, prod(Kmax)) -> (*lead, P, prod(Kmax))
    candidates = np.take(x.reshape(*lead, math.prod(size)), flat, axis=-1)
    k = candidates.argmax(axis=-1)                                          # (*lead, P)
    y = np.take_along_axis(candidates, k[..., None], axis=-1)[..., 0]
    nan = np.isnan(y)
    if nan.any():  # argmax took the first NaN; PyTorch keeps the last
        k[nan] = flat.shape[1] - 1 - np.isnan(candidates[nan][:, ::-1]).argmax(axis=-1)
    index = flat[np.arange(P), k]                                           # (*lead, P)
    return y.reshape(*lead, *out), index.reshape(*lead, *out)


# -- gather and scatter by flat index (adaptive max backward, max unpooling) -------------
def gather_flat(x: np.ndarray, index: np.ndarray, nd: int) -> np.ndarray:
    """y[..., o] = x[..., index[..., o]] over the spatial plane: x (*lead, *L) -> index's shape."""
    plane = x.reshape(*x.shape[:-nd], math.prod(x.shape[-nd:]))          # (*lead, prod(L))
    wanted = index.reshape(*index.shape[:-nd], math.prod(index.shape[-nd:]))  # (*lead, prod(OUT))
    return np.take_along_axis(plane, wanted, axis=-1).reshape(index.shape)


def scatter_add_flat(g: np.ndarray, index: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """The adjoint of ``gather_flat``: g (*lead, *OUT) -> (*lead, *size), repeats summed.

    One ``bincount`` over (plane, position) pairs numbered ``plane * P + position``.
    """
    nd = len(size)
    lead, P = g.shape[:-nd], math.prod(size)
    rows = math.prod(lead)
    # (rows, prod(OUT)): each plane's positions shifted into a range of their own
    numbered = index.reshape(rows, math.prod(g.shape[-nd:])) + np.arange(rows)[:, None] * P
    summed = np.bincount(numbered.ravel(), weights=g.reshape(-1), minlength=rows * P)
    return summed.astype(g.dtype, copy=False).reshape(*lead, *size)


def unpool(x: np.ndarray, index: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Max unpooling: zeros (*lead, *size), x written at ``index`` (a repeated index keeps one)."""
    nd = len(size)
    out = np.zeros(x.shape[:-nd] + tuple(size), dtype=x.dtype)
    plane = out.reshape(*out.shape[:-nd], math.prod(size))       # (*lead, prod(size)), a view
    count = math.prod(x.shape[-nd:])
    np.put_along_axis(plane, index.reshape(*index.shape[:-nd], count),
                      x.reshape(*x.shape[:-nd], count), axis=-1)
    return out


# -- linear maps per axis (adaptive average pooling, interpolation) ---------------------
def apply_axis_maps(x: np.ndarray, maps: Sequence[np.ndarray]) -> np.ndarray:
    """Apply ``maps[i]``, an (OUT_i, L_i) matrix, along trailing axis i.

    x (*lead, *L) -> (*lead, *OUT).

    The transposed maps give the adjoint. Each axis is one matrix product on
    a free reshape: the last axis as ``(B, L) @ (L, OUT)``, an inner one as
    ``(OUT, L) @ (B, L, R)`` with R the product of the axes after it.
    """
    nd = len(maps)
    for axis, M in zip(range(x.ndim - nd, x.ndim), maps):
        before, n, after = x.shape[:axis], x.shape[axis], x.shape[axis + 1:]
        if not after:
            x = x @ M.T                                          # (..., L) @ (L, OUT)
        else:
            # (OUT, L) @ (B, L, R) -> (B, OUT, R)
            x = (M @ x.reshape(-1, n, math.prod(after))).reshape(*before, M.shape[0], *after)
    return x


def _source_scale(size: int, out: int, align_corners: bool, scale: float | None,
                  dtype: np.dtype) -> np.floating:
    """PyTorch's input step per output step, in the op's compute dtype.

    ``(L-1)/(OUT-1)`` with aligned corners, else ``1/scale_factor`` when a scale
    factor was given, else ``L/OUT``.
    """
    t = dtype.type
    if align_corners:
        return t(size - 1) / t(out - 1) if out > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(size) / t(out)


def _source_position(step: np.floating, out: int, align_corners: bool,
                     dtype: np.dtype) -> np.ndarray:
    """Where each output position reads the input, PyTorch's rule, in the compute dtype.

    ``i * step`` with aligned corners, else the pixel centre ``(i + 0.5) * step - 0.5``
    clamped at 0. The latter is rounded once, from float64: PyTorch's compiled
    kernels fuse the multiply-add, and float32 results differ in the last bit otherwise.
    """
    i = np.arange(out)
    if align_corners:
        return step * i.astype(dtype)
    centre = (np.float64(step) * (i + 0.5) - 0.5).astype(dtype)
    return np.maximum(centre, 0)


def _floor_index(source: np.ndarray, size: int) -> np.ndarray:
    """min(floorf(source), L - 1): PyTorch floors in float32 whatever the dtype."""
    return np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), size - 1)


def nearest_matrix(size: int, out: int, scale: float | None, exact: bool,
                   dtype: np.dtype) -> np.ndarray:
    """The (out, size) 0/1 matrix of 'nearest' (or 'nearest-exact') interpolation along one axis.

    'nearest' reads input ``floor(i * step)``; 'nearest-exact' reads
    ``floor((i + 0.5) * step)`` (the pixel centre), both clamped to L - 1,
    with ``step`` from ``_source_scale``.
    """
    step = _source_scale(size, out, False, scale, dtype)
    if exact:
        source = _floor_index(_source_position(step, out, False, dtype) + 0.5, size)
    else:
        source = _floor_index(_source_position(step, out, True, dtype), size)
    M = np.zeros((out, size), dtype=dtype)
    M[np.arange(out), source] = 1
    return M


def linear_matrix(size: int, out: int, scale: float | None, align_corners: bool,
                  dtype: np.dtype) -> np.ndarray:
    """The (out, size) matrix of linear interpolation along one axis, PyTorch's rule.

    Output i reads the source position ``src`` of ``_source_position`` and
    mixes inputs ``i0 = floor(src)`` and ``i0 + 1`` (``i0`` again at the last
    input) with weights ``1 - lam`` and ``lam = src - i0``. Equal sizes copy
    straight through.
    """
    if out == size:
        return np.eye(size, dtype=dtype)
    source = _source_position(_source_scale(size, out, align_corners, scale, dtype), out,
                              align_corners, dtype)
    i0 = _floor_index(source, size)
    i1 = i0 + (i0 < size - 1)
    lam = np.clip(source - i0, 0, 1).astype(dtype)
    M = np.zeros((out, size), dtype=dtype)
    rows = np.arange(out)
    M[rows, i0] += 1 - lam
    M[rows, i1] += lam  # rows are distinct in each assignment, so += adds when i1 == i0
    return M
