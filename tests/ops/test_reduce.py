import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, op_tests
from mytorch.autograd import gradgradcheck

# Shapes: 3-d, 2-d, scalar, size-1 dims, 1-d and an empty dim. The first two of each
# spec's valid shapes get a gradcheck, so they are the ones with several elements per slice.
GRID = [(2, 3, 4), (3, 4), (1, 5, 2), (), (3,), (2, 0, 3)]
# (dim, keepdim): all, all kept, one dim of either sign, a tuple, a tuple with a negative entry
DIMS = [(None, False), (None, True), (0, False), (-1, True), ((0, 2), False), ((0, -1), True)]
GRADCHECK_DIMS = [(None, False), (-1, True), ((0, 2), False)]
INF = math.inf


def normalized(dim, ndim):
    """The reduced axes (sorted), or None if ``dim`` is invalid for ``ndim`` dimensions."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    dims = dim if isinstance(dim, tuple) else (dim,)
    rank = ndim or 1
    if any(not -rank <= d < rank for d in dims):
        return None
    axes = {d % rank for d in dims}
    if len(axes) != len(dims):
        return None
    return tuple(sorted(axes)) if ndim else ()


def valid_shapes(dim, nonempty):
    shapes = []
    for shape in GRID:
        axes = normalized(dim, len(shape))
        if axes is None:
            continue
        if nonempty and (any(shape[a] == 0 for a in axes) or (dim is None and 0 in shape)):
            continue  # max and friends have no value on an empty slice
        shapes.append((shape,))
    return shapes


def all_dims(dim, x):
    """PyTorch's spelling of "all dims" for logsumexp, whose dim cannot be None or ()."""
    return (list(range(x.ndim)) or 0) if dim is None or dim == () else dim


def with_ties(rng, shapes, dtype):
    """Values from {-1, 0, 1, 2}: most slices have tied maxima and minima."""
    return [rng.integers(-1, 3, s).astype(dtype) for s in shapes]


def with_zeros(rng, shapes, dtype):
    """Some slices with one zero, some with two or more (prod's special cases)."""
    out = []
    for s in shapes:
        a = np.asarray(rng.uniform(0.5, 1.5, s) * rng.choice([-1, 1], s))
        a[rng.random(s) < 0.3] = 0
        out.append(a.astype(dtype))
    return out


def zeros_and_ones(rng, shapes, dtype):
    return [rng.integers(0, 2, s).astype(dtype) * rng.uniform(0.5, 2, s).astype(dtype)
            for s in shapes]


# (name, mytorch(x, dim, keepdim), torch(x, dim, keepdim), single int dim only, no empty slices)
TABLE = [
    ("sum", lambda x, d, k: x.sum(d, k), lambda x, d, k: torch.sum(x, d, k), False, False),
    ("mean", lambda x, d, k: mytorch.mean(x, d, k), lambda x, d, k: x.mean(d, k), False, False),
    ("var", lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var(d, keepdim=k), False, False),
    ("std", lambda x, d, k: mytorch.std(x, d, keepdim=k), lambda x, d, k: x.std(d, keepdim=k),
     False, False),
    ("prod", lambda x, d, k: x.prod(d, k),
     lambda x, d, k: x.prod() if d is None else x.prod(d, k), True, False),
    ("amax", lambda x, d, k: x.amax(d, k), lambda x, d, k: x.amax(() if d is None else d, k),
     False, True),
    ("amin", lambda x, d, k: mytorch.amin(x, d, k),
     lambda x, d, k: x.amin(() if d is None else d, k), False, True),
    ("max", lambda x, d, k: x.max(d, k), lambda x, d, k: x.max() if d is None else x.max(d, k),
     True, True),
    ("min", lambda x, d, k: mytorch.min(x, d, k),
     lambda x, d, k: x.min() if d is None else x.min(d, k), True, True),
    ("argmax", lambda x, d, k: x.argmax(d, k), lambda x, d, k: x.argmax(d, k), True, True),
    ("argmin", lambda x, d, k: mytorch.argmin(x, d, k), lambda x, d, k: x.argmin(d, k), True, True),
    ("logsumexp", lambda x, d, k: x.logsumexp(d, k),
     lambda x, d, k: torch.logsumexp(x, all_dims(d, x), k), False, False),
    ("norm2", lambda x, d, k: x.norm(2, d, k), lambda x, d, k: x.norm(2, d, k), False, False),
    ("norm1", lambda x, d, k: x.norm(1, d, k), lambda x, d, k: x.norm(1, d, k), False, False),
    ("norm3", lambda x, d, k: x.norm(3, d, k), lambda x, d, k: x.norm(3, d, k), False, False),
    ("norm_inf", lambda x, d, k: x.norm(INF, d, k), lambda x, d, k: x.norm(INF, d, k), False, True),
]
NO_KEEPDIM_WITHOUT_DIM = {"prod", "max", "min"}  # PyTorch has no such overload
# PyTorch's var/std backward reads dim=() as "no dims" (its forward reads it as "all")
NO_EMPTY_TUPLE = {"var", "std"}


