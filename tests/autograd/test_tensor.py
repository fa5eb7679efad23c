"""Tensor basics: dtypes and promotion, factories, repr, attributes and PyTorch's everyday glue."""

from __future__ import annotations

import copy
import operator
import pickle
import re

import numpy as np
import pytest
import torch

import mytorch

F32, F64, I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)


# -- dtypes ---------------------------------------------------------------------------------------
def test_inferred_dtypes() -> None:
    assert mytorch.tensor([1.0, 2.0]).dtype == F32
    assert mytorch.tensor(1.5).dtype == F32
    assert mytorch.tensor([1, 2]).dtype == I64
    assert mytorch.tensor([True, False]).dtype == np.bool_
    assert mytorch.tensor(np.ones(2)).dtype == F64  # an array keeps its dtype
    assert mytorch.tensor(np.ones(2, dtype=np.int32)).dtype == np.int32
    assert mytorch.tensor([1, 2], dtype=mytorch.float64).dtype == F64


def test_dtype_names_are_numpy_dtypes() -> None:
    assert mytorch.float is mytorch.float32 and mytorch.float32 == F32
    assert mytorch.double is mytorch.float64 and mytorch.float64 == F64
    assert mytorch.long is mytorch.int64 and mytorch.int64 == I64
    assert mytorch.int == np.int32 and mytorch.bool == np.bool_
    assert mytorch.get_default_dtype() == F32


def test_float64_stays_float64_end_to_end() -> None:
    x = mytorch.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    w = mytorch.tensor(np.full(5, 0.3), requires_grad=True)
    y = ((x * w).tanh().exp() / (1 + x * x)).sqrt().log1p() ** 2 - 0.5 * x
    assert y.dtype == F64
    y.sum().backward()
    assert x.grad.dtype == F64 and w.grad.dtype == F64
    xt = torch.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    wt = torch.tensor(np.full(5, 0.3), requires_grad=True)
    yt = ((xt * wt).tanh().exp() / (1 + xt * xt)).sqrt().log1p() ** 2 - 0.5 * xt
    yt.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_float32_with_float64_gives_float64_and_each_grad_keeps_its_dtype() -> None:
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    b = mytorch.tensor([0.1, 0.2], dtype=mytorch.float64, requires_grad=True)
    y = a * b
    assert y.dtype == F64
    y.sum().backward()
    assert a.grad.dtype == F32 and b.grad.dtype == F64
    np.testing.assert_allclose(a.grad.numpy(), [0.1, 0.2], rtol=1e-7)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_float32_matmul_float64_gives_float64() -> None:
    w = mytorch.ones(2, 3, requires_grad=True)
    v = mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64, requires_grad=True)
    y = w @ v
    assert y.dtype == F64
    y.sum().backward()
    assert w.grad.dtype == F32 and v.grad.dtype == F64
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 2.0, 3.0]] * 2)


def test_cast_is_differentiable() -> None:
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    b = a.double() * 3
    assert b.dtype == F64 and b.requires_grad
    b.sum().backward()
    assert a.grad.dtype == F32
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


_OPERANDS = {
    "f32": lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float32),
    "f64": lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64),
    "i32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "i64": lambda lib: lib.tensor([1, 2]),
    "bool": lambda lib: lib.tensor([True, False]),
    "f64_0d": lambda lib: lib.tensor(2.5, dtype=lib.float64),
    "i64_0d": lambda lib: lib.tensor(3),
    "int": lambda lib: 3,
    "float": lambda lib: 2.5,
    "pybool": lambda lib: True,
}
_OPS = {"add": operator.add, "mul": operator.mul, "truediv": operator.truediv}
_PAIRS = [  # every pair with at least one tensor
    (left, right) for left in _OPERANDS for right in _OPERANDS
    if not {left, right} <= {"int", "float", "pybool"}
]


@pytest.mark.parametrize("op", list(_OPS))
@pytest.mark.parametrize(("left", "right"), _PAIRS)
def test_result_dtype_matches_torch(op: str, left: str, right: str) -> None:
    fn = _OPS[op]
    expected = fn(_OPERANDS[left](torch), _OPERANDS[right](torch)).dtype
    got = fn(_OPERANDS[left](mytorch), _OPERANDS[right](mytorch)).dtype
    assert str(got) == str(expected).removeprefix("torch.")


