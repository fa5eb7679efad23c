"""The check every ONNX test makes: export, validate, run in ONNX Runtime, compare to mytorch."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import mytorch
from mytorch.onnx.trace import flat_tensors

onnx = pytest.importorskip("onnx", reason="the ONNX export tests need the onnx package")
ort = pytest.importorskip("onnxruntime", reason="the ONNX export tests need onnxruntime")

Inputs = Callable[[int], Sequence[np.ndarray]]  # batch size -> one array per model input


def assert_same(got: np.ndarray, ref: np.ndarray) -> None:
    """Equal to 1e-5 relative, elementwise; an element near 0 (by cancellation) is held to
    1e-5 of the output's largest magnitude instead, which float32 can meet."""
    assert got.shape == ref.shape and got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5 * float(np.abs(ref).max()))


def check(model: mytorch.nn.Module, inputs: Inputs, batches: Sequence[int] = (3, 5),
          batch_axes: Sequence[int | None] | None = None, trace_batch: int = 2,
          **options: Any) -> Any:
    """Export ``model`` traced on ``inputs(trace_batch)`` with a dynamic batch, check the
    model, and compare ONNX Runtime with mytorch at each of ``batches``.

    Args:
        inputs: makes the model's inputs for a batch size.
        batch_axes: the batch axis of each input (default 0; None: no batch axis, and
            then a single batch size is compared).
        options: more keyword arguments of ``export``.

    Returns:
        The exported ``onnx.ModelProto``.
    """
    example = inputs(trace_batch)
    names = [f"input_{i}" for i in range(len(example))]
    axes = batch_axes if batch_axes is not None else [0] * len(example)
    dynamic = {name: {axis: "batch"} for name, axis in zip(names, axes) if axis is not None}
    model.eval()
    buffer = io.BytesIO()
    proto = mytorch.onnx.export(model, tuple(mytorch.tensor(a) for a in example), buffer,
                                input_names=names, dynamic_axes=dynamic, **options)
    onnx.checker.check_model(onnx.load_from_string(buffer.getvalue()), full_check=True)
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    for n in batches if dynamic else (trace_batch,):
        arrays = inputs(n)
        with mytorch.no_grad():
            refs = [t.numpy() for t in flat_tensors(model(*map(mytorch.tensor, arrays)))]
        gots = session.run(None, dict(zip(names, arrays)))
        assert len(gots) == len(refs)
        for got, ref in zip(gots, refs):
            assert_same(got, ref)
    return proto


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
