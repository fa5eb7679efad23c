"""dropout, dropout1d, dropout2d: statistics, whole channels, seeding, gradients, eval, errors."""

import importlib
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mytorch
from mytorch.autograd import gradcheck, gradgradcheck

DROPOUTS = [mytorch.dropout, mytorch.dropout1d, mytorch.dropout2d]


def quiet(fn, *args, **kwargs):
    """Call ``fn`` with dropout2d's 3-d / deprecated-rank warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_zeroes_a_fraction_p_and_preserves_the_mean(p, dtype):
    mytorch.manual_seed(0)
    y = mytorch.dropout(mytorch.ones(200, 500, dtype=dtype), p).numpy()
    assert y.dtype == dtype
    dropped = y == 0
    # 1e5 Bernoulli draws: the fraction's standard deviation is below 0.0016
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped], 1 / (1 - p), rtol=1e-6)  # kept: scaled exactly
    assert abs(y.mean() - 1) < 0.05


@pytest.mark.parametrize("fn, shape, channel_axes", [
    (mytorch.dropout2d, (40, 50, 3, 4), 2),
    (mytorch.dropout2d, (40, 50, 7), 2),  # 3-d: (N, C, L), as PyTorch
    (mytorch.dropout1d, (40, 50, 7), 2),
    (mytorch.dropout1d, (2000, 7), 1),  # unbatched (C, L)
])
def test_channel_dropout_zeroes_whole_channels(fn, shape, channel_axes):
    mytorch.manual_seed(1)
    p = 0.4
    y = quiet(fn, mytorch.ones(*shape), p).numpy()
    per_channel = y.reshape(*shape[:channel_axes], -1)
    first = per_channel[..., :1]
    assert np.all(per_channel == first)  # each channel all dropped or all kept
    assert abs((first == 0).mean() - p) < 0.03  # 2000 channels
    assert set(np.unique(first)) <= {0.0, np.float32(1 / (1 - p))}


def test_dropout2d_warns_like_torch_on_3d_and_other_ranks():
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        mytorch.dropout2d(mytorch.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="dropout2d: Received a 5-D input"):
        mytorch.dropout2d(mytorch.ones(2, 3, 4, 5, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mytorch.dropout2d(mytorch.ones(2, 3, 4, 5))


@pytest.mark.parametrize("fn", DROPOUTS)
def test_masks_are_reproducible_under_manual_seed(fn):
    x = mytorch.ones(8, 16, 5)
    mytorch.manual_seed(7)
    first = quiet(fn, x).numpy()
    mytorch.manual_seed(7)
    again = quiet(fn, x).numpy()
    mytorch.manual_seed(8)
    other = quiet(fn, x).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("fn", DROPOUTS)
def test_eval_and_p_zero_return_the_input(fn):
    x = mytorch.randn(3, 4, 5)
    assert quiet(fn, x, 0.5, training=False) is x
    assert quiet(fn, x, 0.0) is x
    th = torch.randn(3, 4, 5)
    assert quiet(getattr(F, fn.__name__), th, 0.5, training=False) is th  # as PyTorch


@pytest.mark.parametrize("fn", DROPOUTS)
def test_p_one_drops_everything(fn):
    x = mytorch.randn(3, 4, 5, requires_grad=True)
    y = quiet(fn, x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


@pytest.mark.parametrize("fn", DROPOUTS)
def test_gradient_is_the_mask(fn):
    x = mytorch.tensor(np.full((6, 5, 4), 2.0), requires_grad=True)
    mytorch.manual_seed(3)
    y = quiet(fn, x, 0.3)
    gy = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(mytorch.tensor(gy))
    mask = y.detach().numpy() / 2.0  # 0 or 1 / (1 - p)
    np.testing.assert_allclose(x.grad.numpy(), gy * mask, rtol=1e-12)


@pytest.mark.parametrize("fn", DROPOUTS)
def test_gradcheck_and_gradgradcheck_with_a_fixed_mask(fn):
    def seeded(x):
        mytorch.manual_seed(5)
        return quiet(fn, x, 0.4)

    x = mytorch.randn(3, 4, 2, dtype=mytorch.float64, requires_grad=True)
    assert gradcheck(seeded, (x,))
    assert gradgradcheck(seeded, (x,))


def test_inplace_writes_into_the_input():
    x = mytorch.ones(50, 40)
    mytorch.manual_seed(0)
    y = mytorch.dropout(x, 0.5, inplace=True)
    assert y is x and np.any(x.numpy() == 0) and np.any(x.numpy() == 2)


def test_inplace_on_a_graph_tensor_keeps_gradients_right():
    leaf = mytorch.ones(30, 20, requires_grad=True)
    hidden = leaf * 3
    mytorch.manual_seed(0)
    out = mytorch.dropout(hidden, 0.5, inplace=True)
    assert out is hidden
    out.sum().backward()
    # d out / d leaf = 3 * mask, which is out itself (the leaf is ones)
    np.testing.assert_allclose(leaf.grad.numpy(), out.detach().numpy())


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf"):
        mytorch.dropout(mytorch.ones(3, requires_grad=True), 0.5, inplace=True)


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_out_of_range(fn, p):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: dropout probability has to be "
                                         rf"between 0 and 1, but got {p}"):
        quiet(fn, mytorch.ones(2, 3, 4), p)


def test_rank_errors_like_torch():
    with pytest.raises(RuntimeError, match=r"dropout1d: Expected 2D or 3D input, but received a "
                                           r"4D input of shape \(2, 3, 4, 5\)"):
        mytorch.dropout1d(mytorch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=r"dropout2d: Feature dropout requires at least 2 "
                                           r"dimensions.*\(5,\)"):
        quiet(mytorch.dropout2d, mytorch.ones(5))
    with pytest.raises(RuntimeError):
        F.dropout1d(torch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError):
        quiet(F.dropout2d, torch.ones(5))


def test_integer_input_is_refused():
    with pytest.raises(RuntimeError, match="dropout: expected a floating point tensor"):
        mytorch.dropout(mytorch.tensor([1, 2, 3]))


def test_docstring_examples():
    import doctest

    assert doctest.testmod(importlib.import_module("mytorch.ops.dropout")).failed == 0
