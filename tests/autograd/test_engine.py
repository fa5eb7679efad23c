"""The backward engine: graph walking, retain_graph, accumulation, autograd.grad, higher order."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import mytorch
from harness import shallow_stack
from mytorch.autograd import grad


def _pair(array: np.ndarray) -> tuple[mytorch.Tensor, torch.Tensor]:
    """The same float64 data as a mytorch leaf and a torch leaf, both requiring grad."""
    return (mytorch.tensor(array, requires_grad=True),
            torch.tensor(array, requires_grad=True))


# -- graph walking -------------------------------------------------------------------------
def _chain_cpu_seconds(length: int) -> float:
    """CPU time to build a chain of ``length`` multiplications and backpropagate through it."""
    x = mytorch.tensor([1.0, -2.0], dtype=mytorch.float64, requires_grad=True)
    c = mytorch.tensor(1.0001, dtype=mytorch.float64)
    # The cyclic collector is paused while timing: its full passes scan every object in the
    # process (torch's too, when a test imported it), so their count says nothing about the walk.
    gc.disable()
    try:
        start = time.process_time()  # this process's time: other processes' load does not count
        y = x
        for _ in range(length):
            y = y * c
        y.sum().backward()
        seconds = time.process_time() - start
    finally:
        gc.enable()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**length] * 2, rtol=1e-9)
    del y
    gc.collect()  # freeing the chain must not recurse either
    return seconds


def test_long_chain_backpropagates_in_linear_time_without_recursion() -> None:
    with shallow_stack(200):  # a walk that recursed per node would fail 100 times over
        short, long = _chain_cpu_seconds(5_000), _chain_cpu_seconds(20_000)
    # four times the chain: four times the time if linear, sixteen if quadratic
    assert long < 8 * short, f"5,000 ops: {short:.2f} s, 20,000 ops: {long:.2f} s"


def test_diamond_graph_sums_both_paths() -> None:
    x = mytorch.tensor(3.0, requires_grad=True)
    a = x * 2
    y = a * a + a.exp()  # a feeds three uses
    y.backward()
    # dy/dx = (2a + e^a) * 2 at a = 6
    assert x.grad.item() == pytest.approx((12 + np.exp(6.0)) * 2, rel=1e-6)


def test_same_tensor_twice_in_one_op() -> None:
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_leaf_used_without_grad_is_skipped() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    c = mytorch.tensor([3.0, 4.0])
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert c.grad is None


def test_broadcast_gradient_is_reduced_to_the_input_shape() -> None:
    a = mytorch.ones(3, 1, requires_grad=True)
    b = mytorch.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 3.0))


# -- retain_graph and accumulation ------------------------------------------------------------
def _loss(x: mytorch.Tensor) -> mytorch.Tensor:
    return (x * x.tanh()).exp().sum()


def test_retain_graph_second_backward_gives_exactly_twice() -> None:
    x = mytorch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    loss = _loss(x)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)


def test_second_backward_without_retain_graph_raises() -> None:
    x = mytorch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    loss = _loss(x)
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_gradients_accumulate_across_backward_calls() -> None:
    x = mytorch.tensor([0.5, 1.5], requires_grad=True)
    _loss(x).backward()
    first = x.grad.numpy().copy()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), first + 3, rtol=1e-6)


def test_grad_of_leaf_is_a_fresh_tensor_not_shared_with_the_graph() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x + y).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


def test_zeroing_grad_between_steps() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


# -- roots and their gradients ------------------------------------------------------------------
def test_backward_on_non_scalar_without_gradient_raises() -> None:
    x = mytorch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        (x * 2).backward()


def test_backward_on_non_scalar_with_gradient() -> None:
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(mytorch.tensor([1.0, 0.5, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, -6.0])


def test_backward_gradient_of_wrong_shape_raises() -> None:
    x = mytorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape.*\(2,\).*\(3,\)"):
        (x * 2).backward(mytorch.ones(2))


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        mytorch.ones(2).sum().backward()


def test_backward_on_leaf_itself() -> None:
    x = mytorch.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_inputs_accumulates_only_into_those() -> None:
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    b = mytorch.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    assert b.grad is None


def test_backward_inputs_may_be_a_non_leaf() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    z = x * 3
    (z * z).sum().backward(inputs=[z])
    np.testing.assert_array_equal(z.grad.numpy(), [6.0, 12.0])
    assert x.grad is None


def test_autograd_backward_with_several_roots() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    mytorch.autograd.backward([(x * 2).sum(), (x * x).sum()])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 6.0])


# -- retain_grad, detach, .data --------------------------------------------------------------
def test_retain_grad_on_non_leaf() -> None:
    x = mytorch.tensor([1.0, -2.0], requires_grad=True)
    z = x * 3
    w = z * 2
    z.retain_grad()
    assert z.retains_grad and not w.retains_grad
    (w * w).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * 2 * w.detach().numpy())
    assert w.grad is None  # not retained: PyTorch keeps .grad only for leaves by default
    np.testing.assert_allclose(x.grad.numpy(), 3 * z.grad.numpy())


def test_retain_grad_on_leaf_is_a_no_op() -> None:
    x = mytorch.ones(2, requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_retain_grad_without_requires_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        mytorch.ones(2).retain_grad()


def test_detach_shares_memory_and_cuts_the_graph() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.numpy())
    (d * x).sum().backward()  # d is a constant: dx = d
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_detach_in_place() -> None:
    x = mytorch.ones(2, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.grad_fn is None and not y.requires_grad


def test_data_shares_memory_and_is_detached() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.numpy())
    d[0] = 10.0  # writing through .data changes x without autograd noticing
    assert x.detach().numpy()[0] == 10.0
    x.data = mytorch.tensor([5.0, 6.0])
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 6.0])
    assert x.requires_grad


def test_requires_grad_on_integer_tensor_raises() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        mytorch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        mytorch.arange(3).requires_grad_()


def test_requires_grad_flag_of_non_leaf_cannot_be_cleared() -> None:
    y = mytorch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_is_leaf_and_grad_fn() -> None:
    x = mytorch.ones(2, requires_grad=True)
    y = x.exp()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn.name() == "ExpBackward0"
    assert repr(y.grad_fn) == "<ExpBackward0>"
    (node, _), = y.grad_fn.next_functions
    assert node.name() == "AccumulateGrad"
    c = mytorch.ones(2) * 2  # no input requires grad: a leaf
    assert c.is_leaf and not c.requires_grad


# -- autograd.grad -----------------------------------------------------------------------------
def test_grad_returns_without_touching_dot_grad() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])
    assert x.grad is None
    assert g.grad_fn is None  # no create_graph: a plain tensor


def test_grad_with_grad_outputs_and_several_inputs() -> None:
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    b = mytorch.tensor([3.0, 4.0], requires_grad=True)
    ga, gb = grad(a * b, [a, b], grad_outputs=mytorch.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(ga.numpy(), [3.0, -4.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, -2.0])


def test_grad_allow_unused() -> None:
    x = mytorch.ones(2, requires_grad=True)
    unused = mytorch.ones(3, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad(y, [x, unused], retain_graph=True)
    gx, gu = grad(y, [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert gu is None


def test_grad_of_input_without_requires_grad_raises() -> None:
    x = mytorch.ones(2, requires_grad=True)
    c = mytorch.ones(2)
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((x * c).sum(), c)


def test_grad_frees_graph_unless_retained() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x)


def test_grad_with_respect_to_intermediate() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    z = x * 3
    (gz,) = grad((z * z).sum(), z)
    np.testing.assert_array_equal(gz.numpy(), [6.0, 12.0])


def test_third_derivative() -> None:
    x = mytorch.tensor(2.0, dtype=mytorch.float64, requires_grad=True)
    (g1,) = grad(x**4, x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (32.0, 48.0, 48.0)


def test_create_graph_backward_leaves_differentiable_grad() -> None:
    x = mytorch.tensor([0.5, -1.0], dtype=mytorch.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad  # 3x^2, itself a graph
    (g2,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.detach().numpy())


def _hvp_check(make: Callable[..., Any], arrays: list[np.ndarray], seed: int = 0) -> None:
    """Hessian-vector products of a scalar function, mytorch vs torch, in float64.

    ``make(lib, *tensors)`` builds the scalar with either library's ops.
    """
    rng = np.random.default_rng(seed)
    pairs = [_pair(a) for a in arrays]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    results = []
    for lib, tensors, autograd_grad in (
        (mytorch, [p[0] for p in pairs], grad),
        (torch, [p[1] for p in pairs], torch.autograd.grad),
    ):
        out = make(lib, *tensors)
        firsts = autograd_grad(out, tensors, create_graph=True)
        directional = sum((g * lib.tensor(v)).sum() for g, v in zip(firsts, vs))
        seconds = autograd_grad(directional, tensors)
        results.append(([f.detach().numpy() for f in firsts], [s.numpy() for s in seconds]))
    (mt_first, mt_second), (th_first, th_second) = results
    for mine, theirs in zip(mt_first + mt_second, th_first + th_second):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_second_derivative_of_tanh_cubed_matches_torch() -> None:
    x = np.linspace(-2.0, 2.0, 7)
    _hvp_check(lambda lib, t: (t.tanh() ** 3).sum(), [x])
    # the Hessian is diagonal: d2/dx2 tanh(x)^3 = 6 t (1-t^2)^2 - 6 t^3 (1-t^2), t = tanh x
    xm = mytorch.tensor(x, requires_grad=True)
    (g,) = grad((xm.tanh() ** 3).sum(), xm, create_graph=True)
    (h,) = grad(g.sum(), xm)
    t = np.tanh(x)
    np.testing.assert_allclose(h.numpy(), 6 * t * (1 - t**2) ** 2 - 6 * t**3 * (1 - t**2),
                               rtol=1e-10, atol=1e-12)


def test_second_derivative_of_x_exp_x_matches_torch() -> None:
    x = np.linspace(-3.0, 1.5, 6).reshape(2, 3)
    _hvp_check(lambda lib, t: (t * t.exp()).sum(), [x])
    xm = mytorch.tensor(x, requires_grad=True)
    (g,) = grad((xm * xm.exp()).sum(), xm, create_graph=True)
    (h,) = grad(g.sum(), xm)
    np.testing.assert_allclose(h.numpy(), (x + 2) * np.exp(x), rtol=1e-12)


def test_second_derivative_of_matmul_chain_matches_torch() -> None:
    rng = np.random.default_rng(1)
    x, w1, w2 = (rng.standard_normal(shape) for shape in ((5, 4), (4, 3), (3, 2)))
    # mixed second derivatives d2/dW1 dW2 go through both matmuls' backward
    _hvp_check(lambda lib, a, b, c: ((a @ b).tanh() @ c).pow(2).sum(), [x, w1, w2])
    _hvp_check(lambda lib, a, b, c: ((a @ b @ c) ** 2).sum(), [x, w1, w2], seed=2)


def test_next_functions_pairs_every_edge_as_pytorch_does():
    """An input with no gradient is ``(None, 0)``, as in PyTorch, so code that unpacks
    ``for fn, nr in node.next_functions`` runs unchanged."""
    x = mytorch.ones(3, requires_grad=True)
    mul = (x * 2).sum().grad_fn.next_functions[0][0]
    assert mul.name() == "MulBackward0"
    assert mul.next_functions[0][0].name() == "AccumulateGrad" and mul.next_functions[0][1] == 0
    assert mul.next_functions[1] == (None, 0)


def test_a_backward_returning_none_does_not_stall_the_input_it_owes() -> None:
    """A None gradient from a backward counts as arrived (an absent gradient, as in PyTorch):
    the node it was owed to still runs on what its other consumers sent, and a node that
    only ever receives None passes nothing on without stalling the ones below it."""
    results = []
    for lib in (mytorch, torch):
        class Blocked(lib.autograd.Function):  # type: ignore[misc, name-defined]
            @staticmethod
            def forward(ctx: Any, a: Any) -> Any:
                return a * 1

            @staticmethod
            def backward(ctx: Any, gy: Any) -> None:
                return None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * 2
        z = Blocked.apply(y) + y * 3 + Blocked.apply(w * w).sum() * 0
        z.sum().backward()
        results.append((x.grad, w.grad))
    (x_grad, w_grad), (torch_x_grad, torch_w_grad) = results
    np.testing.assert_array_equal(x_grad.numpy(), torch_x_grad.numpy())
    assert w_grad is None and torch_w_grad is None
