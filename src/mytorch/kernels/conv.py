"""Convolution on plain arrays: window views, im2col/col2im and BLAS matrix products.

One N-dimensional implementation serves conv1d, conv2d (any number of spatial
dims), the transposed convolution and unfold/fold. The letters used throughout:

    x     (N, C, *L)        input: batch, channels, spatial sizes L = (H, W) in 2-D
    W     (O, C/G, *K)      weight: O output channels, G groups, kernel K = (KH, KW)
    y     (N, O, *OUT)      output, OUT = (OH, OW)
    cols  (C, *K, n, *OUT)  a chunk of n samples unfolded (im2col):
                            cols[c, k, i, o] = x_pad[i, c, o*s + k*d]

The window view of the padded input is free (strides only); one copy makes it
contiguous. With the samples of a chunk next to the output positions, the
unfolded chunk is one matrix (C*prod(K), n*P): so each of the three
computations of a convolution is one product per group and chunk (``P =
prod(OUT)``, ``CKg = C/G * prod(K)``):

    forward        y^T   = W   @ cols      (G, O/G, CKg) @ (G, CKg, n*P)  -> (G, O/G, n*P)
    input grad     gcols = W^T @ gy^T      (G, CKg, O/G) @ (G, O/G, n*P)  -> (G, CKg, n*P)
                   gx    = col2im(gcols)   the adjoint of im2col: one strided add per offset
    weight grad    gW   += gy^T @ cols^T   (G, O/G, n*P) @ (G, n*P, CKg)  -> (G, O/G, CKg)

gy^T and y^T are (O, n, *OUT): transposed copies, O / (C*prod(K)) the size of
cols. The layout (N, C, *K, *OUT) with one product per sample needs no such
copies, but n times more BLAS calls; on a loaded CPU, where every
multithreaded call waits for its threads, it measured 2-3x slower.

A batch is processed in chunks of at most ``_WORKING_SET`` bytes (32 MiB,
chosen by measurement: smaller chunks stay in cache, larger ones make fewer
BLAS calls) and never more than the memory budget (``set_conv_memory_budget``,
256 MiB by default): memory stays bounded however large the batch. Chunking
changes no result except the order of the batch sum in the weight gradient.

Padding here is always zero padding, given per spatial dim as a ``(before, after)``
pair so that PyTorch's asymmetric ``padding='same'`` is a plain argument; other
padding modes are applied to the input before it gets here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "conv_output_size", "conv_transpose_output_size", "conv_output_shape",
    "set_conv_memory_budget", "get_conv_memory_budget",
    "im2col", "col2im", "conv_forward", "conv_input_grad", "conv_weight_grad",
    "im2col_matrix", "conv_matrix",
]

IntOrSeq = int | Sequence[int]
PadArg = int | Sequence[int] | Sequence[tuple[int, int]]

_memory_budget = 256 * 2**20  # bytes an unfolded batch (or chunk of it) may take
# Bytes per chunk: small enough that what one step writes is still in cache when the next
# reads it, large enough that few BLAS calls are made (on a busy CPU each multithreaded call
# waits for its threads). Measured on (32, 64->64, 32x32, k3) forward + backward: one
# thread, 4 MiB chunks 142 ms, 32 MiB 154 ms, the whole batch (72 MiB of columns) 185 ms;
# two threads on a loaded machine, 3.5x, 1.8x and 2.1x PyTorch's time.
_WORKING_SET = 32 * 2**20


def set_conv_memory_budget(nbytes: int) -> int:
    """Set the most bytes one unfolded chunk may take; returns the previous budget.

    A convolution whose unfolded input (``N * C * prod(K) * prod(OUT)`` elements)
    would exceed it processes the batch in chunks that do not (at least one sample
    each). Chunks are smaller still when that is faster (see ``_WORKING_SET``).
    """
    global _memory_budget
    if nbytes <= 0:
        raise ValueError(f"set_conv_memory_budget: the budget must be positive, got {nbytes}")
    previous, _memory_budget = _memory_budget, int(nbytes)
    return previous


def get_conv_memory_budget() -> int:
    """The current memory budget of an unfolded chunk, in bytes."""
    return _memory_budget


# -- sizes -------------------------------------------------------------------------------
def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int | tuple[int, int] = 0,
    dilation: int = 1,
) -> int:
    """Output length of a convolution along one dim: floor((L + 2p - d(k-1) - 1) / s) + 1.

    ``padding`` may be one int (both sides) or a ``(before, after)`` pair.

    >>> conv_output_size(32, 3, stride=2, padding=1)
    16
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    return (size + before + after - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_transpose_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
    output_padding: int = 0,
) -> int:
    """Output length of a transposed convolution: (L-1)s - 2p + d(k-1) + output_padding + 1.

    It is the largest input length whose convolution (same k, s, p, d) has length
    ``size`` when ``output_padding = s - 1``; smaller ``output_padding`` picks the
    shorter ones (they all give the same forward output length).

    >>> conv_transpose_output_size(16, 3, stride=2, padding=1, output_padding=1)
    32
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def conv_output_shape(
    spatial: Sequence[int], kernel_size: Sequence[int], stride: Sequence[int],
    padding: Sequence[tuple[int, int]], dilation: Sequence[int],
) -> tuple[int, ...]:
    """``conv_output_size`` along every spatial dim."""
    return tuple(
        conv_output_size(L, k, s, p, d)
        for L, k, s, p, d in zip(spatial, kernel_size, stride, padding, dilation)
    )


def _ntuple(value: IntOrSeq, nd: int) -> tuple[int, ...]:
    """An int repeated over ``nd`` spatial dims, or a sequence of ``nd`` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    return tuple(int(v) for v in value)


