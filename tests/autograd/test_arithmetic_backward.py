"""Arithmetic backwards run on arrays when nothing is recorded (``Function.arithmetic_backward``):
no op dispatched per intermediate gradient, and the same gradients as PyTorch, dtypes included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import mytorch
from mytorch.autograd.function import Function


def _chain(lib: Any, x: Any, w: Any, b: Any) -> Any:
    """Every op with an arithmetic backward, twice over."""
    y = x
    for _ in range(2):
        y = ((y * w + b) / (w * w + 1.5) - b).tanh().sin().cos().exp().sqrt()
        y = (-y).log1p() * 0.5 + (y + 2.0).log()
    return y


def _leaves(lib: Any, dtype: Any) -> list[Any]:
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.uniform(-0.5, 0.5, 5).astype(dtype), requires_grad=True)
            for _ in range(3)]


def test_backward_of_arithmetic_ops_dispatches_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    x, w, b = _leaves(mytorch, np.float32)
    y = _chain(mytorch, x, w, b)
    applied: list[type] = []
    original = Function.apply.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Function], *args: Any, **kwargs: Any) -> Any:
        applied.append(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Function, "apply", classmethod(counting))
    y.backward(mytorch.ones(5))
    assert applied == []
    assert all(type(t.grad) is mytorch.Tensor and type(t.grad._data) is np.ndarray
               for t in (x, w, b))


@pytest.mark.parametrize("create_graph", [False, True])
def test_arithmetic_backward_matches_torch(create_graph: bool) -> None:
    grads = []
    for lib in (mytorch, torch):
        leaves = _leaves(lib, np.float64)
        y = _chain(lib, *leaves).sum()
        first = lib.autograd.grad(y, leaves, create_graph=create_graph)
        grads.append([g.detach().numpy() for g in first])
        if create_graph:  # and gradients of the gradients, through the recorded backward
            second = lib.autograd.grad(sum((g * g).sum() for g in first), leaves)
            grads[-1] += [g.numpy() for g in second]
    for mine, theirs in zip(*grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_mixed_dtypes_and_0d_tensors_get_their_own_dtype_and_shape() -> None:
    """A float32 0-d tensor times a float64 vector and an integer tensor: NumPy gives 0-d
    results as scalars and promotes otherwise than PyTorch; each .grad still comes back as a
    Tensor of its leaf's shape and dtype, with PyTorch's values."""
    results = []
    for lib in (mytorch, torch):
        s = lib.tensor(0.5, requires_grad=True)  # float32, 0-d
        v = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        k = lib.tensor([1, 2, 3])
        t = lib.tensor(2.0, requires_grad=True)
        y = (s * v * k).sum() + (s * t).tanh() / t
        y.backward()
        results.append([(g.dtype, tuple(g.shape), g.numpy()) for g in (s.grad, v.grad, t.grad)])
    for (dtype, shape, value), (torch_dtype, torch_shape, torch_value) in zip(*results):
        assert str(dtype) == str(torch_dtype).removeprefix("torch.") and shape == torch_shape
        np.testing.assert_allclose(value, torch_value, rtol=1e-6)
