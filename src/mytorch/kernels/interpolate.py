"""Resampling by a matrix per axis, on plain arrays: PyTorch's interpolation rules.

Interpolation (and adaptive average pooling) is separable: along each spatial
axis the output is a fixed linear combination of the input, an (OUT_i, L_i)
matrix, so ``y = M_H @ x @ M_W^T`` in 2-D and the adjoint applies the
transposes. ``apply_axis_maps`` applies the matrices; ``nearest_matrix`` and
``linear_matrix`` build them with PyTorch's source-position rules (adaptive
average pooling's is ``kernels.pool.adaptive_avg_matrix``).

    x     (*lead, *L)     input, spatial sizes L = (H, W) in 2-D
    y     (*lead, *OUT)   output
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["apply_axis_maps", "nearest_matrix", "linear_matrix"]


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
