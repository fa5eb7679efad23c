"""Pooling on plain arrays: windows, running maxima, adaptive windows, flat gathers.

The spatial axes are the trailing ones; every leading axis (batch, channels,
or channels alone for unbatched input) is carried along untouched. Letters:

    x     (*lead, *L)     input, spatial sizes L = (H, W) in 2-D
    y     (*lead, *OUT)   output
    K, s, p, d            kernel size, stride, padding, dilation (one int per spatial axis)

Window pooling (max and average) reads the input through the window view of
``kernels.windows`` (the one convolution's im2col copies): for each kernel
offset ``k`` the view gives the strided slice ``x_pad[..., k*d :: s]`` of the
padded input, of the output's shape, so a pool is a loop over the ``prod(K)``
kernel offsets, never over pixels. Sums over overlapping windows (average
pooling) go one axis at a time instead, in long passes over flat lines
(``_Lines``), as does their adjoint; max pooling's gradient is one ``np.add.at``
at the winners' flat positions.

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

import numpy as np

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


def _offset_views(x: np.ndarray, win: Windows, value: float) -> Callable[[int], np.ndarray]:
    """A function k -> the read-only slice (*lead, *OUT) of the padded input at offset k."""
    view = win.view(_padded(x, win, value))  # (*K, *lead, *OUT)
    offsets = win.offsets
    return lambda i: view[offsets[i]]


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
    won = np.empty_like(arg)  # k where offset k wins, else 0
    running = np.empty_like(y)  # the next maximum; the two buffers swap every offset
    for k in range(1, count):
        np.maximum(y, views(k), out=running)
        # offset k wins where the maximum moved (v > y): a compare of two dense arrays,
        # cheaper than a second read of the strided view (NaN and -inf windows are redone)
        np.not_equal(running, y, out=better)
        y, running = running, y
        # k only grows, so "k where better, else arg" is a running maximum (and faster
        # than a masked copy, whose branch on a random mask is mispredicted half the time)
        np.maximum(arg, np.multiply(better.view(np.uint8), k, out=won), out=arg)
    # one pass: the least maximum is NaN (min propagates it) or -inf where a window is special
    if not y.min(initial=np.inf) > -np.inf:
        _pick_like_torch(views, win, ~(y > -np.inf), arg)
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
    for axis, (L, s, (p, _), d, o) in enumerate(
            zip(win.size, win.stride, win.padding, win.dilation, win.out)):
        grid = np.arange(o).reshape((o,) + (1,) * (nd - 1 - axis))  # o_i along its own axis
        flat = flat * L + (grid * s - p + k[axis] * d)
    return flat


# -- sums over overlapping windows, one axis at a time, in long passes -------------------
class _Lines:
    """The layout of the separable window sums: every plane (all leading axes in one) of the
    zero-padded input, flattened, its lines (the last axis) ``s * wide`` elements long.

    A sum over a box is a sum along each axis in turn. Along the last axis, offset k of
    window j of a line reads position ``s j + k d``; with lines of ``s * wide`` elements
    (``wide = ceil(Lp / s)`` window starts, the ones past OUT[-1] extra) that is flat
    position ``s m + k d`` for the flat window number m, so the sums along the last axis
    are K 1-D strided passes over the whole buffer, however short its lines: no inner loop
    of OUT[-1] elements. Along every other axis the sums are taken at every position, not
    every s-th: shifts of the flat array by ``k d`` times the axis' pitch, contiguous
    passes. The windows' own sums are picked out at the end (``pick``); what the extra
    windows and the positions in between add up is never read. Each array carries a zero
    tail (``tail``) for the shifted reads past its end.

    Attributes:
        padded: the padded spatial size Lp; planes: the number of planes.
        n: sums along the last axis, ``planes * prod(Lp[:-1]) * wide``.
        shifts: per axis before the last, the flat shift of one kernel step (``d * pitch``).
    """

    def __init__(self, win: Windows, planes: int) -> None:
        self.win, self.planes = win, planes
        self.padded = tuple(L + b + a for L, (b, a) in zip(win.size, win.pads))
        self.wide = -(-self.padded[-1] // win.stride[-1])
        self.n = planes * math.prod(self.padded[:-1]) * self.wide
        self.shifts = [d * math.prod(self.padded[axis + 1:-1]) * self.wide
                       for axis, d in enumerate(win.dilation[:-1])]
        self.tail = sum((k - 1) * shift for k, shift in zip(win.kernel, self.shifts))

    def buffer(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """A zeroed flat buffer for the padded planes (and the last line's extra reads), and
        its (planes, *Lp[:-1], s * wide) view."""
        s, K, d = self.win.stride[-1], self.win.kernel[-1], self.win.dilation[-1]
        flat = np.zeros(s * self.n + (K - 1) * d, dtype)
        return flat, flat[: s * self.n].reshape(self.planes, *self.padded[:-1], s * self.wide)

    def interior(self) -> tuple[slice, ...]:
        """Where the input lies in the buffer's view."""
        return (slice(None),) + tuple(slice(b, b + L) for L, (b, _) in
                                      zip(self.win.size, self.win.pads))

    def sums(self, dtype: np.dtype, zeroed: bool = False) -> np.ndarray:
        """A flat array of n sums and the zero tail past them (the sums zeroed if asked)."""
        if zeroed:
            return np.zeros(self.n + self.tail, dtype)
        sums = np.empty(self.n + self.tail, dtype)
        sums[self.n:] = 0
        return sums

    def pick(self, sums: np.ndarray) -> np.ndarray:
        """The windows' own sums (planes, *OUT), a view of the flat sums at every position."""
        spread = sums[: self.n].reshape(self.planes, *self.padded[:-1], self.wide)
        return spread[(slice(None),) + tuple(slice(0, s * o, s) for s, o in
                                             zip(self.win.stride[:-1], self.win.out[:-1]))
                      + (slice(0, self.win.out[-1]),)]


def _line_sum(x: np.ndarray, win: Windows) -> np.ndarray:
    """``window_sum`` without ``arg`` in the separable passes of ``_Lines``."""
    nd = len(win.size)
    lead = x.shape[:-nd]
    lines = _Lines(win, math.prod(lead))
    flat, padded = lines.buffer(x.dtype)
    padded[lines.interior()] = x.reshape(-1, *win.size)
    s, d, n = win.stride[-1], win.dilation[-1], lines.n
    sums = lines.sums(x.dtype)
    np.copyto(sums[:n], flat[::s][:n])  # offset 0 along the last axis, then the others
    for k in range(1, win.kernel[-1]):
        sums[:n] += flat[k * d::s][:n]
    for K, shift in zip(win.kernel, lines.shifts):  # every other axis: shifted copies
        if K > 1:
            total = lines.sums(x.dtype)
            np.add(sums[:n], sums[shift: shift + n], out=total[:n])
            for k in range(2, K):
                total[:n] += sums[k * shift: k * shift + n]
            sums = total
    return lines.pick(sums).reshape(lead + win.out).copy()  # the picked sums are strided


def _line_scatter(g: np.ndarray, win: Windows) -> np.ndarray:
    """``window_scatter`` without ``arg``: ``_line_sum``'s passes transposed, in reverse."""
    nd = len(win.size)
    lead = g.shape[:-nd]
    lines = _Lines(win, math.prod(lead))
    sums = lines.sums(g.dtype, zeroed=True)  # g at the windows' own positions, 0 between
    lines.pick(sums)[...] = g.reshape(-1, *win.out)
    n = lines.n
    for K, shift in reversed(list(zip(win.kernel, lines.shifts))):
        if K > 1:
            spread = lines.sums(g.dtype)
            np.copyto(spread[:n], sums[:n])
            for k in range(1, K):
                spread[k * shift: k * shift + n] += sums[:n]
            sums = spread
    flat, padded = lines.buffer(g.dtype)
    s, d = win.stride[-1], win.dilation[-1]
    for k in range(win.kernel[-1]):
        part = flat[k * d::s][:n]
        part += sums[:n]
    return padded[lines.interior()].reshape(lead + win.size).copy()


# -- sums over windows and their adjoint ------------------------------------------------
def window_sum(x: np.ndarray, win: Windows, arg: np.ndarray | None = None) -> np.ndarray:
    """y[o] = sum over the window of o of x_pad (zero padding): x (*lead, *L) -> (*lead, *OUT).

    With ``arg`` only the winner of each window counts: y[o] = x_pad[window(o)][arg[o]],
    the gather that is the adjoint of max pooling's scatter (one ``np.take`` at the
    winners' flat positions). Overlapping windows without ``arg`` are summed one axis at
    a time (``_Lines``); disjoint ones with one strided pass per offset.
    """
    if arg is not None:
        return _gather_winners(x, win, arg)
    if not win.disjoint:
        return _line_sum(x, win)
    views = _offset_views(x, win, 0.0)
    y = views(0).copy()
    for k in range(1, len(win.offsets)):
        y += views(k)
    return y


def window_scatter(g: np.ndarray, win: Windows, arg: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``window_sum``: g (*lead, *OUT) -> gx (*lead, *L).

    Each input position receives the sum of ``g`` over the windows containing
    it (with ``arg``: over the windows it won). Three routes, each the fastest
    measured for its case:

    - with ``arg``: one ``np.add.at`` of g at its winners' flat positions
      (``_winner_positions``), 2.4x faster than a masked strided pass per offset
      on 3x3 windows at stride 2, as fast on 2x2;
    - overlapping windows: the adjoint of ``window_sum``'s passes (``_Lines``);
    - disjoint windows: each input position lies in one window at most, read by
      one offset, so g is written once per offset, through a strided view of gx
      clipped to the input, and gx is zeroed only where some position lies in no window.
    """
    if arg is not None:
        return _scatter_to_winners(g, win, arg)
    if not win.disjoint:
        return _line_scatter(g, win)
    nd = len(win.size)
    lead = g.shape[:-nd]
    writes = []
    for k in win.offsets:
        # along an axis, output o reads input position o s + k d - b: the outputs [lo, hi) inside
        reach = [(max(0, -((k_i * d - b) // s)), min(o, (L - 1 + b - k_i * d) // s + 1))
                 for k_i, s, d, (b, _), o, L in zip(k, win.stride, win.dilation, win.pads,
                                                    win.out, win.size)]
        if all(lo < hi for lo, hi in reach):
            writes.append((tuple(slice(lo * s + k_i * d - b, (hi - 1) * s + k_i * d - b + 1, s)
                                 for (lo, hi), k_i, s, d, (b, _)
                                 in zip(reach, k, win.stride, win.dilation, win.pads)),
                           tuple(slice(lo, hi) for lo, hi in reach)))
    covered = sum(math.prod(sl.stop - sl.start for sl in outputs) for _, outputs in writes)
    gx = (np.empty if covered == math.prod(win.size) else np.zeros)(lead + win.size, g.dtype)
    for positions, outputs in writes:
        gx[(...,) + positions] = g[(...,) + outputs]
    return gx


# -- the winners of max pooling by flat position: their gather and its adjoint ----------
def _winner_positions(win: Windows, arg: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """The flat position of each window's winner in the padded planes, and their shape.

    arg (*lead, *OUT) -> int64 (planes, prod(OUT)) and (planes, *Lp): window o's offset 0
    lies at ``sum_i (o_i s_i) * pitch_i``, offset k ``sum_i (k_i d_i) * pitch_i`` past it,
    so the position is a table lookup by ``arg`` plus a start per window and per plane.
    """
    nd = len(win.size)
    padded = tuple(L + b + a for L, (b, a) in zip(win.size, win.pads))
    start, step = np.zeros((1,) * nd, np.int64), np.zeros(1, np.int64)
    for axis, (Lp, s, o, K, d) in enumerate(zip(padded, win.stride, win.out, win.kernel,
                                                win.dilation)):
        start = start * Lp + (np.arange(o) * s).reshape((o,) + (1,) * (nd - 1 - axis))
        step = (step[:, None] * Lp + np.arange(K) * d).ravel()  # row-major, as arg counts
    planes = math.prod(arg.shape[:-nd])
    positions = np.take(step, arg.reshape(planes, math.prod(win.out)))
    positions += start.reshape(1, -1)
    positions += (np.arange(planes) * math.prod(padded))[:, None]
    return positions, (planes, *padded)


def _scatter_to_winners(g: np.ndarray, win: Windows, arg: np.ndarray) -> np.ndarray:
    """``window_scatter`` with ``arg``: g added at its winners, in padded planes cut to the input.

    The winner of a window of padding alone (rare) lies in the padding: its g is dropped.
    """
    nd = len(win.size)
    positions, shape = _winner_positions(win, arg)
    gx = np.zeros(shape, g.dtype)
    np.add.at(gx.reshape(-1), positions.reshape(-1), g.reshape(-1))  # repeats add up
    if any(b or a for b, a in win.pads):
        gx = gx[(slice(None),) + tuple(slice(b, b + L) for L, (b, _) in
                                       zip(win.size, win.pads))].copy()
    return gx.reshape(g.shape[:-nd] + win.size)


def _gather_winners(x: np.ndarray, win: Windows, arg: np.ndarray) -> np.ndarray:
    """``window_sum`` with ``arg``: x_pad at each window's winner, (*lead, *OUT)."""
    positions, _ = _winner_positions(win, arg)
    return np.take(_padded(x, win, 0.0).reshape(-1), positions).reshape(arg.shape)


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
