"""Padding on plain arrays: constant, reflect, replicate and circular, and their adjoints.

Padding works one axis at a time. Along an axis of size ``n`` padded by
``(before, after)``, output position ``j`` (``0 <= j < before + n + after``)
reads input position ``p = j - before`` when ``0 <= p < n`` (the interior);
outside, the mode decides:

    constant   a fixed value                     (no input position)
    reflect    mirror at the edge, edge once     d c b | a b c d | c b a
    replicate  repeat the edge                   a a a | a b c d | d d d
    circular   wrap around                       b c d | a b c d | a b c

A negative ``before`` or ``after`` crops instead (for 'circular', the wrap
then goes around the cropped range, as in PyTorch). ``pad_indices`` turns this
into one index array per axis, so a padded array is a gather (``np.take``) and
the gradient of padding is the matching scatter-add: each input position
receives the sum of the output gradients of every position that copied it.

Callers validate sizes (``reflect`` needs pads < n, ``circular`` pads no larger
than the cropped size, ``replicate`` n > 0); these kernels assume valid arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Pads = Sequence[tuple[int, int]]  # (before, after) for every axis, first axis first

MODES = ("constant", "reflect", "replicate", "circular")


def pad_indices(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The input position each output position copies along one axis.

    Args:
        n: the input size along the axis.
        before, after: the padding at each end (negative crops).
        mode: 'reflect', 'replicate' or 'circular'.

    Returns:
        An int array of length ``before + n + after`` with values in ``[0, n)``.

    >>> pad_indices(4, 2, 3, "reflect")
    array([2, 1, 0, 1, 2, 3, 2, 1, 0])
    """
    p = np.arange(-before, n + after)  # the unpadded position of every output position
    if mode == "reflect":
        last = n - 1  # mirror about 0 and about n - 1: -2 -> 2 and last + 2 -> last - 2
        return last - np.abs(last - np.abs(p))
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    if mode == "circular":
        # PyTorch crops first, then wraps around what is left: positions [start, stop)
        start, stop = max(-before, 0), n + min(after, 0)
        return start + (p - start) % (stop - start)
    raise ValueError(f"pad_indices: unknown padding mode {mode!r}")


def _interior(n: int, before: int, after: int) -> tuple[slice, slice]:
    """The output slice that copies the input straight through, and the input slice it copies."""
    lo, hi = max(before, 0), before + n + min(after, 0)  # output positions of the interior
    return slice(lo, max(hi, lo)), slice(lo - before, max(hi, lo) - before)


def pad(x: np.ndarray, pads: Pads, mode: str = "constant", value: float = 0) -> np.ndarray:
    """``x`` padded by ``pads`` (one ``(before, after)`` per axis of ``x``).

    Shape:
        x: (n_0, ..., n_k) -> (n_0 + before_0 + after_0, ..., n_k + before_k + after_k)

    >>> pad(np.arange(3.0), [(1, 2)], "constant", 9.0)
    array([9., 0., 1., 2., 9., 9.])
    >>> pad(np.arange(3.0), [(2, 1)], "circular")
    array([1., 2., 0., 1., 2., 0.])
    """
    if mode == "constant":
        out_shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pads))
        out = np.empty(out_shape, dtype=x.dtype)
        spans = [_interior(n, b, a) for n, (b, a) in zip(x.shape, pads)]
        out[tuple(o for o, _ in spans)] = x[tuple(i for _, i in spans)]
        # the value goes only where the input does not: the slabs before and after the
        # interior along each axis (every element is written once or, at a corner, twice)
        for axis, (interior, _) in enumerate(spans):
            lead: tuple[Any, ...] = (slice(None),) * axis
            out[lead + (slice(0, interior.start),)] = value
            out[lead + (slice(interior.stop, None),)] = value
        return out
    for axis, (before, after) in enumerate(pads):
        if before or after:
            x = np.take(x, pad_indices(x.shape[axis], before, after, mode), axis=axis)
    return x


def pad_adjoint(g: np.ndarray, pads: Pads, mode: str, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of ``pad``: ``g`` (the padded shape) summed back onto ``shape``.

    For 'constant' it is the crop of ``g`` (padding of ``-pads``). For the other
    modes, each axis copies its interior straight through and scatter-adds the
    border positions onto the input positions they copied (``np.add.at``, so a
    position copied several times receives every contribution).
    """
    if mode == "constant":
        return pad(g, [(-b, -a) for b, a in pads], "constant", 0)
    for axis, (before, after) in enumerate(pads):
        if before or after:
            g = _take_adjoint(g, pad_indices(shape[axis], before, after, mode), before, after, axis)
    return g


def _take_adjoint(g: np.ndarray, index: np.ndarray, before: int, after: int,
                  axis: int) -> np.ndarray:
    """Adjoint of ``np.take(x, index, axis)`` for a padding index along ``axis``."""
    n = g.shape[axis] - before - after
    out = np.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], dtype=g.dtype)
    lead: tuple[Any, ...] = (slice(None),) * axis
    out_span, in_span = _interior(n, before, after)
    out[lead + (in_span,)] = g[lead + (out_span,)]
    border = np.r_[0:out_span.start, out_span.stop:g.shape[axis]]  # output positions outside
    np.add.at(out, lead + (index[border],), np.take(g, border, axis=axis))
    return out
