"""Convolution on plain arrays: im2col/col2im, a reference convolution, and the fast path.

One N-dimensional implementation serves conv1d, conv2d (any number of spatial
dims), the transposed convolution and unfold/fold. The letters used throughout:

    x     (N, C, *L)        input: batch, channels, spatial sizes L = (H, W) in 2-D
    W     (O, C/G, *K)      weight: O output channels, G groups, kernel K = (KH, KW)
    y     (N, O, *OUT)      output, OUT = (OH, OW), ``windows.output_size`` per dim
    cols  (C, *K, N, *OUT)  the input unfolded (im2col):
                            cols[c, k, n, o] = x_pad[n, c, o*s + k*d]

The core is three lines of algebra. With the batch next to the output positions,
the columns are one matrix (C*prod(K), N*P), ``P = prod(OUT)``, and each of the
three computations of a convolution is one product with it (the reference
functions below are exactly this, for one group):

    forward        y^T   = W   @ cols      (O, CK) @ (CK, N*P)  -> (O, N*P)
    input grad     gcols = W^T @ gy^T      (CK, O) @ (O, N*P)   -> (CK, N*P)
                   gx    = col2im(gcols)   the adjoint of im2col: one strided add per offset
    weight grad    gW    = gy^T @ cols^T   (O, N*P) @ (N*P, CK) -> (O, CK)

gy^T and y^T are (O, N, *OUT): transposed copies, O / (C*prod(K)) the size of
cols, but cheap ones, whole blocks of P elements each. The layout (N, C, *K,
*OUT) with one product per sample needs no such copies, but N times more BLAS
calls; on a loaded CPU, where every multithreaded call waits for its threads,
it measured 2-3x slower.

Which way round a product goes matters as much as its size: BLAS runs the same
multiply-adds at different rates depending on which operand is long and which
is contiguous. On the whole batch the products with the positions as rows,
``(N*P, CK) @ (CK, O)`` (channels-last columns), measured 1.2-1.5x faster than
the ones above; on 32 MiB pieces (the fast path's size when this was measured) the
forward's gain is within the noise (-15% to +20%), the input gradient's stays (1.2-2x),
and rows cost copies the columns do not: a channels-last input (x transposed
to (N, *L, C): 10-20x slower per byte than a plain copy), y back from
(N*P, O) to (N, O, *OUT), and a col2im adding runs of C values instead of rows
of OUT[-1] (2-5x slower at C = 16). Measured whole
(one thread), the forward in rows from these columns made the ResNet-20 step
9% and the conv2d (32, 64->64, 32x32) step 14% slower. So the columns stay,
and the faster orientation is taken where it comes free: the weight gradient
is computed transposed, ``gW^T = cols @ (gy^T)^T`` (a view, no copy; 1.3-2x
faster than ``gy^T @ cols^T``), and at stride 1 the input gradient is a forward
convolution of gy (``conv_input_grad``), which needs no col2im.

The fast path (``conv_forward``, ``conv_input_grad``, ``conv_weight_grad``)
wraps that core in a layer of its own: with G groups each product is G
products (``(G, O/G, CKg) @ (G, CKg, n*P)``), and the work goes in pieces
(``_Plan``) of at most ``_WORKING_SET`` bytes of columns (2 MiB) and never more
than the memory budget (``set_conv_memory_budget``, 256 MiB by default): even
chunks of n samples, or, when one sample is too large, chunks of its output
rows, each unfolding only the padded input region its windows read. Each run
of pieces writes its im2col/col2im into one reused buffer, so memory stays
bounded however large the batch and the image. Pieces change no result except
the order of the sums in the weight gradient (and, for row pieces, in the
input gradient where their regions overlap).

The chunks of samples are independent, and NumPy releases the GIL in its
copies and products, so with more than one thread (``mytorch.set_num_threads``)
they go on the intra-op threads (``parallel.map_chunks``), each with one BLAS thread:
the unfolding, the products and col2im all use every core, where a sequential
loop with multithreaded BLAS spreads only the products (and on a busy CPU each
multithreaded call waits for its threads). The chunks are the same at any
thread count and the weight gradient's terms are added in piece order, so the
results are the same bits on any number of threads.

A depthwise convolution (groups == C: each output channel reads one input
channel) has no channel sum: its products are C thin ones of prod(K) rows, and
the whole batch's columns cost more to write than the products save. The direct
path (``depthwise_forward``, ``depthwise_weight_grad``) goes instead one chunk
of the batch small enough for the L2 cache at a time, its columns over whole
padded rows (``_Rows``: one long copy per channel, not one per row) read by the
product right after the copy that wrote them; ``depthwise_input_grad`` is the
forward of gy spread out by the stride with the flipped kernel. A sample whose
columns exceed the memory budget goes through the products in pieces of rows instead.

Padding here is always zero padding, given per spatial dim as a ``(before, after)``
pair so that PyTorch's asymmetric ``padding='same'`` is a plain argument; other
padding modes are applied to the input before it gets here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np

from mytorch.kernels import parallel, winograd
from mytorch.kernels.windows import (
    IntOrSeq,
    PadArg,
    ntuple,
    output_shape,
    pad_pairs,
    window_view,
)

__all__ = [
    "set_conv_memory_budget", "get_conv_memory_budget", "im2col", "col2im",
    "reference_conv_forward", "reference_conv_input_grad", "reference_conv_weight_grad",
    "conv_forward", "conv_input_grad", "conv_weight_grad", "depthwise_forward",
    "depthwise_input_grad", "depthwise_weight_grad", "im2col_matrix", "conv_matrix",
]

T = TypeVar("T")

_memory_budget = 256 * 2**20  # bytes an unfolded batch (or chunk of it) may take
# Bytes per chunk: small enough that what one step writes is still in cache when the next
# reads it and that a batch makes several chunks to share among the threads. Measured with
# one thread (CPU time, best of 20, a loaded machine) on the strided conv2d, conv1d,
# conv_transpose2d and LeNet-5 cases of the speed suite: 1, 2, 4, 8 and 32 MiB the same
# within the noise (strided conv 24-27 ms, conv_transpose 40-43 ms, LeNet-5 step 22-24 ms);
# at 32 MiB each of those batches was a single chunk, one thread's work. In another series
# (one thread, CPU time under load), 2 MiB (the L2 cache of a core) against 32 MiB: conv1d
# (256, 32->32, L40, k5) 8.8 vs 11.0 ms, conv2d (32, 32->64, 32x32, k3, s2) 20.6 vs 26.8,
# conv_transpose2d (32, 64->32, 16x16, k4, s2) 33.4 vs 41.7.
_WORKING_SET = 2 * 2**20


def set_conv_memory_budget(nbytes: int) -> int:
    """Set the most bytes one unfolded chunk may take; returns the previous budget.

    A convolution whose unfolded input (``N * C * prod(K) * prod(OUT)`` elements)
    would exceed it processes the batch in chunks that do not: of samples, or of
    one sample's output rows (at least one row each). Chunks are smaller still when
    that is faster (see ``_WORKING_SET``).
    """
    global _memory_budget
    if nbytes <= 0:
        raise ValueError(f"set_conv_memory_budget: the budget must be positive, got {nbytes}")
    previous, _memory_budget = _memory_budget, int(nbytes)
    return previous


def get_conv_memory_budget() -> int:
    """The current memory budget of an unfolded chunk, in bytes."""
    return _memory_budget


# -- im2col / col2im ---------------------------------------------------------------------
def _padded_shape(shape: tuple[int, ...], padding: tuple[tuple[int, int], ...]
                  ) -> tuple[int, ...]:
    """(A, B, *L) -> (A, B, *(L + before + after))."""
    return shape[:2] + tuple(L + b + a for L, (b, a) in zip(shape[2:], padding))


def _interior(shape: tuple[int, ...], padding: tuple[tuple[int, int], ...]) -> tuple[slice, ...]:
    """The index of an unpadded (A, B, *L) array's place inside its padded version."""
    return (slice(None), slice(None)) + tuple(slice(b, b + L) for L, (b, _) in
                                              zip(shape[2:], padding))