def _pairs(padding: PadArg, nd: int) -> tuple[tuple[int, int], ...]:
    """Padding as one ``(before, after)`` pair per spatial dim."""
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * nd
    return tuple(
        (int(p), int(p)) if isinstance(p, (int, np.integer)) else (int(p[0]), int(p[1]))
        for p in padding
    )


# -- im2col / col2im ---------------------------------------------------------------------
def _padded_shape(shape: tuple[int, ...], padding: tuple[tuple[int, int], ...]
                  ) -> tuple[int, ...]:
    """(N, C, *L) -> (N, C, *(L + before + after))."""
    return shape[:2] + tuple(L + b + a for L, (b, a) in zip(shape[2:], padding))


def _interior(shape: tuple[int, ...], padding: tuple[tuple[int, int], ...]) -> tuple[slice, ...]:
    """The index of an unpadded (N, C, *L) array's place inside its padded version."""
    return (slice(None), slice(None)) + tuple(slice(b, b + L) for L, (b, _) in
                                              zip(shape[2:], padding))


def _zero_pad(x: np.ndarray, padding: tuple[tuple[int, int], ...]) -> np.ndarray:
    """x (N, C, *L) -> (N, C, *(L + before + after)), the border filled with zeros."""
    if not any(before or after for before, after in padding):
        return x
    padded = np.zeros(_padded_shape(x.shape, padding), dtype=x.dtype)
    padded[_interior(x.shape, padding)] = x
    return padded


def _window_view(
    x_pad: np.ndarray, kernel_size: tuple[int, ...], out: tuple[int, ...],
    stride: tuple[int, ...], dilation: tuple[int, ...],
) -> np.ndarray:
    """The read-only window view (N, C, *K, *OUT) of x_pad (N, C, *Lp).

    ``view[n, c, k, o] = x_pad[n, c, o*s + k*d]``. No data moves: along a spatial axis a
    kernel step is ``d`` elements and an output step ``s``.
    """
    sN, sC, *sL = x_pad.strides
    strides = (sN, sC, *(d * st for d, st in zip(dilation, sL)),
               *(s * st for s, st in zip(stride, sL)))
    return as_strided(x_pad, x_pad.shape[:2] + kernel_size + out, strides, writeable=False)


