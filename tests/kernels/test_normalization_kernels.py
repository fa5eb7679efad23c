"""The normalization kernels, on arrays only: statistics, the sum of products, and the fused
gradient formula against the textbook one. (The op's recorded create_graph path, the same
formula as composed Tensor ops, is checked against this kernel in tests/ops.)"""

import numpy as np
import pytest

from mytorch.kernels import normalization as K

CORE_CASES = [  # (x shape, normalized axes, parameter broadcast shape): batch, layer, group norm
    ((4, 3, 5), (0, 2), (1, 3, 1)),
    ((4, 3, 5), (1, 2), (1, 3, 5)),
    ((2, 2, 3, 4), (2, 3), (1, 2, 3, 1)),
]


@pytest.mark.parametrize("shape, axes, param_shape", CORE_CASES)
def test_formula_matches_the_textbook_one(shape, axes, param_shape):
    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    w = rng.standard_normal(param_shape)
    xhat, _, _, invstd = K.normalize(x, axes, 1e-5)
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
    xhat, _, _, invstd = K.normalize(x, (0, 2), 1e-5)
    got = K.normalize_backward(x, xhat, invstd, None, (0, 2), (1, 2, 1), (False, False, True))
    assert got[0] is None and got[1] is None and got[2].shape == (1, 2, 1)


def test_normalize_statistics():
    x = np.random.default_rng(0).standard_normal((3, 4, 5)) * 3 + 1
    xhat, mean, var, invstd = K.normalize(x, (0, 2), 1e-5)
    np.testing.assert_allclose(mean, x.mean((0, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(var, x.var((0, 2), keepdims=True), rtol=1e-12)  # biased
    np.testing.assert_allclose(invstd, 1 / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(xhat, (x - mean) * invstd, rtol=1e-12, atol=1e-12)
    assert mean.shape == (1, 4, 1) and K.count(x.shape, (0, 2)) == 15


def test_affine_returns_a_fresh_array():
    xhat = np.ones((2, 3))
    y = K.affine(xhat, None, None)
    assert y is not xhat and not np.shares_memory(y, xhat)
    np.testing.assert_array_equal(K.affine(xhat, np.full(3, 2.0), np.ones(3)), 3.0)


def test_sum_product_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    for axes in [(0,), (1, 2), (0, 2), (0, 1, 2)]:
        np.testing.assert_allclose(K.sum_product(a, b, axes), (a * b).sum(axes, keepdims=True),
                                   rtol=1e-12)
