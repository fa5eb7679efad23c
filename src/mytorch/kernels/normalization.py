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

These functions take NumPy arrays only: the fast path, with in-place updates
of their own temporaries, ``einsum`` for sums of products and no graph.
``mytorch.ops.normalization`` writes the same gradient once more as composed
Tensor ops for ``create_graph=True``, where it must be differentiable again.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

Axes = tuple[int, ...]


def count(shape: tuple[int, ...], axes: Axes) -> int:
    """How many elements one normalized slice holds (``M``)."""
    return math.prod(shape[a] for a in axes)


def sum_product(a: np.ndarray, b: np.ndarray, axes: Axes) -> np.ndarray:
    """``(a * b).sum(axes, keepdims=True)`` for same-shaped ``a`` and ``b``.

    One ``einsum`` pass does it without the product's temporary, e.g.
    ``'abcd,abcd->b'`` for batch norm's (N, C, H, W) over (0, 2, 3).
    """
    letters = string.ascii_letters[:a.ndim]
    kept = "".join(letters[i] for i in range(a.ndim) if i not in axes)
    out = np.einsum(f"{letters},{letters}->{kept}", a, b)
    return out.reshape([1 if i in axes else n for i, n in enumerate(a.shape)])


def normalize(x: np.ndarray, axes: Axes, eps: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Statistics over ``axes`` and the normalized input (two-pass: the mean first, then the
    variance of the centred values, which stays accurate where mean^2 >> var).

    Args:
        x: the input, any shape.
        axes: the normalized axes ``R`` (sorted, non-negative).
        eps: added to the variance before the square root.

    Returns:
        ``(xhat, mean, var, invstd)``: ``xhat`` has ``x``'s shape; the statistics
        have ``x``'s shape with the ``axes`` set to 1, and ``var`` is biased
        (divided by ``M``, not ``M - 1``).
    """
    m = count(x.shape, axes)
    mean = x.sum(axis=axes, keepdims=True) / m
    xhat = x - mean  # a fresh array: it becomes xhat in place
    var = sum_product(xhat, xhat, axes) / m
    invstd = (var + eps) ** -0.5
    xhat *= invstd
    return xhat, mean, var, invstd


def affine(xhat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None
           ) -> np.ndarray:
    """``xhat * weight + bias``, either optional; always a fresh result."""
    # a fresh array even without weight: y must not share memory with xhat, saved for backward
    y = xhat * weight if weight is not None else xhat * 1
    if bias is not None:
        y += bias
    return y


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

    Args:
        gy: gradient of the output, ``x``'s shape.
        xhat, invstd: from ``normalize``.
        weight: the scale, shaped ``param_shape`` (broadcasting against ``x``), or None.
        axes: the normalized axes ``R``.
        param_shape: the broadcast shape of ``weight`` and ``bias`` (padded to ``x.ndim``).
        needs: which of ``(gx, gw, gb)`` to compute.

    Returns:
        ``(gx, gw, gb)``, None where not needed. ``gw`` and ``gb`` may keep size-1
        or leading axes; the autograd engine sums them to the parameters' shapes.
    """
    need_x, need_w, need_b = needs
    m = count(xhat.shape, axes)
    # where w is constant along every normalized axis (batch norm), it factors out of the
    # means: mean_R(gy w) = w mean_R(gy), and the sums over R are the parameter gradients too
    per_slice = all(param_shape[a] == 1 for a in axes)
    g = gy if weight is None or per_slice else gy * weight
    scale = invstd * weight if weight is not None and per_slice else invstd
    sum_g: Any = g.sum(axis=axes, keepdims=True) if need_x or (per_slice and need_b) else None
    sum_g_xhat: Any = sum_product(g, xhat, axes) if need_x or (per_slice and need_w) else None

    gx = gw = gb = None
    if need_x:
        # (g - mean_R(g) - xhat * mean_R(g xhat)) * scale, in place in g when g = gy * w is a
        # temporary of ours; gy itself is never overwritten
        if g is gy:
            gx = g - sum_g / m
        else:
            gx = g
            gx -= sum_g / m
        gx -= xhat * (sum_g_xhat / m)
        gx *= scale
    param_axes = tuple(a for a, n in enumerate(param_shape) if n == 1)
    if need_w:
        gw = sum_g_xhat if per_slice else sum_product(gy, xhat, param_axes)
    if need_b:
        gb = sum_g if per_slice else gy.sum(axis=param_axes, keepdims=True)
    return gx, gw, gb