def test_int_tensor_with_float_scalar_is_float32() -> None:
    y = mytorch.tensor([1, 2]) + 2.5
    assert y.dtype == F32
    np.testing.assert_array_equal(y.numpy(), [3.5, 4.5])


# -- factories ----------------------------------------------------------------------------------
def test_tensor_copies_its_data() -> None:
    a = np.array([1.0, 2.0])
    t = mytorch.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_tensor_from_list_of_tensors_and_nested() -> None:
    t = mytorch.tensor([mytorch.tensor(1.0), mytorch.tensor(2.0)])
    assert t.shape == (2,) and t.dtype == F32
    assert mytorch.tensor([[1, 2], [3, 4]]).shape == (2, 2)


def test_tensor_rejects_non_numeric_data() -> None:
    with pytest.raises(TypeError, match="tensor"):
        mytorch.tensor(["a", "b"])


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_sized_factories(name: str) -> None:
    fn = getattr(mytorch, name)
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == F32 and not t.requires_grad
    assert fn(3, dtype=mytorch.float64).dtype == F64
    assert fn(3, dtype=mytorch.int64).dtype == I64
    assert fn(3, requires_grad=True).requires_grad
    assert fn(()).shape == () and fn(0).shape == (0,)
    if name != "empty":
        np.testing.assert_array_equal(fn(2).numpy(), getattr(torch, name)(2).numpy())


def test_full_infers_dtype_from_the_fill_value() -> None:
    for value in (7, 1.5, True):
        mine, theirs = mytorch.full((2, 2), value), torch.full((2, 2), value)
        assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert mytorch.full((3,), 2, dtype=mytorch.float64).dtype == F64


def test_like_factories_keep_shape_and_dtype() -> None:
    base = mytorch.ones(2, 3, dtype=mytorch.float64)
    for fn in (mytorch.zeros_like, mytorch.ones_like, mytorch.empty_like, mytorch.rand_like,
               mytorch.randn_like):
        t = fn(base)
        assert t.shape == (2, 3) and t.dtype == F64
    assert mytorch.zeros_like(base, dtype=mytorch.float32).dtype == F32
    assert mytorch.ones_like(base).sum().item() == 6
    assert mytorch.zeros_like(base, requires_grad=True).requires_grad
    assert mytorch.full_like(base, 4.0).tolist() == [[4.0] * 3] * 2


def test_random_factories() -> None:
    mytorch.manual_seed(0)
    r = mytorch.rand(1000)
    assert r.dtype == F32 and r.shape == (1000,)
    assert 0 <= r.numpy().min() and r.numpy().max() < 1
    n = mytorch.randn(100, 100)
    assert n.dtype == F32 and abs(n.numpy().mean()) < 0.05 and abs(n.numpy().std() - 1) < 0.05
    assert mytorch.randn(3, dtype=mytorch.float64).dtype == F64
    assert mytorch.randn(2, requires_grad=True).requires_grad
    i = mytorch.randint(3, 7, (1000,))
    assert i.dtype == I64 and set(i.tolist()) == {3, 4, 5, 6}
    j = mytorch.randint(5, (2, 3))  # randint(high, size)
    assert j.shape == (2, 3) and j.numpy().min() >= 0 and j.numpy().max() < 5
    p = mytorch.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == I64


def test_manual_seed_makes_draws_repeatable() -> None:
    def draws() -> tuple[list, list, list]:
        return (mytorch.rand(4).tolist(), mytorch.randn(4).tolist(),
                mytorch.randint(0, 100, (4,)).tolist())

    mytorch.manual_seed(123)
    first = draws()
    mytorch.manual_seed(123)
    assert draws() == first
    mytorch.manual_seed(124)
    assert mytorch.rand(4).tolist() != first[0]


def test_rng_state_round_trip() -> None:
    mytorch.manual_seed(5)
    state = mytorch.get_rng_state()
    a = mytorch.randn(3).tolist()
    mytorch.set_rng_state(state)
    assert mytorch.randn(3).tolist() == a


