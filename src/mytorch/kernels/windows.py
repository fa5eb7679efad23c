"""Sliding windows on plain arrays: one home for the geometry every windowed op shares.

Convolution, transposed convolution, unfold/fold and window pooling all slide a
kernel over the trailing (spatial) axes of a zero- or -inf-padded input. Letters:

    L          the input's spatial size (one int per spatial axis)
    K, s, d    kernel size, stride, dilation (one int per axis)
    (b, a)     padding before and after, per axis
    OUT        the output's spatial size: the number of windows per axis

Window ``o`` reads the padded positions ``o*s + k*d`` for the kernel offsets
``0 <= k < K``. Everything the ops need follows from that one sentence:

- ``output_size``: how many windows fit, ``floor((L + b + a - d(K-1) - 1) / s) + 1``
  (pooling's ``ceil_mode`` takes the ceiling, PyTorch's rule);
- ``Windows``: the geometry of one op on one input (sizes, padding, OUT), the
  object the ops' Functions carry from forward to backward;
- ``window_view``: the windows of a padded array as a strided view
  (*K, *lead, *OUT), no data moved; ``view[k]`` is offset k's slice
  ``x_pad[..., k*d :: s]`` of the output's shape. Reading it is im2col and pooling;
  writing through it (one strided add per offset) is col2im and the pooling adjoints;
- ``ntuple``: an argument given as one int or one per axis, as n ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mytorch.kernels.errors import ShapeError

__all__ = [
    "ntuple", "pad_pairs", "output_size", "output_shape", "transpose_output_size", "Windows",
    "window_view",
]

IntOrSeq = int | Sequence[int]
PadArg = int | Sequence[int] | Sequence[tuple[int, int]]


# -- arguments ---------------------------------------------------------------------------
def ntuple(value: Any, n: int, name: str = "value", op: str = "ntuple") -> tuple[int, ...]:
    """``value`` as n ints: one int means every axis; a tuple or list gives 1 or n of them.

    PyTorch's rule for a window argument (kernel_size, stride, padding, dilation,
    output_size). Raises ``TypeError`` when an entry is not an int (bool included)
    and ``ShapeError`` when there are neither 1 nor n entries; the message names
    ``op`` and the value.

    >>> ntuple(3, 2), ntuple((1, 2), 2), ntuple([4], 2)
    ((3, 3), (1, 2), (4, 4))
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    # the message only on a mistake: the kernels call this on every chunk (a few us each)
    for v in items:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(_ntuple_message(value, n, name, op))
    if len(items) == n:
        return tuple(map(int, items))
    if len(items) == 1:
        return (int(items[0]),) * n
    raise ShapeError(_ntuple_message(value, n, name, op))


def _ntuple_message(value: Any, n: int, name: str, op: str) -> str:
    return (f"{op}: expected {name} to be a single integer value or a list of {n} values, "
            f"but got {name}={value!r}")


def pad_pairs(padding: PadArg, n: int) -> tuple[tuple[int, int], ...]:
    """Padding as one ``(before, after)`` pair per axis: an int (every side), one int per
    axis (both sides), or the pairs themselves.

    >>> pad_pairs(1, 2), pad_pairs((1, (0, 2)), 2)
    (((1, 1), (1, 1)), ((1, 1), (0, 2)))
    """
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * n
    return tuple(
        (int(p), int(p)) if isinstance(p, (int, np.integer)) else (int(p[0]), int(p[1]))
        for p in padding
    )


# -- sizes -------------------------------------------------------------------------------
def output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int | tuple[int, int] = 0,
    dilation: int = 1, ceil_mode: bool = False,
) -> int:
    """The number of windows along one axis: ``floor((L + b + a - d(K-1) - 1) / s) + 1``.

    ``padding`` is one int (both sides) or a ``(before, after)`` pair. With
    ``ceil_mode`` (pooling) the ceiling replaces the floor, except that the
    last window must start inside the input or the left padding (PyTorch drops
    a window that starts in the right padding).

    >>> output_size(32, 3, stride=2, padding=1), output_size(8, 4, padding=(1, 2))
    (16, 8)
    >>> output_size(5, 2, 2), output_size(5, 2, 2, ceil_mode=True)
    (2, 3)
    >>> output_size(4, 2, 3, padding=1, ceil_mode=True)  # a 3rd would start at 6 > 4 + 1
    2
    """
    before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    span = size + before + after - dilation * (kernel_size - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1
    return out


def output_shape(
    size: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int],
    padding: Sequence[tuple[int, int]], dilation: Sequence[int], ceil_mode: bool = False,
) -> tuple[int, ...]:
    """``output_size`` along every axis (padding as ``(before, after)`` pairs)."""
    return tuple(
        output_size(L, k, s, p, d, ceil_mode)
        for L, k, s, p, d in zip(size, kernel_size, stride, padding, dilation)
    )


