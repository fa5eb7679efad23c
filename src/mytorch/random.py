"""mytorch's global random generator: one ``numpy.random.Generator``, seeded by ``manual_seed``.

Every random draw in the library (rand, randn, dropout, init, shuffling)
comes from here, so ``manual_seed(n)`` makes a whole run repeatable, and the
generator's state can be saved in a checkpoint and restored exactly.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

_generator = np.random.default_rng(0)


def generator() -> np.random.Generator:
    """The global generator (its identity changes after ``manual_seed``)."""
    return _generator


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it, like PyTorch returns its Generator."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed() -> int:
    """Seed the generator from the operating system's entropy; returns the seed used."""
    new_seed = secrets.randbits(63)
    manual_seed(new_seed)
    return new_seed


def get_rng_state() -> dict[str, Any]:
    """The generator's full state, a JSON-able dict (for checkpoints)."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