@pytest.mark.parametrize("args", [(5,), (2, 7), (0, 1, 0.25), (1.0, 4.0), (10, 0, -3), (0.5, 2)])
def test_arange_matches_torch(args: tuple) -> None:
    mine, theirs = mytorch.arange(*args), torch.arange(*args)
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_linspace_and_eye_match_torch() -> None:
    for args in ((0, 1, 5), (-2.0, 3.0, 11), (1, 1, 1), (0, 1, 0)):
        mine, theirs = mytorch.linspace(*args), torch.linspace(*args)
        assert mine.dtype == F32
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(mytorch.eye(3).numpy(), torch.eye(3).numpy())
    np.testing.assert_array_equal(mytorch.eye(2, 4).numpy(), torch.eye(2, 4).numpy())
    assert mytorch.eye(2).dtype == F32 and mytorch.eye(2, dtype=mytorch.float64).dtype == F64


def test_from_numpy_shares_memory() -> None:
    a = np.arange(4, dtype=np.float64)
    t = mytorch.from_numpy(a)
    assert t.dtype == F64 and np.shares_memory(t.numpy(), a)
    a[0] = 10
    assert t[0].item() == 10
    with pytest.raises(TypeError, match="from_numpy"):
        mytorch.from_numpy([1, 2])


def test_factories_accept_cpu_and_refuse_cuda() -> None:
    assert mytorch.zeros(2, device="cpu").shape == (2,)
    assert mytorch.tensor([1.0], device=mytorch.device("cpu")).shape == (1,)
    with pytest.raises(RuntimeError, match="CPU only.*cuda"):
        mytorch.zeros(2, device="cuda")


# -- repr ------------------------------------------------------------------------------------------
def test_repr_examples() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(mytorch.tensor(3.5)) == "tensor(3.5000)"
    assert repr(mytorch.tensor([1, 2])) == "tensor([1, 2])"
    double = mytorch.tensor([1.0], dtype=mytorch.float64)
    assert repr(double) == "tensor([1.], dtype=mytorch.float64)"
    assert str(mytorch.tensor([-1.5, 2.0])) == "tensor([-1.5000,  2.0000])"


def _repr_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    cases = [np.arange(2000.0), rng.standard_normal((50, 40)), np.arange(3000).reshape(30, 100),
             np.array([np.nan, 1.5, -np.inf]), np.array([1e-5, 1.0]), np.array([0.0, -0.0]),
             np.zeros((2, 0, 3)), np.array([], dtype=np.int64), np.array([True, False])]
    for _ in range(60):
        shape = tuple(rng.integers(0, 6, size=rng.integers(0, 4)))
        a = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 10))
        if rng.random() < 0.3:
            a = np.asarray(np.round(a))
        cases.append(a)
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_repr_matches_torch(dtype: type) -> None:
    for case in _repr_cases():
        with np.errstate(invalid="ignore"):
            array = np.asarray(case.astype(dtype))
        for requires_grad in (False, True) if array.dtype.kind == "f" else (False,):
            theirs = repr(torch.tensor(array, requires_grad=requires_grad))
            theirs = theirs.replace("torch.", "mytorch.")
            mine = repr(mytorch.tensor(array, requires_grad=requires_grad))
            if "dtype=" in theirs:  # "mytorch." is 2 characters longer: suffixes may wrap apart
                theirs, mine = re.sub(r"\s+", " ", theirs), re.sub(r"\s+", " ", mine)
            assert mine == theirs


# -- attributes and conversions -----------------------------------------------------------------
def test_shape_attributes() -> None:
    t = mytorch.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert len(t) == 2 and t.numel() == 24 and t.dtype == F32
    with pytest.raises(TypeError, match="0-d"):
        len(mytorch.tensor(1.0))


def test_item() -> None:
    assert mytorch.tensor(2.5).item() == 2.5 and isinstance(mytorch.tensor(2.5).item(), float)
    assert mytorch.tensor([7]).item() == 7 and isinstance(mytorch.tensor([7]).item(), int)
    with pytest.raises(RuntimeError, match="3 elements"):
        mytorch.ones(3).item()