def _zero_pad(x: np.ndarray, padding: tuple[tuple[int, int], ...]) -> np.ndarray:
    """x (N, C, *L) -> (N, C, *(L + before + after)), the border filled with zeros."""
    if not any(before or after for before, after in padding):
        return x
    padded = np.zeros(_padded_shape(x.shape, padding), dtype=x.dtype)
    padded[_interior(x.shape, padding)] = x
    return padded


def _take(buffer: np.ndarray | None, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An array of ``shape``: the front of the flat ``buffer`` when given, else a new one."""
    if buffer is None:
        return np.empty(shape, dtype=dtype)
    return buffer[: math.prod(shape)].reshape(shape)


def im2col(
    x: np.ndarray, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: PadArg = 0,
    dilation: IntOrSeq = 1, buffer: np.ndarray | None = None,
) -> np.ndarray:
    """Unfold every window of x into a column: x (N, C, *L) -> cols (C, *K, N, *OUT).

    ``cols[c, k, n, o] = x_pad[n, c, o*s + k*d]``: one copy of the window view
    (``windows.window_view``) of the zero-padded input. In this layout
    ``cols.reshape(C * prod(K), N * prod(OUT))`` is free, so a convolution is one
    matrix product with it (see the module docstring). Unfold's layout
    (N, C * prod(K), prod(OUT)) is a free reshape of the im2col of x as
    (1, N * C, *L): the batch folded into the channels.

    Args:
        x: input (N, C, *L).
        kernel_size, stride, dilation: an int or one int per spatial dim.
        padding: an int, one int per dim, or one (before, after) pair per dim (zeros).
        buffer: a flat array of x's dtype to write the columns into (its first
            ``cols.size`` elements), so that a loop over chunks reuses one.

    Returns:
        cols (C, *K, N, *OUT), contiguous; ``OUT`` from ``windows.output_size``.

    >>> im2col(np.arange(4.0).reshape(1, 1, 4), 2).tolist()   # windows [0,1], [1,2], [2,3]
    [[[[0.0, 1.0, 2.0]], [[1.0, 2.0, 3.0]]]]
    """
    nd = x.ndim - 2
    K = ntuple(kernel_size, nd, "kernel_size", "im2col")
    s, d = ntuple(stride, nd, "stride", "im2col"), ntuple(dilation, nd, "dilation", "im2col")
    pads = pad_pairs(padding, nd)
    N, C, *L = x.shape
    out = output_shape(L, K, s, pads, d)
    view = window_view(_zero_pad(x, pads), K, out, s, d)      # (*K, N, C, *OUT)
    cols = _take(buffer, (C, *K, N, *out), x.dtype)
    np.copyto(cols, view.transpose(nd + 1, *range(nd), nd, *range(nd + 2, 2 * nd + 2)))
    return cols


def col2im(
    cols: np.ndarray, input_size: Sequence[int], stride: IntOrSeq = 1, padding: PadArg = 0,
    dilation: IntOrSeq = 1, buffer: np.ndarray | None = None,
) -> np.ndarray:
    """Fold columns back, summing overlaps: cols (C, *K, N, *OUT) -> x (N, C, *input_size).

    The adjoint of ``im2col``: ``<im2col(x), c> == <x, col2im(c)>`` for all x, c.
    One strided add per kernel offset k into a zeroed padded (C, N, *Lp) array,
    through the writeable window view; input positions no window covers get 0.

    Args:
        cols: (C, *K, N, *OUT), with OUT at most the ``im2col`` output size for ``input_size``.
        input_size: the spatial size L of the folded result.
        stride, padding, dilation: as for ``im2col``.
        buffer: a flat array to fold into (its first C * N * prod(Lp) elements).

    Returns:
        x (N, C, *L): a view (a transpose of the padded array's interior).
    """
    nd = len(input_size)
    s, d = ntuple(stride, nd, "stride", "col2im"), ntuple(dilation, nd, "dilation", "col2im")
    pads = pad_pairs(padding, nd)
    C, K, N, out = cols.shape[0], cols.shape[1:1 + nd], cols.shape[1 + nd], cols.shape[2 + nd:]
    shape = (C, N, *input_size)
    x_pad = _take(buffer, _padded_shape(shape, pads), cols.dtype)
    x_pad.fill(0)
    windows = window_view(x_pad, K, out, s, d, writeable=True)  # (*K, C, N, *OUT)
    for k in np.ndindex(*K):
        windows[k] += cols[(slice(None),) + k]
    return x_pad[_interior(shape, pads)].swapaxes(0, 1)


# -- the reference convolution: im2col and one product each -----------------------------
def reference_conv_forward(x: np.ndarray, W: np.ndarray, stride: IntOrSeq = 1,
                           padding: PadArg = 0, dilation: IntOrSeq = 1) -> np.ndarray:
    """y = x (*) W: x (N, C, *L), W (O, C, *K) -> y (N, O, *OUT), one group.

    The weights times the columns, summed over (c, k): ``y^T = W @ cols``.
    """
    cols = im2col(x, W.shape[2:], stride, padding, dilation)         # (C, *K, N, *OUT)
    return np.tensordot(W, cols, axes=W.ndim - 1).swapaxes(0, 1)    # (O, N, *OUT) -> (N, O..)


def reference_conv_input_grad(gy: np.ndarray, W: np.ndarray, input_size: Sequence[int],
                              stride: IntOrSeq = 1, padding: PadArg = 0,
                              dilation: IntOrSeq = 1) -> np.ndarray:
    """gx = the gradient of <gy, conv(x, W)> in x: gy (N, O, *OUT) -> (N, C, *input_size).

    The columns' gradient ``W^T @ gy^T``, summed over o, folded back by col2im.
    """
    gcols = np.tensordot(W, gy, axes=([0], [1]))                     # (C, *K, N, *OUT)
    return col2im(gcols, input_size, stride, padding, dilation)


def reference_conv_weight_grad(x: np.ndarray, gy: np.ndarray, kernel_size: Sequence[int],
                               stride: IntOrSeq = 1, padding: PadArg = 0,
                               dilation: IntOrSeq = 1) -> np.ndarray:
    """gW = the gradient of <gy, conv(x, W)> in W: x (N, C, *L), gy (N, O, *OUT) -> (O, C, *K).

    ``gy^T @ cols^T``: summed over the samples and output positions.
    """
    nd = len(kernel_size)
    cols = im2col(x, kernel_size, stride, padding, dilation)         # (C, *K, N, *OUT)
    # gy's (n, *OUT) axes against the columns' (n, *OUT) axes
    return np.tensordot(gy, cols, axes=([0, *range(2, 2 + nd)], list(range(1 + nd, 2 + 2 * nd))))


# -- the fast path: grouped products, chunks of the batch, reused buffers -----------------
def _chunk_size(n: int, bytes_per_sample: int, working_set: int = _WORKING_SET) -> int:
    """Samples per chunk of a batch of n: as many as fit in the working set and the
    memory budget, at least 1 and at most n (or 1 for an empty batch)."""
    return max(1, min(n, min(_memory_budget, working_set) // max(1, bytes_per_sample)))


def _chunks(n: int, step: int) -> Iterator[slice]:
    """Consecutive slices of ``step`` samples (the last may be shorter) covering range(n)."""
    return (slice(i, min(i + step, n)) for i in range(0, n, step))


class _Piece(NamedTuple):
    """One piece of a convolution's work: some samples, some rows of the output, and the
    region of the zero-padded input their windows read."""

    samples: slice               # of the batch
    rows: slice                  # of the output's first spatial axis
    out: tuple[int, ...]         # the piece's output size, (rows, *OUT[1:])
    region: tuple[int, ...]      # the spatial size of the padded input region it reads
    inside: tuple[slice, ...]    # the input (N, C, *L) in the region: x[inside] ...
    at: tuple[slice, ...]        # ... and where it lies in it: region[at] (the rest is padding)


class _Plan:
    """How a convolution's work is cut into pieces of at most ``_WORKING_SET`` bytes and
    the memory budget (``set_conv_memory_budget``).

    Pieces are chunks of whole samples while one sample fits; when a single sample
    does not, it goes one sample at a time in chunks of output rows (the first
    spatial axis), each reading its own region of the padded input: the windows
    of rows r0..r1 read the padded rows ``r0*s .. (r1-1)*s + d(k-1)``. So memory
    stays bounded however large the batch and the image.

    Args:
        shape: the input's shape (N, C, *L).
        K, out, stride, padding, dilation: the geometry; out is the output's spatial size.
        bytes_per_output: bytes the work takes per sample and output position.
    """

    def __init__(self, shape: tuple[int, ...], K: tuple[int, ...], out: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[tuple[int, int], ...],
                 dilation: tuple[int, ...], bytes_per_output: int) -> None:
        self.N, self.size = shape[0], shape[2:]
        self.K, self.out, self.stride, self.dilation = K, out, stride, dilation
        self.before = tuple(b for b, _ in padding)
        per_row = bytes_per_output * math.prod(out[1:])
        limit = min(_memory_budget, _WORKING_SET)
        if per_row * out[0] <= limit:
            self.samples, self.rows = _chunk_size(self.N, per_row * out[0]), out[0]
        else:
            self.samples, self.rows = 1, max(1, min(out[0], limit // max(1, per_row)))
        self.largest = self._piece(slice(0, self.samples), slice(0, self.rows))
        self.runs_at_once = _memory_budget // max(1, self.samples * self.rows * per_row)

    def _piece(self, samples: slice, rows: slice) -> _Piece:
        out = (rows.stop - rows.start, *self.out[1:])
        start = (rows.start,) + (0,) * (len(out) - 1)
        inside, at, region = [samples, slice(None)], [slice(None), slice(None)], []
        for o0, o, L, k, s, d, b in zip(start, out, self.size, self.K, self.stride,
                                        self.dilation, self.before):
            lo, hi = o0 * s, (o0 + o - 1) * s + d * (k - 1) + 1  # padded positions read
            first, last = min(max(lo - b, 0), L), min(max(hi - b, 0), L)
            inside.append(slice(first, last))
            at.append(slice(first + b - lo, last + b - lo))
            region.append(hi - lo)
        return _Piece(samples, rows, out, tuple(region), tuple(inside), tuple(at))

    def pieces(self, chunks: Sequence[slice]) -> Iterator[_Piece]:
        """The pieces of these chunks of samples, in order: within them chunks of rows."""
        for samples in chunks:
            for rows in _chunks(self.out[0], self.rows):
                yield self._piece(samples, rows)

    def map(self, run: Callable[[Sequence[slice]], list[T]]) -> list[T]:
        """``run`` over the chunks of samples (``run(chunks)`` does their pieces, with
        buffers of its own) on the intra-op threads, as many at once as the memory budget
        holds: its results in piece order (see ``parallel.map_chunks``)."""
        return parallel.map_chunks(run, self.N, self.samples, self.runs_at_once)

    def padded_region(self, x: np.ndarray, piece: _Piece, buffer: np.ndarray) -> np.ndarray:
        """The zero-padded region of x (N, C, *L) that ``piece`` reads, written into buffer:
        (n, C, *piece.region)."""
        n = piece.samples.stop - piece.samples.start
        region = _take(buffer, (n, x.shape[1], *piece.region), x.dtype)
        region.fill(0)
        region[piece.at] = x[piece.inside]
        return region

    def buffer(self, channels: int, dtype: Any, positions: bool = True) -> np.ndarray:
        """A flat buffer for the largest piece: ``channels`` values per sample and output
        position, or (``positions=False``) per sample and position of its region."""
        size = math.prod(self.largest.out if positions else self.largest.region)
        return np.empty(self.samples * channels * size, dtype=dtype)


def _channels_first(a: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """(n, O, *S) -> (O, n, *S), copied into buffer."""
    out = buffer[: a.size].reshape(a.shape[1], a.shape[0], *a.shape[2:])
    np.copyto(out, a.swapaxes(0, 1))
    return out


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b, out=out)``, but a product over a single index is an outer product,
    which a broadcast multiply computes several times faster (the input gradient of a
    grouped convolution with one output channel per group: O/G = 1)."""
    if a.shape[-1] == 1:
        return np.multiply(a, b, out=out)
    return np.matmul(a, b, out=out)


def _is_depthwise(channels_per_group: int, groups: int, sample_columns: int) -> bool:
    """Whether every group has one input channel (groups == C > 1) and one sample's
    columns (``sample_columns`` bytes) fit the memory budget: the direct path
    (``depthwise_forward``) computes that 2-3x faster than the grouped products over
    columns of 32 MiB chunks (C products of prod(K) rows each), but a sample at a time
    at least; a larger sample goes through the products in pieces of rows."""
    return channels_per_group == 1 and groups > 1 and sample_columns <= _memory_budget


@parallel.holds_blas
def conv_forward(
    x: np.ndarray, W: np.ndarray, stride: tuple[int, ...], padding: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...], groups: int, out_size: Sequence[int] | None = None,
) -> np.ndarray:
    """y = x (*) W, PyTorch's convolution (a cross-correlation): (N, C, *L) -> (N, O, *OUT).

    ``reference_conv_forward`` with groups, by pieces (``_Plan``): per piece,
    the im2col of its padded input region, one product per group, and the
    product's (O, n, *out) goes into its samples and rows of y (n, O, *OUT).
    A depthwise convolution (groups == C) takes the direct path instead.

    Args:
        x: input (N, C, *L); W: weight (O, C/G, *K) of the same dtype.
        stride, dilation: one int per spatial dim; padding: one (before, after) pair per dim.
        groups: G; channels c of group g (c // (C/G) == g) only meet output channels of group g.
        out_size: compute only the first ``out_size`` outputs per dim (default: all of them,
            ``windows.output_shape``); the adjoint of a transposed convolution whose
            output_padding reaches past the last window needs this.
    """
    N, C, *L = x.shape
    O, Cg, *ks = W.shape
    K, G = tuple(ks), groups
    out = tuple(out_size or output_shape(L, K, stride, padding, dilation))
    if _is_depthwise(Cg, G, C * math.prod(K) * math.prod(out) * x.itemsize):
        return depthwise_forward(x, W, stride, padding, dilation, out)
    if winograd.applies(x.shape, W.shape, out, stride, padding, dilation, G,
                        np.result_type(x, W), _memory_budget):
        return winograd.forward(x, W, padding, _memory_budget)
    CKg = Cg * math.prod(K)
    W_mat = W.reshape(G, O // G, CKg)           # (O, C/G, *K) -> (G, O/G, CKg)
    y = np.empty((N, O, *out), dtype=np.result_type(x, W))
    plan = _Plan(x.shape, K, out, stride, padding, dilation, (C * math.prod(K) + O) * y.itemsize)

    def run(chunks: Sequence[slice]) -> list[None]:
        region_buffer = plan.buffer(C, x.dtype, positions=False)
        cols_buffer, y_buffer = plan.buffer(C * math.prod(K), x.dtype), plan.buffer(O, y.dtype)
        for piece in plan.pieces(chunks):
            cols = im2col(plan.padded_region(x, piece, region_buffer), K, stride, 0, dilation,
                          cols_buffer)             # (C, *K, n, *piece.out)
            nP = cols[0].size // math.prod(K)
            y_T = y_buffer[: O * nP].reshape(G, O // G, nP)
            # (G, O/G, CKg) @ (G, CKg, n * P) -> (G, O/G, n * P)
            _matmul(W_mat, cols.reshape(G, CKg, nP), y_T)
            # (O, n, *out) -> (n, O, *out)
            y[piece.samples, :, piece.rows] = y_T.reshape(O, -1, *piece.out).swapaxes(0, 1)
        return []

    plan.map(run)
    return y


def _adjoint_padding(out: Sequence[int], input_size: Sequence[int], K: Sequence[int],
                     stride: Sequence[int], padding: Sequence[tuple[int, int]],
                     dilation: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """The (before, after) padding of gy spread out by the stride (s - 1 zeros between its
    elements) under which a stride-1 correlation with the flipped kernel gives the
    input gradient: gy[j] lands at ``j*s + d(K-1) - p``, and the padding after fills
    the span ``L + d(K-1)`` of L windows. Negative where the adjoint crops gy."""
    pads = []
    for o, L, k, s, d, (before, _) in zip(out, input_size, K, stride, dilation, padding):
        shift = d * (k - 1) - before
        pads.append((shift, L + d * (k - 1) - shift - (o - 1) * s - 1))
    return tuple(pads)


def _adjoint_weight(W: np.ndarray, groups: int, stride: Sequence[int]) -> np.ndarray:
    """W (O, C/G, *K), each K a multiple of its stride s -> the weight of the transposed
    convolution as a stride-1 convolution into the prod(s) phases of gx (``_phases``),
    (G * prod(s) * C/G, O/G, *(K/s)): in each group the input and output channels
    swapped, and per phase r (the input position modulo s) its taps k = s*q + r,
    flipped: ``W'[(g, r, c), o, q] = W[(g, o), c, s*(K/s - 1 - q) + r]``. At stride 1,
    W with the channels swapped and the kernel flipped.
    Copied: a flipped view's negative strides would keep BLAS out of the products."""
    O, Cg, *K = W.shape
    nd, Og = len(K), O // groups
    taps = [k // s for k, s in zip(K, stride)]
    # (G, O/G, C/G, Q1, s1, Q2, s2, ...): each tap k as (q, r)
    split = W.reshape(groups, Og, Cg, *(n for q, s in zip(taps, stride) for n in (q, s)))
    flipped = np.flip(split, tuple(range(3, 3 + 2 * nd, 2)))
    # -> (G, s1, s2, ..., C/G, O/G, Q1, Q2, ...)
    order = (0, *range(4, 4 + 2 * nd, 2), 2, 1, *range(3, 3 + 2 * nd, 2))
    return np.ascontiguousarray(flipped.transpose(order)).reshape(-1, Og, *taps)


class _Phases(NamedTuple):
    """The transposed convolution as a stride-1 convolution of gy (``conv_input_grad``):
    gy padded by ``padding`` gives ``size`` outputs per phase; input position l is
    phase (l + first) mod s at (l + first) // s."""

    padding: tuple[tuple[int, int], ...]
    size: tuple[int, ...]
    first: tuple[int, ...]


def _phases(out: Sequence[int], input_size: Sequence[int], K: Sequence[int],
            stride: Sequence[int], padding: Sequence[tuple[int, int]],
            dilation: Sequence[int]) -> _Phases | None:
    """How the input gradient is a stride-1 convolution of gy, or None where it is not.

    With p = s*a + b (0 <= b < s) and every tap k = s*q + r (each K a multiple of
    its s, Q = K/s taps per phase; dilation 1 unless s = 1), the padded input
    position s*t + r, input position l = s*(t - a) + r - b, receives

        sum_q gy[t - q] W[s*q + r] = sum_q gy_pad[t - a + q] W[s*(Q-1-q) + r]

    with gy padded by ``d(Q-1) - a`` before: per phase r a correlation with Q
    flipped taps (``_adjoint_weight``), over ``ceil((L + b) / s)`` positions t - a.
    None where a kernel size is no multiple of its stride, a dilated kernel has a
    stride, or p > s * d(Q-1) would crop gy.
    """
    if any(k % s for k, s in zip(K, stride)) or (
            any(s > 1 for s in stride) and any(d > 1 for d in dilation)):
        return None
    pads, size, first = [], [], []
    for o, L, k, s, d, (before, _) in zip(out, input_size, K, stride, dilation, padding):
        a, b = divmod(before, s)
        t = -(-(L + b) // s)
        pads.append((d * (k // s - 1) - a, max(0, t - o + a)))
        size.append(t)
        first.append(b)
    if min(before for before, _ in pads) < 0:
        return None
    return _Phases(tuple(pads), tuple(size), tuple(first))


def _interleave(phases: np.ndarray, groups: int, stride: Sequence[int], first: Sequence[int],
                input_size: Sequence[int]) -> np.ndarray:
    """The phases (N, G * prod(s) * C/G, *T) of ``_phases`` -> gx (N, C, *input_size):
    ``gx[..., l] = phases[..., phase (l + b) mod s, at (l + b) // s]`` per dim (a pixel
    shuffle, cropped), one strided copy per phase."""
    N, nd = phases.shape[0], len(stride)
    split = phases.reshape(N, groups, *stride, -1, *phases.shape[2:])  # (N, G, *s, C/G, *T)
    gx = np.empty((N, groups, split.shape[2 + nd], *input_size), dtype=phases.dtype)
    every = (slice(None),) * 3
    for i in np.ndindex(*stride):           # the input positions l = i (mod s), per dim
        at = [divmod(j + b, s) for j, b, s in zip(i, first, stride)]  # (t, r) of l = i
        counts = [len(range(j, L, s)) for j, L, s in zip(i, input_size, stride)]
        phase = every[:2] + tuple(r for _, r in at) + every[:1]
        positions = tuple(slice(t, t + n) for (t, _), n in zip(at, counts))
        gx[every + tuple(slice(j, None, s) for j, s in zip(i, stride))] = split[phase + positions]
    return gx.reshape(N, -1, *input_size)


class _PhaseFold:
    """col2im for ``conv_input_grad``, by phases over wide rows: one piece's columns'
    gradient folded into its padded input region, and the region's inside into gx.

    col2im's strided adds run along rows of OUT[-1] elements (a few dozen, with a
    stride s), where NumPy's loop overhead outweighs the adds. Here the region is
    kept as its s^d phases (region position u = s*t + r along each dim: phase r,
    place t; T = ceil(region / s) places), each contiguous, and offset k adds into
    phase ``k*d mod s`` from place ``k*d // s`` on, one place per output: a unit
    stride. And along the last dim the columns hold ``T[-1]`` outputs per row,
    not OUT[-1] (gy zero past OUT[-1], so the extra ones add zeros, into the next
    row or the ``slack`` after the buffer): a row of columns then continues into
    the next, and each add runs over a whole plane of rows. The phases are then
    written into gx interleaved, one strided copy per phase (as ``_interleave``).
    At stride 1 there is one phase, and only the wide rows remain. Measured at one
    thread (CPU time, under load), the input gradient of (32, 32->64, 32x32, k3, s2)
    7.5 against col2im's 9.3 ms, for 6% more positions in the product (17 per row,
    not 16); of LeNet's (128, 6->16, 14x14, k5) at stride 1 4.1 against 4.9 ms,
    for 40% more (14 per row, not 10).
    """

    def __init__(self, piece: _Piece, K: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...]) -> None:
        self.piece, self.K, self.stride, self.dilation = piece, K, stride, dilation
        self.places = tuple(-(-r // s) for r, s in zip(piece.region, stride))  # T per dim
        self.out = (*piece.out[:-1], self.places[-1])   # outputs per sample, the last dim wide
        self.positions = math.prod(self.out)
        self.phase_size = math.prod(stride) * math.prod(self.places)   # per channel and sample
        self.slack = dilation[-1] * (K[-1] - 1) // stride[-1]

    def wide(self, gy: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """gy (n, O, *OUT) of the piece -> (O, n, *self.out) channels first in buffer, zero
        past OUT[-1]."""
        n, O, *out = gy.shape
        wide = buffer[: O * n * self.positions].reshape(O, n, *self.out)
        wide[..., : out[-1]] = gy.swapaxes(0, 1)
        wide[..., out[-1]:] = 0
        return wide

    def zero_extra(self, gcols: np.ndarray) -> None:
        """Zero the columns of the extra outputs (past OUT[-1]): with an inf in W, their
        0 * inf is NaN, which the adds would carry into the next row."""
        gcols.reshape(-1, self.out[-1])[:, self.piece.out[-1]:] = 0

    def fold(self, gcols: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """gcols (C, *K, n * positions) -> the region's phases (*s, C, n, *T), folded into
        the zeroed front of buffer: one add per kernel offset."""
        C, nd = gcols.shape[0], len(self.K)
        n = gcols.shape[-1] // self.positions
        size = C * n * self.phase_size
        flat = buffer[: size + self.slack]
        flat.fill(0)
        phases = flat[:size].reshape(*self.stride, C, n, *self.places)
        phase_step, place_step = phases.strides[:nd], phases.strides[nd + 2:]
        for k in np.ndindex(*self.K):
            at = [k_ * d for k_, d in zip(k, self.dilation)]  # the offset in the region
            start = sum(a % s * step for a, s, step in zip(at, self.stride, phase_step)) + \
                sum(a // s * step for a, s, step in zip(at, self.stride, place_step))
            # the phase's places of this offset's outputs, rows running into the next (a
            # view made directly: as_strided costs 20x more, on every offset of every piece)
            target = np.ndarray((C, n, *self.out), flat.dtype, flat, start,
                                phases.strides[nd:])
            target += gcols[(slice(None),) + k].reshape(C, n, *self.out)
        return phases

    def unphase(self, phases: np.ndarray, gx: np.ndarray, add: bool) -> None:
        """Write (or ``add``) the region's inside, from its phases (*s, C, n, *T), into
        gx (N, C, *L) at the piece's place: one strided copy per phase."""
        piece = self.piece
        for r in np.ndindex(*self.stride):
            places, target = [], []
            for r_, s, at, inside in zip(r, self.stride, piece.at[2:], piece.inside[2:]):
                first = at.start + (r_ - at.start) % s    # the first region position in phase r_
                count = len(range(first, at.stop, s))
                places.append(slice(first // s, first // s + count))
                start = inside.start + first - at.start
                target.append(slice(start, start + s * count, s))
            source = phases[r].swapaxes(0, 1)[(Ellipsis,) + tuple(places)]     # (n, C, ...)
            index = (piece.samples, slice(None), *target)
            if add:
                gx[index] += source
            else:
                gx[index] = source


@parallel.holds_blas
def conv_input_grad(
    gy: np.ndarray, W: np.ndarray, input_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...], groups: int,
) -> np.ndarray:
    """gx = the adjoint of ``conv_forward`` in x applied to gy: the transposed convolution.

    gy (N, O, *OUT), W (O, C/G, *K) -> gx (N, C, *input_size). ``input_size`` is
    needed because with stride > 1 several input sizes give the same OUT.
    ``reference_conv_input_grad`` with groups, by pieces (``_Plan``): per piece,
    one product per group makes the columns' gradient, a col2im by phases over
    wide rows (``_PhaseFold``) folds them into the piece's padded input region,
    and the region's inside is added into gx (the regions of consecutive row
    pieces overlap).

    At stride 1 it is a ``conv_forward`` instead: gy, padded by ``d(K-1) - p``,
    correlated with the flipped kernel whose input and output channels trade
    places (``_adjoint_weight``),

        gx[i] = sum_k gy[i + p - k*d] W[k] = sum_k gy_pad[i + k*d] W[K-1-k],

    which replaces col2im's zero fill and strided adds by im2col's one copy, and
    the product ``W^T @ gy^T`` by the forward's ``W' @ cols``: at one thread on 3x3
    kernels 20-30% faster with O == C, 2x with O == C/2. It unfolds gy, O * prod(K)
    values per input position, where col2im folds C * prod(K) per output position,
    so it is taken only where that is no more: with O == 2C it measured 15% slower,
    with C = 1 and O = 6 (LeNet's first layer) 3x slower. At stride s the same
    needs gy spread out by s (s - 1 zeros between its elements: s^d times the
    work), or split into s^d phases (the input positions modulo s), each a
    stride-1 convolution with a sub-kernel: as s^d convolutions, those measured
    25-70% slower than col2im at stride 2 (thin products, s^d unfoldings). But
    where every kernel size is a multiple of its stride (k4 s2, k2 s2), every
    phase has K/s taps, and the s^d phases are one convolution of one unfolding
    of gy, with s^d * C output channels side by side (``_phases``), whose
    outputs interleaved (a pixel shuffle, ``_interleave``) are gx: at one thread
    on (32, 32->64, 32x32, k4, s2, p1), the transposed convolution of the speed
    suite, 25% faster than col2im (10.5 against 14.3 ms, under load). The same
    rule picks it (the unfolded gy no larger than col2im's columns); other
    strided convolutions keep col2im.
    """
    N, O, *out_ = gy.shape
    _, Cg, *ks = W.shape
    K, G, out = tuple(ks), groups, tuple(out_)
    if _is_depthwise(Cg, G, O * math.prod(K) * math.prod(input_size) * gy.itemsize):
        return depthwise_input_grad(gy, W, input_size, stride, padding, dilation, G)
    if winograd.applies((N, Cg * G, *input_size), W.shape, out, stride, padding, dilation, G,
                        np.result_type(gy, W), _memory_budget):
        return winograd.input_grad(gy, W, padding, _memory_budget)
    C, CKg = Cg * G, Cg * math.prod(K)
    phases = _phases(out, input_size, K, stride, padding, dilation)
    if phases is not None and (O * math.prod(K) // math.prod(stride) * math.prod(phases.size)
                               <= C * math.prod(K) * math.prod(out)):
        # the transposed convolution as a convolution: no col2im, and a product of the
        # forward's orientation, which BLAS runs faster than W^T @ gy^T
        gx = conv_forward(gy, _adjoint_weight(W, G, stride), (1,) * len(K), phases.padding,
                          dilation, G, out_size=phases.size)
        if all(s == 1 for s in stride):
            return gx
        return _interleave(gx, G, stride, phases.first, input_size)
    W_mat_T = W.reshape(G, O // G, CKg).transpose(0, 2, 1)  # (G, CKg, O/G), a view
    dtype = np.result_type(gy, W)
    gx = np.zeros((N, C, *input_size), dtype=dtype)
    plan = _Plan(gx.shape, K, out, stride, padding, dilation,
                 (C * math.prod(K) + O + C) * dtype.itemsize)
    largest = _PhaseFold(plan.largest, K, stride, dilation)
    finite = bool(np.isfinite(W).all())  # else the extra positions' 0 * inf would make NaNs

    def run(chunks: Sequence[slice]) -> list[None]:
        gy_buffer = np.empty(plan.samples * O * largest.positions, dtype=gy.dtype)
        gcols_buffer = np.empty(plan.samples * C * math.prod(K) * largest.positions,
                                dtype=dtype)
        phases_buffer = np.empty(plan.samples * C * largest.phase_size + largest.slack,
                                 dtype=dtype)
        for piece in plan.pieces(chunks):
            fold = _PhaseFold(piece, K, stride, dilation)
            gy_T = fold.wide(gy[piece.samples, :, piece.rows], gy_buffer)  # (O, n, *out, wide)
            nP = gy_T[0].size
            gcols = gcols_buffer[: C * math.prod(K) * nP].reshape(G, CKg, nP)
            # (G, CKg, O/G) @ (G, O/G, n * P) -> (G, CKg, n * P) = gcols (C, *K, n, *wide out)
            _matmul(W_mat_T, gy_T.reshape(G, O // G, nP), gcols)
            if not finite:
                fold.zero_extra(gcols)
            folded = fold.fold(gcols.reshape(C, *K, -1), phases_buffer)   # (*s, C, n, *T)
            # a sample chunk's first piece has nothing there to add to; later ones overlap
            # the region of the rows before them
            fold.unphase(folded, gx, add=piece.rows.start > 0)
        return []

    plan.map(run)
    return gx


@parallel.holds_blas
def conv_weight_grad(
    x: np.ndarray, gy: np.ndarray, kernel_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...], groups: int,
) -> np.ndarray:
    """gW = the adjoint of ``conv_forward`` in W: x (N, C, *L), gy (N, O, *OUT) -> (O, C/G, *K).

    ``reference_conv_weight_grad`` with groups, by pieces (``_Plan``): per
    piece, one product per group contracts over its samples and output
    positions together, gy as (O, n * P) times the columns (C * prod(K), n * P)
    transposed.
    """
    N, C, *L = x.shape
    _, O, *out_ = gy.shape
    K, G, out = tuple(kernel_size), groups, tuple(out_)
    if _is_depthwise(C // G, G, C * math.prod(K) * math.prod(out) * x.itemsize):
        return depthwise_weight_grad(x, gy, K, stride, padding, dilation)
    if winograd.applies(x.shape, (O, C // G, *K), out, stride, padding, dilation, G,
                        np.result_type(x, gy), _memory_budget):
        return winograd.weight_grad(x, gy, padding, _memory_budget)
    CKg = C // G * math.prod(K)
    dtype = np.result_type(x, gy)
    plan = _Plan(x.shape, K, out, stride, padding, dilation,
                 (C * math.prod(K) + O) * dtype.itemsize)

    def run(chunks: Sequence[slice]) -> list[np.ndarray]:
        """Each piece's term of gW transposed, (G, CKg, O/G)."""
        region_buffer = plan.buffer(C, x.dtype, positions=False)
        cols_buffer, gy_buffer = plan.buffer(C * math.prod(K), x.dtype), plan.buffer(O, gy.dtype)
        terms = []
        for piece in plan.pieces(chunks):
            cols = im2col(plan.padded_region(x, piece, region_buffer), K, stride, 0, dilation,
                          cols_buffer)             # (C, *K, n, *piece.out)
            gy_T = _channels_first(gy[piece.samples, :, piece.rows], gy_buffer)  # (O, n, *out)
            nP = gy_T[0].size
            # (G, CKg, n * P) @ (G, n * P, O/G) -> (G, CKg, O/G): gW transposed, because
            # BLAS computes it 1.3-2x faster than gy_T @ cols^T
            terms.append(np.matmul(cols.reshape(G, CKg, nP),
                                   gy_T.reshape(G, O // G, nP).transpose(0, 2, 1)))
        return terms

    gW_T = np.zeros((G, CKg, O // G), dtype=dtype)
    for term in plan.map(run):                 # summed over the pieces, in order
        gW_T += term
    return gW_T.transpose(0, 2, 1).reshape(O, C // G, *K)


# -- the direct path: a depthwise convolution, one cache-sized chunk at a time ------------
# Bytes of one chunk's padded input, columns and output, meant to stay in the L2 cache from
# the copy that writes the columns to the product that reads them. Measured fwd + bwd on
# (32, 64, 32x32), (32, 128, 16x16) and (32, 32, 64x64), k3: the same from 256 KiB to
# 8 MiB (within the noise of a loaded machine); the whole batch at once was 2x slower.
_DIRECT_WORKING_SET = 2**20


class _Rows:
    """The direct path's geometry: whole padded rows of windows, one chunk of the batch at a time.

    Along the last axis the direct path computes a window at every start
    ``0, s, 2s, ...`` of the padded row, ``wide = ceil(Lp / s)`` of them, not just
    the OUT[-1] that fit: the extra ones run into the next row, and their outputs
    are dropped (or, in the weight gradient, meet zeros in gy). With stride 1 a
    window view then steps evenly from one row into the next, so NumPy copies
    whole channels at once instead of rows of OUT[-1] elements (3-4x faster at
    32 columns).
    The padded buffer has ``slack`` elements after it for the last row's extra
    windows to read.
    """

    def __init__(self, shape: tuple[int, ...], K: tuple[int, ...], out: tuple[int, ...],
                 stride: tuple[int, ...], padding: Sequence[tuple[int, int]],
                 dilation: tuple[int, ...], channels_out: int, itemsize: int,
                 spread: Sequence[int] | None = None) -> None:
        self.K, self.stride, self.dilation = K, stride, dilation
        # x (N, C, *L) spread out (spread - 1 zeros between its elements), then padded (a
        # negative padding crops): which of its elements go where in the padded array
        self.source, self.target = [slice(None)] * 2, [slice(None)] * 2
        padded = []
        for L, s, (before, after) in zip(shape[2:], spread or (1,) * len(K), padding):
            n = (L - 1) * s + 1 + before + after
            first = -(min(before, 0) // s)  # the elements j with 0 <= j*s + before < n
            count = max(0, min(L, (n - 1 - before) // s + 1) - first)
            self.source.append(slice(first, first + count))
            self.target.append(slice(first * s + before, first * s + before + count * s, s))
            padded.append(n)
        self.padded = (shape[1], *padded)                         # (C, *Lp)
        self.out, self.wide = out, (*out[:-1], -(-self.padded[-1] // stride[-1]))
        self.slack = stride[-1] + dilation[-1] * (K[-1] - 1)
        per_output = shape[1] * math.prod(K) + channels_out        # columns and output
        per_sample = math.prod(self.padded) + per_output * math.prod(self.wide)
        self.N, self.step = shape[0], _chunk_size(shape[0], per_sample * itemsize,
                                                  _DIRECT_WORKING_SET)
        self.runs_at_once = _memory_budget // (self.step * per_sample * itemsize)

    def map(self, run: Callable[[Sequence[slice]], list[T]]) -> list[T]:
        """``run`` over the chunks of the batch (``run(chunks)`` with buffers of its own) on
        the intra-op threads: its results in chunk order (see ``parallel.map_chunks``)."""
        return parallel.map_chunks(run, self.N, self.step, self.runs_at_once)

    def place(self, x: np.ndarray, chunk: slice, x_pad: np.ndarray) -> None:
        """Write x[chunk] (n, C, *L) into its places in the chunk's padded array; the rest
        of the padded buffer is zero from the start and stays so."""
        x_pad[tuple(self.target)] = x[(chunk,) + tuple(self.source[1:])]

    def padded_buffer(self, dtype: Any) -> np.ndarray:
        """A zeroed flat buffer for one chunk's padded array and the slack after it."""
        return np.zeros(self.step * math.prod(self.padded) + self.slack, dtype=dtype)

    def buffer(self, channels: int, dtype: Any) -> np.ndarray:
        """A flat buffer for ``channels`` values per sample and (wide) output position."""
        return np.empty(self.step * channels * math.prod(self.wide), dtype=dtype)

    def windows(self, buffer: np.ndarray, n: int, writeable: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
        """The padded (n, C, *Lp) array at the front of ``buffer`` and its windows
        (*K, n, C, *wide)."""
        x_pad = buffer[: n * math.prod(self.padded)].reshape(n, *self.padded)
        view = window_view(x_pad, self.K, self.wide, self.stride, self.dilation, writeable)
        return x_pad, view

    def columns(self, windows: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """The chunk's windows (*K, n, C, *wide) copied as columns (C, prod(K), n * wide):
        ``im2col`` over whole rows, of one chunk small enough to stay in cache."""
        nd = len(self.K)
        n, C = windows.shape[nd: nd + 2]
        cols = buffer[: windows.size].reshape(C, *self.K, n, *self.wide)
        np.copyto(cols, windows.transpose(nd + 1, *range(nd), nd, *range(nd + 2, 2 * nd + 2)))
        return cols.reshape(C, math.prod(self.K), -1)

    def zero_extra(self, cols: np.ndarray) -> None:
        """Zero the extra windows' columns in cols (C, prod(K), n * wide)."""
        cols.reshape(*cols.shape[:2], -1, *self.wide)[..., self.out[-1]:] = 0

    def outputs(self, a: np.ndarray, buffer: np.ndarray, channels: int) -> np.ndarray:
        """a (n, channels, *OUT) copied channels first into (channels, n * wide), the
        positions past OUT[-1] zero: the direct path's layout of y and gy."""
        n = a.shape[0]
        wide = buffer[: channels * n * math.prod(self.wide)].reshape(channels, n, *self.wide)
        wide[..., : self.out[-1]] = a.swapaxes(0, 1)
        wide[..., self.out[-1]:] = 0
        return wide.reshape(channels, 1, -1)


def depthwise_forward(
    x: np.ndarray, W: np.ndarray, stride: tuple[int, ...], padding: Sequence[tuple[int, int]],
    dilation: tuple[int, ...], out: tuple[int, ...], spread: Sequence[int] | None = None,
) -> np.ndarray:
    """``conv_forward`` with groups == C: x (N, C, *L), W (C*M, 1, *K) -> y (N, C*M, *OUT).

    Output channel c*M + m reads input channel c alone: per channel, M outputs
    from prod(K) taps, too thin a product for the whole batch's columns to pay
    for themselves. Per chunk of the batch small enough to stay in cache, its
    columns over whole padded rows (``_Rows``) and one product per channel,
    (C, M, prod(K)) @ (C, prod(K), n * wide); the extra windows are dropped.
    ``spread`` (for ``depthwise_input_grad``) spreads x out by that stride, s - 1
    zeros between its elements, before the padding, which may then be negative (crop).
    """
    N, C, *_ = x.shape
    K, M = W.shape[2:], W.shape[0] // C
    y = np.empty((N, C * M, *out), dtype=np.result_type(x, W))
    rows = _Rows(x.shape, K, out, stride, padding, dilation, C * M, y.itemsize, spread)
    taps = W.reshape(C, M, -1)                                 # (C, M, prod(K))

    def run(chunks: Sequence[slice]) -> list[None]:
        x_pad_buffer = rows.padded_buffer(x.dtype)
        cols_buffer = rows.buffer(C * math.prod(K), x.dtype)
        y_buffer = rows.buffer(C * M, y.dtype)
        for chunk in chunks:
            n = chunk.stop - chunk.start
            x_pad, windows = rows.windows(x_pad_buffer, n)
            rows.place(x, chunk, x_pad)
            cols = rows.columns(windows, cols_buffer)              # (C, prod(K), n * wide)
            y_T = y_buffer[: C * M * cols.shape[-1]].reshape(C, M, -1)
            np.matmul(taps, cols, out=y_T)                         # (C, M, n * wide)
            y[chunk] = y_T.reshape(C * M, n, *rows.wide)[..., : out[-1]].swapaxes(0, 1)
        return []

    rows.map(run)
    return y


def depthwise_input_grad(
    gy: np.ndarray, W: np.ndarray, input_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...], channels: int,
) -> np.ndarray:
    """``conv_input_grad`` with groups == C: gy (N, C*M, *OUT), W (C*M, 1, *K) -> (N, C, *L).

    The adjoint of a convolution is a convolution: with gy spread out by the
    stride (s - 1 zeros between its elements) and shifted by ``d(K-1) - p``,

        gx[i] = sum_k gy[(i + p - k*d) / s] W[k]   (where that is an index of gy)
              = sum_k spread[i + k*d] W[K-1-k],

    the correlation at stride 1 of the spread with the flipped kernel: a
    ``depthwise_forward``, whose C*M outputs are summed over the multiplier m.
    """
    N, O, *out = gy.shape
    C, K, nd = channels, W.shape[2:], len(out)
    shifted = _adjoint_padding(out, input_size, K, stride, padding, dilation)
    # copied: a flipped view's negative strides would keep BLAS out of the products
    flipped = np.flip(W, tuple(range(2, 2 + nd))).copy()
    gx = depthwise_forward(gy, flipped, (1,) * nd, shifted, dilation, tuple(input_size), stride)
    M = O // C
    return gx.reshape(N, C, M, *input_size).sum(axis=2) if M > 1 else gx


def depthwise_weight_grad(
    x: np.ndarray, gy: np.ndarray, kernel_size: Sequence[int], stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...],
) -> np.ndarray:
    """``conv_weight_grad`` with groups == C: x (N, C, *L), gy (N, C*M, *OUT) -> (C*M, 1, *K).

    Per chunk, gy times the columns transposed, one product per channel,
    (C, M, n * wide) @ (C, n * wide, prod(K)), summed over the chunks; the
    extra windows meet zeros in gy. (Where x holds an inf, 0 * inf would make a NaN
    that torch does not: a chunk whose product has one is redone with the extra
    windows' columns zeroed, a strided write too slow to make every time.)
    """
    N, C, *_ = x.shape
    _, O, *out_ = gy.shape
    out, K, M = tuple(out_), tuple(kernel_size), O // C
    dtype = np.result_type(x, gy)
    rows = _Rows(x.shape, K, out, stride, padding, dilation, O, dtype.itemsize)

    def run(chunks: Sequence[slice]) -> list[np.ndarray]:
        """Each chunk's term of gW, (C, M, prod(K))."""
        x_pad_buffer = rows.padded_buffer(x.dtype)
        gy_buffer, cols_buffer = rows.buffer(O, gy.dtype), rows.buffer(C * math.prod(K), x.dtype)
        terms = []
        for chunk in chunks:
            n = chunk.stop - chunk.start
            x_pad, windows = rows.windows(x_pad_buffer, n)
            rows.place(x, chunk, x_pad)
            cols = rows.columns(windows, cols_buffer)              # (C, prod(K), n * wide)
            gy_T = rows.outputs(gy[chunk], gy_buffer, O).reshape(C, M, -1)  # (C, M, n * wide)
            with np.errstate(invalid="ignore"):                   # a NaN is mended below
                term = np.matmul(gy_T, cols.transpose(0, 2, 1))    # (C, M, prod(K))
            if np.isnan(term).any():
                rows.zero_extra(cols)
                term = np.matmul(gy_T, cols.transpose(0, 2, 1))
            terms.append(term)
        return terms

    gW = np.zeros((C, M, math.prod(K)), dtype=dtype)
    for term in rows.map(run):                                 # summed in chunk order
        gW += term
    return gW.reshape(C * M, 1, *K)


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
    K = ntuple(kernel_size, nd, "kernel_size", "im2col_matrix")
    s = ntuple(stride, nd, "stride", "im2col_matrix")
    d = ntuple(dilation, nd, "dilation", "im2col_matrix")
    pads = pad_pairs(padding, nd)
    out = output_shape(L, K, s, pads, d)
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
