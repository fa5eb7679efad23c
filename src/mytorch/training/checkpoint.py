"""Training checkpoints: everything needed to continue a run exactly as if never stopped.

A checkpoint is one ``mytorch.save`` file (``.npz``, no pickle, written
atomically) holding:

* ``config``: the run's settings (model, dataset, optimizer, ...), as JSON-able values;
* ``model``, ``optimizer``, ``scheduler``: their ``state_dict()``s;
* ``epoch`` and ``batches_done``: where the run stands (an interrupted epoch resumes
  at the next batch);
* ``epoch_rng``: the shuffling generator's state at the start of that epoch, so the
  same batch order is replayed; ``rng``: mytorch's global generator (dropout...);
* ``history``: the per-epoch metrics so far.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mytorch.serialization import load, save


@dataclass
class Checkpoint:
    config: dict[str, Any]
    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    epoch: int
    batches_done: int
    epoch_rng: dict[str, Any]
    rng: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)

    def save(self, path: str | os.PathLike[str]) -> None:
        save(self.__dict__, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        raw = load(path)
        missing = [k for k in cls.__dataclass_fields__ if k not in raw]
        if missing:
            raise ValueError(f"load checkpoint: '{path}' is not a mytorch training checkpoint "
                             f"(missing {', '.join(missing)})")
        values = {k: _plain(raw[k]) for k in cls.__dataclass_fields__}
        values["model"] = dict(raw["model"])  # keep the model's Tensors as they are
        return cls(**values)


def _plain(value: Any) -> Any:
    """Loaded containers back to plain dicts/lists and 0-d arrays to Python numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    array = np.asarray(value) if hasattr(value, "__array__") else None
    if array is not None and array.ndim == 0:
        return array.item()
    return array if array is not None else value
