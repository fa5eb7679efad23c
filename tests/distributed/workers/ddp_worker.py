"""Run under mpirun -n 2: DistributedDataParallel against single-process training.

Every rank also trains the reference (one process, the whole batch) locally, so it
can compare. Prints ``PASS <name>`` per check; a failure aborts every rank.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np

import mytorch
import mytorch.distributed as dist
from mytorch import nn, optim
from mytorch.nn.parallel import DistributedDataParallel
from mytorch.nn.parallel import distributed as ddp_module

B, STEPS, LENGTH, CLASSES = 4, 5, 12, 3
CHECKS: list[Callable[[], None]] = []


def check(function: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(function)
    return function


def make_model(seed: int) -> nn.Module:
    """Conv and linear layers only (no batch norm, no dropout), float64."""
    mytorch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(),
        nn.Conv1d(4, 6, 3, stride=2, padding=1), nn.Tanh(),
        nn.Flatten(), nn.Linear(6 * LENGTH // 2, 8), nn.ReLU(), nn.Linear(8, CLASSES),
    ).double()


def samples(count: int) -> tuple[mytorch.Tensor, mytorch.Tensor]:
    rng = np.random.default_rng(123)
    x = rng.normal(size=(count, 1, LENGTH))
    y = rng.integers(0, CLASSES, count)
    return mytorch.tensor(x), mytorch.tensor(y)


def train(model: nn.Module, batches: list[tuple[mytorch.Tensor, mytorch.Tensor]]) -> None:
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for x, y in batches:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def max_difference(a: nn.Module, b: nn.Module) -> float:
    return max(float(np.abs(p.numpy() - q.numpy()).max())
               for p, q in zip(a.parameters(), b.parameters()))


def ddp_equals_one_process_with_the_whole_batch(bucket_cap_mb: float) -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    x, y = samples(size * B * STEPS)
    reference = make_model(seed=0)
    train(reference, [(x[s * size * B:(s + 1) * size * B], y[s * size * B:(s + 1) * size * B])
                      for s in range(STEPS)])

    model = make_model(seed=rank)  # different weights per rank: construction unifies them
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    assert max_difference(model, make_model(seed=0)) == 0.0, "rank 0's weights not broadcast"
    mine = [slice((s * size + rank) * B, (s * size + rank + 1) * B) for s in range(STEPS)]
    train(ddp, [(x[part], y[part]) for part in mine])

    difference = max_difference(model, reference)
    assert difference < 1e-6, f"DDP differs from the whole batch by {difference}"
    assert max_difference(model, make_model(seed=0)) > 1e-3, "training did not move the weights"


@check
def exactness_one_bucket() -> None:
    ddp_equals_one_process_with_the_whole_batch(bucket_cap_mb=25)


@check
def exactness_many_buckets() -> None:
    ddp_equals_one_process_with_the_whole_batch(bucket_cap_mb=0.0005)  # ~500 bytes each


@check
def buckets_start_during_backward_last_layer_first() -> None:
    ddp = DistributedDataParallel(make_model(seed=0), bucket_cap_mb=0.0005)
    buckets = ddp.reducer.buckets
    params = list(ddp.module.parameters())
    assert len(buckets) > 2 and buckets[0].params[0] is params[-1]  # reverse order
    first_weight = params[0]
    started: list[bool] = []  # per all-reduce: had backward reached the first layer yet?
    all_reduce = ddp_module.dist.all_reduce

    def recording_all_reduce(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(first_weight.grad is not None)
        return all_reduce(*args, **kwargs)

    ddp_module.dist.all_reduce = recording_all_reduce  # type: ignore[assignment]
    try:
        x, y = samples(B)
        nn.CrossEntropyLoss()(ddp(x), y).backward()
    finally:
        ddp_module.dist.all_reduce = all_reduce  # type: ignore[assignment]
    assert len(started) == len(buckets)
    assert started[0] is False, "the first bucket waited for the end of backward"


@check
def no_sync_accumulates_locally_then_averages_the_sum() -> None:
    rank, size = dist.get_rank(), dist.get_world_size()
    x, y = samples(2 * size * B)
    loss_fn = nn.CrossEntropyLoss()
    reference = make_model(seed=0)  # one process: mean losses of both global micro-batches
    for step in range(2):
        part = slice(step * size * B, (step + 1) * size * B)
        loss_fn(reference(x[part]), y[part]).backward()

    local = make_model(seed=0)  # this rank alone, its first micro-batch
    first = slice(rank * B, (rank + 1) * B)
    loss_fn(local(x[first]), y[first]).backward()

    ddp = DistributedDataParallel(make_model(seed=0))
    with ddp.no_sync():
        loss_fn(ddp(x[first]), y[first]).backward()
    for p, q in zip(ddp.module.parameters(), local.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=0, atol=1e-12)
    second = slice((size + rank) * B, (size + rank + 1) * B)
    loss_fn(ddp(x[second]), y[second]).backward()
    for p, q in zip(ddp.module.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=0, atol=1e-12)


@check
def evaluation_forward_under_no_grad_does_not_arm_the_reducer() -> None:
    ddp = DistributedDataParallel(make_model(seed=0))
    x, _ = samples(B)
    with mytorch.no_grad():
        ddp(x)
    assert not ddp.reducer.armed


@check
def state_dict_has_the_module_prefix_and_module_state_dict_has_none() -> None:
    model = make_model(seed=0)
    ddp = DistributedDataParallel(model)
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]
    assert list(ddp.module.state_dict()) == list(model.state_dict())
    assert ddp.module is model


@check
def dropping_the_wrapper_removes_its_hooks() -> None:
    model = make_model(seed=0)
    ddp = DistributedDataParallel(model)
    weight = next(iter(model.parameters()))
    assert len(weight._accumulator.post_hooks) == 1  # type: ignore[union-attr]
    del ddp
    gc.collect()
    assert weight._accumulator.post_hooks == []  # type: ignore[union-attr]


@check
def different_models_on_the_ranks_raise_on_every_rank() -> None:
    model = nn.Linear(3, 2 + dist.get_rank())
    try:
        DistributedDataParallel(model)
    except ValueError as err:
        assert "DistributedDataParallel: the processes wrap different models" in str(err)
    else:
        raise AssertionError("no ValueError for different models")


if __name__ == "__main__":
    dist.init_process_group("mpi")
    for function in CHECKS:
        function()
        dist.barrier()
        print(f"PASS {function.__name__}", flush=True)
    dist.destroy_process_group()
