"""mytorch's global random generator: one ``numpy.random.Generator``, seeded by ``manual_seed``.

Every random draw in the library (rand, randn, dropout, init, shuffling)
comes from here, so ``manual_seed(n)`` makes a whole run repeatable, and the
generator's state can be saved in a checkpoint and restored exactly. Until
``manual_seed`` is called the generator is seeded from the operating
system's entropy at import, as PyTorch's is: two unseeded runs draw
different weights, and ``initial_seed()`` tells which seed a run used.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

_initial_seed = secrets.randbits(64)  # fresh at every import, as PyTorch
_generator = np.random.default_rng(_initial_seed)


def generator() -> np.random.Generator:
    """The global generator (its identity changes after ``manual_seed``)."""
    return _generator


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it, like PyTorch returns its Generator."""
    global _generator, _initial_seed
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    return _generator


def seed() -> int:
    """Seed the generator from the operating system's entropy; returns the seed used."""
    new_seed = secrets.randbits(64)
    manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the global generator last got (at import, from ``manual_seed`` or ``seed``)."""
    return _initial_seed


def get_rng_state() -> dict[str, Any]:
    """The generator's full state, a JSON-able dict (for checkpoints)."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
