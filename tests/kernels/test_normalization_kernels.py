"""The normalization kernels, on arrays only: statistics, the sum of products, and the fused
gradient formula against the textbook one. (The op's recorded create_graph path, the same
formula as composed Tensor ops, is checked against this kernel in tests/ops.)"""

import math

import numpy as np
import pytest

from mytorch.kernels import normalization as K

CORE_CASES = [  # (x shape, normalized axes, parameter broadcast shape): batch, layer, group norm
    ((4, 3, 5), (0, 2), (1, 3, 1)),
    ((4, 3, 5), (1, 2), (1, 3, 5)),
    ((2, 2, 3, 4), (2, 3), (1, 2, 3, 1)),
]


@pytest.fixture(params=[None, 1, 64], ids=["one-block", "row-blocks", "64-byte-blocks"])
def block_bytes(request, monkeypatch):
    """The kernels' block size: the default (these small inputs fit in one block), one row
    of axis 0 per block, or 64 bytes (a row or two): the sums across blocks are exercised."""
    if request.param is not None:
        monkeypatch.setattr(K, "_BLOCK_BYTES", request.param)


@pytest.mark.parametrize("shape, axes, param_shape", CORE_CASES)
def test_formula_matches_the_textbook_one(shape, axes, param_shape, block_bytes):
    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    w = rng.standard_normal(param_shape)
    _, xhat, _, _, invstd = K.normalize(x, axes, 1e-5)
    saved = gy.copy(), xhat.copy()
    for weight in (w, None):
        got = K.normalize_backward(gy, xhat, invstd, weight, axes, param_shape, (True,) * 3)
        # the textbook formula, term by term
        g = gy if weight is None else gy * weight
        gx = invstd * (g - g.mean(axes, keepdims=True)
                       - xhat * (g * xhat).mean(axes, keepdims=True))
        np.testing.assert_allclose(got[0], gx, rtol=1e-10, atol=1e-12)
        param_axes = tuple(a for a, n in enumerate(param_shape) if n == 1)
        np.testing.assert_allclose(np.sum(got[1], axis=param_axes),
                                   (gy * xhat).sum(param_axes), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.sum(got[2], axis=param_axes),
                                   gy.sum(param_axes), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(gy, saved[0])  # the inputs are never overwritten
    np.testing.assert_array_equal(xhat, saved[1])


def test_formula_computes_only_what_is_needed():
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    _, xhat, _, _, invstd = K.normalize(x, (0, 2), 1e-5)
    got = K.normalize_backward(x, xhat, invstd, None, (0, 2), (1, 2, 1), (False, False, True))
    assert got[0] is None and got[1] is None and got[2].shape == (1, 2, 1)


@pytest.mark.parametrize("axes", [(0, 2), (1, 2), (0, 1, 2)])
def test_normalize_statistics(axes, block_bytes):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)) * 3 + 1
    _, xhat, mean, var, invstd = K.normalize(x, axes, 1e-5)
    np.testing.assert_allclose(mean, x.mean(axes, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axes, keepdims=True), rtol=1e-12)  # biased
    np.testing.assert_allclose(invstd, 1 / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(xhat, (x - mean) * invstd, rtol=1e-12, atol=1e-12)
    assert mean.shape == tuple(1 if a in axes else n for a, n in enumerate(x.shape))
    assert K.count(x.shape, axes) == math.prod(x.shape[a] for a in axes)


@pytest.mark.parametrize("axes", [(1,), (0,), (0, 1)])
def test_normalize_output_is_a_fresh_affine_of_xhat(axes, block_bytes):
    x = np.random.default_rng(0).standard_normal((4, 3))
    y, xhat, *_ = K.normalize(x, axes, 1e-5)
    assert not np.shares_memory(y, xhat)
    np.testing.assert_array_equal(y, xhat)
    # parameters per column, and ones that vary along axis 0 (a layer norm over every
    # axis), which go row by row
    for w, b in [(np.full(3, 2.0), np.ones(3)), (np.arange(12.0).reshape(4, 3), -np.ones((4, 3)))]:
        y, xhat, *_ = K.normalize(x, axes, 1e-5, w, b)
        np.testing.assert_array_equal(y, xhat * w + b)


def test_sum_product_matches_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    # trailing axes of contiguous arrays go through matrix products, the rest through einsum
    for a, b in [(x, y), (x.transpose(2, 1, 0), y.transpose(2, 1, 0)), (x[:0], y[:0])]:
        for axes in [(0,), (2,), (1, 2), (0, 2), (0, 1, 2)]:
            np.testing.assert_allclose(K.sum_product(a, b, axes),
                                       (a * b).sum(axes, keepdims=True), rtol=1e-12)
            np.testing.assert_allclose(K.sum_over(a, axes), a.sum(axes, keepdims=True),
                                       rtol=1e-12)


@pytest.mark.parametrize("rows", [5, 4])
def test_expanded_parameters_with_a_shorter_last_block(rows, monkeypatch):
    """The weight and bias expanded to the first block's shape serve every block, the last
    one shorter or not, in the affine step and in the backward's g = gy * w."""
    monkeypatch.setattr(K, "_BLOCK_BYTES", 2 * 3 * 8)  # two rows of 3 float64 per block
    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal((rows, 3)), rng.standard_normal((rows, 3))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    y, xhat, _, _, invstd = K.normalize(x, (1,), 1e-5, w, b)
    np.testing.assert_allclose(y, xhat * w + b, rtol=1e-15)
    gx, gw, gb = K.normalize_backward(gy, xhat, invstd, w, (1,), (1, 3), (True,) * 3)
    g = gy * w
    want = invstd * (g - g.mean(1, keepdims=True) - xhat * (g * xhat).mean(1, keepdims=True))
    np.testing.assert_allclose(gx, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, (gy * xhat).sum(0, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(gb, gy.sum(0, keepdims=True), rtol=1e-12)