def test_numpy_interop() -> None:
    t = mytorch.tensor([1.0, 2.0])
    assert np.shares_memory(np.asarray(t), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == F64
    assert t.tolist() == [1.0, 2.0]
    y = np.array([10.0, 20.0]) + t  # the Tensor's reflected operator wins over NumPy's
    assert isinstance(y, mytorch.Tensor)


def test_dtype_conversion_methods() -> None:
    t = mytorch.tensor([1.7, -2.2])
    assert t.float() is t
    assert t.double().dtype == F64
    assert t.long().dtype == I64 and t.long().tolist() == [1, -2]
    assert t.int().dtype == np.int32
    assert t.bool().tolist() == [True, True]
    assert t.half().dtype == np.float16
    assert t.type_as(mytorch.zeros(1, dtype=mytorch.float64)).dtype == F64
    assert t.to(mytorch.float64).dtype == F64 and t.to("float64").dtype == F64
    assert t.to(mytorch.zeros(1, dtype=mytorch.int64)).dtype == I64
    assert t.to("cpu", mytorch.float64).dtype == F64
    assert t.type() == "mytorch.float32"


def test_device_glue() -> None:
    dev = mytorch.device("cpu")
    assert str(dev) == "cpu" and repr(dev) == "device(type='cpu')" and dev.type == "cpu"
    t = mytorch.ones(2)
    assert t.device == dev and t.device == "cpu" and not t.is_cuda
    assert t.to(dev) is t and t.to("cpu") is t and t.cpu() is t
    assert mytorch.cuda.is_available() is False and mytorch.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CPU only"):
        t.cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        t.to("cuda:0")
    with pytest.raises(RuntimeError, match="CPU only"):
        mytorch.device("cuda")


def test_legacy_constructors() -> None:
    assert mytorch.Tensor([1, 2]).dtype == F32  # legacy: float32 even from ints
    assert mytorch.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert mytorch.FloatTensor([1, 2]).dtype == F32
    assert mytorch.LongTensor([1, 2]).dtype == I64
    assert mytorch.DoubleTensor([1]).dtype == F64
    assert mytorch.FloatTensor(2, 3).shape == (2, 3)
    assert isinstance(mytorch.tensor(1.0), mytorch.Tensor)
    assert mytorch.is_tensor(mytorch.ones(1)) and not mytorch.is_tensor(np.ones(1))


def test_view_as_and_reshape_as() -> None:
    a = mytorch.arange(6.0, requires_grad=True)
    b = a.view_as(mytorch.zeros(2, 3))
    assert b.shape == (2, 3)
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(6))


def test_item_assignment_on_tensors_without_grad() -> None:
    t = mytorch.zeros(3, 2)
    t[0] = 5.0
    t[1, 1] = mytorch.tensor(7.0)
    t[2] = mytorch.tensor([1.0, 2.0])
    assert t.tolist() == [[5.0, 5.0], [0.0, 7.0], [1.0, 2.0]]
    mask = t > 4
    t[mask] += 1
    assert t.tolist() == [[6.0, 6.0], [0.0, 8.0], [1.0, 2.0]]


def test_item_assignment_on_leaf_in_no_grad() -> None:
    w = mytorch.ones(3, requires_grad=True)
    with mytorch.no_grad():
        w[1] = 0.0
    assert w.tolist() == [1.0, 0.0, 1.0] and w.is_leaf and w.requires_grad


def test_in_place_operators_keep_identity_and_memory() -> None:
    t = mytorch.tensor([1.0, 2.0])
    memory, identity = t.numpy(), id(t)
    t += 1
    t -= mytorch.tensor([0.5, 0.5])
    t *= 2
    t /= 4
    assert id(t) == identity and t.numpy() is memory
    assert t.tolist() == [0.75, 1.25]
    i = mytorch.tensor([1, 2])
    i += 1
    assert i.dtype == I64 and i.tolist() == [2, 3]


def test_in_place_methods() -> None:
    t = mytorch.tensor([1.0, 2.0])
    assert t.add_(1).tolist() == [2.0, 3.0]
    assert t.mul_(2).tolist() == [4.0, 6.0]
    assert t.sub_(mytorch.tensor([1.0, 1.0]), alpha=2).tolist() == [2.0, 4.0]
    assert t.copy_(mytorch.tensor([9.0, 8.0])).tolist() == [9.0, 8.0]
    assert t.fill_(3).tolist() == [3.0, 3.0]
    assert t.zero_().tolist() == [0.0, 0.0]