def im2col(
    x: np.ndarray, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: PadArg = 0,
    dilation: IntOrSeq = 1,
) -> np.ndarray:
    """Unfold every window of x into a column: x (N, C, *L) -> cols (N, C, *K, *OUT).

    The copy goes from the strided window view into a C-contiguous array laid
    out with the output positions last, so it is one contiguous write (the
    (N, *OUT, C, *K) layout is several times slower to fill) and
    ``cols.reshape(N, C * prod(K), prod(OUT))`` is free.

    Args:
        x: input (N, C, *L).
        kernel_size, stride, dilation: an int or one int per spatial dim.
        padding: an int, one int per dim, or one (before, after) pair per dim (zeros).

    Returns:
        cols (N, C, *K, *OUT), contiguous; ``OUT`` from ``conv_output_size``.

    >>> im2col(np.arange(4.0).reshape(1, 1, 4), 2).tolist()   # windows [0,1], [1,2], [2,3]
    [[[[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]]]
    """
    nd = x.ndim - 2
    K, s, d, pads = _ntuple(kernel_size, nd), _ntuple(stride, nd), _ntuple(dilation, nd), \
        _pairs(padding, nd)
    out = conv_output_shape(x.shape[2:], K, s, pads, d)
    return _window_view(_zero_pad(x, pads), K, out, s, d).copy()


def _col2im_add(cols: np.ndarray, x_pad: np.ndarray, stride: tuple[int, ...],
                dilation: tuple[int, ...]) -> None:
    """x_pad (A, B, *Lp) += the scatter of cols (A, *K, B, *OUT): the adjoint of the window view.

    (A, B) is (N, C) or (C, N). One strided add per kernel offset k: the OUT
    positions it touches are ``k*d, k*d + s, ...`` along each axis; no transposes,
    no loop over pixels.
    """
    nd = x_pad.ndim - 2
    kernel_size, out = cols.shape[1:1 + nd], cols.shape[2 + nd:]
    for k in np.ndindex(*kernel_size):
        window = tuple(slice(ki * di, ki * di + si * (oi - 1) + 1, si)
                       for ki, di, si, oi in zip(k, dilation, stride, out))
        x_pad[(slice(None), slice(None)) + window] += cols[(slice(None),) + k]


def col2im(
    cols: np.ndarray, input_size: Sequence[int], stride: IntOrSeq = 1, padding: PadArg = 0,
    dilation: IntOrSeq = 1,
) -> np.ndarray:
    """Fold columns back, summing overlaps: cols (N, C, *K, *OUT) -> x (N, C, *input_size).

    The adjoint of ``im2col``: ``<im2col(x), c> == <x, col2im(c)>`` for all x, c.
    Input positions no window covers get 0.

    Args:
        cols: (N, C, *K, *OUT), with OUT the ``im2col`` output size for ``input_size``.
        input_size: the spatial size L of the folded result.
        stride, padding, dilation: as for ``im2col``.
    """
    nd = len(input_size)
    s, d, pads = _ntuple(stride, nd), _ntuple(dilation, nd), _pairs(padding, nd)
    shape = cols.shape[:2] + tuple(input_size)
    x_pad = np.zeros(_padded_shape(shape, pads), dtype=cols.dtype)
    # (N, C, *K, *OUT) -> (N, *K, C, *OUT), a view in _col2im_add's layout
    _col2im_add(np.moveaxis(cols, 1, 1 + nd), x_pad, s, d)
    return x_pad[_interior(shape, pads)]


