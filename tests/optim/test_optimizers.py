"""Optimizers against PyTorch: 20 steps on identical parameters and gradients, every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mytorch
from mytorch import nn, optim
from mytorch.nn import Parameter
from mytorch.optim.optimizer import lerp_

# two parameters of different shapes that get gradients, and a third that never does
SHAPES = [(3, 4), (5,), (2,)]
STEPS = 20
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.5), eps=1e-3)),  # 1 - beta >= 0.5: the other lerp form
    ("Adam", dict(lr=0.01, weight_decay=0.05, amsgrad=True, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.9), maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, eps=1e-4, centered=True)),
    ("RMSprop", dict(lr=0.01, maximize=True, weight_decay=0.01)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adadelta", dict(eps=1e-4, maximize=True)),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
            for name, kw in CASES]


def make_params(dtype, seed=0):
    """The same starting values as mytorch Parameters and as torch Parameters."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return ([Parameter(a.copy()) for a in arrays],
            [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays])


def make_optimizers(name, groups_mt, groups_th, kwargs):
    return (getattr(optim, name)(groups_mt, **kwargs),
            getattr(torch.optim, name)(groups_th, foreach=False, **kwargs))


def feed_grads(rng, mt_params, th_params):
    """The same random gradient to both frameworks; the last parameter gets none."""
    for p, q in zip(mt_params[:-1], th_params[:-1]):
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = mytorch.tensor(g.copy())
        q.grad = torch.from_numpy(g.copy())


def assert_params_match(mt_params, th_params, dtype, step):
    for i, (p, q) in enumerate(zip(mt_params, th_params)):
        assert p._data.dtype == dtype
        np.testing.assert_allclose(p._data, q.detach().numpy(), **TOL[dtype],
                                   err_msg=f"parameter {i} after step {step}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CASES, ids=CASE_IDS)
def test_trajectory_matches_torch(name, kwargs, dtype):
    mt_params, th_params = make_params(dtype)
    mt_opt, th_opt = make_optimizers(name, mt_params, th_params, kwargs)
    start = mt_params[-1]._data.copy()
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        feed_grads(rng, mt_params, th_params)
        mt_opt.step()
        th_opt.step()
        assert_params_match(mt_params, th_params, dtype, step)
    # the parameter without a gradient is untouched and has no state
    assert np.array_equal(mt_params[-1]._data, start)
    assert not mt_opt.state.get(mt_params[-1]) or name == "Adagrad"
    # the state has torch's names and values, and the parameter's dtype
    ours, theirs = mt_opt.state_dict()["state"], th_opt.state_dict()["state"]
    for i, th_state in theirs.items():
        for key, value in th_state.items():
            if key == "step":
                assert ours[i][key] == int(value.item())
            else:
                assert ours[i][key].dtype == dtype
                np.testing.assert_allclose(ours[i][key], value.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(momentum=0.9)), ("Adam", dict(amsgrad=True)), ("AdamW", dict()),
    ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", dict(lr_decay=0.01)),
    ("Adadelta", dict()),
])
def test_parameter_groups_with_their_own_options(name, kwargs, dtype):
    mt_params, th_params = make_params(dtype)
    extra = {"momentum": 0.5} if name == "SGD" else {}

    def groups(params):
        return [{"params": [params[0]], "lr": 0.3, **extra}, {"params": params[1:]}]

    mt_opt, th_opt = make_optimizers(name, groups(mt_params), groups(th_params),
                                     dict(lr=0.01, **kwargs))
    assert [g["lr"] for g in mt_opt.param_groups] == [0.3, 0.01]
    rng = np.random.default_rng(2)
    for step in range(STEPS):
        feed_grads(rng, mt_params, th_params)
        mt_opt.step()
        th_opt.step()
        assert_params_match(mt_params, th_params, dtype, step)


def only_arrays_and_numbers(value):
    """True when a state_dict holds nothing but arrays, numbers, bools and containers."""
    if isinstance(value, dict):
        return all(isinstance(k, (int, str)) and only_arrays_and_numbers(v)
                   for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(only_arrays_and_numbers(v) for v in value)
    return isinstance(value, (np.ndarray, int, float, bool))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)), ("RMSprop", dict(centered=True, momentum=0.5)),
    ("Adagrad", dict(lr_decay=0.01)), ("Adadelta", dict()),
])
def test_state_dict_round_trip_continues_identically(name, kwargs, dtype):
    def run(resume_at=None, npz_like=False):
        params, _ = make_params(dtype)
        groups = [{"params": params[:1], "lr": 0.05}, {"params": params[1:]}]
        opt = getattr(optim, name)(groups, **kwargs)
        rng = np.random.default_rng(3)
        for step in range(STEPS):
            if step == resume_at:
                saved = opt.state_dict()
                assert only_arrays_and_numbers(saved)
                if npz_like:  # what a .npz round trip gives back: 0-d arrays for numbers
                    for s in saved["state"].values():
                        s["step"] = np.asarray(s.get("step", 0))
                values = [p._data.copy() for p in params]
                params = [Parameter(v) for v in values]
                opt = getattr(optim, name)(
                    [{"params": params[:1], "lr": 1.0}, {"params": params[1:]}], lr=1.0
                )
                opt.load_state_dict(saved)
            for p in params[:-1]:
                p.grad = mytorch.tensor(rng.standard_normal(p.shape).astype(dtype))
            opt.step()
        return [p._data for p in params], opt

    straight, _ = run()
    for npz_like in (False, True):
        resumed, opt = run(resume_at=STEPS // 2, npz_like=npz_like)
        for a, b in zip(straight, resumed):
            assert a.dtype == b.dtype == dtype
            np.testing.assert_array_equal(a, b)
        assert opt.param_groups[0]["lr"] == 0.05  # options came back with the state
        assert all(isinstance(s["step"], int) for s in opt.state.values() if "step" in s)


def test_state_dict_is_a_copy_and_loading_copies():
    params, _ = make_params(np.float64)
    opt = optim.Adam(params[:2], lr=0.1)
    for p in params[:2]:
        p.grad = mytorch.ones_like(p)
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)
    assert saved["state"][0]["step"] == 1
    opt.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 7.0
    np.testing.assert_array_equal(opt.state[params[0]]["exp_avg"], before)
    saved["param_groups"][0]["lr"] = 5.0
    assert opt.param_groups[0]["lr"] == 0.1