def make_specs():
    specs = []
    for name, mt, th, single, nonempty in TABLE:
        for dim, keepdim in DIMS:
            if single and isinstance(dim, tuple):
                continue
            if dim is None and keepdim and name in NO_KEEPDIM_WITHOUT_DIM:
                continue
            specs.append(OpSpec(
                f"{name}-dim{dim}-keep{int(keepdim)}".replace(" ", ""),
                lambda x, mt=mt, d=dim, k=keepdim: mt(x, d, k),
                lambda x, th=th, d=dim, k=keepdim: th(x, d, k),
                valid_shapes(dim, nonempty),
                gradcheck=(dim, keepdim) in GRADCHECK_DIMS and not name.startswith("arg"),
                torch_grad=not name.startswith("arg"),  # indices have no derivative
            ))
    return specs


SPECS = make_specs()
# extra inputs: ties for the extrema, zeros for prod, 0/1 for all/any, cumsum along each dim
SPECS += [
    OpSpec(f"{name}-ties-dim{dim}", lambda x, f=f, d=dim: f(x, d), lambda x, g=g, d=dim: g(x, d),
           valid_shapes(dim, nonempty=True), make=with_ties, gradcheck=False,
           torch_grad=name != "argmax")
    for name, f, g in [
        ("max", lambda x, d: x.max(d), lambda x, d: x.max(d)),
        ("min", lambda x, d: x.min(d), lambda x, d: x.min(d)),
        ("amax", lambda x, d: x.amax(d), lambda x, d: x.amax(d)),
        ("amin", lambda x, d: x.amin(d), lambda x, d: x.amin(d)),
        ("argmax", lambda x, d: x.argmax(d), lambda x, d: x.argmax(d)),
        ("norm_inf", lambda x, d: x.norm(INF, d), lambda x, d: x.norm(INF, d)),
    ]
    for dim in ([0, -1, (0, 2)] if name.startswith(("amax", "amin", "norm")) else [0, -1])
]
SPECS += [
    OpSpec("max-ties-all", lambda x: x.max(), lambda x: x.max(), valid_shapes(None, True),
           make=with_ties, gradcheck=False),
    OpSpec("min-ties-all", lambda x: x.min(), lambda x: x.min(), valid_shapes(None, True),
           make=with_ties, gradcheck=False),
    OpSpec("prod-zeros-all", lambda x: x.prod(), lambda x: x.prod(), valid_shapes(None, False),
           make=with_zeros),
    OpSpec("prod-zeros-dim1", lambda x: x.prod(1), lambda x: x.prod(1), valid_shapes(1, False),
           make=with_zeros),
    OpSpec("norm_fro", lambda x: mytorch.norm(x, "fro", (0, 1)), lambda x: x.norm("fro", (0, 1)),
           [((2, 3, 4),), ((3, 4),)]),
    OpSpec("norm_-inf", lambda x: x.norm(-INF, -1), lambda x: x.norm(-INF, -1),
           valid_shapes(-1, True)),
    OpSpec("norm2-at-zero", lambda x: (x * 0).norm(), lambda x: (x * 0).norm(),
           valid_shapes(None, False), gradcheck=False),
    OpSpec("norm3-at-zero", lambda x: (x * 0).norm(3, -1), lambda x: (x * 0).norm(3, -1),
           valid_shapes(-1, False), gradcheck=False),
    OpSpec("std-of-constant", lambda x: (x * 0).std(-1), lambda x: (x * 0).std(-1),
           [((2, 3, 4),), ((3,),)], gradcheck=False),
] + [
    OpSpec(f"cumsum-dim{dim}", lambda x, d=dim: x.cumsum(d), lambda x, d=dim: x.cumsum(d),
           valid_shapes(dim, False))
    for dim in (0, -1, 1)
] + [
    OpSpec(f"{name}-dim{dim}-keep{int(keepdim)}", lambda x, f=name, d=dim, k=keepdim:
           getattr(x, f)(d, k) if d is not None else getattr(x, f)(),
           lambda x, f=name, d=dim, k=keepdim:
           getattr(x, f)(d, k) if d is not None else getattr(x, f)(),
           valid_shapes(dim, False), make=zeros_and_ones, gradcheck=False, torch_grad=False)
    for name in ("all", "any") for dim, keepdim in [(None, False), (0, True), ((0, 2), False)]
]


