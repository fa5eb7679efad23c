"""User-defined ``autograd.Function``s, written as in PyTorch's documentation."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import torch

import mytorch
from mytorch.autograd import Function, gradcheck, gradgradcheck


class Exp(Function):
    """PyTorch's documentation example: save the output, reuse it in backward."""

    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class ScaledPower(Function):
    """(a + alpha * b) ** n with two tensor inputs and two non-tensor arguments."""

    @staticmethod
    def forward(ctx, a, b, alpha, n):
        # save the inputs, not the intermediate base: backward recomputes base from them,
        # so its graph reaches a and b and double backward works
        ctx.save_for_backward(a, b)
        ctx.alpha, ctx.n = alpha, n
        return (a + alpha * b) ** n

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        base = a + ctx.alpha * b
        g = grad_output * ctx.n * base ** (ctx.n - 1)
        ga = g if ctx.needs_input_grad[0] else None
        gb = g * ctx.alpha if ctx.needs_input_grad[1] else None
        return ga, gb, None, None


class SinCos(Function):
    """Two outputs from one input."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        (x,) = ctx.saved_tensors
        return g_sin * x.cos() - g_cos * x.sin()


def _data(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1.5, 1.5, shape)


def test_docs_example_exp() -> None:
    x = mytorch.tensor(_data(3), requires_grad=True)
    y = Exp.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "ExpBackward"
    np.testing.assert_allclose(y.detach().numpy(), np.exp(_data(3)), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(_data(3)), rtol=1e-6)


def test_forward_runs_with_recording_off() -> None:
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(mytorch.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(mytorch.ones(2, requires_grad=True))
    assert seen == [False]
    assert mytorch.is_grad_enabled()


def test_two_tensor_inputs_and_non_tensor_args_match_torch() -> None:
    a_np, b_np = _data(2, 3), _data(2, 3) * 0.5
    a = mytorch.tensor(a_np, requires_grad=True)
    b = mytorch.tensor(b_np, requires_grad=True)
    ScaledPower.apply(a, b, 0.5, 3).sum().backward()
    at = torch.tensor(a_np, requires_grad=True)
    bt = torch.tensor(b_np, requires_grad=True)
    ((at + 0.5 * bt) ** 3).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-12)


def test_needs_input_grad() -> None:
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    Record.apply(mytorch.ones(2, requires_grad=True), mytorch.ones(2), 3)
    assert seen == [(True, False, False)]


def test_only_one_input_requires_grad() -> None:
    a = mytorch.tensor(_data(4), requires_grad=True)
    b = mytorch.tensor(_data(4))
    ScaledPower.apply(a, b, 2.0, 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * (_data(4) + 2 * _data(4)), rtol=1e-12)
    assert b.grad is None


def test_two_outputs_both_used() -> None:
    x = mytorch.tensor(_data(5), requires_grad=True)
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn
    (s * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(2 * _data(5)), rtol=1e-12)


def test_two_outputs_one_used_gets_zero_for_the_other() -> None:
    x = mytorch.tensor(_data(5), requires_grad=True)
    _, c = SinCos.apply(x)
    c.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin(_data(5)), rtol=1e-12)


def test_forward_may_return_an_ndarray() -> None:
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.numpy() ** 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = mytorch.tensor([1.0, -3.0], requires_grad=True)
    y = Square.apply(x)
    assert isinstance(y, mytorch.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -6.0])


def test_forward_returning_its_input_gives_a_new_tensor() -> None:
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = mytorch.ones(2, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and not y.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_mark_non_differentiable() -> None:
    class MaxWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            index = int(np.argmax(x.numpy()))
            ctx.index, ctx.shape = index, x.shape
            best = mytorch.tensor(x.numpy()[index])
            mask = mytorch.from_numpy((x.numpy() == x.numpy()[index]).astype(np.float64))
            ctx.mark_non_differentiable(mask)
            return best, mask

        @staticmethod
        def backward(ctx, g_best, g_mask):
            grad = np.zeros(ctx.shape)
            grad[ctx.index] = 1.0
            return g_best * mytorch.from_numpy(grad)

    x = mytorch.tensor([1.0, 5.0, 2.0], dtype=mytorch.float64, requires_grad=True)
    best, mask = MaxWithIndex.apply(x)
    assert best.requires_grad and not mask.requires_grad and mask.grad_fn is None
    best.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_backward_returning_broadcast_shape_is_reduced_by_the_engine() -> None:
    class AddRow(Function):
        @staticmethod
        def forward(ctx, x, row):
            return x + row

        @staticmethod
        def backward(ctx, g):
            return g, g  # g has x's shape (3, 4); row is (4,): the engine sums it

    x = mytorch.ones(3, 4, requires_grad=True)
    row = mytorch.ones(4, requires_grad=True)
    AddRow.apply(x, row).sum().backward()
    assert row.grad.shape == (4,)
    np.testing.assert_array_equal(row.grad.numpy(), np.full(4, 3.0))


def test_backward_with_wrong_number_of_gradients_raises() -> None:
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    y = Bad.apply(mytorch.ones(2, requires_grad=True), mytorch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"BadBackward.*returned 1 gradients.*took 2 inputs"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward() -> None:
    x = mytorch.tensor(_data(3), requires_grad=True)
    y = Exp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_no_graph_under_no_grad() -> None:
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad and y.grad_fn is None


def test_custom_functions_pass_gradcheck_and_gradgradcheck() -> None:
    x = mytorch.tensor(_data(2, 3), requires_grad=True)
    b = mytorch.tensor(_data(2, 3) * 0.3, requires_grad=True)
    assert gradcheck(Exp.apply, x)
    assert gradgradcheck(Exp.apply, x)
    assert gradcheck(lambda a, c: ScaledPower.apply(a, c, 0.7, 3), (x, b))
    assert gradgradcheck(lambda a, c: ScaledPower.apply(a, c, 0.7, 3), (x, b))
    assert gradcheck(SinCos.apply, x)
    assert gradgradcheck(SinCos.apply, x)


def test_custom_function_composes_with_builtin_ops_in_second_order() -> None:
    x_np = _data(4)
    x = mytorch.tensor(x_np, requires_grad=True)
    (g,) = mytorch.autograd.grad((Exp.apply(x) * x).sum(), x, create_graph=True)
    (h,) = mytorch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), (x_np + 2) * np.exp(x_np), rtol=1e-12)


def test_function_without_backward_raises_not_implemented() -> None:
    class ForwardOnly(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = ForwardOnly.apply(mytorch.ones(2, requires_grad=True))
    with pytest.raises(NotImplementedError):
        y.sum().backward()
    with pytest.raises(NotImplementedError):
        Function.apply(mytorch.ones(1))


def test_backward_may_return_ndarrays() -> None:
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.numpy() * 2  # a plain array: the engine wraps it

    x = mytorch.ones(3, requires_grad=True)
    Double.apply(x).backward(np.array([1.0, 2.0, 3.0]))  # a non-Tensor gradient too
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert x.grad.dtype == np.float32


def test_a_recorded_elementwise_op_leaves_few_objects_for_the_garbage_collector():
    """Each object a recorded op leaves behind is tracked, and scanned, by Python's cyclic
    garbage collector (a quarter of a long chain's forward once): a multiply and a tanh
    keep their node, output, edges, saved values and version counter, and share their
    (shape, dtype) metas and needs_input_grad with what came before."""
    x = mytorch.ones(16, requires_grad=True)
    w = mytorch.ones(16, requires_grad=True)
    ys = [(x * w).tanh()]
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        for _ in range(100):
            ys.append((ys[-1] * w).tanh())
        per_op = (len(gc.get_objects()) - before) / 200
    finally:
        gc.enable()
    assert per_op <= 7, per_op
