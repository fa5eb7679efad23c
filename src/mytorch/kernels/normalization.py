"""Normalization over chosen axes, and its gradient: the one core of batch, layer and group norm.

The three layers compute the same thing,

    xhat = (x - mean_R(x)) * invstd,   invstd = 1 / sqrt(var_R(x) + eps),
    y    = xhat * w + b,

where ``mean_R`` and ``var_R`` (biased) run over a set ``R`` of axes and the
affine parameters ``w``, ``b`` broadcast against ``x``. They differ only in
``R`` and in where ``w`` varies:

===========  =======================  =====================  ===================
layer        x viewed as              R (normalized axes)    w, b broadcast as
===========  =======================  =====================  ===================
batch norm   (N, C, *)                every axis but C       (C, 1, ..., 1)
layer norm   (*, D1, ..., Dk)         the last k axes        (D1, ..., Dk)
group norm   (N, G, C/G, *)           every axis after G     (G, C/G, 1, ..., 1)
===========  =======================  =====================  ===================

The gradient, with ``M`` the number of elements in one normalized slice and
``g = gy * w``, follows from differentiating ``xhat`` (the mean and the
variance depend on every x of the slice)::

    gx = invstd * (g - mean_R(g) - xhat * mean_R(g * xhat))
    gw = sum of gy * xhat over the axes where w is broadcast
    gb = sum of gy        over the same axes

These functions take NumPy arrays only: the fast path, with no graph.
``mytorch.ops.normalization`` writes the same gradient once more as composed
Tensor ops for ``create_graph=True``, where it must be differentiable again.

The arrays are large (a LayerNorm input of 64 x 128 x 512 is 16 MiB) and every
formula is a handful of elementwise passes: done over whole arrays, each pass
streams them through memory again, and memory, not arithmetic, is the cost
(measured, one thread, on that input: the input gradient's five passes 15 ms over
whole arrays, 6 ms in blocks). So the work goes in blocks of rows along axis 0
sized to stay in cache (:func:`_row_blocks`), each big array read or written
once per sweep. Where a block holds whole slices (layer and group norm) the forward
(statistics, ``xhat`` and the affine output) is one sweep, and so is the backward (its
sums, then the input gradient); otherwise (batch norm) the forward is a sum and two
sweeps, the backward two sweeps. Each sweep is one call to the pool (a fixed cost of
about 0.1 ms). A
NumPy call's loop over a broadcast operand costs about twice one over a contiguous
operand (a call per row), so the weight and bias are expanded once to a block's
shape (:func:`_by_block`); the per-slice statistics, which vary along every block,
stay broadcast. The blocks
are independent (each writes its own rows; sums over blocks are added up in block
order, whatever the thread count), so each sweep runs on mytorch's intra-op threads
(:mod:`mytorch.kernels.parallel`), as PyTorch's own kernels use its threads.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mytorch.kernels import parallel

Axes = tuple[int, ...]


def count(shape: tuple[int, ...], axes: Axes) -> int:
    """How many elements one normalized slice holds (``M``)."""
    return math.prod(shape[a] for a in axes)


def _trailing_rows(a: np.ndarray, axes: Axes) -> np.ndarray | None:
    """``a`` as a ``(..., M)`` view when ``axes`` are its last axes and it is C-contiguous
    (layer and group norm): sums over them are then matrix products. None otherwise."""
    if axes != tuple(range(a.ndim - len(axes), a.ndim)) or not a.flags.c_contiguous:
        return None
    lead = a.ndim - len(axes)
    return a.reshape(a.shape[:lead] + (math.prod(a.shape[lead:]),))


def _kept(a: np.ndarray, axes: Axes) -> list[int]:
    """``a``'s shape with ``axes`` set to 1 (the keepdims shape of a sum over them)."""
    return [1 if i in axes else n for i, n in enumerate(a.shape)]


def sum_over(a: np.ndarray, axes: Axes) -> np.ndarray:
    """``a.sum(axes, keepdims=True)``; over any axes of a C-contiguous array one ``einsum``
    pass, e.g. ``'abc->ab'`` (about 2.5x NumPy's reduction along short contiguous rows, and
    batch norm's channel sums ``'abcd->b'`` 2.2x (23 against 51 us per 1 MiB block, 133
    against 433 us on (32, 64, 32, 32)), measured; the same rounding there). Not a product
    with a vector of ones: that is a little faster on one thread (17 against 22 us per
    1 MiB block), but OpenBLAS runs it on threads of its own, which, called from the
    intra-op threads (:mod:`mytorch.kernels.parallel`) or on a busy machine, made the
    LayerNorm step twice as slow (measured, default threads)."""
    if a.flags.c_contiguous:
        kept = [i for i in range(a.ndim) if i not in axes]
        return np.einsum(a, list(range(a.ndim)), kept).reshape(_kept(a, axes))
    return a.sum(axis=axes, keepdims=True)