test_matches_torch, test_gradcheck = op_tests(SPECS)
# var/std with fewer elements than the correction warn, in both libraries
test_matches_torch = pytest.mark.filterwarnings("ignore")(test_matches_torch)


SECOND_ORDER = ["sum", "mean", "var", "std", "prod", "logsumexp", "norm2", "norm3", "max", "amax"]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name.split("-")[0] in SECOND_ORDER
                                  and s.name.endswith(("dimNone-keep0", "dim-1-keep1"))]
                         + [s for s in SPECS if s.name.startswith("prod-zeros")],
                         ids=lambda s: s.name)
def test_gradgradcheck(spec):
    check_gradcheck(spec, spec.arrays(((2, 2, 3),), np.float64), second_order=True)


# -- hypothesis-drawn shapes and dims ----------------------------------------------------------
TUPLE_OPS = {name: (mt, th, nonempty) for name, mt, th, single, nonempty in TABLE if not single}
SINGLE_OPS = {name: (mt, th, nonempty) for name, mt, th, single, nonempty in TABLE if single}


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       data=st.data(), keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_hypothesis_tuple_dims(shape, data, keepdim, seed):
    name = data.draw(st.sampled_from(sorted(TUPLE_OPS)))
    mt, th, nonempty = TUPLE_OPS[name]
    ndim = len(shape)
    dim = data.draw(st.none() | st.lists(st.integers(-ndim, ndim - 1) if ndim else st.just(0),
                                         unique_by=lambda d: d % (ndim or 1), max_size=ndim)
                    .map(tuple))
    if dim == () and name in NO_EMPTY_TUPLE:
        dim = None
    axes = normalized(dim, ndim)
    assume(not nonempty or not (0 in [shape[a] for a in axes] or (dim is None and 0 in shape)))
    spec = OpSpec(name, lambda x: mt(x, dim, keepdim), lambda x: th(x, dim, keepdim), [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(spec, spec.arrays((shape,), np.float64, seed))


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       data=st.data(), keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_hypothesis_single_dim(shape, data, keepdim, seed):
    name = data.draw(st.sampled_from(sorted(SINGLE_OPS) + ["cumsum"]))
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1) if ndim else st.sampled_from([0, -1]))
    if name == "cumsum":
        mt, th, nonempty = (lambda x, d, k: x.cumsum(d)), (lambda x, d, k: x.cumsum(d)), False
    else:
        mt, th, nonempty = SINGLE_OPS[name]
    assume(not nonempty or (shape[dim] if ndim else 1) > 0)
    spec = OpSpec(name, lambda x: mt(x, dim, keepdim), lambda x: th(x, dim, keepdim), [],
                  make=with_ties if name != "prod" else None,
                  torch_grad=not name.startswith("arg"))
    check_against_torch(spec, spec.arrays((shape,), np.float64, seed))