def test_torch_state_dict_as_numpy_loads_and_continues_identically():
    """Same layout and names as PyTorch: a torch Adam state (as arrays) resumes in mytorch."""
    mt_params, th_params = make_params(np.float64)
    th_opt = torch.optim.Adam(th_params, lr=0.01, amsgrad=True, foreach=False)
    rng = np.random.default_rng(4)
    for _ in range(5):
        feed_grads(rng, mt_params, th_params)
        th_opt.step()
    saved = th_opt.state_dict()
    as_numpy = {
        "state": {i: {k: v.numpy() for k, v in s.items()} for i, s in saved["state"].items()},
        "param_groups": [dict(g) for g in saved["param_groups"]],
    }
    for p, q in zip(mt_params, th_params):
        p._data[...] = q.detach().numpy()
    mt_opt = optim.Adam(mt_params, lr=0.01, amsgrad=True)
    mt_opt.load_state_dict(as_numpy)
    for step in range(5):
        feed_grads(rng, mt_params, th_params)
        mt_opt.step()
        th_opt.step()
        assert_params_match(mt_params, th_params, np.float64, step)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_is_exact_at_both_ends(dtype):
    """Running means use PyTorch's two-sided lerp: weight 1 gives the end, weight 0 the start."""
    rng = np.random.default_rng(7)
    start, end = (rng.standard_normal(1000).astype(dtype) for _ in range(2))
    for weight, expected in ((0.0, start), (1.0, end)):
        out = start.copy()
        lerp_(out, end, weight)
        np.testing.assert_array_equal(out, expected)
    out = start.copy()
    lerp_(out, end, 0.75)
    np.testing.assert_allclose(out, start + 0.75 * (end - start), **TOL[dtype])


def test_zero_grad():
    params, _ = make_params(np.float32)
    opt = optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = mytorch.ones_like(p)
    opt.zero_grad(set_to_none=False)
    for p in params:
        assert p.grad.shape == p.shape and p.grad.dtype == np.float32
        assert not p.grad._data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_closure_is_evaluated_and_its_loss_returned():
    w = Parameter(np.array([3.0, -1.0]))
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        w.grad = mytorch.tensor(2 * w._data)  # d/dw of sum(w**2)
        calls.append(1)
        return float((w._data ** 2).sum())

    assert opt.step(closure) == 10.0
    assert calls == [1]
    np.testing.assert_allclose(w._data, [1.5, -0.5])
    assert opt.step() is None


def test_add_param_group_takes_the_defaults():
    params, th_params = make_params(np.float64)
    mt_opt, th_opt = make_optimizers("SGD", params[:1], th_params[:1], dict(lr=0.1, momentum=0.9))
    mt_opt.add_param_group({"params": params[1], "lr": 0.01})
    th_opt.add_param_group({"params": th_params[1], "lr": 0.01})
    assert mt_opt.param_groups[1]["momentum"] == 0.9
    assert mt_opt.param_groups[1]["params"] == [params[1]]
    rng = np.random.default_rng(5)
    for step in range(5):
        feed_grads(rng, params, th_params)
        mt_opt.step()
        th_opt.step()
        assert_params_match(params, th_params, np.float64, step)


