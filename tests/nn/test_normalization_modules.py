"""BatchNorm1d/2d, LayerNorm, GroupNorm against PyTorch's layers with copied weights: several
training steps (outputs, input and parameter gradients, running statistics), eval, state_dict,
repr, the array layer protocol, errors."""

import importlib

import numpy as np
import pytest
import torch

import mytorch
from mytorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def copy_state(mine, theirs, rng):
    """Random parameters in the torch layer, then its whole state_dict into mine."""
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def step(mine, theirs, x, rng, dtype):
    """One forward + backward in both; compare outputs and every gradient."""
    mt_x = mytorch.tensor(x, requires_grad=True)
    th_x = torch.tensor(x, requires_grad=True)
    mt_y, th_y = mine(mt_x), theirs(th_x)
    tol = TOL[dtype]
    np.testing.assert_allclose(mt_y.detach().numpy(), th_y.detach().numpy(), **tol)
    gy = rng.standard_normal(x.shape).astype(dtype)
    mt_y.backward(mytorch.tensor(gy))
    th_y.backward(torch.tensor(gy))
    np.testing.assert_allclose(mt_x.grad.numpy(), th_x.grad.numpy(), **tol)
    for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tol, err_msg=name)


def compare_buffers(mine, theirs, dtype):
    mine_buffers, theirs_buffers = dict(mine.named_buffers()), dict(theirs.named_buffers())
    assert list(mine_buffers) == list(theirs_buffers)
    for name, buffer in mine_buffers.items():
        np.testing.assert_allclose(buffer.numpy(), theirs_buffers[name].numpy(), **TOL[dtype],
                                   err_msg=name)