# -- semantics beyond the grid -------------------------------------------------------------
def test_max_with_dim_returns_values_and_indices():
    x = mytorch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    out = mytorch.max(x, 1)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # ties: the first index
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(x.min(dim=0, keepdim=True).indices.numpy(), [[0, 1, 1]])


def test_max_without_dim_shares_ties_and_amax_over_a_tuple():
    x = mytorch.tensor([[1.0, 3.0, 3.0], [3.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])
    x.grad = None
    x.amin((0, 1), keepdim=True).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 0, 1]])


def test_max_of_two_tensors_is_maximum():
    a, b = mytorch.tensor([1.0, 5.0]), mytorch.tensor([3.0, 2.0])
    np.testing.assert_array_equal(mytorch.max(a, b).numpy(), [3, 5])
    np.testing.assert_array_equal(a.min(b).numpy(), [1, 2])
    np.testing.assert_array_equal(mytorch.max(a, other=b).numpy(), [3, 5])


def test_nan_is_the_extreme_like_torch():
    data = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 5.0, 6.0, 7.0]])
    for op in ("max", "min", "argmax", "argmin", "amax"):
        m, t = getattr(mytorch.tensor(data), op)(1), getattr(torch.tensor(data), op)(1)
        for a, b in zip(m if isinstance(m, tuple) else [m], t if isinstance(t, tuple) else [t]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_argmax_flattens_without_dim():
    x = mytorch.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.argmax().item() == 2 and x.argmax().shape == ()
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert mytorch.argmin(x, dim=0).tolist() == [0, 1]


def test_numpy_aliases_axis_and_keepdims():
    x = mytorch.randn(2, 3, 4)
    for op in ("sum", "mean", "var", "std", "prod", "amax", "amin", "argmax", "logsumexp", "all"):
        a = getattr(mytorch, op)(x, axis=1, keepdims=True)
        b = getattr(mytorch, op)(x, dim=1, keepdim=True)
        assert a.shape == (2, 1, 4)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    values, _ = mytorch.max(x, axis=2, keepdims=True)
    assert values.shape == (2, 3, 1)
    np.testing.assert_array_equal(x.cumsum(axis=1).numpy(), mytorch.cumsum(x, 1).numpy())


@pytest.mark.parametrize("call", [
    lambda m, x: m.sum(x, ()), lambda m, x: x.amax(()), lambda m, x: x.mean([]),
    lambda m, x: m.norm(x, 2, ()), lambda m, x: x.var(()), lambda m, x: x.std(dim=[]),
    lambda m, x: m.var(x, 1, True, True), lambda m, x: m.var(x, True), lambda m, x: m.var(x, False),
    lambda m, x: m.std(x, 0, False), lambda m, x: m.var(x, dim=1, unbiased=False),
    lambda m, x: m.std(x, dim=(0, 1), correction=0, keepdim=True),
    lambda m, x: m.var(x, 1, correction=2), lambda m, x: x.std(unbiased=True),
    lambda m, x: x.var(0, keepdim=True), lambda m, x: m.std(x, -1, correction=0.5),
])
def test_overloads_and_empty_dims_match_torch(call):
    data = np.random.default_rng(0).standard_normal((3, 4))
    m = call(mytorch, mytorch.tensor(data))
    t = call(torch, torch.tensor(data))
    assert m.shape == tuple(t.shape)
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-12)


def test_var_warns_when_degrees_of_freedom_run_out():
    with pytest.warns(UserWarning, match=r"var.*degrees of freedom"):
        assert np.isnan(mytorch.tensor([2.0]).var().item())