# -- the three convolution products ------------------------------------------------------
def _chunk_size(n: int, bytes_per_sample: int) -> int:
    """Samples per chunk of a batch of n: as many as fit in the working set and the
    memory budget, at least 1 and at most n (or 1 for an empty batch)."""
    return max(1, min(n, min(_memory_budget, _WORKING_SET) // max(1, bytes_per_sample)))


def _chunks(n: int, step: int) -> Iterator[slice]:
    """Consecutive slices of ``step`` samples (the last may be shorter) covering range(n)."""
    return (slice(i, min(i + step, n)) for i in range(0, n, step))


def _padded_chunks(x: np.ndarray, padding: tuple[tuple[int, int], ...], step: int
                   ) -> Iterator[tuple[slice, np.ndarray]]:
    """(chunk, x[chunk] zero-padded) for consecutive chunks of ``step`` samples.

    One buffer serves every chunk: its border is zeroed once and only the interior is rewritten.
    """
    if not any(b or a for b, a in padding):
        yield from ((chunk, x[chunk]) for chunk in _chunks(len(x), step))
        return
    buffer = np.zeros((step,) + _padded_shape(x.shape, padding)[1:], dtype=x.dtype)
    interior = _interior(x.shape, padding)
    for chunk in _chunks(len(x), step):
        x_pad = buffer[: chunk.stop - chunk.start]
        x_pad[interior] = x[chunk]
        yield chunk, x_pad


def _columns(x_pad: np.ndarray, kernel_size: tuple[int, ...], out: tuple[int, ...],
             stride: tuple[int, ...], dilation: tuple[int, ...], buffer: np.ndarray
             ) -> np.ndarray:
    """The im2col of a chunk x_pad (n, C, *Lp), copied into buffer as (C, *K, n, *OUT).

    With the chunk's samples next to the output positions, the columns of all
    samples form one matrix (C * prod(K), n * prod(OUT)): one product per chunk.
    """
    nd = len(kernel_size)
    cols = buffer[: x_pad.shape[1] * math.prod(kernel_size) * len(x_pad) * math.prod(out)]
    cols = cols.reshape(x_pad.shape[1], *kernel_size, len(x_pad), *out)
    view = _window_view(x_pad, kernel_size, out, stride, dilation)  # (n, C, *K, *OUT)
    np.copyto(cols, view.transpose(1, *range(2, 2 + nd), 0, *range(2 + nd, 2 + 2 * nd)))
    return cols


def _channels_first(a: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """(n, O, *S) -> (O, n, *S), copied into buffer."""
    out = buffer[: a.size].reshape(a.shape[1], a.shape[0], *a.shape[2:])
    np.copyto(out, a.swapaxes(0, 1))
    return out


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b, out=out)``, but a product over a single index is an outer product,
    which a broadcast multiply computes several times faster (the depthwise convolution's
    input gradient: O/G = 1)."""
    if a.shape[-1] == 1:
        return np.multiply(a, b, out=out)
    return np.matmul(a, b, out=out)


def conv_forward(
    x: np.ndarray, W: np.ndarray, stride: tuple[int, ...], padding: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...], groups: int, out_size: Sequence[int] | None = None,
) -> np.ndarray:
    """y = x (*) W, PyTorch's convolution (a cross-correlation): (N, C, *L) -> (N, O, *OUT).

    Per chunk of the batch: copy the window view into the columns (the im2col),
    one product per group, and the product's (O, n, *OUT) goes into y (n, O, *OUT).

    Args:
        x: input (N, C, *L); W: weight (O, C/G, *K) of the same dtype.
        stride, dilation: one int per spatial dim; padding: one (before, after) pair per dim.
        groups: G; channels c of group g (c // (C/G) == g) only meet output channels of group g.
        out_size: compute only the first ``out_size`` outputs per dim (default: all of them,
            ``conv_output_shape``); the adjoint of a transposed convolution whose
            output_padding reaches past the last window needs this.
    """
    N, C, *L = x.shape
    O, Cg, *ks = W.shape
    K, G = tuple(ks), groups
    out = tuple(out_size or conv_output_shape(L, K, stride, padding, dilation))
    P, CKg = math.prod(out), Cg * math.prod(K)
    W_mat = W.reshape(G, O // G, CKg)           # (O, C/G, *K) -> (G, O/G, CKg)
    y = np.empty((N, O, *out), dtype=np.result_type(x, W))
    step = _chunk_size(N, (C * math.prod(K) + O) * P * y.itemsize)
    cols_buffer = np.empty(step * C * math.prod(K) * P, dtype=x.dtype)
    y_buffer = np.empty(step * O * P, dtype=y.dtype)
    for chunk, x_pad in _padded_chunks(x, padding, step):
        n = len(x_pad)
        cols = _columns(x_pad, K, out, stride, dilation, cols_buffer)
        y_T = y_buffer[: O * n * P].reshape(G, O // G, n * P)
        # (G, O/G, CKg) @ (G, CKg, n * P) -> (G, O/G, n * P)
        _matmul(W_mat, cols.reshape(G, CKg, n * P), y_T)
        y[chunk] = y_T.reshape(O, n, *out).swapaxes(0, 1)  # (O, n, *OUT) -> (n, O, *OUT)
    return y


def conv_input_grad(
    gy: np.ndarray, W: np.ndarray, input_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...], groups: int,
) -> np.ndarray:
    """gx = the adjoint of ``conv_forward`` in x applied to gy: the transposed convolution.

    gy (N, O, *OUT), W (O, C/G, *K) -> gx (N, C, *input_size). ``input_size`` is
    needed because with stride > 1 several input sizes give the same OUT. Per
    chunk of the batch: one product per group makes the columns' gradient, col2im
    adds them up in a zeroed padded buffer, and its interior is the chunk of gx.
    """
    N, O, *out_ = gy.shape
    _, Cg, *ks = W.shape
    K, G, out = tuple(ks), groups, tuple(out_)
    P, C, CKg = math.prod(out), Cg * G, Cg * math.prod(K)
    W_mat_T = W.reshape(G, O // G, CKg).transpose(0, 2, 1)  # (G, CKg, O/G), a view
    dtype = np.result_type(gy, W)
    gx = np.empty((N, C, *input_size), dtype=dtype)
    padded_size = _padded_shape(gx.shape, padding)[2:]
    step = _chunk_size(N, (C * math.prod(K) * P + O * P + C * math.prod(padded_size))
                       * dtype.itemsize)
    gy_buffer = np.empty(step * O * P, dtype=gy.dtype)
    gcols_buffer = np.empty(step * C * math.prod(K) * P, dtype=dtype)
    gx_buffer = np.empty(step * C * math.prod(padded_size), dtype=dtype)
    for chunk in _chunks(N, step):
        n = chunk.stop - chunk.start
        gy_T = _channels_first(gy[chunk], gy_buffer)  # (O, n, *OUT)
        gcols = gcols_buffer[: C * math.prod(K) * n * P].reshape(G, CKg, n * P)
        # (G, CKg, O/G) @ (G, O/G, n * P) -> (G, CKg, n * P) = gcols (C, *K, n, *OUT)
        _matmul(W_mat_T, gy_T.reshape(G, O // G, n * P), gcols)
        gx_pad = gx_buffer[: C * n * math.prod(padded_size)].reshape(C, n, *padded_size)
        gx_pad.fill(0)
        _col2im_add(gcols.reshape(C, *K, n, *out), gx_pad, stride, dilation)
        # the interior, (C, n, *L) -> gx[chunk] (n, C, *L)
        gx[chunk] = gx_pad[_interior(gx.shape, padding)].swapaxes(0, 1)
    return gx


def conv_weight_grad(
    x: np.ndarray, gy: np.ndarray, kernel_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...], groups: int,
) -> np.ndarray:
    """gW = the adjoint of ``conv_forward`` in W: x (N, C, *L), gy (N, O, *OUT) -> (O, C/G, *K).

    Per chunk of the batch, one product per group contracts over the chunk's
    samples and output positions together: gy as (O, n * P) times the columns
    (C * prod(K), n * P) transposed.
    """
    N, C, *L = x.shape
    _, O, *out_ = gy.shape
    K, G, out = tuple(kernel_size), groups, tuple(out_)
    P, CKg = math.prod(out), C // G * math.prod(K)
    dtype = np.result_type(x, gy)
    gW = np.zeros((G, O // G, CKg), dtype=dtype)
    step = _chunk_size(N, (C * math.prod(K) + O) * P * dtype.itemsize)
    cols_buffer = np.empty(step * C * math.prod(K) * P, dtype=x.dtype)
    gy_buffer = np.empty(step * O * P, dtype=gy.dtype)
    for chunk, x_pad in _padded_chunks(x, padding, step):
        n = len(x_pad)
        cols = _columns(x_pad, K, out, stride, dilation, cols_buffer).reshape(G, CKg, n * P)
        gy_T = _channels_first(gy[chunk], gy_buffer).reshape(G, O // G, n * P)
        # (G, O/G, n * P) @ (G, n * P, CKg) -> (G, O/G, CKg), summed over the chunks
        gW += np.matmul(gy_T, cols.transpose(0, 2, 1))
    return gW.reshape(O, C // G, *K)


# -- teaching helpers: convolution as a matrix product -----------------------------------
def im2col_matrix(
    input_shape: Sequence[int], kernel_size: IntOrSeq, stride: IntOrSeq = 1,
    padding: PadArg = 0, dilation: IntOrSeq = 1, sparse: bool = False,
) -> Any:
    """The 0/1 selection matrix S of im2col for one sample: ``S @ x.ravel() == im2col(x).ravel()``.

    Built from index arithmetic alone (not from ``im2col``), so the two can be
    checked against each other. Row ``(c, k, o)`` has a single 1 in column
    ``(c, o*s + k*d - p)`` when that position lies inside the input, else none
    (it reads padding).

    Args:
        input_shape: (C, *L) of one sample.
        kernel_size, stride, padding, dilation: as for ``im2col``.
        sparse: return a ``scipy.sparse.csr_matrix`` (requires scipy) instead of a dense array.

    Returns:
        S of shape (C * prod(K) * prod(OUT), C * prod(L)), float64.

    >>> im2col_matrix((1, 3), 2).tolist()     # windows [x0, x1] and [x1, x2]
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    C, *L = input_shape
    nd = len(L)
    K, s, d, pads = _ntuple(kernel_size, nd), _ntuple(stride, nd), _ntuple(dilation, nd), \
        _pairs(padding, nd)
    out = conv_output_shape(L, K, s, pads, d)
    grid = np.indices((C, *K, *out))  # (1 + 2nd, C, *K, *OUT): the row's (c, k, o) indices
    position = [grid[1 + nd + i] * s[i] + grid[1 + i] * d[i] - pads[i][0] for i in range(nd)]
    inside = np.logical_and.reduce([(0 <= p) & (p < n) for p, n in zip(position, L)])
    column = grid[0] * math.prod(L) + np.ravel_multi_index(position, L, mode="clip")
    rows = np.arange(inside.size).reshape(inside.shape)[inside]
    shape = (inside.size, C * math.prod(L))
    if sparse:
        try:
            from scipy import sparse as sp
        except ImportError:
            raise ImportError("im2col_matrix(sparse=True) needs scipy; install scipy") from None
        return sp.csr_matrix((np.ones(rows.size), (rows, column[inside])), shape=shape)
    S = np.zeros(shape)
    S[rows, column[inside]] = 1.0
    return S


def conv_matrix(
    W: np.ndarray, input_shape: Sequence[int], stride: IntOrSeq = 1, padding: PadArg = 0,
    dilation: IntOrSeq = 1, groups: int = 1,
) -> np.ndarray:
    """The matrix M of a convolution of one sample: ``x.ravel() @ M == conv(x, W).ravel()``.

    A convolution is linear in x, so it is a (sparse, banded) matrix: M is the
    im2col selection followed by the weights, ``M[i, (o, p)] = sum_ck W[o, ck] S[(ck, p), i]``.
    Groups make W block-diagonal over channels.

    Args:
        W: weight (O, C/G, *K).
        input_shape: (C, *L) of one sample.
        stride, padding, dilation: as for ``im2col``; groups: G.

    Returns:
        M of shape (C * prod(L), O * prod(OUT)), in W's dtype.
    """
    C = input_shape[0]
    O, Cg, *K = W.shape
    G = groups
    # the grouped weight as a dense one: zero outside each group's (O/G, C/G) block
    dense = np.zeros((G, O // G, G, Cg, math.prod(K)), dtype=W.dtype)
    dense[np.arange(G), :, np.arange(G)] = W.reshape(G, O // G, Cg, -1)
    S = im2col_matrix(input_shape, K, stride, padding, dilation)
    CK = C * math.prod(K)
    # (O, CK) x (CK, P, C*L) -> (C*L, O, P)
    M = np.einsum("ok,kpi->iop", dense.reshape(O, CK), S.reshape(CK, -1, S.shape[1]))
    return M.reshape(S.shape[1], -1).astype(W.dtype, copy=False)
