import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn as nn


class MLP(nn.Module):
    def __init__(self, lib=nn):
        super().__init__()
        self.hidden = lib.Linear(4, 8)
        self.act = lib.Tanh()
        self.out = lib.Linear(8, 3)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


class TorchMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.act = torch.nn.Tanh()
        self.out = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def test_parameters_are_registered_in_order():
    model = MLP()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert len(list(model.parameters())) == 4
    assert [n for n, _ in model.named_children()] == ["hidden", "act", "out"]
    assert [n for n, _ in model.named_modules()] == ["", "hidden", "act", "out"]


def test_shared_parameters_listed_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_torch_state_dict_loads_with_same_keys_and_outputs_match():
    torch_model = TorchMLP()
    model = MLP()
    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    assert list(state) == list(model.state_dict())
    model.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(mytorch.tensor(x)).numpy(),
                               torch_model(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_to_torch():
    model = MLP()
    torch_model = TorchMLP()
    torch_model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    for (name, p), (tname, tp) in zip(model.named_parameters(), torch_model.named_parameters()):
        assert name == tname
        np.testing.assert_array_equal(p.numpy(), tp.detach().numpy())


def test_load_state_dict_names_missing_unexpected_and_mismatched_keys():
    model = MLP()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    del state["out.bias"]
    state["extra.weight"] = np.zeros(2)
    state["hidden.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert "Missing key(s)" in message and '"out.bias"' in message
    assert "Unexpected key(s)" in message and '"extra.weight"' in message
    assert "size mismatch for hidden.weight" in message
    assert "(3, 3)" in message and "(8, 4)" in message


def test_load_state_dict_non_strict_reports_keys():
    model = MLP()
    state = {k: v.numpy() for k, v in model.state_dict().items() if k != "out.bias"}
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["out.bias"] and result.unexpected_keys == ["extra"]


def test_load_state_dict_copies_and_keeps_dtype():
    model = MLP()
    weights = np.ones((8, 4), dtype=np.float64)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["hidden.weight"] = weights
    model.load_state_dict(state)
    assert model.hidden.weight.dtype == np.float32
    weights[0, 0] = 5.0
    assert model.hidden.weight.numpy()[0, 0] == 1.0


def test_buffers_in_state_dict_but_not_parameters():
    class WithBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", mytorch.zeros(3))
            self.register_buffer("scratch", mytorch.zeros(2), persistent=False)
            self.w = nn.Parameter(mytorch.ones(2))

    m = WithBuffer()
    assert list(m.state_dict()) == ["w", "running"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert len(list(m.parameters())) == 1


def test_train_eval_propagate():
    model = MLP()
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_and_requires_grad():
    model = MLP()
    model(mytorch.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_float64_casts_parameters_and_computes_in_float64():
    model = MLP().to(mytorch.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    y = model(mytorch.randn(2, 4, dtype=mytorch.float64))
    assert y.dtype == np.float64
    assert MLP().double().hidden.weight.dtype == np.float64
    assert MLP().to("cpu").hidden.weight.dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU"):
        MLP().to("cuda")


def test_repr_matches_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1, bias=False)))
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                      torch.nn.Sequential(torch.nn.Linear(3, 1, bias=False)))
    assert repr(model) == repr(torch_model)


def test_containers():
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("b", nn.ReLU())]))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU) and len(seq) == 2
    assert list(seq.state_dict()) == ["a.weight", "a.bias"]
    assert len(seq[:1]) == 1
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    heads = nn.ModuleDict({"x": nn.Linear(2, 2)})
    heads["y"] = nn.Linear(2, 3)
    assert list(heads.keys()) == ["x", "y"] and "y" in heads
    assert [n for n, _ in heads.named_parameters()][-1] == "y.bias"


def test_apply_and_hooks():
    model = MLP()
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "MLP"]
    outputs = []
    remove = model.hidden.register_forward_hook(lambda m, args, out: outputs.append(out.shape))
    model(mytorch.randn(2, 4))
    remove()
    model(mytorch.randn(2, 4))
    assert outputs == [(2, 8)]


def test_deepcopy_module_is_independent():
    model = MLP()
    clone = copy.deepcopy(model)
    with mytorch.no_grad():
        clone.hidden.weight.fill_(0.0)
    assert not np.all(model.hidden.weight.numpy() == 0)
    assert isinstance(clone.hidden.weight, nn.Parameter)


def test_linear_default_init_matches_torch_distribution():
    mytorch.manual_seed(0)
    w = nn.Linear(400, 300).weight.numpy()
    bound = 1 / np.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    # a uniform on (-b, b) has std b / sqrt(3)
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound


def test_assigning_array_to_parameter_keeps_its_dtype():
    layer = nn.Linear(3, 2)
    layer.weight = np.ones((2, 3), dtype=np.float64)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.dtype == np.float64


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_protocol_on_numpy_arrays_matches_torch(dtype):
    layer = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    layer.to(dtype)
    torch_layer = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    torch_layer.to(torch.float64 if dtype == np.float64 else torch.float32)
    torch_layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4)).astype(dtype)
    dLdZ = rng.standard_normal((3, 2)).astype(dtype)
    Z = layer.forward(A)
    assert isinstance(Z, np.ndarray) and Z.dtype == dtype
    dLdA = layer.backward(dLdZ)
    assert isinstance(dLdA, np.ndarray) and dLdA.shape == A.shape and dLdA.dtype == dtype
    tA = torch.tensor(A, requires_grad=True)
    tZ = torch_layer(tA)
    tZ.backward(torch.tensor(dLdZ))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z, tZ.detach().numpy(), **tol)
    np.testing.assert_allclose(dLdA, tA.grad.numpy(), **tol)
    for p, tp in zip(layer.parameters(), torch_layer.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol)


def test_layer_protocol_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="Linear.backward"):
        nn.Linear(2, 2).backward(np.ones((1, 2)))


def test_linear_shape_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"linear.*\(2, 5\).*\(3, 4\)"):
        nn.Linear(4, 3)(mytorch.ones(2, 5))