def sum_product(a: np.ndarray, b: np.ndarray, axes: Axes) -> np.ndarray:
    """``(a * b).sum(axes, keepdims=True)`` for same-shaped ``a`` and ``b``.

    No product temporary: over trailing axes a batch of row-by-column products
    ``(..., 1, M) @ (..., M, 1)`` (BLAS dot products, 2x ``einsum`` there, measured);
    otherwise one ``einsum`` pass, e.g. ``'abcd,abcd->b'`` for batch norm's (N, C, H, W)
    over (0, 2, 3).
    """
    a_rows, b_rows = _trailing_rows(a, axes), _trailing_rows(b, axes)
    if a_rows is not None and b_rows is not None:
        out = np.matmul(a_rows[..., None, :], b_rows[..., :, None])
    else:
        letters = string.ascii_letters[:a.ndim]
        kept = "".join(letters[i] for i in range(a.ndim) if i not in axes)
        out = np.einsum(f"{letters},{letters}->{kept}", a, b)
    return out.reshape(_kept(a, axes))


# bytes of one block of rows: within one core's L2 cache (1 MiB here), and with threads
# (:mod:`mytorch.kernels.parallel`) long enough per ufunc call that handing the GIL between
# threads costs little (measured, LayerNorm (64, 128, 512) fwd+bwd: 1 thread the same as with
# 256 KiB, 2 threads 30 -> 22 ms, where 256 KiB blocks were no faster than one thread)
_BLOCK_BYTES = 1024 * 1024


