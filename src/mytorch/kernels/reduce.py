"""Numerically stable reductions on plain arrays: logsumexp, softmax, log_softmax.

All three subtract the largest value along the reduced axes before ``exp``,
so logits of +-1e4 neither overflow nor underflow to a 0/0. As in PyTorch,
logsumexp shifts a slice whose largest value is infinite by 0 instead, so a
row of -inf gives -inf; softmax and log_softmax of such a row give nan.
"""

from __future__ import annotations

import numpy as np

Axes = int | tuple[int, ...] | None


def _max(a: np.ndarray, axis: Axes) -> np.ndarray:
    """The per-slice maximum, keepdims; an empty slice gives -inf instead of an error."""
    return np.asarray(np.amax(a, axis=axis, keepdims=True, initial=-np.inf))  # 0-d: an array


def logsumexp(a: np.ndarray, axis: Axes = None, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(a)))`` over ``axis``, computed as ``m + log(sum(exp(a - m)))``.

    Args:
        a: a floating-point array.
        axis: the axes to reduce (None: all).
        keepdims: keep the reduced axes with size 1.

    Returns:
        The array ``a`` reduced over ``axis``; an empty slice gives -inf.
    """
    m = _max(a, axis)
    m[np.isinf(m)] = 0  # an infinite maximum would give inf - inf = nan
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf for all -inf slices
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(a: np.ndarray, axis: int | None) -> np.ndarray:
    """``exp(a) / sum(exp(a))`` along ``axis``, the maximum subtracted first."""
    with np.errstate(invalid="ignore"):  # a slice of -inf: -inf - (-inf) = nan, as PyTorch
        e = np.asarray(a - _max(a, axis))  # a fresh array (0-d too) to work in place
        np.exp(e, out=e)
        e /= np.sum(e, axis=axis, keepdims=True)
    return e


def log_softmax(a: np.ndarray, axis: int | None) -> np.ndarray:
    """``a - logsumexp(a)`` along ``axis``, computed as ``(a - m) - log(sum(exp(a - m)))``."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a slice of -inf: nan, as PyTorch
        shifted = np.asarray(a - _max(a, axis))
        shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted
