"""Pooling on plain arrays: windows, running maxima, adaptive windows, flat gathers.

The spatial axes are the trailing ones; every leading axis (batch, channels,
or channels alone for unbatched input) is carried along untouched. Letters:

    x     (*lead, *L)     input, spatial sizes L = (H, W) in 2-D
    y     (*lead, *OUT)   output
    K, s, p, d            kernel size, stride, padding, dilation (one int per spatial axis)

Max pooling reads the input through the window view of ``kernels.windows``
(the one convolution's im2col copies): for each kernel offset ``k`` the view
gives the strided slice ``x_pad[..., k*d :: s]`` of the padded input, of the
output's shape, so a pool is a loop over the ``prod(K)`` kernel offsets, never
over pixels; its gradient goes to the winners' flat positions, one ``np.add.at``
where windows overlap, an assignment where they are disjoint.
Sums over windows (average pooling) and their adjoint go one axis at a time
instead (``_box_sums``, ``_box_spread``): a pass per kernel offset along an
axis. Both work in blocks of planes that stay in cache, on the threads of
``kernels.parallel``. (A 2-D strided view of the output's shape, read in short
rows, ran 1.2-6x slower when the viewed array started on a 64-byte boundary, as
a heap block may: the one-axis passes run the same at any alignment, and max
pooling views a copy at another alignment then, ``_viewing_buffer``.)

    max pool       y = max_k x_pad[o*s + k*d]          (padded with -inf)
                   arg[o] = the winning k; gx scatters gy to the winners
    avg pool       y = sum_k x_pad[o*s + k*d] / div    (padded with 0)

Adaptive average pooling is a matrix per axis (``adaptive_avg_matrix``, applied
by ``kernels.interpolate.apply_axis_maps``); adaptive max pooling and max
unpooling gather and scatter by flat index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mytorch.kernels import parallel
from mytorch.kernels.padding import pad
from mytorch.kernels.windows import Windows

__all__ = [
    "max_pool", "window_sum", "window_scatter", "winner_index", "avg_divisor",
    "adaptive_bounds", "adaptive_max_pool", "adaptive_avg_matrix", "gather_flat",
    "scatter_add_flat", "unpool",
]


def _padded(x: np.ndarray, win: Windows, value: float) -> np.ndarray:
    """x (*lead, *L) padded by ``win.pads`` with ``value`` (x itself when nothing is padded)."""
    if not any(b or a for b, a in win.pads):
        return x
    lead = [(0, 0)] * (x.ndim - len(win.size))
    return pad(x, lead + list(win.pads), "constant", value)


# -- max pooling -------------------------------------------------------------------------
def max_pool(x: np.ndarray, win: Windows,
             winners: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Max pooling over -inf padding: x (*lead, *L) -> y, arg (*lead, *OUT).

    A running maximum over the kernel offsets; ``arg`` holds the row-major
    number of the winning offset (uint8 for kernels of up to 256 elements), which
    is all the backward needs (``window_scatter(gy, win, arg)``). Without
    ``winners`` (inference) ``arg`` is None and each offset costs one pass. The
    planes go in blocks that stay in cache (``_plane_blocks``), on the threads of
    ``kernels.parallel``.

    The winner is PyTorch's: its scan of a window starts at the first position
    past the left padding and keeps ``val > max or isnan(val)``, so the first
    maximum wins ties and the last NaN wins over everything.
    """
    nd = len(win.size)
    lead = x.shape[:-nd]
    planes = math.prod(lead)
    src = x.reshape(planes, *win.size)
    y = np.empty((planes, *win.out), x.dtype)
    arg = np.empty(y.shape, np.min_scalar_type(len(win.offsets) - 1)) if winners else None
    padded = tuple(L + b + a for L, (b, a) in zip(win.size, win.pads))
    interior = (slice(None),) + tuple(slice(b, b + L) for L, (b, _) in zip(win.size, win.pads))

    def run(part: Sequence[slice]) -> list[None]:
        largest = _most_planes(part)
        staged = None  # work buffers of this run
        running = np.empty((largest, *win.out), x.dtype)
        better = np.empty(running.shape, dtype=bool)
        won = np.empty(running.shape, np.uint8 if arg is None else arg.dtype)
        for rows in part:
            n = rows.stop - rows.start
            block = src[rows]
            if padded != win.size or block.ctypes.data % 64 == 0:
                if staged is None:
                    staged = _viewing_buffer((largest, *padded), x.dtype)
                    staged.fill(-np.inf)  # the padding; each block writes the interior
                np.copyto(staged[:n][interior], block)
                block = staged[:n]
            _max_pool_block(block, win, y[rows], None if arg is None else arg[rows],
                            running[:n], better[:n], won[:n])
        return []

    parallel.map_runs(run, _plane_blocks(planes, src[:1].nbytes))
    return y.reshape(lead + win.out), None if arg is None else arg.reshape(lead + win.out)


