import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn.utils as utils

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def twin_parameters(dtype, seed=0, scale=1.0, with_grads=(True, True, True, True)):
    """The same parameters and gradients in mytorch and in torch."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape, has_grad in zip(SHAPES, with_grads):
        data = rng.standard_normal(shape).astype(dtype)
        p, q = mytorch.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        if has_grad:
            g = np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)  # 0-d stays an array
            p.grad, q.grad = mytorch.tensor(g), torch.tensor(g)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def assert_same_grads(ours, theirs, dtype):
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for p, q in zip(ours, theirs):
        if q.grad is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == q.grad.numpy().dtype
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf"), 0.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])  # clipping, and a bound already met
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    ours, theirs = twin_parameters(dtype, with_grads=(True, True, False, True))
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, mytorch.Tensor) and total.shape == ()
    assert total.dtype == expected.numpy().dtype
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    assert_same_grads(ours, theirs, dtype)


def test_clip_grad_norm_returns_the_norm_before_clipping_and_scales_in_place():
    p = mytorch.tensor([0.0, 0.0], requires_grad=True)
    p.grad = mytorch.tensor([3.0, 4.0])
    grad = p.grad
    assert utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)  # a single Tensor
    assert p.grad is grad  # the same gradient tensor, scaled in place, as torch
    np.testing.assert_allclose(grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert np.linalg.norm(grad.numpy()) <= 1.0


def test_clip_grad_norm_without_gradients_returns_zero():
    total = utils.clip_grad_norm_([mytorch.zeros(3, requires_grad=True)], 1.0)
    assert total.item() == 0.0 and total.item() == torch.nn.utils.clip_grad_norm_(
        [torch.zeros(3, requires_grad=True)], 1.0).item()


def test_clip_grad_norm_nonfinite():
    ours, theirs = twin_parameters(np.float32)
    ours[0].grad._data[0, 0] = np.nan
    theirs[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 .* "
                                           "non-finite.*error_if_nonfinite=False"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    total = utils.clip_grad_norm_(ours, 1.0)  # without the flag: NaN everywhere, like torch
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert np.isnan(total.item())
    assert_same_grads(ours, theirs, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs = twin_parameters(dtype, scale=3.0, with_grads=(True, False, True, True))
    assert utils.clip_grad_value_(ours, 1.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    assert_same_grads(ours, theirs, dtype)
    assert max(np.abs(p.grad.numpy()).max() for p in ours if p.grad is not None) <= 1.5


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    ours, theirs = twin_parameters(np.float64)
    vec = utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vec.numpy(), torch.nn.utils.parameters_to_vector(theirs)
                                  .detach().numpy())
    for p in ours:
        p.grad = None
    (vec * mytorch.arange(vec.shape[0], dtype=mytorch.float64)).sum().backward()
    offset = 0
    for p in ours:
        n = p.numel()
        np.testing.assert_array_equal(p.grad.numpy().reshape(-1), np.arange(offset, offset + n))
        offset += n


def test_vector_to_parameters_matches_torch_and_shares_memory():
    ours, theirs = twin_parameters(np.float32)
    vec = np.arange(sum(p.numel() for p in ours), dtype=np.float32)
    mine = mytorch.tensor(vec)
    utils.vector_to_parameters(mine, ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs)
    for p, q in zip(ours, theirs):
        assert p.shape == tuple(q.shape)
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())
    mine._data[0] = -1.0  # the parameters view the vector, as in torch
    assert ours[0].numpy()[0, 0] == -1.0


def test_vector_to_parameters_errors():
    params = [mytorch.zeros(2, 2), mytorch.zeros(3)]
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor, but got: "
                                        "ndarray"):
        utils.vector_to_parameters(np.zeros(7), params)
    with pytest.raises(ValueError, match=r"vector_to_parameters: expected a 1-D vector of 7 "
                                         r"values .* got shape \(6,\)"):
        utils.vector_to_parameters(mytorch.zeros(6), params)
    with pytest.raises(ValueError, match=r"got shape \(7, 1\)"):
        utils.vector_to_parameters(mytorch.zeros(7, 1), params)


def test_importable_as_a_module_of_nn():
    import mytorch.nn

    assert mytorch.nn.utils.clip_grad_norm_ is utils.clip_grad_norm_
