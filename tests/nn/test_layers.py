"""The conv/pool/resample layers as modules: PyTorch parity with copied weights, the
array layer protocol, default initialization, reprs, and LeNet-5 end to end."""

import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn as nn


def copy_weights(module, torch_module):
    torch_module.load_state_dict(
        {k: torch.tensor(v.numpy()) for k, v in module.state_dict().items()}
    )


LAYERS = [
    (lambda lib: lib.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    (lambda lib: lib.Conv1d(4, 4, 3, groups=4, padding="same", padding_mode="circular"), (2, 4, 7)),
    (lambda lib: lib.Conv2d(3, 6, 3, padding=1, padding_mode="reflect"), (2, 3, 6, 6)),
    (
        lambda lib: lib.Conv2d(4, 8, (3, 2), stride=(2, 1), dilation=(1, 2), groups=2, bias=False),
        (2, 4, 7, 8),
    ),
    (lambda lib: lib.Conv2d(3, 4, 3), (3, 5, 5)),  # unbatched
    (lambda lib: lib.ConvTranspose1d(3, 2, 4, stride=2, padding=1), (2, 3, 5)),
    (
        lambda lib: lib.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 4, 5),
    ),
    (lambda lib: lib.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 7)),
    (lambda lib: lib.MaxPool1d(2), (2, 3, 8)),
    (lambda lib: lib.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 6)),
    (lambda lib: lib.AvgPool1d(3, stride=1), (2, 3, 8)),
    (lambda lib: lib.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    (lambda lib: lib.AdaptiveMaxPool2d(3), (2, 3, 7, 5)),
    (lambda lib: lib.Upsample(scale_factor=2, mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (lambda lib: lib.Upsample(size=7, mode="nearest"), (2, 3, 4)),
    (lambda lib: lib.Unfold(2, stride=2), (2, 3, 4, 6)),
    (lambda lib: lib.Flatten(), (2, 3, 4)),
    (
        lambda lib: lib.Sequential(
            lib.Linear(4, 3), lib.GELU(), lib.Linear(3, 2), lib.LogSoftmax(dim=1)
        ),
        (5, 4),
    ),
]


@pytest.mark.parametrize("make, shape", LAYERS, ids=[f"{i}" for i in range(len(LAYERS))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(make, shape, dtype):
    layer = make(nn).to(dtype)
    torch_layer = make(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_weights(layer, torch_layer)
    assert repr(layer) == repr(torch_layer)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    mx, tx = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    my, ty = layer(mx), torch_layer(tx)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(my.numpy(), ty.detach().numpy(), **tol)
    g = np.random.default_rng(1).standard_normal(ty.shape).astype(dtype)
    my.backward(mytorch.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), **tol)
    for (name, p), tp in zip(layer.named_parameters(), torch_layer.parameters()):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol, err_msg=name)


@pytest.mark.parametrize("make, shape", LAYERS[:8], ids=[f"{i}" for i in range(8)])
def test_layer_protocol_on_arrays(make, shape):
    layer = make(nn).to(mytorch.float64)
    A = np.random.default_rng(0).standard_normal(shape)
    Z = layer.forward(A)
    dLdZ = np.random.default_rng(1).standard_normal(Z.shape)
    dLdA = layer.backward(dLdZ)
    assert isinstance(Z, np.ndarray) and Z.dtype == np.float64
    assert dLdA.shape == A.shape and dLdA.dtype == np.float64
    # the protocol and the autograd are one engine: same numbers both ways
    x = mytorch.tensor(A, requires_grad=True)
    layer.zero_grad()
    (layer(x) * mytorch.tensor(dLdZ)).sum().backward()
    np.testing.assert_array_equal(dLdA, x.grad.numpy())


def test_avg_pool1d_divisor_override_is_avg_pool2d_over_a_height_1_window():
    # PyTorch's AvgPool1d lacks divisor_override (SPEC: ours has it); its AvgPool2d has it
    layer = nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, divisor_override=5)
    torch_layer = torch.nn.AvgPool2d((1, 3), (1, 2), (0, 1), ceil_mode=True, divisor_override=5)
    x = np.random.default_rng(0).standard_normal((2, 3, 8))
    mx, tx = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    my, ty = layer(mx), torch_layer(tx.unsqueeze(-2)).squeeze(-2)
    np.testing.assert_allclose(my.numpy(), ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(1).standard_normal(ty.shape)
    my.backward(mytorch.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_downsample_backward_returns_input_width():
    layer = nn.Downsample1d(3)
    A = np.arange(2 * 3 * 10, dtype=np.float64).reshape(2, 3, 10)
    Z = layer.forward(A)
    assert Z.shape == (2, 3, 4)
    np.testing.assert_array_equal(Z, A[..., ::3])
    dLdA = layer.backward(np.ones_like(Z))
    assert dLdA.shape == A.shape and dLdA[..., ::3].sum() == Z.size and dLdA.sum() == Z.size
    up = nn.Upsample2d(2)
    Y = up.forward(np.ones((1, 1, 3, 4)))
    assert Y.shape == (1, 1, 5, 7) and Y.sum() == 12


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.Conv2d(16, 32, 3),
        lambda lib: lib.Conv1d(8, 4, 5, groups=2),
        lambda lib: lib.ConvTranspose2d(16, 8, 3),
    ],
)
def test_default_init_bounds_match_torch(make):
    mytorch.manual_seed(0)
    layer, torch_layer = make(nn), make(torch.nn)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(torch_layer.weight)
    bound = 1 / np.sqrt(fan_in)  # PyTorch's kaiming_uniform_(a=sqrt(5)) and bias bound
    for p, tp in zip(layer.parameters(), torch_layer.parameters()):
        assert p.shape == tuple(tp.shape)
        assert np.abs(p.numpy()).max() <= bound
    w = layer.weight.numpy()
    assert np.abs(w).max() > 0.95 * bound and abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound


def test_conv_transpose_output_size():
    layer = nn.ConvTranspose2d(8, 4, 3, stride=2)
    torch_layer = torch.nn.ConvTranspose2d(8, 4, 3, stride=2)
    copy_weights(layer, torch_layer)
    x = np.random.default_rng(0).standard_normal((1, 8, 5, 5)).astype(np.float32)
    y = layer(mytorch.tensor(x), output_size=(12, 12))
    ty = torch_layer(torch.tensor(x), output_size=(12, 12))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match="Conv2d.*divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises((ValueError, RuntimeError), match=r"conv2d.*\(2, 4, 8, 8\)"):
        nn.Conv2d(3, 4, 3)(mytorch.randn(2, 4, 8, 8))


class LeNet5:
    """LeNet-5 as built in both libraries from the same layer names."""

    @staticmethod
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 6, 5, padding=2),
            lib.Tanh(),
            lib.AvgPool2d(2),
            lib.Conv2d(6, 16, 5),
            lib.Tanh(),
            lib.AvgPool2d(2),
            lib.Flatten(),
            lib.Linear(16 * 5 * 5, 120),
            lib.Tanh(),
            lib.Linear(120, 84),
            lib.Tanh(),
            lib.Linear(84, 10),
        )


def test_lenet5_gradients_match_torch_on_a_full_batch():
    model, torch_model = LeNet5.build(nn), LeNet5.build(torch.nn)
    copy_weights(model, torch_model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    onehot = np.eye(10, dtype=np.float32)[labels]
    # cross-entropy written with log_softmax, the same in both libraries
    loss = -(model(mytorch.tensor(x)).log_softmax(1) * mytorch.tensor(onehot)).sum() / 128
    torch_loss = -(torch_model(torch.tensor(x)).log_softmax(1) * torch.tensor(onehot)).sum() / 128
    loss.backward()
    torch_loss.backward()
    np.testing.assert_allclose(loss.item(), torch_loss.item(), rtol=1e-5)
    for (name, p), tp in zip(model.named_parameters(), torch_model.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), tp.grad.numpy(), rtol=2e-4, atol=2e-6, err_msg=name
        )
