"""One declarative harness for every op: compare with PyTorch, then gradcheck.

An ``OpSpec`` names an op once (its mytorch function, its torch function, how
to draw valid inputs); ``check_against_torch`` runs both on the same arrays,
compares outputs, their ``requires_grad`` and ``grad_fn``, and every input
gradient (with the same random upstream gradient), and ``check_gradcheck``
runs mytorch's float64 gradcheck. ``op_tests(SPECS)`` makes the two tests a
test file of specs runs::

    test_matches_torch, test_gradcheck = op_tests(SPECS)
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import mytorch
from mytorch.autograd import gradcheck, gradgradcheck

TOL = {
    np.dtype(np.float32): dict(rtol=1e-4, atol=1e-5),
    np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12),
}


@dataclass
class OpSpec:
    """An op under test.

    Attributes:
        name: the id in test reports.
        mt: mytorch callable, taking the inputs (Tensors) positionally.
        th: torch callable with the same signature.
        shapes: the grid of input shape tuples, one shape per input.
        low, high: the range inputs are drawn from (keep away from singularities).
        grad: which inputs get requires_grad (default: every float input).
        dtypes: dtypes each case is run in.
        gradcheck: whether to run float64 gradcheck as well.
        make: optional function (rng, shapes, dtype) -> list of arrays, for special inputs.
        torch_grad: whether torch's outputs carry a gradient when an input requires one;
            False states that they do not (an op with no derivative, such as argmax), and
            the harness then checks that neither library's outputs require grad.
    """

    name: str
    mt: Callable[..., Any]
    th: Callable[..., Any]
    shapes: Sequence[tuple[tuple[int, ...], ...]]
    low: float = -2.0
    high: float = 2.0
    grad: Sequence[int] | None = None
    dtypes: Sequence[Any] = (np.float32, np.float64)
    gradcheck: bool = True
    make: Callable[..., list[np.ndarray]] | None = None
    tol: dict[str, float] = field(default_factory=dict)
    torch_grad: bool = True

    def arrays(
        self, shapes: tuple[tuple[int, ...], ...], dtype: Any, seed: int = 0
    ) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.make is not None:
            return [np.asarray(a) for a in self.make(rng, shapes, np.dtype(dtype))]
        return [rng.uniform(self.low, self.high, s).astype(dtype) for s in shapes]


def _flatten(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flatten(item)]
    return [out]


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _grad_indices(spec: OpSpec, arrays: list[np.ndarray]) -> list[int]:
    if spec.grad is not None:
        return list(spec.grad)
    return [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]


def check_against_torch(spec: OpSpec, arrays: list[np.ndarray], seed: int = 1) -> None:
    """Forward values, dtypes, ``requires_grad``/``grad_fn`` and all input gradients must
    match torch's; where torch's outputs have no gradient, the spec says so (``torch_grad``)."""
    wrt = _grad_indices(spec, arrays)
    mt_in = [mytorch.tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    th_in = [torch.tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    mt_out = _flatten(spec.mt(*mt_in))
    th_out = _flatten(spec.th(*th_in))
    assert len(mt_out) == len(th_out), (
        f"{spec.name}: {len(mt_out)} outputs vs torch's {len(th_out)}"
    )
    dtype = max((a.dtype for a in arrays if a.dtype.kind == "f"), default=np.dtype(np.float32),
                key=lambda d: d.itemsize)
    tol = {**TOL[dtype], **spec.tol}
    for k, (m, t) in enumerate(zip(mt_out, th_out)):
        m_arr, t_arr = _to_numpy(m), _to_numpy(t)
        where = f"{spec.name} output {k}"
        assert m_arr.shape == t_arr.shape, f"{where}: shape {m_arr.shape} vs {t_arr.shape}"
        assert m_arr.dtype == t_arr.dtype, f"{where}: dtype {m_arr.dtype} vs {t_arr.dtype}"
        np.testing.assert_allclose(m_arr, t_arr, **tol, err_msg=f"{spec.name} output {k}")
        if isinstance(t, torch.Tensor):
            _check_graph_flags(where, m, t, mt_in)
    if not wrt:
        return
    differentiable = [
        (m, t) for m, t in zip(mt_out, th_out) if isinstance(t, torch.Tensor) and t.requires_grad
    ]
    if not spec.torch_grad:
        assert not differentiable, f"{spec.name}: torch_grad=False, yet torch's output has a grad"
        return
    assert differentiable, (
        f"{spec.name}: no torch output requires grad; state it with torch_grad=False"
    )
    rng = np.random.default_rng(seed)
    mt_loss, th_loss = 0, 0
    for m, t in differentiable:
        upstream = rng.standard_normal(t.shape).astype(_to_numpy(t).dtype)
        mt_loss = mt_loss + (m * mytorch.tensor(upstream)).sum()
        th_loss = th_loss + (t * torch.tensor(upstream)).sum()
    assert isinstance(mt_loss, mytorch.Tensor) and isinstance(th_loss, torch.Tensor)
    mt_loss.backward()
    th_loss.backward()
    for i in wrt:
        t_grad = th_in[i].grad
        m_grad = mt_in[i].grad
        if t_grad is None:  # an input torch's outputs do not depend on
            assert m_grad is None or not np.any(m_grad.numpy()), (
                f"{spec.name}: grad {i} should be None"
            )
            continue
        assert m_grad is not None, f"{spec.name}: no gradient for input {i}"
        assert m_grad.shape == tuple(t_grad.shape), f"{spec.name} grad {i}: shape mismatch"
        assert m_grad.dtype == _to_numpy(t_grad).dtype, f"{spec.name} grad {i}: dtype mismatch"
        np.testing.assert_allclose(
            m_grad.numpy(), t_grad.numpy(), **tol, err_msg=f"{spec.name} grad {i}"
        )


@contextmanager
def shallow_stack(frames: int = 200) -> Iterator[None]:
    """Allow only ``frames`` Python frames above the caller's (the limit is restored after).

    A graph walk that recursed once per node then fails on a chain of a few thousand ops,
    so a test of "no recursion" needs no 100,000-op chain.
    """
    depth = len(inspect.stack(0))
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _check_graph_flags(where: str, m: Any, t: torch.Tensor, inputs: list[Any]) -> None:
    """An output requires grad exactly when torch's does, and then it is in the graph: it has
    a ``grad_fn``, or it is one of the inputs returned as is (torch's ``flatten`` of one dim
    returns its input; mytorch may make a view node there instead)."""
    assert isinstance(m, mytorch.Tensor), f"{where}: {type(m).__name__}, not a Tensor"
    assert m.requires_grad == t.requires_grad, (
        f"{where}: requires_grad {m.requires_grad} vs torch's {t.requires_grad}"
    )
    if m.requires_grad:
        assert m.grad_fn is not None or any(m is x for x in inputs), (
            f"{where}: requires grad but has no grad_fn and is not an input"
        )


def check_gradcheck(spec: OpSpec, arrays: list[np.ndarray], second_order: bool = False) -> None:
    """mytorch's float64 finite-difference check of the op's first (and second) derivatives."""
    wrt = _grad_indices(spec, arrays)
    inputs = [
        mytorch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a, requires_grad=i in wrt)
        for i, a in enumerate(arrays)
    ]
    check = gradgradcheck if second_order else gradcheck
    assert check(spec.mt, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-3)


def cases(specs: Sequence[OpSpec]) -> list[Any]:
    """pytest params: one (spec, shapes, dtype) per grid point, with readable ids."""
    return [
        pytest.param(spec, shapes, np.dtype(dtype),
                     id=f"{spec.name}-{_shape_id(shapes)}-{np.dtype(dtype).name}")
        for spec in specs for shapes in spec.shapes for dtype in spec.dtypes
    ]


def gradcheck_cases(specs: Sequence[OpSpec], points: int = 2) -> list[Any]:
    """pytest params for gradcheck: the first ``points`` grid points of each spec."""
    return [
        pytest.param(spec, shapes, id=f"{spec.name}-{_shape_id(shapes)}")
        for spec in specs if spec.gradcheck for shapes in spec.shapes[:points]
    ]


def _shape_id(shapes: tuple[tuple[int, ...], ...]) -> str:
    return "_".join("x".join(map(str, s)) or "scalar" for s in shapes)


def op_tests(
    specs: Sequence[OpSpec], gradchecked: Sequence[OpSpec] | None = None, points: int = 2
) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests of a file of specs, to bind at module level under their own names.

    ``test_matches_torch`` compares every spec at every grid point and dtype with torch;
    ``test_gradcheck`` runs float64 gradcheck on the first ``points`` grid points of
    ``gradchecked`` (default: every spec; specs with ``gradcheck=False`` are left out).
    """

    @pytest.mark.parametrize("spec, shapes, dtype", cases(specs))
    def test_matches_torch(spec: OpSpec, shapes: tuple[tuple[int, ...], ...], dtype: Any) -> None:
        check_against_torch(spec, spec.arrays(shapes, dtype))

    @pytest.mark.parametrize(
        "spec, shapes", gradcheck_cases(specs if gradchecked is None else gradchecked, points)
    )
    def test_gradcheck(spec: OpSpec, shapes: tuple[tuple[int, ...], ...]) -> None:
        check_gradcheck(spec, spec.arrays(shapes, np.float64))

    return test_matches_torch, test_gradcheck