BN_CONFIGS = [
    (BatchNorm1d, torch.nn.BatchNorm1d, (8, 4), {}),
    (BatchNorm1d, torch.nn.BatchNorm1d, (5, 4, 6), dict(momentum=0.3, eps=1e-3)),
    (BatchNorm1d, torch.nn.BatchNorm1d, (5, 4, 6), dict(momentum=None)),
    (BatchNorm2d, torch.nn.BatchNorm2d, (3, 4, 5, 6), {}),
    (BatchNorm2d, torch.nn.BatchNorm2d, (3, 4, 5, 6), dict(momentum=None, affine=False)),
    (BatchNorm2d, torch.nn.BatchNorm2d, (2, 4, 3, 3), dict(track_running_stats=False)),
    (BatchNorm2d, torch.nn.BatchNorm2d, (2, 4, 3, 3), dict(bias=False)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mine_cls, theirs_cls, shape, kwargs", BN_CONFIGS)
def test_batch_norm_training_steps_then_eval_match_torch(mine_cls, theirs_cls, shape, kwargs,
                                                         dtype):
    rng = np.random.default_rng(0)
    C = shape[1]
    theirs = theirs_cls(C, dtype=TORCH_DTYPE[dtype], **kwargs)
    mine = mine_cls(C, dtype=dtype, **kwargs)
    copy_state(mine, theirs, rng)
    for k in range(3):
        x = (rng.standard_normal(shape) * (k + 1) + k).astype(dtype)
        step(mine, theirs, x, rng, dtype)
        compare_buffers(mine, theirs, dtype)
    mine.eval()
    theirs.eval()
    step(mine, theirs, rng.standard_normal(shape).astype(dtype), rng, dtype)
    compare_buffers(mine, theirs, dtype)  # evaluation changes no buffer


def test_batch_norm_cumulative_average_with_momentum_none():
    bn = BatchNorm1d(2, momentum=None)
    batches = [mytorch.tensor([[0.0, 1.0], [2.0, 5.0]]), mytorch.tensor([[4.0, 1.0], [6.0, 1.0]])]
    for x in batches:
        bn(x)
    assert bn.num_batches_tracked.item() == 2 and bn.num_batches_tracked.dtype == np.int64
    np.testing.assert_allclose(bn.running_mean.numpy(), [(1 + 5) / 2, (3 + 1) / 2])
    np.testing.assert_allclose(bn.running_var.numpy(), [(2 + 2) / 2, (8 + 0) / 2])


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    bn = BatchNorm1d(3, track_running_stats=False).eval()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    y = bn(mytorch.randn(16, 3) * 5 + 2).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)


def test_batch_norm_torch_state_dict_loads_with_the_same_keys():
    theirs = torch.nn.BatchNorm2d(5)
    theirs(torch.randn(4, 5, 3, 3) * 3 + 1)  # running statistics away from their defaults
    theirs.eval()
    mine = BatchNorm2d(5).eval()
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(mine.state_dict()) == list(state) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    mine.load_state_dict(state)
    assert mine.num_batches_tracked.item() == 1
    x = np.random.default_rng(0).standard_normal((2, 5, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(mine(mytorch.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_defaults_and_dtype():
    bn = BatchNorm2d(3)
    np.testing.assert_array_equal(bn.weight.numpy(), 1)
    np.testing.assert_array_equal(bn.bias.numpy(), 0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)
    assert bn.weight.dtype == np.float32 and bn.running_mean.dtype == np.float32
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    bn(mytorch.randn(2, 3, 2, 2, dtype=mytorch.float64))
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mine, theirs, shape", [
    (lambda d: LayerNorm(6, dtype=d), lambda d: torch.nn.LayerNorm(6, dtype=d), (4, 6)),
    (lambda d: LayerNorm((3, 4), eps=1e-3, dtype=d),
     lambda d: torch.nn.LayerNorm((3, 4), eps=1e-3, dtype=d), (2, 5, 3, 4)),
    (lambda d: LayerNorm([4], bias=False, dtype=d),
     lambda d: torch.nn.LayerNorm([4], bias=False, dtype=d), (3, 4)),
    (lambda d: LayerNorm(4, elementwise_affine=False, dtype=d),
     lambda d: torch.nn.LayerNorm(4, elementwise_affine=False, dtype=d), (3, 4)),
    (lambda d: GroupNorm(2, 6, dtype=d), lambda d: torch.nn.GroupNorm(2, 6, dtype=d),
     (3, 6, 4, 4)),
    (lambda d: GroupNorm(3, 3, affine=False, dtype=d),
     lambda d: torch.nn.GroupNorm(3, 3, affine=False, dtype=d), (2, 3, 5)),
    (lambda d: GroupNorm(1, 4, bias=False, dtype=d),
     lambda d: torch.nn.GroupNorm(1, 4, bias=False, dtype=d), (2, 4)),
])
def test_layer_and_group_norm_match_torch(mine, theirs, shape, dtype):
    rng = np.random.default_rng(0)
    m, t = mine(dtype), theirs(TORCH_DTYPE[dtype])
    copy_state(m, t, rng)
    for mode in ("train", "eval"):  # the same computation in both modes
        getattr(m, mode)()
        getattr(t, mode)()
        step(m, t, rng.standard_normal(shape).astype(dtype), rng, dtype)


def test_repr_matches_torch():
    pairs = [
        (BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
        (BatchNorm2d(16, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
         torch.nn.BatchNorm2d(16, eps=1e-3, momentum=None, affine=False,
                              track_running_stats=False)),
        (BatchNorm2d(4, bias=False), torch.nn.BatchNorm2d(4, bias=False)),
        (LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))),
        (LayerNorm(5, elementwise_affine=False), torch.nn.LayerNorm(5, elementwise_affine=False)),
        (LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False)),
        (GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (GroupNorm(1, 3, eps=0.1, affine=False), torch.nn.GroupNorm(1, 3, eps=0.1, affine=False)),
    ]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict()) == list(theirs.state_dict())


def test_array_layer_protocol():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    dLdZ = rng.standard_normal(A.shape).astype(np.float32)
    layer, reference = BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    Z = layer.forward(A)
    assert isinstance(Z, np.ndarray)
    dLdA = layer.backward(dLdZ)
    th_A = torch.tensor(A, requires_grad=True)
    reference(th_A).backward(torch.tensor(dLdZ))
    np.testing.assert_allclose(dLdA, th_A.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad.numpy(), reference.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-5)


ERRORS = [
    (lambda: BatchNorm2d(3)(mytorch.ones(2, 3, 4)), ValueError,
     r"BatchNorm2d: expected 4D input \(got 3D input of shape \(2, 3, 4\)\)"),
    (lambda: BatchNorm1d(3)(mytorch.ones(2, 3, 4, 4)), ValueError,
     r"BatchNorm1d: expected 2D or 3D input \(got 4D input"),
    (lambda: BatchNorm1d(3)(mytorch.ones(1, 3)), ValueError,
     r"Expected more than 1 value per channel when training, got input size \(1, 3\)"),
    (lambda: BatchNorm2d(3)(mytorch.ones(2, 4, 3, 3)), RuntimeError,
     r"batch_norm: running_mean should contain 4 elements not 3 \(input of shape \(2, 4, 3, 3\)"),
    (lambda: LayerNorm(4)(mytorch.ones(2, 5)), RuntimeError,
     r"layer_norm: Given normalized_shape=\(4,\).*\(2, 5\)"),
    (lambda: GroupNorm(2, 3), ValueError,
     r"GroupNorm: num_channels \(3\) must be divisible by num_groups \(2\)"),
    (lambda: GroupNorm(2, 4)(mytorch.ones(2, 6, 3)), RuntimeError,
     r"group_norm: Expected weight to be a vector of size equal to the number of channels"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_eval_with_one_value_per_channel_is_fine():
    bn = BatchNorm1d(3).eval()
    assert bn(mytorch.ones(1, 3)).shape == (1, 3)


def test_docstring_examples():
    import doctest

    module = importlib.import_module("mytorch.nn.modules.normalization")
    assert doctest.testmod(module).failed == 0
