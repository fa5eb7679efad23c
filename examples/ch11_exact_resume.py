"""Chapter 11: a checkpoint that resumes a run exactly, and the learning-rate schedules.

1. Train a small MLP on the digits for 4 epochs with SGD + momentum and a cosine schedule.
   Then train it again, stopping after epoch 2: save the model, the optimizer (its momentum
   buffers), the schedule and the random generator (it draws the next epoch's batch order)
   into one .npz file, build everything afresh, load, and finish. The final weights are
   bitwise equal to the uninterrupted run's.
2. Leave out the optimizer's state on resume and the weights differ: momentum is state.
3. The schedules give the values of their formulas (StepLR, CosineAnnealingLR).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import mytorch
from mytorch import nn
from mytorch.datasets import Digits
from mytorch.optim.lr_scheduler import CosineAnnealingLR, StepLR
from mytorch.utils.data import DataLoader

EPOCHS = 4
train_set = Digits(train=True)


def fresh() -> tuple[nn.Module, mytorch.optim.Optimizer, CosineAnnealingLR, DataLoader]:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = mytorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = CosineAnnealingLR(optimizer, T_max=EPOCHS)
    loader = DataLoader(train_set, batch_size=64, shuffle=True)  # order: the global generator
    return model, optimizer, schedule, loader


def train(model: nn.Module, optimizer: Any, schedule: Any, loader: DataLoader, epochs: range
          ) -> None:
    for _ in epochs:
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()


def weights(model: nn.Module) -> list[np.ndarray]:
    return [p.numpy().copy() for p in model.parameters()]


# 1. uninterrupted, then interrupted after epoch 2 and resumed from the file
mytorch.manual_seed(0)
model, optimizer, schedule, loader = fresh()
train(model, optimizer, schedule, loader, range(EPOCHS))
straight = weights(model)

mytorch.manual_seed(0)
model, optimizer, schedule, loader = fresh()
train(model, optimizer, schedule, loader, range(2))
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "checkpoint.npz"
    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "schedule": schedule.state_dict(), "rng": mytorch.get_rng_state(),
                  "epoch": 2}, path)
    del model, optimizer, schedule, loader                  # the process "stops" here

    mytorch.manual_seed(123)                                # a new process: another state
    model, optimizer, schedule, loader = fresh()
    saved = mytorch.load(path)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    mytorch.set_rng_state(saved["rng"])
    train(model, optimizer, schedule, loader, range(int(saved["epoch"]), EPOCHS))
    resumed = weights(model)
    assert all(np.array_equal(a, b) for a, b in zip(straight, resumed))
    print("resumed after epoch 2: final weights bitwise equal to the uninterrupted run")

    # 2. the same, forgetting the optimizer's momentum buffers
    mytorch.manual_seed(0)
    model, optimizer, schedule, loader = fresh()
    model.load_state_dict(saved["model"])
    schedule.load_state_dict(saved["schedule"])
    mytorch.set_rng_state(saved["rng"])
    train(model, optimizer, schedule, loader, range(2, EPOCHS))
    gap = max(float(np.abs(a - b).max()) for a, b in zip(straight, weights(model)))
    assert gap > 1e-4, gap
    print(f"without the optimizer's state: weights differ by up to {gap:.4f}")

# 3. schedules against their formulas
def learning_rates(make_schedule, steps):
    """The learning rate of each of ``steps`` steps under a fresh schedule (base lr 1)."""
    opt = mytorch.optim.SGD([nn.Parameter(mytorch.zeros(1))], lr=1.0)
    schedule = make_schedule(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(schedule.get_last_lr()[0])
        opt.step()
        schedule.step()
    return lrs


lrs = learning_rates(lambda opt: CosineAnnealingLR(opt, T_max=10, eta_min=0.1), 11)
formula = [0.1 + 0.45 * (1 + math.cos(math.pi * t / 10)) for t in range(11)]
np.testing.assert_allclose(lrs, formula, rtol=1e-12)
lrs = learning_rates(lambda opt: StepLR(opt, step_size=3, gamma=0.5), 7)
assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25], lrs
print("CosineAnnealingLR and StepLR follow their formulas:", lrs)
