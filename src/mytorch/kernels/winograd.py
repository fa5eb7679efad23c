"""Winograd's minimal filtering F(2x2, 3x3): a 3x3 convolution with 2.25x fewer products.

In one dimension, two outputs of a 3-tap correlation ``y[t] = sum_k d[t+k] g[k]``
from the four inputs ``d[0..3]`` they read take four products instead of six:

    y = AT [(G g) * (BT d)]        * elementwise, 4 products

    BT = [[1, 0, -1, 0],   G = [[1,    0,   0],   AT = [[1, 1,  1,  0],
          [0, 1,  1, 0],        [1/2, 1/2, 1/2],        [0, 1, -1, -1]]
          [0, -1, 1, 0],        [1/2, -1/2, 1/2],
          [0, 1,  0, -1]]       [0,    0,   1]]

(check: y[0] = m0 + m1 + m2 = d0 g0 + d1 g1 + d2 g2). Nested in two dims, a
2x2 tile of outputs from the 4x4 tile of inputs it reads takes 16 products
instead of 36:

    Y = AT [(G g GT) * (BT d B)] A

Over channels, the elementwise product becomes a sum over c, so for each of
the 16 positions ab of a transformed tile the work is one matrix product over
all tiles at once (the letters are those of ``conv``; T = n * th * tw tiles of
a chunk of n samples, th x tw tiles per sample):

    U = G g GT     W (O, C, 3, 3)              -> U (16, O, C)
    V = BT d B     x's tiles D (16, C, T)      -> V (16, C, T)
    M = U @ V      16 products (O, C) @ (C, T) -> M (16, O, T)
    Y = AT M A     M                           -> Y (4, O, T): y's 2x2 tiles

Each transform is a product with a Kronecker matrix (``BT d B`` is
``kron(BT, BT) @ d.ravel()``): one BLAS call over the whole chunk, measured
as fast as or up to 2x faster in NumPy than the equivalent elementwise
additions over strided views (which cost one pass over memory each). The
input gradient is the forward of gy with the flipped kernel (``input_grad``),
and the weight gradient is the adjoint of the forward in U (``weight_grad``):
``gU = gY @ V^T`` with gY = A gy AT, summed over the tiles, then
``gW = GT gU G``.

F(2x2, 3x3) rounds about like the direct sum in float32: its transforms only
add, subtract and halve (measured on ResNet-sized layers, max error / max |y|
2-4e-7 in y, gx and gW, as im2col + GEMM's and PyTorch's own). The larger
F(4x4, 3x3) (4x fewer products, transforms with factors up to 8) measured
~10x less accurate, beyond the torch parity tests' float32 tolerances, and is
not used. ``applies`` says when a convolution goes here: 3x3, stride 1,
dilation 1, one group, padding at most 2 on each side (the input gradient's
padding 2 - p is then a padding too), 2-D, float32/float64, and large enough
to pay (``_MIN_CHANNELS``, ``_MIN_BATCH_TILES``). The work goes in chunks of
the batch of about ``_WORKING_SET`` bytes (they stay in cache between the
transforms and the products), never more than the memory budget; a sample too
large for the budget stays with ``conv``'s row pieces. With more than one
thread the chunks go on the intra-op threads (``_Chunks``,
``parallel.map_runs``), each with one BLAS thread, so the tile copies and
transforms use every core as well as the products; the chunks are the same at
any thread count, and so are the results, bit for bit.

The transforms stay Kronecker products: applied separably straight from the
padded input (4 row combinations, then 16 column ones, as ufunc passes over
strided views, no tile copy), measured at one thread 1.1-1.5x slower than the
tile copy and one product (ResNet-20's three shapes and (32, 64, 32x32)).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mytorch.kernels.parallel import map_chunks

__all__ = ["applies", "forward", "input_grad", "weight_grad"]

_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)
TILE_IN = np.kron(_BT, _BT)    # (16 ab, 16 ij): d (4x4, ij) -> BT d B (4x4, ab), raveled
KERNEL = np.kron(_G, _G)       # (16 ab, 9 ij):  g (3x3) -> G g GT (4x4)
TILE_OUT = np.kron(_AT, _AT)   # (4 ij, 16 ab):  m (4x4) -> AT m A (2x2)

# Bytes of one chunk's tiles, transformed tiles and products. Measured fwd + bwd with one
# thread on (32, 64->64, 32x32) and (128, 16->16, 32x32): one or two samples' worth, 2 MiB,
# is fastest, the products then run from cache (32 MiB: 1.3-1.6x slower). With more
# threads each chunk runs on its own thread with one BLAS thread (``parallel.map_runs``).
_WORKING_SET = 2 * 2**20
# When Winograd is used (``applies``), measured fwd + bwd against im2col + GEMM: fewer
# channels than this, in or out, and the transforms cost more than the products save
# (128x3->16 32x32 2x slower, 32x4->16 1.35x; 32x8->8 0.65x as long); fewer tiles in the
# batch than that, and transforming the kernel (16/9 its size) costs more than it saves
# (8x512->512 4x4: 32 tiles, 1.7x slower; 4x256->256 8x8: 64 tiles, even).
_MIN_CHANNELS = 8
_MIN_BATCH_TILES = 64
# Tiles per chunk at least: the 16 products (O, C) @ (C, T) each read all of U (16, O, C),
# and too few tiles (small images) leave them too thin to pay for that.
_MIN_TILES = 128

T = TypeVar("T")


def applies(x_shape: Sequence[int], W_shape: Sequence[int], out: Sequence[int],
            stride: Sequence[int], padding: Sequence[tuple[int, int]], dilation: Sequence[int],
            groups: int, dtype: Any, memory_budget: int) -> bool:
    """Whether the convolution of x (N, C, H, W) with W (O, C, 3, 3) into all its outputs
    ``out`` (OH, OW) goes through Winograd: stride 1, dilation 1, one group, each padding
    0..2, a float32/float64 dtype, at least ``_MIN_CHANNELS`` channels in and out and
    ``_MIN_BATCH_TILES`` output tiles, and one sample's work within the memory budget."""
    if len(x_shape) != 4 or tuple(W_shape[2:]) != (3, 3) or groups != 1:
        return False
    if tuple(stride) != (1, 1) or tuple(dilation) != (1, 1):
        return False
    if not all(0 <= p <= 2 for pair in padding for p in pair):
        return False
    if np.dtype(dtype) not in (np.float32, np.float64):
        return False
    N, C, O = x_shape[0], x_shape[1], W_shape[0]
    if tuple(out) != tuple(L + b + a - 2 for L, (b, a) in zip(x_shape[2:], padding)):
        return False
    th, tw = _tiles(x_shape[2:], padding)
    if min(C, O) < _MIN_CHANNELS or min(th, tw) < 1 or N * th * tw < _MIN_BATCH_TILES:
        return False
    return _sample_bytes(C, O, th, tw, np.dtype(dtype).itemsize) <= memory_budget