def test_repr_lists_the_groups():
    params, _ = make_params(np.float32)
    text = repr(optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "Parameter Group 1" in text and "    lr: 0.5" in text and "    momentum: 0" in text


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs, words", [
    ("SGD", dict(lr=-0.1), ["SGD", "learning rate", "-0.1"]),
    ("SGD", dict(momentum=-0.5), ["SGD", "momentum", "-0.5"]),
    ("SGD", dict(weight_decay=-1.0), ["SGD", "weight_decay", "-1.0"]),
    ("SGD", dict(nesterov=True), ["SGD", "Nesterov momentum requires a momentum"]),
    ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True), ["SGD", "zero dampening"]),
    ("Adam", dict(lr=-1e-3), ["Adam", "learning rate", "-0.001"]),
    ("Adam", dict(betas=(1.0, 0.999)), ["Adam", "beta parameter at index 0", "1.0"]),
    ("Adam", dict(betas=(0.9, -0.1)), ["Adam", "beta parameter at index 1", "-0.1"]),
    ("Adam", dict(eps=-1e-8), ["Adam", "epsilon", "-1e-08"]),
    ("AdamW", dict(betas=(0.9, 1.5)), ["AdamW", "beta parameter at index 1", "1.5"]),
    ("AdamW", dict(weight_decay=-0.01), ["AdamW", "weight_decay", "-0.01"]),
    ("RMSprop", dict(alpha=-0.9), ["RMSprop", "alpha", "-0.9"]),
    ("RMSprop", dict(momentum=-0.1), ["RMSprop", "momentum", "-0.1"]),
    ("RMSprop", dict(eps=-1.0), ["RMSprop", "epsilon", "-1.0"]),
    ("Adagrad", dict(lr_decay=-0.1), ["Adagrad", "lr_decay", "-0.1"]),
    ("Adagrad", dict(initial_accumulator_value=-1.0), ["Adagrad", "initial_accumulator", "-1.0"]),
    ("Adadelta", dict(rho=1.5), ["Adadelta", "rho", "1.5"]),
    ("Adadelta", dict(lr=-2.0), ["Adadelta", "learning rate", "-2.0"]),
])
def test_invalid_hyperparameters(name, kwargs, words):
    params, _ = make_params(np.float32)
    with pytest.raises(ValueError) as info:
        getattr(optim, name)(params, **kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_empty_parameter_list(name):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        getattr(optim, name)([])
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        getattr(optim, name)(iter([]))


def test_bad_params():
    params, _ = make_params(np.float32)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": params[:2]}, {"params": params[1:]}], lr=0.1)
    opt = optim.SGD(params[:2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [params[0]]})
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Parameter"):
        optim.SGD(params[0], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is"):
        optim.SGD([params[0], np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {params[0]}}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([params[2]])
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([x * 2])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([params[0], params[0]], lr=0.1)


def test_load_state_dict_mismatch():
    params, _ = make_params(np.float32)
    saved = optim.Adam([{"params": params[:1]}, {"params": params[1:]}]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.Adam(params).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam([{"params": params[:2]}, {"params": params[2:]}]).load_state_dict(saved)


# -- end to end -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.1)),
])
def test_linear_regression_trains_like_torch(name, kwargs, dtype, rtol):
    """50 steps of nn.Linear + mean squared error, same weights and batches in both."""
    rng = np.random.default_rng(6)
    true_w = rng.standard_normal((3, 5))
    batches = []
    for _ in range(50):
        x = rng.standard_normal((16, 5))
        batches.append((x.astype(dtype), (x @ true_w.T + 0.1 * rng.standard_normal((16, 3)))
                        .astype(dtype)))
    model = nn.Linear(5, 3, dtype=dtype)
    th_dtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    reference = torch.nn.Linear(5, 3, dtype=th_dtype)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(model.weight._data))
        reference.bias.copy_(torch.from_numpy(model.bias._data))
    x0, t0 = (mytorch.tensor(a) for a in batches[0])
    start_loss = ((model(x0) - t0) ** 2).mean().item()
    mt_opt = getattr(optim, name)(model.parameters(), **kwargs)
    th_opt = getattr(torch.optim, name)(reference.parameters(), foreach=False, **kwargs)
    for x, t in batches:
        mt_opt.zero_grad()
        ((model(mytorch.tensor(x)) - mytorch.tensor(t)) ** 2).mean().backward()
        mt_opt.step()
        th_opt.zero_grad()
        ((reference(torch.from_numpy(x)) - torch.from_numpy(t)) ** 2).mean().backward()
        th_opt.step()
    assert ((model(x0) - t0) ** 2).mean().item() < 0.2 * start_loss  # it did learn
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.dtype == dtype
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True)),
])
def test_parameters_of_other_shapes_and_dtypes_sharing_the_scratch_buffers_match_torch(
        name, options):
    """Updates write their intermediates into scratch buffers the optimizer reuses for every
    parameter: a large, a small and a float64 parameter in one optimizer must not disturb
    one another."""
    rng = np.random.default_rng(3)
    shapes = [((6, 5), np.float32), ((4,), np.float64), ((3, 2), np.float32)]
    values = [rng.standard_normal(s).astype(d) for s, d in shapes]
    grads = [[rng.standard_normal(s).astype(d) for s, d in shapes] for _ in range(3)]
    mine = [Parameter(mytorch.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    opt_mine = getattr(optim, name)(mine, **options)
    opt_theirs = getattr(torch.optim, name)(theirs, **options)
    for step_grads in grads:
        for m, t, g in zip(mine, theirs, step_grads):
            m.grad, t.grad = mytorch.tensor(g), torch.tensor(g)
        opt_mine.step()
        opt_theirs.step()
    for m, t, (_, dtype) in zip(mine, theirs, shapes):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **TOL[dtype])
