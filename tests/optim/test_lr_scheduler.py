"""Learning-rate schedulers against PyTorch's: the rate of every group at every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mytorch
from mytorch import optim
from mytorch.nn import Parameter
from mytorch.optim import lr_scheduler

LRS = (0.1, 0.03)  # two parameter groups with their own rates


def make_optimizers(name="SGD", **kwargs):
    """The same optimizer with two parameter groups, in mytorch and in torch."""
    def groups(make):
        return [{"params": [make(np.zeros(2))], "lr": LRS[0]},
                {"params": [make(np.zeros(3))], "lr": LRS[1]}]
    return (getattr(optim, name)(groups(Parameter), **kwargs),
            getattr(torch.optim, name)(groups(lambda a: torch.nn.Parameter(torch.tensor(a))),
                                       **kwargs))


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def assert_same_rates(mt_sched, th_sched, mt_opt, th_opt, step, momentum=False):
    expected = th_sched.get_last_lr()
    assert mt_sched.get_last_lr() == pytest.approx(expected, rel=1e-13, abs=1e-17), step
    assert [g["lr"] for g in mt_opt.param_groups] == pytest.approx(expected, rel=1e-13), step
    if momentum:
        assert momenta(mt_opt) == pytest.approx(momenta(th_opt), rel=1e-13), step


def run_beside(name, kwargs, steps, opt_name="SGD", opt_kwargs=None, momentum=False):
    mt_opt, th_opt = make_optimizers(opt_name, **(opt_kwargs or {}))
    mt_sched = getattr(lr_scheduler, name)(mt_opt, **kwargs)
    th_sched = getattr(torch.optim.lr_scheduler, name)(th_opt, **kwargs)
    assert_same_rates(mt_sched, th_sched, mt_opt, th_opt, 0, momentum)
    for step in range(1, steps + 1):
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
        assert_same_rates(mt_sched, th_sched, mt_opt, th_opt, step, momentum)
    return mt_sched


CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5), 20),
    ("StepLR", dict(step_size=1), 8),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3), 15),
    ("ExponentialLR", dict(gamma=0.9), 25),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01), 40),  # past T_max: back up and down
    ("CosineAnnealingLR", dict(T_max=10), 25),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (epoch + 1)), 10),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.9 ** e, lambda e: 1 + e % 3]), 10),
]


@pytest.mark.parametrize("name, kwargs, steps", CASES,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)])
def test_schedule_matches_torch(name, kwargs, steps):
    sched = run_beside(name, kwargs, steps)
    assert sched.base_lrs == list(LRS)
    assert [g["initial_lr"] for g in sched.optimizer.param_groups] == list(LRS)
    assert sched.last_epoch == steps


ONE_CYCLE = [
    dict(max_lr=1.0, total_steps=30),
    dict(max_lr=[1.0, 0.5], total_steps=25, anneal_strategy="linear"),
    dict(max_lr=0.8, total_steps=40, three_phase=True, pct_start=0.25),
    dict(max_lr=0.8, epochs=4, steps_per_epoch=7, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.5, total_steps=20, base_momentum=[0.8, 0.7], max_momentum=0.99),
]


@pytest.mark.parametrize("opt_name, opt_kwargs", [
    ("SGD", dict(momentum=0.9)), ("Adam", dict(betas=(0.9, 0.99))),
])
@pytest.mark.parametrize("kwargs", ONE_CYCLE, ids=[str(i) for i in range(len(ONE_CYCLE))])
def test_one_cycle_rates_and_momenta_match_torch(kwargs, opt_name, opt_kwargs):
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    sched = run_beside("OneCycleLR", kwargs, total - 1, opt_name, opt_kwargs, momentum=True)
    if opt_name == "Adam":  # only beta1 cycles
        assert all(g["betas"][1] == 0.99 for g in sched.optimizer.param_groups)


def test_one_cycle_without_momentum_cycling_and_past_the_end():
    sched = run_beside("OneCycleLR", dict(max_lr=1.0, total_steps=10, cycle_momentum=False), 9,
                       opt_kwargs=dict(momentum=0.5))
    assert [g["momentum"] for g in sched.optimizer.param_groups] == [0.5, 0.5]
    sched.step()  # step 10 is still defined (the end of the last phase, extrapolated)
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total "
                                         "steps is 10"):
        sched.step()


def test_one_cycle_drives_the_optimizer_like_torch():
    """OneCycleLR with Adam on real updates: parameters equal after the cycle."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal(4)
    p, q = Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start.copy()))
    mt_opt, th_opt = optim.Adam([p]), torch.optim.Adam([q], foreach=False)
    mt_sched = lr_scheduler.OneCycleLR(mt_opt, max_lr=0.1, total_steps=20)
    th_sched = torch.optim.lr_scheduler.OneCycleLR(th_opt, max_lr=0.1, total_steps=20)
    for _ in range(20):
        g = rng.standard_normal(4)
        p.grad, q.grad = mytorch.tensor(g), torch.tensor(g)
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
    np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


LOSSES = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89999, 0.92, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49,
          0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]