def _row_blocks(shape: tuple[int, ...], itemsize: int) -> list[slice]:
    """Slices of axis 0 whose blocks of ``shape[1:]`` rows hold about ``_BLOCK_BYTES``."""
    row_bytes = itemsize * math.prod(shape[1:])
    rows = max(1, _BLOCK_BYTES // max(row_bytes, 1))
    return [slice(start, start + rows) for start in range(0, shape[0], rows)]


def _rows(a: Any, rows: slice, ndim: int) -> Any:
    """The part of ``a`` (a statistic or a parameter broadcasting against an ``ndim``-d input)
    that goes with these rows of axis 0: all of it where it does not vary along axis 0."""
    return a[rows] if a is not None and a.ndim == ndim and a.shape[0] != 1 else a


def _by_block(a: np.ndarray | None, shape: tuple[int, ...], blocks: Sequence[slice]
              ) -> Callable[[slice], Any]:
    """A parameter broadcasting against an input of ``shape``, block by block: its part
    for a block of rows, contiguous and of the block's shape (None where ``a`` is None).

    A broadcast operand costs NumPy an inner-loop call per row (measured, the affine step
    of LayerNorm on (64, 128, 512): 2.9 ms with the (512,) weight and bias, 2.1 ms with them
    expanded), so ``a`` is expanded once per call to the shape of the largest block, which
    every block then reads; where it varies along axis 0 its own rows are taken.
    """
    if a is None or not blocks:
        return lambda rows: None
    if a.ndim == len(shape) and a.shape[0] != 1:
        return lambda rows: a[rows]
    first = range(*blocks[0].indices(shape[0]))
    expanded = np.ascontiguousarray(np.broadcast_to(a, (len(first),) + shape[1:]))
    return lambda rows: expanded[:len(range(*rows.indices(shape[0])))]


def _add_rows(total: np.ndarray, rows: slice, part: np.ndarray) -> None:
    """A sum over blocks: ``part`` adds into ``total`` where axis 0 is summed over (size 1),
    or fills its own rows where it is kept."""
    if total.shape[0] == 1:
        total += part
    else:
        total[rows] = part


def normalize(x: np.ndarray, axes: Axes, eps: float, weight: np.ndarray | None = None,
              bias: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The normalized input, scaled and shifted, and its statistics over ``axes`` (two-pass:
    the mean first, then the variance of the centred values, which stays accurate where
    mean^2 >> var).

    Blocks of rows, each centred into ``xhat`` and its sum of squares taken while it is in
    cache. Where axis 0 is not normalized (layer and group norm) a block holds whole
    slices: its mean, statistics, ``xhat`` and ``y`` are all made in that one sweep (one
    pool call; a mean over the whole array first, on one thread, kept the second core idle
    for a pass). Otherwise (batch norm) one sum over ``x`` gives the mean, the sweep the
    blocks' sums of squares, and a second sweep scales ``xhat`` and writes ``y``.

    Args:
        x: the input, any shape.
        axes: the normalized axes ``R`` (sorted, non-negative).
        eps: added to the variance before the square root.
        weight, bias: broadcasting against ``x``, or None.

    Returns:
        ``(y, xhat, mean, var, invstd)``: ``y = xhat * weight + bias`` (always a fresh
        array: ``xhat`` is saved for the backward) and ``xhat`` have ``x``'s shape; the
        statistics have ``x``'s shape with the ``axes`` set to 1, and ``var`` is biased
        (divided by ``M``, not ``M - 1``).
    """
    m = count(x.shape, axes)
    blockwise = 0 not in axes  # each block holds whole slices
    stat_shape = tuple(_kept(x, axes))
    mean = np.empty(stat_shape, x.dtype) if blockwise else sum_over(x, axes) / m
    xhat, y = np.empty(x.shape, x.dtype), np.empty(x.shape, x.dtype)
    var, invstd = np.zeros_like(mean), np.empty_like(mean)
    blocks = _row_blocks(x.shape, xhat.itemsize)
    weight_of, bias_of = _by_block(weight, x.shape, blocks), _by_block(bias, x.shape, blocks)

    def scale_rows(rows: slice) -> None:
        """``xhat`` of these rows scaled by ``invstd``, then ``y = xhat * w + b``."""
        xb, yb, w, b = xhat[rows], y[rows], weight_of(rows), bias_of(rows)
        xb *= _rows(invstd, rows, x.ndim)
        if w is None:
            np.copyto(yb, xb)
        else:
            np.multiply(xb, w, out=yb)
        if b is not None:
            yb += b

    def centre_run(run: Sequence[slice]) -> list[np.ndarray]:
        """Centre these blocks into ``xhat``; whole slices are finished at once, otherwise
        the blocks' sums of squares are returned, to be added up in block order."""
        sums = []
        for rows in run:
            if blockwise:
                mean[rows] = sum_over(x[rows], axes)
                mean[rows] /= m
            centred = np.subtract(x[rows], _rows(mean, rows, x.ndim), out=xhat[rows])
            sum_squares = sum_product(centred, centred, axes)
            if not blockwise:
                sums.append(sum_squares)
                continue
            var[rows] = sum_squares
            var[rows] /= m
            np.power(var[rows] + eps, -0.5, out=invstd[rows])
            scale_rows(rows)
        return sums

    for sum_squares in parallel.map_runs(centre_run, blocks):
        var += sum_squares
    if not blockwise:
        var /= m
        np.power(var + eps, -0.5, out=invstd)

        def scale_run(run: Sequence[slice]) -> list[None]:
            for rows in run:
                scale_rows(rows)
            return []

        parallel.map_runs(scale_run, blocks)
    return y, xhat, mean, var, invstd


def normalize_backward(
    gy: np.ndarray,
    xhat: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray | None,
    axes: Axes,
    param_shape: tuple[int, ...],
    needs: Sequence[bool],
) -> tuple[Any, Any, Any]:
    """The gradients of ``y = normalize(x) * weight + bias`` from the formula above.

    Blocks of rows: each takes its sums over ``R`` (and its part of the parameter
    gradients), then ``gx = g * scale - xhat * (scale mean_R(g xhat)) - scale mean_R(g)``
    is written: in the same sweep where a block holds whole slices (layer and group norm:
    ``g`` and ``xhat`` are still in cache), in a second sweep otherwise (batch norm).

    Args:
        gy: gradient of the output, ``x``'s shape.
        xhat, invstd: from ``normalize``.
        weight: the scale, shaped ``param_shape`` (broadcasting against ``x``), or None.
        axes: the normalized axes ``R``.
        param_shape: the broadcast shape of ``weight`` and ``bias`` (padded to ``x.ndim``).
        needs: which of ``(gx, gw, gb)`` to compute.

    Returns:
        ``(gx, gw, gb)``, None where not needed. ``gw`` and ``gb`` are shaped
        ``param_shape``; the autograd engine sums them to the parameters' shapes.
    """
    need_x, need_w, need_b = needs
    ndim = xhat.ndim
    m = count(xhat.shape, axes)
    # where w is constant along every normalized axis (batch norm), it factors out of the
    # means: mean_R(gy w) = w mean_R(gy), and the sums over R are the parameter gradients too
    per_slice = all(param_shape[a] == 1 for a in axes)
    w_in_g = weight is not None and not per_slice  # g = gy * w, made block by block
    scale = invstd * weight if weight is not None and per_slice else invstd
    param_axes = tuple(a for a, n in enumerate(param_shape) if n == 1)
    stat_shape = invstd.shape
    need_sums = need_x or (per_slice and (need_w or need_b))
    whole_slices = 0 not in axes  # a block's sums over R are complete: its gx at once
    blocks = _row_blocks(xhat.shape, xhat.itemsize)
    gx = np.empty_like(gy) if need_x else None
    weight_of = _by_block(weight if w_in_g else None, xhat.shape, blocks)

    def block_g(rows: slice, buffer: Any) -> np.ndarray:
        """``g = gy * w`` of these rows (in the work buffer), or ``gy`` itself."""
        gyb, w = gy[rows], weight_of(rows)
        return gyb if w is None else np.multiply(gyb, w, out=buffer[:len(gyb)])

    def block_buffer() -> np.ndarray:
        """One block's worth of work space, for g = gy * w and for the terms of gx."""
        return np.empty_like(gy[blocks[0] if blocks else slice(0)])

    def write_gx(rows: slice, g: np.ndarray, sum_g: np.ndarray, sum_g_xhat: np.ndarray,
                 buffer: np.ndarray) -> None:
        """``gx = g scale - xhat k1 - k0`` on these rows, with the per-slice
        ``k1 = scale mean_R(g xhat)`` and ``k0 = scale mean_R(g)`` (the sums: of these rows,
        or of all of them where they do not vary along axis 0)."""
        assert gx is not None
        scale_rows = _rows(scale, rows, ndim)
        k1, k0 = sum_g_xhat * (scale_rows / m), sum_g * (scale_rows / m)
        gxb = np.multiply(g, scale_rows, out=gx[rows])
        # two subtractions rather than one of (xhat k1 + k0): measured faster
        gxb -= np.multiply(xhat[rows], k1, out=buffer[:len(gxb)])
        gxb -= k0

    # the sums, as one (sum_g, sum_g_xhat, gw, gb) per block, None where not needed
    Sums = tuple[Any, Any, Any, Any]
    need_gw, need_gb = need_w and not per_slice, need_b and not per_slice

    def sums_run(run: Sequence[slice]) -> list[Sums]:  # sweep 1: the sums (and gx)
        g_buffer = block_buffer() if w_in_g else None
        gx_buffer = block_buffer() if whole_slices and need_x else None
        sums: list[Sums] = []
        for rows in run:
            xb, g = xhat[rows], block_g(rows, g_buffer) if need_sums else None
            sum_g = sum_over(g, axes) if g is not None else None
            sum_g_xhat = sum_product(g, xb, axes) if g is not None else None
            sums.append((sum_g, sum_g_xhat,
                         sum_product(gy[rows], xb, param_axes) if need_gw else None,
                         sum_over(gy[rows], param_axes) if need_gb else None))
            if gx_buffer is not None:
                assert g is not None and sum_g is not None and sum_g_xhat is not None
                write_gx(rows, g, sum_g, sum_g_xhat, gx_buffer)
        return sums

    totals = (np.zeros(stat_shape, gy.dtype) if need_sums else None,
              np.zeros(stat_shape, gy.dtype) if need_sums else None,
              np.zeros(param_shape, gy.dtype) if need_gw else None,
              np.zeros(param_shape, gy.dtype) if need_gb else None)
    for rows, parts in zip(blocks, parallel.map_runs(sums_run, blocks), strict=True):
        for total, part in zip(totals, parts, strict=True):  # in block order: deterministic
            if total is not None:
                _add_rows(total, rows, part)
    sum_g, sum_g_xhat, gw, gb = totals

    if need_x and not whole_slices:
        assert sum_g is not None and sum_g_xhat is not None

        def gx_run(run: Sequence[slice]) -> list[None]:  # sweep 2: the input gradient
            g_buffer, gx_buffer = block_buffer() if w_in_g else None, block_buffer()
            for rows in run:
                write_gx(rows, block_g(rows, g_buffer), sum_g, sum_g_xhat, gx_buffer)
            return []

        parallel.map_runs(gx_run, blocks)
    if need_w and per_slice:
        gw = sum_g_xhat
    if need_b and per_slice:
        gb = sum_g
    return gx, gw, gb