# Reading a window view (a strided slice per kernel offset) ran 1.2-6x slower when the
# viewed array started on a 64-byte boundary, as heap blocks often do, and never when it
# started 16 bytes past one, as fresh mmap'd arrays do (measured here, AMD EPYC: np.maximum
# of the 2x2 offsets of (2048, 32, 32) float32, 1.1-5.5 ms against 0.9 ms at every output
# alignment; the cause is not pinned down). So max pooling views a copy that starts there
# when its input does not (and always for padding, which needs a copy anyway).
_VIEW_OFFSET = 16  # bytes past a 64-byte boundary


def _viewing_buffer(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An empty C-contiguous array of ``shape`` starting ``_VIEW_OFFSET`` bytes past a
    64-byte boundary."""
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + 64, np.uint8)
    start = (_VIEW_OFFSET - raw.ctypes.data) % 64
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _max_pool_block(x_pad: np.ndarray, win: Windows, y: np.ndarray, arg: np.ndarray | None,
                    running: np.ndarray, better: np.ndarray, won: np.ndarray) -> None:
    """``max_pool`` of padded planes x_pad (n, *Lp) into y and arg (n, *OUT), with work
    buffers of y's shape: ``running`` (y's dtype), ``better`` (bool), ``won`` (arg's dtype)."""
    view = win.view(x_pad)  # (*K, n, *OUT)
    offsets = win.offsets
    count = len(offsets)

    def views(i: int) -> np.ndarray:
        return view[offsets[i]]

    if arg is None:
        np.copyto(y, views(0))
        for k in range(1, count):
            np.maximum(y, views(k), out=y)  # propagates NaN, as PyTorch
        return
    # the maximum so far and the next one swap buffers every offset: start where it ends in y
    current, following = (y, running) if count % 2 else (running, y)
    np.copyto(current, views(0))
    arg.fill(0)
    for k in range(1, count):
        np.maximum(current, views(k), out=following)
        # offset k wins where the maximum moved (v > y): a compare of two dense arrays,
        # cheaper than a second read of the strided view (NaN and -inf windows are redone)
        np.not_equal(following, current, out=better)
        current, following = following, current
        # k only grows, so "k where better, else arg" is a running maximum (and faster
        # than a masked copy, whose branch on a random mask is mispredicted half the time)
        np.maximum(arg, np.multiply(better.view(np.uint8), won.dtype.type(k), out=won), out=arg)
    # one pass: the least maximum is NaN (min propagates it) or -inf where a window is special
    if not y.min(initial=np.inf) > -np.inf:
        _pick_like_torch(views, win, ~(y > -np.inf), arg)


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
    for axis, (L, s, (p, _), d, o) in enumerate(
            zip(win.size, win.stride, win.padding, win.dilation, win.out)):
        grid = np.arange(o).reshape((o,) + (1,) * (nd - 1 - axis))  # o_i along its own axis
        flat = flat * L + (grid * s - p + k[axis] * d)
    return flat


# -- sums over windows, one axis at a time, and their adjoint ----------------------------
# bytes of input planes per block: within one core's L2 cache (1 MiB here), and long ufunc
# calls for the threads of ``kernels.parallel`` (as the blocks of ``kernels.normalization``)
_BLOCK_BYTES = 1024 * 1024

Tap = tuple[slice, slice]  # along one axis: (the outputs, the input positions they read)


def _taps(win: Windows, axis: int) -> list[Tap]:
    """Along spatial axis ``axis``, per kernel offset k that reads any input: the outputs
    [lo, hi) whose window reads inside the input at offset k, and those input positions.

    Output o reads position ``o s + k d - b``; reads in the padding are left out (zeros).
    """
    L, K, s, d, (b, _), O = (win.size[axis], win.kernel[axis], win.stride[axis],
                             win.dilation[axis], win.pads[axis], win.out[axis])
    taps = []
    for k in range(K):
        lo, hi = max(0, -((k * d - b) // s)), min(O, (L - 1 + b - k * d) // s + 1)
        if lo < hi:
            start = lo * s + k * d - b
            taps.append((slice(lo, hi), slice(start, start + (hi - lo - 1) * s + 1, s)))
    return taps


def _axes_to_pass(win: Windows) -> list[int]:
    """The spatial axes whose windows are not one position each (a pass of their own), first
    to last; the last axis where every one is (a copy)."""
    axes = [axis for axis in range(len(win.size))
            if _taps(win, axis) != [(slice(0, win.size[axis]), slice(0, win.size[axis], 1))]]
    return axes or [len(win.size) - 1]


def _along(axis: int, at: Any) -> tuple[Any, ...]:
    """The index of ``at`` along ``axis`` (negative, counted from the end)."""
    return (Ellipsis, at) + (slice(None),) * (-axis - 1)


def _sum_along(a: np.ndarray, axis: int, taps: list[Tap], out: np.ndarray) -> None:
    """out[o] = the sum of a[position] over the taps reading for o, along ``axis``.

    Two taps that every output reads make the first pass (one add), else one such tap
    (a copy), else zeros; the other taps add where they read.
    """
    every = slice(0, out.shape[axis])
    full = [tap for tap in taps if tap[0] == every]
    rest = [tap for tap in taps if tap[0] != every]
    if len(full) >= 2:
        np.add(a[_along(axis, full[0][1])], a[_along(axis, full[1][1])], out=out)
        rest = full[2:] + rest
    elif full:
        np.copyto(out, a[_along(axis, full[0][1])])
    else:
        out.fill(0)
    for outputs, positions in rest:
        part = out[_along(axis, outputs)]
        part += a[_along(axis, positions)]


def _spread_along(g: np.ndarray, axis: int, taps: list[Tap], out: np.ndarray) -> None:
    """The adjoint of ``_sum_along``: out[position] = the sum of g[o] over the taps reading
    ``position`` for o, along ``axis``.

    A tap none of whose positions an earlier one writes also writes (the longest taps
    first); the others add; the positions no tap writes are zeroed first.
    """
    written = np.zeros(out.shape[axis], dtype=bool)
    writes, adds = [], []
    for tap in sorted(taps, key=lambda tap: tap[0].start - tap[0].stop):
        if written[tap[1]].any():
            adds.append(tap)
        else:
            writes.append(tap)
            written[tap[1]] = True
    if not written.all():
        out[_along(axis, np.flatnonzero(~written))] = 0
    for outputs, positions in writes:
        np.copyto(out[_along(axis, positions)], g[_along(axis, outputs)])
    for outputs, positions in adds:
        part = out[_along(axis, positions)]
        part += g[_along(axis, outputs)]


def _plane_blocks(planes: int, plane_bytes: int) -> list[slice]:
    """Slices of the planes (all leading axes in one) holding about ``_BLOCK_BYTES`` each."""
    step = max(1, _BLOCK_BYTES // max(plane_bytes, 1))
    return [slice(start, min(start + step, planes)) for start in range(0, planes, step)]


def _most_planes(part: Sequence[slice]) -> int:
    """The planes in the largest of a run's blocks: what its work buffers must hold."""
    return max((rows.stop - rows.start for rows in part), default=0)


def _box_sums(x: np.ndarray, win: Windows, divisor: np.ndarray | None) -> np.ndarray:
    """``window_sum`` without ``arg``: a sum along one axis at a time, first to last.

    Along an axis, one pass per kernel offset over a strided slice (``_taps``): the last
    axis' passes are long strided loops, every other axis' read whole lines. Each block of
    planes (``_plane_blocks``) goes through all passes while in cache, on the threads of
    ``kernels.parallel``; the sums along the axes before the last go to work buffers.
    """
    nd = len(win.size)
    lead = x.shape[:-nd]
    planes = math.prod(lead)
    src = x.reshape(planes, *win.size)
    y = np.empty((planes, *win.out), x.dtype)
    axes = _axes_to_pass(win)
    taps = [_taps(win, axis) for axis in axes]
    shapes = [tuple(o if axis <= last else L for axis, (L, o) in enumerate(zip(win.size, win.out)))
              for last in axes[:-1]]  # the planes after each pass but the last

    def run(part: Sequence[slice]) -> list[None]:
        largest = _most_planes(part)
        work = [np.empty((largest, *shape), x.dtype) for shape in shapes]
        for rows in part:
            a = src[rows]
            outs = [buffer[:len(a)] for buffer in work] + [y[rows]]
            for axis, axis_taps, out in zip(axes, taps, outs):
                _sum_along(a, axis - nd, axis_taps, out)
                a = out
            if divisor is not None:
                a /= divisor
        return []

    parallel.map_runs(run, _plane_blocks(planes, src[:1].nbytes))
    return y.reshape(lead + win.out)


def _box_spread(g: np.ndarray, win: Windows, divisor: np.ndarray | None) -> np.ndarray:
    """``window_scatter`` without ``arg``: ``_box_sums``' passes transposed, last axis first,
    g divided by ``divisor`` first; in the same blocks."""
    nd = len(win.size)
    lead = g.shape[:-nd]
    planes = math.prod(lead)
    src = g.reshape(planes, *win.out)
    gx = np.empty((planes, *win.size), g.dtype)
    axes = _axes_to_pass(win)[::-1]
    taps = [_taps(win, axis) for axis in axes]
    shapes = [tuple(o if axis < first else L for axis, (L, o) in enumerate(zip(win.size, win.out)))
              for first in axes[:-1]]  # the planes after each pass but the last

    def run(part: Sequence[slice]) -> list[None]:
        largest = _most_planes(part)
        scaled = np.empty((largest, *win.out), g.dtype) if divisor is not None else None
        work = [np.empty((largest, *shape), g.dtype) for shape in shapes]
        for rows in part:
            a = src[rows]
            if divisor is not None and scaled is not None:
                a = np.divide(a, divisor, out=scaled[:len(a)])
            outs = [buffer[:len(a)] for buffer in work] + [gx[rows]]
            for axis, axis_taps, out in zip(axes, taps, outs):
                _spread_along(a, axis - nd, axis_taps, out)
                a = out
        return []

    parallel.map_runs(run, _plane_blocks(planes, gx[:1].nbytes))
    return gx.reshape(lead + win.size)


# -- sums over windows and their adjoint ------------------------------------------------
def window_sum(x: np.ndarray, win: Windows, arg: np.ndarray | None = None,
               divisor: np.ndarray | None = None) -> np.ndarray:
    """y[o] = sum over the window of o of x_pad (zero padding) / divisor[o] (when given):
    x (*lead, *L) -> (*lead, *OUT).

    With ``arg`` only the winner of each window counts: y[o] = x_pad[window(o)][arg[o]],
    the gather that is the adjoint of max pooling's scatter (one ``np.take`` at the
    winners' flat positions). Without, a box sum one axis at a time (``_box_sums``).
    """
    if arg is None:
        return _box_sums(x, win, divisor)
    y = _gather_winners(x, win, arg)
    if divisor is not None:
        y /= divisor
    return y


def window_scatter(g: np.ndarray, win: Windows, arg: np.ndarray | None = None,
                   divisor: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``window_sum``: g (*lead, *OUT) -> gx (*lead, *L).

    Each input position receives the sum of ``g / divisor`` over the windows containing
    it (with ``arg``: over the windows it won). With ``arg``: one ``np.add.at`` of g at
    its winners' flat positions (``_winner_positions``), 2.4x faster than a masked strided
    pass per offset on 3x3 windows at stride 2, as fast on 2x2; without, ``_box_sums``'
    passes transposed (``_box_spread``).
    """
    if arg is None:
        return _box_spread(g, win, divisor)
    return _scatter_to_winners(g if divisor is None else g / divisor, win, arg)


# -- the winners of max pooling by flat position: their gather and its adjoint ----------
def _reaching(win: Windows, axis: int) -> np.ndarray:
    """Along ``axis``, which windows read some input (not padding alone): OUT[axis] bools."""
    reaching = np.zeros(win.out[axis], dtype=bool)
    for outputs, _ in _taps(win, axis):
        reaching[outputs] = True
    return reaching


def _winner_table(win: Windows) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Where the winners lie: (step, start, plane), the plane the input's (L) when every
    window reads some input along every axis, else the padded one (Lp).

    Window o's offset 0 lies at flat position ``start[o] = sum_i (o_i s_i - b_i) * pitch_i``
    of the plane (``b_i`` 0 in the padded one), offset k ``step[k] = sum_i (k_i d_i) *
    pitch_i`` past it. A winner lies in the input unless its window reads padding alone
    (PyTorch's scan starts at the first position past the left padding), so only then do
    the padded planes hold every winner.
    """
    nd = len(win.size)
    inside = all(_reaching(win, axis).all() for axis in range(nd))
    plane = win.size if inside else tuple(L + b + a for L, (b, a) in zip(win.size, win.pads))
    start, step = np.zeros((1,) * nd, np.int64), np.zeros(1, np.int64)
    for axis, (P, s, (b, _), o, K, d) in enumerate(zip(plane, win.stride, win.pads, win.out,
                                                       win.kernel, win.dilation)):
        first = np.arange(o) * s - (b if inside else 0)
        start = start * P + first.reshape((o,) + (1,) * (nd - 1 - axis))
        step = (step[:, None] * P + np.arange(K) * d).ravel()  # row-major, as arg counts
    return step, start.reshape(-1), plane


def _winner_positions(table: tuple[np.ndarray, np.ndarray, tuple[int, ...]],
                      arg: np.ndarray) -> np.ndarray:
    """The flat position of each window's winner in ``_winner_table``'s planes, one after
    another: arg (planes, prod(OUT)) -> int64 (planes, prod(OUT)), a lookup in the
    ``table`` by ``arg`` plus a start per window and per plane."""
    step, start, plane = table
    positions = np.take(step, arg)
    positions += start
    positions += (np.arange(len(arg)) * math.prod(plane))[:, None]
    return positions


def _scatter_to_winners(g: np.ndarray, win: Windows, arg: np.ndarray) -> np.ndarray:
    """``window_scatter`` with ``arg``: g added at its winners, in ``_winner_table``'s planes
    (padded ones, cut to the input, only where a window reads padding alone).

    In blocks of planes (``_plane_blocks``) on the threads of ``kernels.parallel``. One
    ``np.add.at`` per block where windows overlap (a position may win twice); where they
    are disjoint no position wins twice and g is written (an assignment, 2x faster). The
    winner of a window of padding alone (rare) lies in the padding: its g is dropped.
    """
    nd = len(win.size)
    lead = g.shape[:-nd]
    planes = math.prod(lead)
    g_rows = g.reshape(planes, math.prod(win.out))
    arg_rows = arg.reshape(planes, math.prod(win.out))
    gx = np.empty((planes, *win.size), g.dtype)
    table = _winner_table(win)
    padded = table[2] != win.size
    interior = (slice(None),) + tuple(slice(b, b + L) for L, (b, _) in zip(win.size, win.pads))

    def run(part: Sequence[slice]) -> list[None]:
        largest = _most_planes(part)
        work = np.empty((largest, *table[2]), g.dtype) if padded else None
        for rows in part:
            n = rows.stop - rows.start
            target = gx[rows] if work is None else work[:n]
            target.fill(0)
            positions = _winner_positions(table, arg_rows[rows])
            if win.disjoint:
                target.reshape(-1)[positions.reshape(-1)] = g_rows[rows].reshape(-1)
            else:
                np.add.at(target.reshape(-1), positions.reshape(-1), g_rows[rows].reshape(-1))
            if work is not None:
                np.copyto(gx[rows], target[interior])
        return []

    parallel.map_runs(run, _plane_blocks(planes, gx[:1].nbytes))
    return gx.reshape(lead + win.size)


def _gather_winners(x: np.ndarray, win: Windows, arg: np.ndarray) -> np.ndarray:
    """``window_sum`` with ``arg``: x_pad at each window's winner, (*lead, *OUT)."""
    table = _winner_table(win)
    positions = _winner_positions(table, arg.reshape(-1, math.prod(win.out)))
    source = x if table[2] == win.size else _padded(x, win, 0.0)
    return np.take(source.reshape(-1), positions).reshape(arg.shape)


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
    for L, k, s, (p, after), o in zip(win.size, win.kernel, win.stride, win.padding, win.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, L + after)
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