def transpose_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
    output_padding: int = 0,
) -> int:
    """Output length of a transposed convolution: (L-1)s - 2p + d(k-1) + output_padding + 1.

    It is the largest input length whose convolution (same k, s, p, d) has length
    ``size`` when ``output_padding = s - 1``; smaller ``output_padding`` picks the
    shorter ones (they all give the same forward output length).

    >>> transpose_output_size(16, 3, stride=2, padding=1, output_padding=1)
    32
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


# -- the geometry of one op on one input -------------------------------------------------
class Windows:
    """Where the windows of a sliding-window op lie: the geometry forward and backward share.

    A convolution (and its transpose, unfold, fold) and a window pooling carry one
    of these from forward to backward; a convolution's input gradient and weight
    gradient read the same object (its input has ``size``, its output ``out``).

    Args:
        size: the input's spatial size L.
        kernel_size, stride, dilation: one int per spatial axis.
        padding: one int per axis (both sides) or one ``(before, after)`` pair per axis.
        ceil_mode: whether a partial window at the end counts (pooling; see ``output_size``).
        out: the number of windows per axis when it is fewer than fit (the adjoint of
            a transposed convolution whose output_padding reaches past the last window).

    Attributes:
        kernel, stride, dilation: as given, tuples; padding: ``(before, after)`` pairs.
        out: the output's spatial size OUT.
        pads: the padding the windows actually read, ``(before, after)`` per axis: all of
            ``before``, and after the input as far as the last window reaches (less
            than ``after`` when the last window ends early, more in ceil mode).
        disjoint: whether no input position lies in two windows
            (``s >= d(k-1) + 1`` on every axis), so a scatter may write instead of add.

    >>> w = Windows((5,), (2,), (2,), (0,), (1,), ceil_mode=True)
    >>> w.out, w.pads, w.disjoint
    ((3,), ((0, 1),), True)
    """

    def __init__(self, size: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int],
                 padding: PadArg, dilation: Sequence[int], ceil_mode: bool = False,
                 out: Sequence[int] | None = None) -> None:
        self.size, self.kernel = tuple(size), tuple(kernel_size)
        self.stride, self.dilation = tuple(stride), tuple(dilation)
        self.padding = pad_pairs(padding, len(self.size))
        self.ceil_mode = ceil_mode
        self.out = tuple(out) if out is not None else output_shape(
            self.size, self.kernel, self.stride, self.padding, self.dilation, ceil_mode)
        self.pads = tuple(
            (b, max(0, (o - 1) * s + d * (k - 1) + 1 - b - L))
            for L, k, s, (b, _), d, o in zip(self.size, self.kernel, self.stride, self.padding,
                                             self.dilation, self.out)
        )
        self.disjoint = all(s >= d * (k - 1) + 1
                            for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def __repr__(self) -> str:
        return (f"Windows(size={self.size}, kernel={self.kernel}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, out={self.out})")

    @property
    def offsets(self) -> list[tuple[int, ...]]:
        """The kernel offsets k in row-major order (the order PyTorch scans a window in)."""
        return list(np.ndindex(*self.kernel))

    def view(self, x_pad: np.ndarray, writeable: bool = False) -> np.ndarray:
        """``window_view`` of x_pad (*lead, *Lp) with these windows: (*K, *lead, *OUT)."""
        return window_view(x_pad, self.kernel, self.out, self.stride, self.dilation, writeable)

    def past_left_padding(self, k: tuple[int, ...]) -> np.ndarray:
        """OUT-shaped mask: where offset ``k`` reads at or after the input's start on every axis.

        PyTorch starts its scan of a pooling window at the first such offset.
        """
        mask = np.ones((1,) * len(self.out), dtype=bool)
        for axis, (ki, s, (b, _), d, o) in enumerate(
                zip(k, self.stride, self.padding, self.dilation, self.out)):
            shape = [1] * len(self.out)
            shape[axis] = o
            mask = mask & (np.arange(o) * s + ki * d - b >= 0).reshape(shape)  # broadcasts up
        return mask


# -- the window view ---------------------------------------------------------------------
def window_view(
    x_pad: np.ndarray, kernel_size: Sequence[int], out: Sequence[int], stride: Sequence[int],
    dilation: Sequence[int], writeable: bool = False,
) -> np.ndarray:
    """The windows of x_pad (*lead, *Lp) as a strided view (*K, *lead, *OUT).

    ``view[k][..., o] = x_pad[..., o*s + k*d]``: along a spatial axis a kernel step
    is ``d`` elements and an output step ``s``, so no data moves. With the kernel
    axes first, ``view[k]`` is the strided slice ``x_pad[..., k*d :: s]`` of offset
    k, of the output's shape: im2col copies the view, pooling reads it one offset
    at a time, and the adjoints (col2im, the pooling scatters) add into it one
    offset at a time (``writeable``). The windows of different offsets overlap in
    memory, but each offset's slice does not overlap itself, so a write per
    offset is safe.

    >>> window_view(np.arange(5.0), (2,), (2,), (2,), (1,)).tolist()  # windows [0,1], [2,3]
    [[0.0, 2.0], [1.0, 3.0]]
    """
    nd = len(kernel_size)
    lead = x_pad.strides[:x_pad.ndim - nd]
    spatial = x_pad.strides[x_pad.ndim - nd:]
    strides = (*(d * st for d, st in zip(dilation, spatial)), *lead,
               *(s * st for s, st in zip(stride, spatial)))
    shape = (*kernel_size, *x_pad.shape[:x_pad.ndim - nd], *out)
    return as_strided(x_pad, shape, strides, writeable=writeable)
