"""Training checkpoints: everything needed to continue a run exactly as if never stopped.

A checkpoint is one ``mytorch.save`` file (``.npz``, no pickle, written
atomically) holding:

* ``config``: the run's settings (model, dataset, optimizer, ...), as JSON-able values;
* ``model``, ``optimizer``, ``scheduler``: their ``state_dict()``s;
* ``epoch`` and ``batches_done``: where the run stands (an interrupted epoch resumes
  at the next batch);
* ``running``: the interrupted epoch's sums so far (``loss`` summed over samples,
  ``correct``, ``seen``, ``seconds``), so its metrics come out as an uninterrupted run's;
* ``epoch_rng``: the shuffling generator's state at the start of that epoch, so the
  same batch order is replayed; ``rng``: mytorch's global generator (dropout...);
* ``history``: the per-epoch metrics so far.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from mytorch.serialization import load, save

RUNNING_SUMS = ("loss", "correct", "seen", "seconds")


@dataclass
class Checkpoint:
    config: dict[str, Any]
    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    epoch: int
    batches_done: int
    running: dict[str, float]
    epoch_rng: dict[str, Any]
    rng: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)  # where it was loaded from; not saved

    def save(self, path: str | os.PathLike[str]) -> None:
        save({name: getattr(self, name) for name in _saved_fields()}, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Read and check a checkpoint file.

        Raises:
            FileNotFoundError: there is no such file.
            ValueError: the file is unreadable, or not a whole mytorch training checkpoint.
        """
        try:
            raw = load(path)
        except (ValueError, pickle.UnpicklingError) as err:  # corrupt, or not a mytorch file
            raise ValueError(
                f"load checkpoint: '{path}' is not a readable checkpoint: {err}"
            ) from err
        missing = [k for k in _saved_fields() if not isinstance(raw, dict) or k not in raw]
        if missing:
            raise ValueError(f"load checkpoint: '{path}' is not a mytorch training checkpoint "
                             f"(missing {', '.join(missing)})")
        values = {k: _plain(raw[k]) for k in _saved_fields()}
        values["model"] = dict(raw["model"])  # keep the model's Tensors as they are
        _check(values, path)
        return cls(**values, path=Path(path))


def _saved_fields() -> list[str]:
    return [f.name for f in fields(Checkpoint) if f.name != "path"]


def _check(values: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Refuse a checkpoint whose fields have the wrong kinds, before anything uses them."""
    expected: dict[str, type | tuple[type, ...]] = {
        "config": dict, "model": dict, "optimizer": dict, "scheduler": (dict, type(None)),
        "epoch": int, "batches_done": int, "running": dict, "epoch_rng": dict, "rng": dict,
        "history": list,
    }
    for name, kind in expected.items():
        if not isinstance(values[name], kind) or isinstance(values[name], bool):
            raise ValueError(f"load checkpoint: '{path}' has a malformed {name!r} "
                             f"({type(values[name]).__name__})")
    if values["epoch"] < 0 or values["batches_done"] < 0:
        raise ValueError(f"load checkpoint: '{path}' has a negative epoch or batch count")
    for name in ("model", "dataset"):
        if not isinstance(values["config"].get(name), str):
            raise ValueError(f"load checkpoint: '{path}' names no {name}")
    if sorted(values["running"]) != sorted(RUNNING_SUMS) or not all(
        isinstance(v, (int, float)) for v in values["running"].values()
    ):
        raise ValueError(f"load checkpoint: '{path}' has malformed running sums")
    if not all(isinstance(row, dict) for row in values["history"]):
        raise ValueError(f"load checkpoint: '{path}' has a malformed history")


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
