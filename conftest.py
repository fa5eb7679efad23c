"""pytest's setup for the docstring examples of src/mytorch (collected by ``--doctest-modules``).

Every example runs in a fresh temporary folder (examples that save files write there, and
datasets are cached there), from ``manual_seed(0)``; the examples of a module that needs an
optional package are skipped, with the reason, where that package is missing.
"""

from __future__ import annotations

import os

import pytest

# module -> the optional package its examples import (its library code imports it lazily)
NEEDS = {"mytorch.onnx": "onnx", "mytorch.datasets.digits": "sklearn"}


@pytest.fixture(autouse=True)
def _doctest_sandbox(request: pytest.FixtureRequest) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    module = request.node.dtest.globs.get("__name__", "")
    if module in NEEDS:
        pytest.importorskip(NEEDS[module])
    tmp_path = request.getfixturevalue("tmp_path")
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MYTORCH_DATA", os.fspath(tmp_path / "datasets"))
    import mytorch

    mytorch.manual_seed(0)
