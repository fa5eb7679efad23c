"""The scripts under examples/ run and do what they say."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SRC = Path(__file__).resolve().parents[1] / "src"


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


# Each script under examples/ is a chapter's runnable example (docs/chapters): it must run as a
# reader runs it, from a fresh interpreter, and finish within the book's promise of 10 s.
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_in_under_10_seconds(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(SRC)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-3000:]}"
    assert elapsed < 10, f"{script} took {elapsed:.1f} s"
