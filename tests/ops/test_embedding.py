"""embedding against PyTorch: lookup, scatter-add gradient, padding_idx, scale_grad_by_freq,
max_norm, gradcheck and gradgradcheck, errors."""

import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from mytorch.autograd import gradcheck, gradgradcheck
from mytorch.ops.embedding import _scatter_rows

V, D = 7, 3
# index shapes: scalar, empty, 1-d and 2-d with repeats, 3-d
INDICES = [np.array(4), np.zeros((0,), np.int64), np.array([1, 1, 3, 1]),
           np.array([[0, 2, 2], [6, 0, 1]]), np.array([[[5]], [[5]]]), np.zeros((2, 0, 3), int)]
OPTIONS = [{}, dict(padding_idx=2), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
           dict(padding_idx=0, scale_grad_by_freq=True)]


def run_both(indices, options, dtype, seed=0):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((V, D)).astype(dtype)
    mt_w = mytorch.tensor(weight, requires_grad=True)
    th_w = torch.tensor(weight, requires_grad=True)
    mt_y = mytorch.embedding(mytorch.tensor(indices), mt_w, **options)
    th_y = F.embedding(torch.tensor(indices), th_w, **options)
    gy = rng.standard_normal(th_y.shape).astype(dtype)
    mt_y.backward(mytorch.tensor(gy))
    th_y.backward(torch.tensor(gy))
    return (mt_y, mt_w), (th_y, th_w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("indices", INDICES, ids=lambda a: "x".join(map(str, a.shape)))
def test_matches_torch(indices, options, dtype):
    (mt_y, mt_w), (th_y, th_w) = run_both(indices, options, dtype)
    assert mt_y.shape == tuple(th_y.shape) and mt_y.dtype == dtype
    np.testing.assert_array_equal(mt_y.detach().numpy(), th_y.detach().numpy())
    assert mt_w.grad.dtype == dtype
    np.testing.assert_allclose(mt_w.grad.numpy(), th_w.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_repeated_indices_accumulate_and_padding_row_gets_nothing():
    w = mytorch.ones(4, 2, requires_grad=True)
    mytorch.embedding(mytorch.tensor([[1, 1, 1], [3, 0, 3]]), w, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [3, 3], [0, 0], [2, 2]])


@given(indices=hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                      max_side=4), elements=st.integers(0, V - 1)),
       option=st.integers(0, len(OPTIONS) - 1), seed=st.integers(0, 2**16))
def test_hypothesis_indices(indices, option, seed):
    (mt_y, mt_w), (th_y, th_w) = run_both(indices, OPTIONS[option], np.float64, seed)
    np.testing.assert_array_equal(mt_y.detach().numpy(), th_y.detach().numpy())
    np.testing.assert_allclose(mt_w.grad.numpy(), th_w.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_gradcheck():
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    w = mytorch.randn(6, 3, dtype=mytorch.float64, requires_grad=True)
    assert gradcheck(lambda weight: mytorch.embedding(idx, weight), (w,))


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_gradgradcheck(options):
    """The gradient (with its padding and frequency weights) is linear in the upstream
    gradient; its own backward is the lookup, checked here to second order."""
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    w = mytorch.randn(6, 3, dtype=mytorch.float64, requires_grad=True)
    assert gradgradcheck(lambda weight: mytorch.embedding(idx, weight, **options), (w,))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalizes_used_rows_in_place_like_torch(norm_type):
    rng = np.random.default_rng(0)
    weight = (rng.standard_normal((6, 4)) * 2).astype(np.float32)
    idx = np.array([[0, 1, 1], [4, 5, 0]])  # rows 2 and 3 unused: left alone
    mt_w, th_w = mytorch.tensor(weight, requires_grad=True), torch.tensor(weight,
                                                                          requires_grad=True)
    mt_y = mytorch.embedding(mytorch.tensor(idx), mt_w, max_norm=1.5, norm_type=norm_type)
    th_y = F.embedding(torch.tensor(idx), th_w, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(mt_w.detach().numpy(), th_w.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(mt_y.detach().numpy(), th_y.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(mt_w.detach().numpy()[2:4], weight[2:4])
    norms = np.linalg.norm(mt_w.detach().numpy(), ord=norm_type, axis=1)
    assert np.all(norms[[0, 1, 4, 5]] <= 1.5 + 1e-5)


def test_scatter_rows_matches_add_at():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 9, (5, 7))
    g = rng.standard_normal((5, 7, 4))
    expected = np.zeros((9, 4))
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(_scatter_rows(g, idx, 9), expected, rtol=1e-12)


ERRORS = [
    (lambda: mytorch.embedding(mytorch.tensor([1.0]), mytorch.ones(4, 3)), TypeError,
     r"embedding: expected integer indices, got dtype float32"),
    (lambda: mytorch.embedding(mytorch.tensor([1]), mytorch.ones(4)), RuntimeError,
     r"embedding: 'weight' must be 2-D \(V, D\), got shape \(4,\)"),
    (lambda: mytorch.embedding(mytorch.tensor([[0, 4]]), mytorch.ones(4, 3)), IndexError,
     r"embedding: index 4 is out of range for a weight with 4 rows \(weight of shape \(4, 3\), "
     r"indices of shape \(1, 2\)\)"),
    (lambda: mytorch.embedding(mytorch.tensor([-1]), mytorch.ones(4, 3)), IndexError,
     r"embedding: index -1 is out of range"),
    (lambda: mytorch.embedding(mytorch.tensor([1]), mytorch.ones(4, 3), padding_idx=4),
     ValueError, r"embedding: padding_idx=4 must be within num_embeddings=4"),
    (lambda: mytorch.embedding(mytorch.tensor([1]), mytorch.ones(4, 3), padding_idx=-5),
     ValueError, r"embedding: padding_idx=-5 must be within num_embeddings=4"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_out_of_range_is_an_index_error_in_torch_too():
    with pytest.raises(IndexError):
        F.embedding(torch.tensor([4]), torch.ones(4, 3))


def test_docstring_examples():
    import doctest

    assert doctest.testmod(importlib.import_module("mytorch.ops.embedding")).failed == 0
