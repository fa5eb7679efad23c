"""Who owns a leaf's ``.grad``: the engine hands a gradient over without a copy only when
nothing else can see its memory, so a ``.grad`` never aliases a saved tensor, another
leaf's ``.grad``, a gradient a backward or a hook kept, or a user's array."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import torch

import mytorch
from mytorch.autograd import Function

Kept = list[Any]


def _returning(make_grad: Any) -> type[Function]:
    """An identity op whose backward returns ``make_grad(ctx, gy)`` as the input's gradient."""

    class Op(Function):
        @staticmethod
        def forward(ctx: Any, x: mytorch.Tensor, other: Any) -> np.ndarray:
            ctx.save_for_backward(other)
            return x.numpy().copy()

        @staticmethod
        def backward(ctx: Any, gy: mytorch.Tensor) -> tuple[Any, None]:
            return make_grad(ctx, gy), None

    return Op


def test_a_gradient_nothing_else_holds_becomes_grad_without_a_copy() -> None:
    arrays: Kept = []

    def fresh(ctx: Any, gy: mytorch.Tensor) -> mytorch.Tensor:
        g = gy * 3
        arrays.append(weakref.ref(g.numpy()))  # a weak reference: it does not hold the array
        return g

    x = mytorch.ones(4, requires_grad=True)
    _returning(fresh).apply(x, None).sum().backward()
    assert x.grad.numpy() is arrays[0]()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0] * 4)


def test_grad_never_aliases_a_tensor_the_graph_saved() -> None:
    other = mytorch.full((3,), 2.0)
    x = mytorch.ones(3, requires_grad=True)
    y = _returning(lambda ctx, gy: ctx.saved_tensors[0]).apply(x, other)
    y.sum().backward(retain_graph=True)
    assert not np.shares_memory(x.grad.numpy(), other.numpy())
    with mytorch.no_grad():
        x.grad.mul_(0)  # what an optimizer may do to .grad must not reach the saved tensor
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0] * 3)
    np.testing.assert_array_equal(other.numpy(), [2.0] * 3)


def test_grad_never_aliases_a_gradient_the_backward_kept() -> None:
    kept: Kept = []

    def keep(ctx: Any, gy: mytorch.Tensor) -> mytorch.Tensor:
        g = gy * 2
        kept.append(g)
        return g

    x = mytorch.ones(3, requires_grad=True)
    _returning(keep).apply(x, None).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), kept[0].numpy())
    with mytorch.no_grad():
        x.grad.add_(1)
    np.testing.assert_array_equal(kept[0].numpy(), [2.0] * 3)


def test_grad_never_aliases_a_view_of_a_kept_array() -> None:
    kept: Kept = []

    def row_of_kept(ctx: Any, gy: mytorch.Tensor) -> np.ndarray:
        block = np.stack([gy.numpy(), gy.numpy()])
        kept.append(block)
        return block[0]  # a view of an array the backward kept

    x = mytorch.ones(3, requires_grad=True)
    _returning(row_of_kept).apply(x, None).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), kept[0])


def test_grad_never_aliases_the_users_gradient() -> None:
    x = mytorch.ones(3, requires_grad=True)
    user = np.full(3, 5.0, dtype=np.float32)
    (x + 0).backward(user)  # add passes the gradient through unchanged
    assert not np.shares_memory(x.grad.numpy(), user)
    leaf = mytorch.ones(3, requires_grad=True)
    given = mytorch.full((3,), 7.0)
    leaf.backward(given)  # a root that is itself a leaf
    assert not np.shares_memory(leaf.grad.numpy(), given.numpy())


def test_two_leaves_given_one_gradient_tensor_get_separate_grads() -> None:
    x, y = mytorch.ones(3, requires_grad=True), mytorch.ones(3, requires_grad=True)
    ((x + y) * 2).sum().backward()  # add hands the same (fresh, writeable) tensor to both
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    with mytorch.no_grad():
        x.grad.mul_(10)
    np.testing.assert_array_equal(y.grad.numpy(), [2.0] * 3)


def test_accumulating_into_an_existing_grad_leaves_earlier_references_unchanged() -> None:
    x = mytorch.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    np.testing.assert_array_equal(first.numpy(), [2.0] * 3)
    np.testing.assert_array_equal(x.grad.numpy(), [5.0] * 3)


def test_post_accumulate_hook_keeping_grad_sees_its_values() -> None:
    seen: Kept = []
    x = mytorch.ones(3, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0] * 3)
    np.testing.assert_array_equal(seen[1].numpy(), [5.0] * 3)


def test_weight_grad_through_a_transposed_view_is_contiguous_and_right() -> None:
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    x, w = mytorch.tensor(x_np), mytorch.tensor(w_np, requires_grad=True)
    tw = torch.tensor(w_np, requires_grad=True)
    (x @ w.T).sum().backward()
    (torch.tensor(x_np) @ tw.T).sum().backward()
    assert w.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