@pytest.mark.parametrize("kwargs", [
    dict(patience=2),
    dict(patience=0, factor=0.5, cooldown=2),
    dict(mode="max", patience=1, threshold=0.05),
    dict(threshold_mode="abs", threshold=0.02, patience=1, min_lr=[0.01, 0.02]),
    dict(mode="max", threshold_mode="abs", patience=3, factor=0.2, min_lr=0.005),
    dict(patience=0, factor=0.9, eps=0.005),  # reductions smaller than eps are skipped
])
def test_reduce_on_plateau_matches_torch(kwargs):
    mt_opt, th_opt = make_optimizers()
    mt_sched = lr_scheduler.ReduceLROnPlateau(mt_opt, **kwargs)
    th_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(th_opt, **kwargs)
    changes = 0
    for step, loss in enumerate(LOSSES):
        before = mt_sched.get_last_lr()
        mt_sched.step(loss)
        th_sched.step(loss)
        assert_same_rates(mt_sched, th_sched, mt_opt, th_opt, step)
        assert mt_sched.num_bad_epochs == th_sched.num_bad_epochs
        changes += mt_sched.get_last_lr() != before
    assert changes >= 1  # the sequence does exercise a reduction
    best = mt_sched.best
    mt_sched.step(mytorch.tensor(0.1))  # a 0-d tensor metric works too
    assert mt_sched.best == (pytest.approx(0.1) if mt_sched.mode == "min" else best)


@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", dict(step_size=2, gamma=0.5)), ("MultiStepLR", dict(milestones=[3, 6])),
    ("ExponentialLR", dict(gamma=0.8)), ("CosineAnnealingLR", dict(T_max=5)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=12)),
    ("ReduceLROnPlateau", dict(patience=1)),
])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    """Save optimizer and scheduler mid-run, load into fresh ones, get the same rates."""
    def fresh():
        opt = make_optimizers(momentum=0.9)[0]
        return opt, getattr(lr_scheduler, name)(opt, **kwargs)

    def advance(opt, sched, epoch):
        opt.step()
        sched.step(LOSSES[epoch]) if name == "ReduceLROnPlateau" else sched.step()
        return sched.get_last_lr() + momenta(opt)

    opt, sched = fresh()
    straight = [advance(opt, sched, e) for e in range(10)]
    opt, sched = fresh()
    resumed = [advance(opt, sched, e) for e in range(4)]
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved_sched
    opt, sched = fresh()
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    resumed += [advance(opt, sched, e) for e in range(4, 10)]
    assert resumed == straight


def test_scheduler_state_dict_is_a_copy():
    sched = lr_scheduler.MultiStepLR(make_optimizers()[0], milestones=[2, 4])
    saved = sched.state_dict()
    saved["base_lrs"][0] = 99.0
    saved["milestones"][7] = 1
    assert sched.base_lrs == list(LRS) and 7 not in sched.milestones
    other = lr_scheduler.MultiStepLR(make_optimizers()[0], milestones=[1])
    other.load_state_dict(saved)
    saved["base_lrs"][1] = 42.0
    assert other.base_lrs == [99.0, LRS[1]] and other.milestones[7] == 1


def test_lambda_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = make_optimizers()[0]
    sched = lr_scheduler.LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"n": 4}, None]
    other = lr_scheduler.LambdaLR(make_optimizers()[0], [Warmup(10), lambda e: 1.0])
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].n == 4


def test_resuming_needs_initial_lr():
    opt = make_optimizers()[0]
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=5)
    lr_scheduler.StepLR(opt, step_size=2)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)  # initial_lr is there now
    assert sched.last_epoch == 4 and sched.base_lrs == list(LRS)


def test_cosine_resumed_with_last_epoch_matches_torch():
    """Resumed at last_epoch=3, the cosine ratio recursion goes on from the current rates."""
    opt, th_opt = make_optimizers()
    for o in (opt, th_opt):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"]
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001, last_epoch=3)
    th_sched = torch.optim.lr_scheduler.CosineAnnealingLR(th_opt, T_max=10, eta_min=0.001,
                                                          last_epoch=3)
    assert sched.last_epoch == 4 and sched.get_last_lr() == list(LRS)
    for step in range(6):
        opt.step()
        th_opt.step()
        sched.step()
        th_sched.step()
        assert_same_rates(sched, th_sched, opt, th_opt, step)
    assert sched.get_last_lr() == pytest.approx([0.001, 0.001], rel=1e-12)  # T_max reached


# -- errors ---------------------------------------------------------------------------------
def test_errors():
    opt = make_optimizers()[0]
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    with pytest.raises(TypeError, match="dict is not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau({})
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_lr=1.0), "You must define either total_steps OR"),
    (dict(max_lr=1.0, epochs=3), "You must define either total_steps OR"),
    (dict(max_lr=1.0, total_steps=0), "Expected positive integer total_steps, but got 0"),
    (dict(max_lr=1.0, total_steps=2.5), "Expected positive integer total_steps, but got 2.5"),
    (dict(max_lr=1.0, epochs=-1, steps_per_epoch=3), "positive integer epochs, but got -1"),
    (dict(max_lr=1.0, epochs=2, steps_per_epoch=0), "integer steps_per_epoch, but got 0"),
    (dict(max_lr=1.0, total_steps=10, pct_start=1.5), "between 0 and 1 pct_start, but got 1.5"),
    (dict(max_lr=1.0, total_steps=10, anneal_strategy="exp"), "'cos' or 'linear', instead got exp"),
    (dict(max_lr=[1.0, 2.0, 3.0], total_steps=10), "max_lr must have the same length as "
                                                   "optimizer.param_groups. max_lr has 3 values"),
])
def test_one_cycle_errors(kwargs, message):
    opt = make_optimizers()[0]
    with pytest.raises(ValueError, match=message):
        lr_scheduler.OneCycleLR(opt, **kwargs)


def test_one_cycle_needs_a_momentum_to_cycle():
    opt = optim.Adagrad([Parameter(np.zeros(2))])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