def test_in_place_on_non_leaf_changes_it_and_is_recorded() -> None:
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    same = y
    y += x  # y itself changes (as in PyTorch); its grad_fn becomes the add
    assert y is same and y.tolist() == [2.0, 4.0] and y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_iteration_over_first_dimension() -> None:
    t = mytorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = list(t)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    assert [r.tolist() for r in rows] == t.tolist()
    with pytest.raises(TypeError, match="0-d"):
        iter(mytorch.tensor(1.0))


def test_python_number_conversions_of_0d_tensors() -> None:
    t = mytorch.tensor(2.71828)
    assert float(t) == pytest.approx(2.71828) and int(t) == 2
    assert format(t, ".2f") == "2.72" and f"{t:.1f}" == "2.7"
    assert bool(mytorch.tensor(0.0)) is False and bool(mytorch.tensor([3])) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mytorch.ones(2))


def test_0d_int_tensor_as_index() -> None:
    i = mytorch.tensor(2)
    assert ["a", "b", "c"][i] == "c"
    assert mytorch.arange(10.0)[i].item() == 2.0
    assert list(range(5))[mytorch.tensor(1):mytorch.tensor(3)] == [1, 2]
    with pytest.raises(TypeError, match="index"):
        ["a", "b"][mytorch.tensor(1.0)]


def test_deepcopy_of_tensors() -> None:
    w = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    c = copy.deepcopy(w)
    assert c is not w and c.requires_grad and c.is_leaf
    assert c.tolist() == w.tolist() and not np.shares_memory(c.numpy(), w.numpy())
    assert c.grad.tolist() == [3.0, 3.0] and c.grad is not w.grad
    c.sum().backward()  # the copy has its own accumulator
    assert c.grad.tolist() == [4.0, 4.0] and w.grad.tolist() == [3.0, 3.0]
    pair = copy.deepcopy([w, w])
    assert pair[0] is pair[1]  # the memo keeps shared references shared
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(w * 2)


def test_pickle_round_trip() -> None:
    w = mytorch.tensor([1.0, 2.0], dtype=mytorch.float64, requires_grad=True)
    back = pickle.loads(pickle.dumps(w))
    assert back.tolist() == [1.0, 2.0] and back.dtype == F64 and back.requires_grad


