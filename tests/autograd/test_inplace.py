"""In-place ops and version counters, against PyTorch.

An in-place op on a tensor that is part of a graph (a non-leaf, or one written
with a value that requires grad) is recorded: the tensor's ``grad_fn`` becomes
the op's node, whose input edge is the tensor's previous ``grad_fn``. Every
in-place change moves the tensor's version counter (shared with its views);
backward refuses a saved tensor whose version moved, as PyTorch does.

Each op below is written once, with the methods both libraries share, and run
through the harness (values and gradients against torch, then gradcheck).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import mytorch
from harness import OpSpec, cases, check_against_torch, check_gradcheck, op_tests


def _functional(x: Any) -> Any:
    """The ``nn.functional`` module of the library ``x`` belongs to."""
    return mytorch.nn.functional if isinstance(x, mytorch.Tensor) else torch.nn.functional


def _both(name: str, fn: Callable[..., Any], shapes: Any, **kwargs: Any) -> OpSpec:
    return OpSpec(name, fn, fn, shapes, **kwargs)


# each returns the tensor changed in place (not what the method returned): it must have changed
def _add_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.add_(v, alpha=2)
    return y


def _sub_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.sub_(v)
    return y


def _mul_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.mul_(v)  # mul_ needs the old value of its target for v's gradient
    return y


def _div_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.div_(v)
    return y


def _operators(x: Any, v: Any) -> Any:
    y = x * 1.5
    y += v
    y *= v
    y -= x
    y /= v
    return y


def _pow_exp_(x: Any) -> Any:
    return (x * 0.5).pow_(2).exp_()


def _clamp_(x: Any) -> Any:
    return (x * 1.5).clamp_(-1.0, 1.0)


def _copy_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.copy_(v)  # x's old values are all gone: zero gradient for x, v's broadcast summed
    return y * x


def _fill_zero_(x: Any) -> Any:
    y = x * 1.5
    z = x * 2.0
    y.fill_(3.0)
    z.zero_()
    return y * x + z


def _setitem_row(x: Any, v: Any) -> Any:
    y = x * 1.5
    y[1] = v  # the value requires grad: it gets the gradient read at row 1
    return y * y


def _setitem_broadcast(x: Any, v: Any) -> Any:
    y = x * 1.5
    y[:, 1:3] = v  # v (3, 1) broadcast over two columns: its gradient is summed back
    return y


def _setitem_masked(x: Any, v: Any) -> Any:
    y = x * 1.5
    mask = x > 0
    y[mask] = v[mask] * 2
    return y


def _iadd_slice(x: Any, v: Any) -> Any:
    y = x * 1.5
    y[:, 0] += v[:, 0]  # getitem, in-place add on the view, setitem
    return y * x


def _view_mul_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y[1:].mul_(v[1:])  # an in-place change of a view is recorded on its base
    return y * x


def _transposed_view_add_(x: Any, v: Any) -> Any:
    y = x * 1.5
    y.t()[0].add_(v[0] * 3)  # a view (getitem) of a view (transpose)
    return y.exp()


def _relu_(x: Any) -> Any:
    return (x * 1.5).relu_()


def _sigmoid_tanh_(x: Any) -> Any:
    return (x * 1.5).sigmoid_() * (x * 0.5).tanh_()


def _functional_inplace(x: Any) -> Any:
    F = _functional(x)
    a = F.relu(x * 1.5, inplace=True)
    b = F.leaky_relu(x * 1.5, 0.1, inplace=True)
    c = F.elu(x * 1.5, inplace=True)
    d = F.hardtanh(x * 1.5, inplace=True)
    e = F.silu(x * 1.5, inplace=True)
    return a + b * 2 + c * 3 + d * 4 + e * 5


def _relu_returns_input(x: Any) -> Any:
    y = x * 1.5
    out = _functional(x).relu(y, inplace=True)
    assert out is y
    return y


SPECS = [
    _both("add_", _add_, [((2, 3), (3,))]),
    _both("sub_", _sub_, [((2, 3), (2, 3))]),
    _both("mul_", _mul_, [((2, 3), (2, 3)), ((2, 3), (3,))]),
    _both("div_", _div_, [((2, 3), (2, 3))], low=0.5, high=2.0),
    _both("operators", _operators, [((2, 3), (2, 3))], low=0.5, high=2.0),
    _both("pow_exp_", _pow_exp_, [((2, 3),)]),
    _both("clamp_", _clamp_, [((3, 4),)]),
    _both("copy_", _copy_, [((2, 3), (3,))]),
    _both("fill_zero_", _fill_zero_, [((2, 3),)]),
    _both("setitem_row", _setitem_row, [((3, 4), (4,))]),
    _both("setitem_broadcast", _setitem_broadcast, [((3, 4), (3, 1))]),
    _both("setitem_masked", _setitem_masked, [((3, 4), (3, 4))]),
    _both("iadd_slice", _iadd_slice, [((3, 4), (3, 4))]),
    _both("view_mul_", _view_mul_, [((3, 4), (3, 4))]),
    _both("transposed_view_add_", _transposed_view_add_, [((3, 4), (4, 3))]),
    _both("relu_", _relu_, [((3, 4),)]),
    _both("sigmoid_tanh_", _sigmoid_tanh_, [((3, 4),)]),
    _both("functional_inplace", _functional_inplace, [((3, 4),)]),
    _both("relu_returns_input", _relu_returns_input, [((5,),)]),
]


test_inplace_against_torch, test_inplace_gradcheck = op_tests(SPECS)


def test_inplace_second_order() -> None:
    spec = SPECS[2]  # mul_: its backward reads the saved old value of the target
    check_gradcheck(spec, spec.arrays(spec.shapes[0], np.float64), second_order=True)


# -- the bugs of issue 8 ----------------------------------------------------------------------
def test_add_and_mul_on_a_non_leaf_change_it_and_are_recorded() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    previous = y.grad_fn
    assert y.add_(1) is y
    assert y.tolist() == [3.0, 5.0]
    assert y.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0] is previous  # the edge to y's old value
    y.mul_(3)
    assert y.tolist() == [9.0, 15.0]
    y.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [6.0, 6.0]


def test_setitem_into_a_saved_output_raises_instead_of_a_wrong_gradient() -> None:
    x = mytorch.tensor([0.0, 1.0], requires_grad=True)
    y = x.sigmoid()  # sigmoid saves y for its backward: y (1 - y)
    y[0] = 5.0
    with pytest.raises(RuntimeError) as error:
        y.sum().backward()
    message = str(error.value)
    assert (
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation: [float32 [2]], which is output 0 of SigmoidBackward0, is at "
        "version 1; expected version 0 instead"
    ) in message
    assert x.grad is None


def test_modified_input_of_mul_raises_naming_its_producer() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    w = mytorch.tensor([3.0, 4.0], requires_grad=True)
    a = x * 1
    b = a * w  # saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"MulBackward0: one of the variables .* "
                       r"\[float32 \[2\]\], which is output 0 of AddBackward0, is at version 1; "
                       r"expected version 0 instead"):
        b.sum().backward()


def test_leaf_modified_under_no_grad_after_being_saved_raises() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    w = mytorch.tensor([3.0, 4.0], requires_grad=True)
    b = x * w
    with mytorch.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"\[float32 \[2\]\] is at version 1; expected "
                       r"version 0 instead"):
        b.sum().backward()


def test_optimizer_step_between_forward_and_backward_raises() -> None:
    w = mytorch.nn.Parameter(mytorch.tensor([1.0, 2.0]))
    opt = mytorch.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    loss = (w * w).sum()
    opt.step()  # w changes in place: loss's graph saved the old w
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_in_place_activation_on_a_saved_output_raises_as_torch() -> None:
    for lib in (torch, mytorch):
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        y = x.sigmoid()
        y.relu_()  # sigmoid's backward needs y: both libraries refuse
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_unsaved_tensor_modified_in_place_still_backpropagates() -> None:
    results = []
    for lib in (torch, mytorch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y + 1  # add saves nothing
        y.add_(1)
        (z * 3).sum().backward()
        results.append(x.grad.tolist())
    assert results[0] == results[1] == [6.0, 6.0]


def test_retained_grad_is_that_of_the_new_value() -> None:
    grads = []
    for lib in (torch, mytorch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        (y * y).sum().backward()
        assert y.retains_grad
        grads.append((y.grad.tolist(), x.grad.tolist()))
    assert grads[0] == grads[1] == ([12.0, 24.0], [72.0, 144.0])


def test_second_backward_with_retain_graph_after_an_in_place_change_raises() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    s = y.sum()
    s.backward(retain_graph=True)
    y.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward0: one of the variables needed"):
        s.backward()


# -- version counters -----------------------------------------------------------------------
def _version_trace(lib: Any) -> list[int]:
    """``t._version`` after each step of a sequence of in-place changes and views."""
    F = lib.nn.functional
    t = lib.zeros(4)
    steps: list[Callable[[], Any]] = [
        lambda: t.add_(1),
        lambda: t.__setitem__(0, 2.0),
        lambda: t.__iadd__(1),
        lambda: t.mul_(2),
        lambda: t.detach().add_(1),  # detach shares the counter
        lambda: t.data.add_(1),  # .data does not
        lambda: t[0:2].add_(1),  # a basic slice is a view
        lambda: t[[0, 1]].add_(1),  # an advanced index is a copy
        lambda: t.reshape(2, 2).mul_(2),
        lambda: t.unsqueeze(0).sub_(1),
        lambda: t.relu_(),
        lambda: F.relu(t, inplace=True),
        lambda: t.copy_(lib.ones(4)),
        lambda: t.fill_(2.0),
        lambda: t.zero_(),
        lambda: t.clamp_(0, 1),
        lambda: t.split(2)[1].add_(1),
    ]
    trace = []
    for step in steps:
        step()
        trace.append(t._version)
    return trace


def test_version_counter_matches_torch() -> None:
    assert _version_trace(mytorch) == _version_trace(torch)


def test_views_share_the_version_counter_and_data_does_not() -> None:
    for lib in (torch, mytorch):
        t = lib.zeros(2, 3)
        view, alias, detached = t[0], t.data, t.detach()
        view.add_(1)
        assert (t._version, view._version, detached._version) == (1, 1, 1)
        alias.add_(1)
        assert (t._version, alias._version) == (1, 1)
        t.t().mul_(2)
        assert view._version == 2


def test_an_element_is_a_view_as_in_torch() -> None:
    for lib in (torch, mytorch):
        t = lib.zeros(2, 3)
        t[1, 2].add_(5)  # a 0-d view: the change lands in t
        t[0][1].fill_(7)
        assert t.tolist() == [[0.0, 7.0, 0.0], [0.0, 0.0, 5.0]] and t._version == 2


def test_non_leaf_version_matches_torch() -> None:
    versions = []
    for lib in (torch, mytorch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        y[0] = 1.0
        y.mul_(2)
        y += 1
        lib.nn.functional.relu(y, inplace=True)
        versions.append(y._version)
    assert versions[0] == versions[1] == 4


# -- leaves -------------------------------------------------------------------------------------
LEAF_CHANGES: list[Callable[[Any], Any]] = [
    lambda w: w.add_(1),
    lambda w: w.__iadd__(1),
    lambda w: w.mul_(2),
    lambda w: w.__setitem__(0, 1.0),
    lambda w: w.relu_(),
    lambda w: mytorch.nn.functional.relu(w, inplace=True),
    lambda w: w.copy_(mytorch.zeros(3)),
    lambda w: w.zero_(),
    lambda w: w[1:].mul_(2),
]


@pytest.mark.parametrize("change", LEAF_CHANGES)
def test_in_place_on_a_leaf_that_requires_grad_raises(change: Callable[[Any], Any]) -> None:
    w = mytorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        change(w)
    assert w.tolist() == [1.0, 1.0, 1.0] and w._version == 0


@pytest.mark.parametrize("change", LEAF_CHANGES)
def test_in_place_on_a_leaf_under_no_grad_works(change: Callable[[Any], Any]) -> None:
    w = mytorch.ones(3, requires_grad=True)
    with mytorch.no_grad():
        change(w)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version >= 1


# -- layers ---------------------------------------------------------------------------------------
def _small_cnn(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 8), nn.LeakyReLU(0.1, inplace=True),
        nn.Linear(8, 6), nn.ELU(inplace=True), nn.Linear(6, 5), nn.SiLU(inplace=True),
        nn.Linear(5, 3),
    )


def test_inplace_layers_in_a_sequential_match_torch() -> None:
    torch.manual_seed(0)
    th_model = _small_cnn(torch)
    mt_model = _small_cnn(mytorch)
    mt_model.load_state_dict({k: v.detach().numpy() for k, v in th_model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    th_x, mt_x = torch.tensor(x, requires_grad=True), mytorch.tensor(x, requires_grad=True)
    th_out, mt_out = th_model(th_x), mt_model(mt_x)
    np.testing.assert_allclose(mt_out.detach().numpy(), th_out.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    th_out.square().sum().backward()
    mt_out.square().sum().backward()
    np.testing.assert_allclose(mt_x.grad.numpy(), th_x.grad.numpy(), rtol=1e-4, atol=1e-5)
    th_params = dict(th_model.named_parameters())
    for name, p in mt_model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), th_params[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)


def test_inplace_layers_repr_as_torch() -> None:
    for make in (lambda nn: nn.ReLU(inplace=True), lambda nn: nn.LeakyReLU(0.2, inplace=True),
                 lambda nn: nn.ELU(inplace=True), lambda nn: nn.SiLU(inplace=True),
                 lambda nn: nn.ReLU()):
        assert repr(make(mytorch.nn)) == repr(make(torch.nn))


def test_dropout_inplace_writes_into_the_input_and_records() -> None:
    x = mytorch.ones(4, 50, requires_grad=True)
    y = x * 1
    out = mytorch.nn.functional.dropout(y, p=0.5, training=True, inplace=True)
    assert out is y and y.grad_fn.name() == "MulBackward0" and y._version == 1
    y.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # the mask, 0 or 2
    assert set(np.unique(y.detach().numpy())) == {0.0, 2.0}


# -- errors and aliasing ---------------------------------------------------------------------------
def test_in_place_result_must_fit_shape_and_dtype() -> None:
    with pytest.raises((RuntimeError, ValueError), match="add"):
        mytorch.zeros(2, 3).add_(mytorch.ones(3, 3))
    with pytest.raises(RuntimeError, match=r"add_: the result of shape \(2, 3\) cannot be "
                                           r"written in place into a tensor of shape \(3,\)"):
        mytorch.zeros(3).add_(mytorch.ones(2, 3))
    with pytest.raises(RuntimeError, match="add_: result type float32 can't be cast to the "
                                           "desired output type int64"):
        mytorch.zeros(3, dtype=mytorch.int64).add_(1.5)
    with pytest.raises(RuntimeError, match="read-only view"):
        mytorch.zeros(3).expand(2, 3).add_(1)


def test_changing_an_index_tensor_after_use_does_not_move_the_gradient() -> None:
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = mytorch.tensor([0, 1])
    y = x[index] + mytorch.gather(x, 0, index) + mytorch.index_select(x, 0, index)
    index[0] = 2
    y.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [3.0, 3.0, 0.0]


def test_flip_is_a_copy_as_torch() -> None:
    for lib in (torch, mytorch):
        x = lib.tensor([1.0, 2.0])
        y = x.flip(0)
        x.add_(10)
        assert y.tolist() == [2.0, 1.0]


def test_copy_and_fill_keep_the_dtype_and_broadcast() -> None:
    t = mytorch.zeros(2, 3, dtype=mytorch.int64)
    t.copy_(mytorch.tensor([1.7, 2.2, -3.9]))
    assert t.dtype == np.int64 and t.tolist() == [[1, 2, -3]] * 2
    t.fill_(mytorch.tensor(7))
    assert t.tolist() == [[7, 7, 7]] * 2


def test_in_place_into_a_plain_tensor_from_a_value_that_requires_grad() -> None:
    v = mytorch.tensor([1.0, 2.0], requires_grad=True)
    t = mytorch.zeros(3)
    t[1:] = v * 2  # t becomes part of the graph (a non-leaf), as in PyTorch
    t.add_(v.sum())
    assert not t.is_leaf and t.requires_grad
    t.sum().backward()
    assert v.grad is not None and v.grad.tolist() == [5.0, 5.0]
    u = mytorch.zeros(3)
    u[:2].add_(v)  # through a view: recorded on its base
    u.sum().backward()
    assert v.grad.tolist() == [6.0, 6.0]


def _sibling_view(x: Any) -> Any:
    y = x * 1.5
    a, b = y[0:2], y[1:3]
    a.mul_(2)  # changes b's memory too: b's gradient must follow
    return b * x[1:3]


def _view_of_changed_base(x: Any) -> Any:
    y = x - 0.5
    v = y.view(2, 2)
    y.relu_()  # v, made before, sees the relu: so must its gradient
    return v * 3


STALE_VIEW_SPECS = [
    _both("sibling_view", _sibling_view, [((4,),)]),
    _both("view_of_changed_base", _view_of_changed_base, [((4,),)]),
]


@pytest.mark.parametrize("spec, shapes, dtype", cases(STALE_VIEW_SPECS))
def test_a_view_follows_in_place_changes_of_its_memory(spec: OpSpec, shapes: Any,
                                                      dtype: np.dtype) -> None:
    check_against_torch(spec, spec.arrays(shapes, dtype))


@pytest.mark.parametrize("change", [lambda x: x.mul_(2), lambda x: x[1:].mul_(2),
                                    lambda x: x.detach().add_(1)])
def test_an_input_saved_before_it_had_a_version_counter_is_still_checked(change):
    """A node keeps an input that had no version counter (version 0) as the tensor alone;
    a counter made for it afterwards, by an in-place op on it, on a view or on a detached
    alias, still shows the change when backward unpacks it."""
    a = mytorch.ones(3, requires_grad=True)
    x = a * 1  # fresh: no version counter yet
    y = x * x  # saves x
    change(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
