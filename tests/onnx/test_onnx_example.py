"""examples/export_onnx.py: the trained digits CNN, exported, classifies as well in ONNX Runtime."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("onnx", reason="the example needs the onnx package")
pytest.importorskip("onnxruntime", reason="the example needs onnxruntime")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "export_onnx.py"


def test_export_onnx_example(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("export_onnx", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    ours, theirs = example.run(epochs=2, out=str(tmp_path / "digits.onnx"))
    assert ours == theirs and ours > 0.85