def test_tensors_hash_by_identity() -> None:
    a, b = mytorch.ones(1), mytorch.ones(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_equal_and_allclose() -> None:
    a = mytorch.tensor([1.0, 2.0])
    assert a.equal(mytorch.tensor([1.0, 2.0])) and not a.equal(mytorch.tensor([1.0]))
    assert a.allclose(mytorch.tensor([1.0, 2.0 + 1e-7]))


# -- methods: every op bound on Tensor, with PyTorch's argument order ---------------------------
_RNG = np.random.default_rng(7)
_X = _RNG.uniform(0.1, 1.0, (3, 4)).astype(np.float32)  # positive: log, sqrt, div are defined
_Y = _RNG.uniform(0.1, 1.0, (3, 4)).astype(np.float32)
_W = _RNG.uniform(-1.0, 1.0, (4, 2)).astype(np.float32)
_V = _RNG.uniform(-1.0, 1.0, 4).astype(np.float32)
_B = _RNG.uniform(-1.0, 1.0, (2, 3, 4)).astype(np.float32)
_C = _RNG.uniform(-1.0, 1.0, (2, 4, 5)).astype(np.float32)
_MASK = _X > 0.5
_INDEX = _RNG.integers(0, 4, (3, 2))

# (method, input, positional args); arrays among the args become tensors of the same library
_METHODS = [
    ("add", _X, (_Y,)), ("sub", _X, (_Y,)), ("mul", _X, (_Y,)), ("div", _X, (_Y,)),
    ("pow", _X, (2,)), ("neg", _X, ()), ("abs", _B, ()), ("exp", _X, ()), ("log", _X, ()),
    ("log1p", _X, ()), ("sqrt", _X, ()), ("sin", _X, ()), ("cos", _X, ()), ("tanh", _B, ()),
    ("sigmoid", _B, ()), ("relu", _B, ()), ("sign", _B, ()), ("square", _B, ()),
    ("clamp", _X, (0.3, 0.7)), ("clip", _X, (0.3, 0.7)), ("maximum", _X, (_Y,)),
    ("minimum", _X, (_Y,)), ("where", _X, (_MASK, _Y)), ("masked_fill", _X, (_MASK, 0.0)),
    ("eq", _X, (_Y,)), ("ne", _X, (_Y,)), ("lt", _X, (_Y,)), ("le", _X, (_Y,)),
    ("gt", _X, (_Y,)), ("ge", _X, (_Y,)),
    ("sum", _B, (1,)), ("mean", _B, (2,)), ("var", _B, (1,)), ("std", _B, (2,)),
    ("prod", _B, (1,)), ("max", _B, (1,)), ("min", _B, (2,)), ("amax", _B, (1,)),
    ("amin", _B, (2,)), ("argmax", _B, (1,)), ("argmin", _B, (2,)), ("logsumexp", _B, (1,)),
    ("softmax", _B, (1,)), ("log_softmax", _B, (2,)), ("cumsum", _B, (1,)), ("norm", _B, ()),
    ("all", _MASK, ()), ("any", _MASK, ()), ("sum", _B, ()), ("max", _B, ()), ("argmax", _B, ()),
    ("matmul", _X, (_W,)), ("mm", _X, (_W,)), ("bmm", _B, (_C,)), ("dot", _V, (_V,)),
    ("outer", _V, (_V,)), ("reshape", _B, (4, 6)), ("view", _B, (-1, 4)), ("flatten", _B, ()),
    ("flatten", _B, (1,)), ("squeeze", _X[:, None], ()), ("squeeze", _X[:, None], (1,)),
    ("unsqueeze", _X, (0,)), ("transpose", _B, (0, 2)), ("permute", _B, (2, 0, 1)), ("t", _X, ()),
    ("expand", _V, (3, 4)), ("repeat", _X, (2, 1)), ("tile", _X, ((1, 2),)),
    ("split", _B, (2, 2)), ("chunk", _B, (2, 1)), ("flip", _B, ((0, 2),)), ("roll", _B, (1, 2)),
    ("gather", _X, (1, _INDEX)), ("topk", _X, (2,)), ("sort", _X, ()), ("sort", _X, (0, True)),
    ("argsort", _X, (1,)),
]


_SPEC_FUNCTIONS = set("""
    abs exp log log1p sqrt sin cos tanh sigmoid relu clamp clip maximum minimum where sum mean
    var std max min amax amin argmax argmin logsumexp softmax log_softmax cumsum prod matmul
    dot outer reshape flatten squeeze unsqueeze transpose permute repeat tile split chunk flip
    roll eq ne gt lt ge le mm bmm topk sort argsort
""".split())


def _as(lib: object, value: object) -> object:
    return lib.tensor(value) if isinstance(value, np.ndarray) else value  # type: ignore[attr-defined]


def _arrays(out: object) -> list[np.ndarray]:
    if isinstance(out, (tuple, list)):  # tuples and torch's named tuples (values, indices)
        return [a for o in out for a in _arrays(o)]
    return [np.asarray(out.detach().numpy() if hasattr(out, "detach") else out)]


@pytest.mark.parametrize(("name", "data", "args"), _METHODS,
                         ids=[f"{m[0]}{len(m[2])}-{i}" for i, m in enumerate(_METHODS)])
def test_method_matches_torch(name: str, data: np.ndarray, args: tuple) -> None:
    mine = getattr(_as(mytorch, data), name)(*(_as(mytorch, a) for a in args))
    theirs = getattr(_as(torch, data), name)(*(_as(torch, a) for a in args))
    mine_arrays, their_arrays = _arrays(mine), _arrays(theirs)
    assert len(mine_arrays) == len(their_arrays)
    for m, t in zip(mine_arrays, their_arrays):
        assert m.dtype == t.dtype and m.shape == t.shape
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6)
    if name in _SPEC_FUNCTIONS:  # SPEC section 1 promises the function form as well
        assert callable(getattr(mytorch, name))


def test_attribute_transposes() -> None:
    b = mytorch.tensor(_B)
    np.testing.assert_array_equal(b.T.numpy(), torch.tensor(_B).permute(2, 1, 0).numpy())
    np.testing.assert_array_equal(b.mT.numpy(), np.swapaxes(_B, -1, -2))
    x = mytorch.tensor(_X)
    assert x.view_as(mytorch.zeros(4, 3)).shape == (4, 3)
    assert x.reshape_as(mytorch.zeros(12)).shape == (12,)
    assert mytorch.tensor(_V).expand_as(x).shape == (3, 4)
    with pytest.raises(ValueError, match=r"t: .*\(2, 3, 4\)"):
        b.t()