def _tiles(size: Sequence[int], padding: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The 2x2 output tiles (th, tw) covering OUT = L + before + after - 2, per dim."""
    th, tw = (-(-(L + b + a - 2) // 2) for L, (b, a) in zip(size, padding))
    return th, tw


def _sample_bytes(C: int, O: int, th: int, tw: int, itemsize: int) -> int:
    """Bytes of one sample's work: its padded input, tiles D and V, products M and Y."""
    return ((2 * th + 2) * (2 * tw + 2) * C + (32 * C + 20 * O) * th * tw) * itemsize


class _Chunks:
    """The batch of N in chunks of at most ``step`` consecutive samples, and the map of a
    run over them on the intra-op threads (``parallel.map_chunks``).

    ``step``: as many samples as fit ``_WORKING_SET`` (``per_sample`` bytes each), but
    enough for ``_MIN_TILES`` tiles (``tiles`` per sample), within the memory budget; at
    least 1, at most N; the chunks as even as that allows. Neither depends on the thread
    count, so the results do not either: each chunk writes its own samples, and the weight
    gradient's terms are added in chunk order. Each run makes its own buffers, so as many
    runs go at once as the budget holds of those.
    """

    def __init__(self, N: int, per_sample: int, tiles: int, memory_budget: int) -> None:
        wanted = max(_WORKING_SET // max(1, per_sample), -(-_MIN_TILES // tiles))
        self.N, self.step = N, max(1, min(N, wanted, memory_budget // max(1, per_sample)))
        self.runs_at_once = memory_budget // (self.step * max(1, per_sample))

    def map(self, run: Callable[[Sequence[slice]], list[T]]) -> list[T]:
        """``run`` over the chunks: its results (one per chunk, or none) in chunk order."""
        return map_chunks(run, self.N, self.step, self.runs_at_once)


def _take(buffer: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The front of the flat ``buffer`` as an array of ``shape``."""
    return buffer[: math.prod(shape)].reshape(shape)


class _Tiles:
    """The 4x4 input tiles at stride 2 of a zero-padded chunk of the batch, transformed.

    The padded chunk (n, C, 2th+2, 2tw+2) lives at the front of one buffer reused by
    every chunk: each chunk overwrites the interior, where x goes, and the border,
    the same positions for a shorter last chunk, stays zero from the start.
    """

    def __init__(self, shape: Sequence[int], padding: Sequence[tuple[int, int]], step: int,
                 dtype: Any) -> None:
        _, C, H, W = shape
        self.th, self.tw = _tiles((H, W), padding)
        (top, _), (left, _) = padding
        self.padded = (C, 2 * self.th + 2, 2 * self.tw + 2)
        self.inside = (slice(None), slice(None), slice(top, top + H), slice(left, left + W))
        self.x_pad = np.zeros(step * math.prod(self.padded), dtype=dtype)
        self.tiles = np.empty(step * 16 * C * self.th * self.tw, dtype=dtype)
        self.transform = TILE_IN.astype(dtype)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x (n, C, H, W) -> V = BT d B per tile, (16, C, n * th * tw)."""
        n, C = x.shape[:2]
        x_pad = _take(self.x_pad, (n, *self.padded))
        x_pad[self.inside] = x
        s = x_pad.strides                      # the tiles as a view (4 i, 4 j, C, n, th, tw)
        view = as_strided(x_pad, (4, 4, C, n, self.th, self.tw),
                          (s[2], s[3], s[1], s[0], 2 * s[2], 2 * s[3]), writeable=False)
        tiles = _take(self.tiles, view.shape)
        np.copyto(tiles, view)
        return (self.transform @ tiles.reshape(16, -1)).reshape(16, C, -1)


def forward(x: np.ndarray, W: np.ndarray, padding: Sequence[tuple[int, int]],
            memory_budget: int) -> np.ndarray:
    """y = x (*) W at stride 1: x (N, C, H, W), W (O, C, 3, 3) -> y (N, O, OH, OW).

    Per chunk of the batch: the tiles' transform V (16, C, T), the 16 products
    M = U @ V (16, O, T), and AT M A (2 i, 2 j, O, n, th, tw) written into y's
    2x2 tiles, one (i, j) at a time (a strided copy per position in the tile,
    several times faster than one copy of all four).
    """
    N, C, H, Wd = x.shape
    O = W.shape[0]
    dtype = np.result_type(x, W)
    OH, OW = H + sum(padding[0]) - 2, Wd + sum(padding[1]) - 2
    th, tw = _tiles((H, Wd), padding)
    chunks = _Chunks(N, _sample_bytes(C, O, th, tw, dtype.itemsize), th * tw, memory_budget)
    U = (KERNEL.astype(dtype) @ W.reshape(O * C, 9).T).reshape(16, O, C)
    transform_out = TILE_OUT.astype(dtype)
    y = np.empty((N, O, 2 * th, 2 * tw), dtype=dtype)     # OH, OW rounded up to even

    def run(part: Sequence[slice]) -> list[None]:
        tiles = _Tiles(x.shape, padding, chunks.step, dtype)
        for chunk in part:
            n = chunk.stop - chunk.start
            M = np.matmul(U, tiles(x[chunk]))                     # (16, O, T)
            Y = (transform_out @ M.reshape(16, -1)).reshape(2, 2, O, n, th, tw)
            y_tiles = y[chunk].reshape(n, O, th, 2, tw, 2)
            for i in range(2):
                for j in range(2):
                    y_tiles[:, :, :, i, :, j] = Y[i, j].swapaxes(0, 1)
        return []

    chunks.map(run)
    return y if (OH, OW) == y.shape[2:] else np.ascontiguousarray(y[:, :, :OH, :OW])


def input_grad(gy: np.ndarray, W: np.ndarray, padding: Sequence[tuple[int, int]],
               memory_budget: int) -> np.ndarray:
    """gx = the adjoint of ``forward`` in x: gy (N, O, OH, OW), W (O, C, 3, 3) -> (N, C, H, W).

    At stride 1 the adjoint of a correlation is the correlation of gy, padded by
    2 - p on each side, with the kernel flipped and its channels swapped (per dim):

        gx[c, h] = sum_{o, k} gy[o, h + p - k] W[o, c, k]
                 = sum_{o, k} gy_pad[o, h + k] W[o, c, 2 - k].
    """
    flipped = np.ascontiguousarray(W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])  # (C, O, 3, 3)
    return forward(gy, flipped, [(2 - b, 2 - a) for b, a in padding], memory_budget)


def weight_grad(x: np.ndarray, gy: np.ndarray, padding: Sequence[tuple[int, int]],
                memory_budget: int) -> np.ndarray:
    """gW = the adjoint of ``forward`` in W: x (N, C, H, W), gy (N, O, OH, OW) -> (O, C, 3, 3).

    ``forward`` per tile is Y = AT (U * V) A with U = G g GT; its adjoint in U,
    summed over the tiles, is 16 products gU = gY @ V^T (16, O, T) @ (16, T, C)
    with gY = A gy AT the 2x2 tiles of gy transformed; then gW = GT gU G. Tiles
    past an odd OH or OW read zeros in gy.
    """
    N, C, H, Wd = x.shape
    O, OH, OW = gy.shape[1:]
    dtype = np.result_type(x, gy)
    th, tw = _tiles((H, Wd), padding)
    chunks = _Chunks(N, _sample_bytes(C, O, th, tw, dtype.itemsize), th * tw, memory_budget)
    transform_gy = TILE_OUT.T.astype(dtype)                    # (16 ab, 4 ij)

    def run(part: Sequence[slice]) -> list[np.ndarray]:
        """Each chunk's term of gU, (16, O, C)."""
        tiles = _Tiles(x.shape, padding, chunks.step, dtype)
        gy_buffer = np.empty(chunks.step * 4 * O * th * tw, dtype=gy.dtype)
        terms = []
        for chunk in part:
            n = chunk.stop - chunk.start
            V = tiles(x[chunk])                                    # (16, C, T)
            gy_tiles = _take(gy_buffer, (2, 2, O, n, th, tw))
            if (2 * th, 2 * tw) != (OH, OW):
                gy_tiles.fill(0)
            for i in range(2):
                for j in range(2):
                    part_ij = gy[chunk, :, i::2, j::2]
                    gy_tiles[i, j, :, :, : part_ij.shape[2], : part_ij.shape[3]] = \
                        part_ij.swapaxes(0, 1)
            gY = (transform_gy @ gy_tiles.reshape(4, -1)).reshape(16, O, -1)
            terms.append(np.matmul(gY, V.transpose(0, 2, 1)))      # (16, O, C)
        return terms

    gU = np.zeros((16, O, C), dtype=dtype)
    for term in chunks.map(run):                               # in chunk order, on any threads
        gU += term
    return (gU.reshape(16, O * C).T @ KERNEL.astype(dtype)).reshape(O, C, 3, 3)
