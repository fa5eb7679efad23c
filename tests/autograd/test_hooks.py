"""Post-accumulate-grad hooks on leaves, and callbacks queued for the end of a backward pass."""

from __future__ import annotations

import pytest
import torch

import mytorch
from mytorch.autograd.engine import queue_callback


def test_post_accumulate_hook_sees_the_accumulated_grad_like_torch() -> None:
    seen: list[list[float]] = []
    seen_torch: list[list[float]] = []
    w = mytorch.tensor([1.0, 2.0], requires_grad=True)
    wt = torch.tensor([1.0, 2.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    wt.register_post_accumulate_grad_hook(lambda t: seen_torch.append(t.grad.tolist()))
    for _ in range(2):  # the second backward sees the sum of both passes
        (w * w + 3 * w).sum().backward()  # w used twice: one accumulation, one call
        (wt * wt + 3 * wt).sum().backward()
    assert seen == seen_torch == [[5.0, 7.0], [10.0, 14.0]]


def test_post_accumulate_hook_removed_no_longer_runs() -> None:
    calls: list[int] = []
    w = mytorch.tensor([1.0], requires_grad=True)
    remove = w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    (2 * w).sum().backward()
    remove()
    (2 * w).sum().backward()
    assert calls == [1]


def test_post_accumulate_hook_runs_for_backward_inputs_only() -> None:
    calls: list[str] = []
    a = mytorch.tensor([1.0], requires_grad=True)
    b = mytorch.tensor([2.0], requires_grad=True)
    a.register_post_accumulate_grad_hook(lambda t: calls.append("a"))
    b.register_post_accumulate_grad_hook(lambda t: calls.append("b"))
    (a * b).sum().backward(inputs=[b])
    assert calls == ["b"] and a.grad is None and b.grad.tolist() == [1.0]


def test_post_accumulate_hook_does_not_run_for_autograd_grad() -> None:
    calls: list[int] = []
    w = mytorch.tensor([1.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    mytorch.autograd.grad((2 * w).sum(), w)
    assert calls == [] and w.grad is None


def test_post_accumulate_hook_on_a_non_leaf_or_without_grad_raises() -> None:
    w = mytorch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook: .*leaf"):
        (2 * w).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook: .*leaf"):
        mytorch.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_queued_callback_runs_once_after_every_leaf_has_its_grad() -> None:
    a = mytorch.tensor([1.0], requires_grad=True)
    b = mytorch.tensor([2.0], requires_grad=True)
    grads_at_callback: list[object] = []

    def hook(t: mytorch.Tensor) -> None:
        queue_callback(lambda: grads_at_callback.append((a.grad, b.grad)))

    a.register_post_accumulate_grad_hook(hook)
    (a * b).sum().backward()
    assert len(grads_at_callback) == 1
    ga, gb = grads_at_callback[0]  # type: ignore[misc]
    assert ga.tolist() == [2.0] and gb.tolist() == [1.0]


def test_queued_callback_does_not_run_when_backward_fails() -> None:
    calls: list[int] = []
    a = mytorch.tensor([1.0], requires_grad=True)
    b = mytorch.tensor([2.0], requires_grad=True)

    def queue_then_fail(t: mytorch.Tensor) -> None:
        queue_callback(lambda: calls.append(1))
        raise ValueError("hook failed")

    a.register_post_accumulate_grad_hook(queue_then_fail)
    with pytest.raises(ValueError, match="hook failed"):
        (a * b).sum().backward()
    assert calls == []
    a._accumulator.post_hooks.clear()  # type: ignore[union-attr]
    (a * b).sum().backward()  # the failed pass left no callback behind
    assert calls == []


def test_callbacks_of_a_backward_inside_a_hook_run_when_that_inner_pass_ends() -> None:
    order: list[str] = []
    outer = mytorch.tensor([1.0], requires_grad=True)
    inner = mytorch.tensor([3.0], requires_grad=True)
    inner.register_post_accumulate_grad_hook(
        lambda t: queue_callback(lambda: order.append("inner pass done"))
    )

    def run_inner_backward(t: mytorch.Tensor) -> None:
        queue_callback(lambda: order.append("outer pass done"))
        with mytorch.enable_grad():  # hooks run with recording off, as backward's ops
            (inner * 2).sum().backward()
        order.append("inner backward returned")

    outer.register_post_accumulate_grad_hook(run_inner_backward)
    (outer * 2).sum().backward()
    assert order == ["inner pass done", "inner backward returned", "outer pass done"]


def test_queue_callback_outside_backward_raises() -> None:
    with pytest.raises(RuntimeError, match="queue_callback: no backward pass is running"):
        queue_callback(lambda: None)