def test_misc_methods() -> None:
    x = mytorch.tensor(_X)
    assert x.is_floating_point() and not mytorch.tensor([1]).is_floating_point()
    assert x.contiguous() is x and x.is_contiguous()
    assert x.nelement() == 12 and x.element_size() == 4
    c = x.clone()
    assert c.tolist() == x.tolist() and not np.shares_memory(c.numpy(), x.numpy())
    assert x.sub(mytorch.tensor(_Y), alpha=2).allclose(mytorch.tensor(_X - 2 * _Y))
    assert x.add(mytorch.tensor(_Y), alpha=-1).allclose(mytorch.tensor(_X - _Y))
    assert (-x).neg().equal(x) and +x is x and abs(-x).equal(x)
    assert (~mytorch.tensor([True, False])).tolist() == [False, True]
    m = mytorch.tensor([True, False])
    assert (m & mytorch.tensor([True, True])).tolist() == [True, False]
    assert (m | mytorch.tensor([False, False])).tolist() == [True, False]
    t = mytorch.tensor([2.0, 8.0])
    assert (2 ** mytorch.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
    assert (1 - t).tolist() == [-1.0, -7.0] and (8 / t).tolist() == [4.0, 1.0]
    assert t.div_(2).tolist() == [1.0, 4.0] and t.clamp_(2, 3).tolist() == [2.0, 3.0]
    mytorch.manual_seed(0)
    u = mytorch.zeros(1000).uniform_(-2, 2)
    assert -2 <= u.numpy().min() and u.numpy().max() < 2
    n = mytorch.zeros(1000, dtype=mytorch.float64).normal_(3.0, 0.5)
    assert n.dtype == F64 and abs(n.numpy().mean() - 3) < 0.1


def test_as_tensor_avoids_copies() -> None:
    a = np.arange(3.0)
    assert np.shares_memory(mytorch.as_tensor(a).numpy(), a)
    t = mytorch.tensor([1.0])
    assert mytorch.as_tensor(t) is t
    assert mytorch.as_tensor(t, dtype=mytorch.float64).dtype == F64
    assert mytorch.as_tensor([1, 2]).dtype == I64
    assert mytorch.BoolTensor([1, 0]).tolist() == [True, False]


def test_python_types_as_dtypes() -> None:
    assert mytorch.tensor([1, 2], dtype=float).dtype == F32
    assert mytorch.tensor([1.5], dtype=int).dtype == I64
    assert mytorch.tensor([1.5]).to(float).dtype == F32


def test_seed_from_entropy_is_returned() -> None:
    s = mytorch.seed()
    a = mytorch.rand(3).tolist()
    mytorch.manual_seed(s)
    assert mytorch.rand(3).tolist() == a


def test_devices_hash_and_compare() -> None:
    assert {mytorch.device("cpu"): 1}[mytorch.device("cpu")] == 1
    assert mytorch.device(mytorch.device("cpu")) == mytorch.device("cpu")
    assert mytorch.device("cpu") != 3


def test_comparison_operators_match_torch() -> None:
    for op in (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
        mine = op(mytorch.tensor(_X), mytorch.tensor(_Y))
        assert mine.dtype == np.bool_ and not mine.requires_grad
        np.testing.assert_array_equal(mine.numpy(), op(torch.tensor(_X), torch.tensor(_Y)).numpy())
        np.testing.assert_array_equal(op(mytorch.tensor(_X), 0.5).numpy(), op(_X, 0.5))


def test_more_protocol_corners() -> None:
    assert mytorch.Tensor(mytorch.tensor([1, 2])).tolist() == [1.0, 2.0]
    assert mytorch.tensor([1.0]).type(mytorch.float64).dtype == F64
    with pytest.raises(TypeError):
        format(mytorch.ones(2), ".2f")
    with pytest.raises(RuntimeError, match="leaf"):
        pickle.dumps(mytorch.ones(2, requires_grad=True) * 2)
    y = np.ones((2, 3), dtype=np.float32) @ mytorch.tensor(_X)  # reflected matmul
    assert isinstance(y, mytorch.Tensor) and y.shape == (2, 4)
