"""The global generator: OS entropy at import (as PyTorch), exactly repeatable after manual_seed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.utils.data import DataLoader, TensorDataset, random_split

# what a fresh process draws: the weights of a new layer, and the seed it reports
DRAW = ("import mytorch{seed}; layer = mytorch.nn.Linear(4, 3); "
        "print(mytorch.initial_seed(), layer.weight.detach().numpy().tolist())")


def fresh_draw(seed: str = "") -> str:
    done = subprocess.run([sys.executable, "-c", DRAW.format(seed=seed)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_unseeded_processes_draw_different_weights() -> None:
    first, second = fresh_draw(), fresh_draw()
    assert first.split()[0] != second.split()[0]  # different initial seeds
    assert first.split(maxsplit=1)[1] != second.split(maxsplit=1)[1]  # and different weights


def test_manual_seed_processes_draw_identical_weights() -> None:
    first, second = fresh_draw("; mytorch.manual_seed(7)"), fresh_draw("; mytorch.manual_seed(7)")
    assert first == second and first.split()[0] == "7"


def test_initial_seed_reports_manual_seed_and_seed_reseeds_from_entropy() -> None:
    mytorch.manual_seed(123)
    assert mytorch.initial_seed() == 123
    drawn = mytorch.seed()
    assert isinstance(drawn, int) and 0 <= drawn < 2**64
    assert mytorch.initial_seed() == drawn
    after_seed = mytorch.rand(3).numpy()
    mytorch.manual_seed(drawn)  # seed() is an ordinary seed: replaying it replays the draws
    np.testing.assert_array_equal(mytorch.rand(3).numpy(), after_seed)


def _every_consumer() -> list[np.ndarray]:
    """One draw from each user of the global generator."""
    layer = nn.Conv2d(2, 3, 3)  # init
    x = mytorch.randn(4, 5)
    dropped = nn.functional.dropout(mytorch.ones(20), 0.5)
    ints = mytorch.randint(0, 10, (6,))
    perm = mytorch.randperm(7)
    order = [int(b[0][0]) for b in DataLoader(TensorDataset(mytorch.arange(8)), batch_size=1,
                                              shuffle=True)]
    split = random_split(range(10), [5, 5])[0].indices
    crop = mytorch.transforms.RandomCrop(2)(np.arange(16.0).reshape(1, 4, 4))
    return [layer.weight.detach().numpy(), x.numpy(), dropped.numpy(), ints.numpy(),
            perm.numpy(), np.array(order), np.array(split), np.asarray(crop)]


def test_every_consumer_of_the_global_generator_follows_manual_seed() -> None:
    mytorch.manual_seed(5)
    first = _every_consumer()
    mytorch.manual_seed(5)
    second = _every_consumer()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 2**63 + 5])
def test_manual_seed_accepts_64_bit_seeds(seed: int) -> None:
    mytorch.manual_seed(seed)
    assert mytorch.initial_seed() == seed