def test_prod_second_derivative_with_zeros_matches_torch():
    for data in ([0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [1.5, 2.0, 3.0]):
        hessians = []
        for lib in (mytorch, torch):
            x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
            (g,) = lib.autograd.grad(x.prod(), x, create_graph=True)
            rows = [lib.autograd.grad(g[k], x, retain_graph=True)[0] for k in range(3)]
            hessians.append(np.stack([np.asarray(r.detach().numpy()) for r in rows]))
        np.testing.assert_allclose(hessians[0], hessians[1], err_msg=str(data))


def test_second_order_through_norm_and_max():
    x = mytorch.tensor([[3.0, -4.0], [1.0, 2.0]], dtype=mytorch.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t.norm(), (x,))
    assert gradgradcheck(lambda t: t.norm(2, 1) * t.max(0).values.sum(), (x,))


def test_logsumexp_is_stable_at_large_logits():
    data = np.array([[1e4, -1e4, 1e4 - 1.0], [-1e4, -1e4, -1e4 + 0.5]], dtype=np.float32)
    for dim in (0, 1, (0, 1)):
        m = mytorch.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        mo, to = m.logsumexp(dim), torch.logsumexp(t, dim)
        mo.sum().backward()
        to.sum().backward()
        assert np.all(np.isfinite(mo.numpy())) and np.all(np.isfinite(m.grad.numpy()))
        np.testing.assert_allclose(mo.numpy(), to.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_logsumexp_of_infinite_rows_like_torch():
    data = np.array([[-INF, -INF], [INF, 1.0], [-INF, 0.0]])
    np.testing.assert_array_equal(mytorch.tensor(data).logsumexp(1).numpy(),
                                  torch.logsumexp(torch.tensor(data), 1).numpy())
    empty = mytorch.zeros(0, 3).logsumexp(0)
    np.testing.assert_array_equal(empty.numpy(), [-INF] * 3)


def test_norm_gradient_at_zero_is_zero_not_nan():
    for p in (2, "fro", 3, 1):
        x = mytorch.zeros(2, 3, requires_grad=True)
        x.norm(p).backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    x = mytorch.zeros(3, dtype=mytorch.float64, requires_grad=True)
    (g,) = mytorch.autograd.grad(x.norm(), x, create_graph=True)
    (gg,) = mytorch.autograd.grad(g.sum(), x)
    assert np.all(np.isfinite(gg.numpy()))


def test_norm_p0_counts_nonzeros():
    x = mytorch.tensor([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.norm(0, 1).numpy(), [2.0, 1.0])
    assert x.norm(0).dtype == np.float32


def test_integer_and_bool_dtypes_like_torch():
    i = np.array([[1, 2], [3, 4]], dtype=np.int32)
    b = np.array([[True, False], [True, True]])
    checks = [
        lambda lib, x: x.sum(), lambda lib, x: x.sum(0), lambda lib, x: x.prod(),
        lambda lib, x: x.cumsum(0), lambda lib, x: x.max(), lambda lib, x: x.amax(1),
        lambda lib, x: x.logsumexp(0), lambda lib, x: x.all(1), lambda lib, x: x.any(),
        lambda lib, x: x.mean(dtype=lib.float64), lambda lib, x: x.sum(dtype=lib.float64),
        lambda lib, x: x.cumsum(1, dtype=lib.float64), lambda lib, x: x.max(0).values,
    ]
    for data in (i, b):
        for check in checks + ([lambda lib, x: x.argmax()] if data.dtype != np.bool_ else []):
            m, t = check(mytorch, mytorch.tensor(data)), check(torch, torch.tensor(data))
            assert m.dtype == t.numpy().dtype
            np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)
    u = np.array([1, 0], dtype=np.uint8)
    assert mytorch.tensor(u).all().dtype == np.uint8 and mytorch.tensor(u).any().item() == 1


def test_sum_dtype_accumulates_in_that_dtype():
    x = mytorch.tensor(np.full(10**6, 0.1, dtype=np.float32))
    total = x.sum(dtype=mytorch.float64)
    assert total.dtype == np.float64
    np.testing.assert_allclose(total.item(), 1e6 * np.float64(np.float32(0.1)), rtol=1e-12)


def test_float64_stays_float64():
    x = mytorch.randn(3, 4, dtype=mytorch.float64, requires_grad=True)
    ops = [lambda t: t.sum(), lambda t: t.mean(0), lambda t: t.var(), lambda t: t.std(1),
           lambda t: t.prod(1), lambda t: t.max(), lambda t: t.min(0).values, lambda t: t.amax(1),
           lambda t: t.logsumexp(1), lambda t: t.cumsum(0), lambda t: t.norm(), lambda t: t.norm(3)]
    for op in ops:
        x.grad = None
        y = op(x)
        y.sum().backward()
        assert y.dtype == np.float64 and x.grad.dtype == np.float64


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("op, call", [
    ("sum", lambda x: x.sum(2)), ("mean", lambda x: x.mean((0, -3))), ("var", lambda x: x.var(2)),
    ("std", lambda x: x.std(-3)), ("prod", lambda x: x.prod(2)), ("max", lambda x: x.max(2)),
    ("min", lambda x: x.min(-3)), ("amax", lambda x: x.amax((0, 2))), ("amin", lambda x: x.amin(5)),
    ("argmax", lambda x: x.argmax(2)), ("argmin", lambda x: x.argmin(2)),
    ("logsumexp", lambda x: x.logsumexp(2)), ("cumsum", lambda x: x.cumsum(2)),
    ("norm", lambda x: x.norm(2, 2)), ("all", lambda x: x.all(2)), ("any", lambda x: x.any(-3)),
])
def test_dim_out_of_range_names_op_and_shape(op, call):
    with pytest.raises(IndexError, match=rf"{op}: dimension -?\d out of range.*\(2, 3\)"):
        call(mytorch.ones(2, 3))
    with pytest.raises(IndexError):
        call(torch.ones(2, 3))


@pytest.mark.parametrize("call", [
    lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(), lambda x: x.argmax(),
    lambda x: x.argmin(), lambda x: x.max(0), lambda x: x.amin(0), lambda x: x.argmax(0),
    lambda x: x.norm(INF),
])
def test_extrema_of_empty_tensor_raise_like_torch(call):
    with pytest.raises(Exception) as expected:
        call(torch.zeros(0, 3))
    with pytest.raises(expected.type, match=r"(max|min|norm).*\(0, 3\)"):
        call(mytorch.zeros(0, 3))


def test_extrema_over_a_nonempty_dim_of_an_empty_tensor_are_empty():
    values, indices = mytorch.zeros(0, 3).max(1)
    assert values.shape == (0,) and indices.shape == (0,)
    assert mytorch.zeros(0, 3).argmax(1).shape == (0,)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda x: x.sum((0, 0)), RuntimeError, r"sum.*twice.*\(2, 3\)"),
    (lambda x: x.long().mean(), RuntimeError, r"mean.*int64"),
    (lambda x: x.long().var(), RuntimeError, r"var.*int64"),
    (lambda x: x.long().norm(), RuntimeError, r"norm.*int64"),
    (lambda x: x.prod((0, 1)), TypeError, r"prod: dim must be an int"),
    (lambda x: x.argmax((0, 1)), TypeError, r"argmax: dim must be an int"),
    (lambda x: x.norm("nuc"), ValueError, r"norm.*'nuc'.*\(2, 3\)"),
    (lambda x: mytorch.cumsum(x), TypeError, r"cumsum.*'dim' is required"),
    (lambda x: x.sum(0, foo=1), TypeError, r"sum: unexpected keyword.*foo"),
    (lambda x: mytorch.sum(x, 0, axis=1), TypeError, r"sum.*'dim' and its alias 'axis'"),
    (lambda x: x.var(0, True, True, 1), TypeError, r"var"),
    (lambda x: x.std(0, unbiased=True, correction=0), TypeError, r"std.*either"),
])
def test_bad_arguments_raise(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(mytorch.ones(2, 3))
