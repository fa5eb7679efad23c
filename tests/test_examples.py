"""The scripts under examples/ run and do what they say."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fit_mlp_loss_falls() -> None:
    fit_mlp = _load("fit_mlp")
    losses = fit_mlp.fit(steps=300, log_every=0)
    assert len(losses) == 300 and all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.2 * losses[0]


def test_fit_mlp_is_repeatable() -> None:
    fit_mlp = _load("fit_mlp")
    assert fit_mlp.fit(steps=5, log_every=0) == fit_mlp.fit(steps=5, log_every=0)
