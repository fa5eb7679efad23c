"""Dropout, Dropout1d, Dropout2d and Embedding layers: train/eval, repr and state_dict like
PyTorch's, initialization, from_pretrained, gradients against PyTorch, errors."""

import importlib

import numpy as np
import pytest
import torch

import mytorch
from mytorch.nn.modules.dropout import Dropout, Dropout1d, Dropout2d
from mytorch.nn.modules.embedding import Embedding

DROPOUT_LAYERS = [(Dropout, torch.nn.Dropout), (Dropout1d, torch.nn.Dropout1d),
                  (Dropout2d, torch.nn.Dropout2d)]


@pytest.mark.parametrize("mine, theirs", DROPOUT_LAYERS)
def test_dropout_layers_repr_and_modes(mine, theirs):
    assert repr(mine()) == repr(theirs())
    assert repr(mine(0.2, True)) == repr(theirs(0.2, True))
    layer = mine(0.5)
    x = mytorch.ones(4, 6, 5) if mine is not Dropout2d else mytorch.ones(4, 6, 5, 2)
    mytorch.manual_seed(0)
    assert np.any(layer(x).numpy() == 0)  # training by default
    assert layer.eval()(x) is x


@pytest.mark.parametrize("mine, theirs", DROPOUT_LAYERS)
def test_dropout_layers_refuse_bad_p(mine, theirs):
    with pytest.raises(ValueError, match=rf"{mine.__name__}: dropout probability has to be "
                                         r"between 0 and 1, but got 1.5"):
        mine(1.5)
    with pytest.raises(ValueError):
        theirs(1.5)


def test_dropout2d_layer_drops_whole_channels_and_inplace_writes_input():
    mytorch.manual_seed(2)
    x = mytorch.ones(8, 10, 3, 3)
    y = Dropout2d(0.5, inplace=True)(x)
    assert y is x
    per_channel = x.numpy().reshape(8, 10, 9)
    assert np.all(per_channel == per_channel[..., :1]) and np.any(per_channel == 0)


# -- Embedding -------------------------------------------------------------------------------
def test_embedding_init_is_standard_normal_with_zero_padding_row():
    mytorch.manual_seed(0)
    emb = Embedding(1000, 50, padding_idx=-1)
    w = emb.weight.numpy()
    assert emb.padding_idx == 999 and w.dtype == np.float32 and emb.weight.requires_grad
    np.testing.assert_array_equal(w[999], 0)
    assert abs(w[:999].mean()) < 0.01 and abs(w[:999].std() - 1) < 0.01


def test_embedding_matches_torch_with_copied_weights():
    rng = np.random.default_rng(0)
    theirs = torch.nn.Embedding(9, 4, padding_idx=1, scale_grad_by_freq=True)
    mine = Embedding(9, 4, padding_idx=1, scale_grad_by_freq=True)
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = rng.integers(0, 9, (3, 5))
    mt_y, th_y = mine(mytorch.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(mt_y.detach().numpy(), th_y.detach().numpy())
    gy = rng.standard_normal(mt_y.shape).astype(np.float32)
    mt_y.backward(mytorch.tensor(gy))
    th_y.backward(torch.tensor(gy))
    np.testing.assert_allclose(mine.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6,
                               atol=1e-6)


def test_embedding_repr_and_state_dict_match_torch():
    configs = [dict(), dict(padding_idx=0), dict(padding_idx=-2, max_norm=1.0),
               dict(norm_type=1.0, scale_grad_by_freq=True, sparse=True)]
    for kwargs in configs:
        mine, theirs = Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict()) == list(theirs.state_dict())


def test_from_pretrained():
    table = mytorch.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad  # frozen by default
    np.testing.assert_array_equal(emb(mytorch.tensor([1])).numpy(), table.numpy()[1:])
    trainable = Embedding.from_pretrained(np.eye(3), freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.weight.dtype == np.float64
    np.testing.assert_array_equal(trainable.weight.numpy()[0], [1, 0, 0])  # kept, not zeroed
    trainable(mytorch.tensor([0, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0] * 3, [0] * 3, [1] * 3])


def test_embedding_given_weight():
    w = mytorch.randn(4, 2)
    emb = Embedding(4, 2, _weight=w)
    np.testing.assert_array_equal(emb.weight.numpy(), w.numpy())
    assert emb.weight.requires_grad


def test_embedding_max_norm_in_the_layer():
    emb = Embedding(5, 4, max_norm=1.0)
    emb(mytorch.tensor([0, 3]))
    norms = np.linalg.norm(emb.weight.numpy(), axis=1)
    assert np.all(norms[[0, 3]] <= 1.0 + 1e-6)


def test_embedding_array_layer_protocol():
    emb = Embedding(6, 2)
    Z = emb.forward(np.array([[0, 5, 5]]))
    assert isinstance(Z, np.ndarray) and Z.shape == (1, 3, 2)


EMBEDDING_ERRORS = [
    (lambda: Embedding(4, 3, padding_idx=4), ValueError,
     r"Embedding: padding_idx=4 must be within num_embeddings=4"),
    (lambda: Embedding(4, 3, padding_idx=-5), ValueError, r"padding_idx=-5"),
    (lambda: Embedding(4, 3, _weight=mytorch.ones(3, 3)), ValueError,
     r"Embedding: shape of weight \(3, 3\) does not match num_embeddings=4 and embedding_dim=3"),
    (lambda: Embedding.from_pretrained(mytorch.ones(4)), ValueError,
     r"Embedding.from_pretrained: embeddings are expected to be 2-dimensional, got shape \(4,\)"),
    (lambda: Embedding(4, 3)(mytorch.tensor([4])), IndexError,
     r"embedding: index 4 is out of range for a weight with 4 rows"),
]


@pytest.mark.parametrize("call, error, message", EMBEDDING_ERRORS)
def test_embedding_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", ["mytorch.nn.modules.dropout", "mytorch.nn.modules.embedding"])
def test_docstring_examples(name):
    import doctest

    assert doctest.testmod(importlib.import_module(name)).failed == 0
