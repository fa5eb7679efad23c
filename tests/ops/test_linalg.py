import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests


def _matmul_grid():
    """Every rank pair from 1 to 4, with batch axes that broadcast both ways."""
    m, k, n = 2, 3, 4
    # batch axes are right-aligned slices of these; any two broadcast, size 1 against size > 1
    batch_a, batch_b = (2, 1, 3), (1, 5, 1)
    grid = []
    for ra, rb in itertools.product(range(1, 5), repeat=2):
        a = (k,) if ra == 1 else batch_a[len(batch_a) - (ra - 2):] + (m, k)
        b = (k,) if rb == 1 else batch_b[len(batch_b) - (rb - 2):] + (k, n)
        grid.append((a, b))
    grid.append((batch_a + (m, k), batch_b[1:] + (k, n)))  # three batch axes against two
    # empty dimensions: no rows, and an empty inner dimension (the product is zeros)
    grid += [((0, k), (k, n)), ((m, 0), (0, n)), ((0,), (0,)), ((3, 0, k), (k, n))]
    return grid


MATMUL = _matmul_grid()


def einsum_spec(equation, *shapes, name=None, **kwargs):
    return OpSpec(f"einsum[{name or equation}]",
                  lambda *xs: mytorch.einsum(equation, *xs),
                  lambda *xs: torch.einsum(equation, *xs), [shapes], **kwargs)


EINSUMS = [
    einsum_spec("ij,jk->ik", (3, 4), (4, 5)),
    einsum_spec("ij,jk", (3, 4), (4, 5), name="implicit-matmul"),
    einsum_spec("ij->ji", (3, 4)),
    einsum_spec("ji", (3, 4), name="implicit-transpose"),
    einsum_spec("ii->i", (4, 4)),
    einsum_spec("ii", (4, 4), name="trace"),
    einsum_spec("iij->ij", (3, 3, 2)),
    einsum_spec("ijj->", (2, 3, 3)),
    einsum_spec("ij->", (3, 4)),
    einsum_spec("ij->j", (3, 4)),
    einsum_spec("i,i->", (5,), (5,)),
    einsum_spec("i,j->ij", (3,), (4,)),
    einsum_spec("ij,ij->ij", (3, 4), (3, 4)),
    einsum_spec(",ij->ij", (), (3, 4), name="scalar-operand"),
    einsum_spec("->", (), name="scalar-identity"),
    einsum_spec("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    einsum_spec("...ij,...jk->...ik", (2, 3, 4), (4, 5), name="ellipsis-matmul"),
    einsum_spec("...ij,...jk", (2, 1, 3, 4), (5, 4, 2), name="ellipsis-broadcast-implicit"),
    einsum_spec("i...->...", (2, 3, 4), name="ellipsis-sum-first"),
    einsum_spec("...->", (2, 3), name="ellipsis-sum-all"),
    einsum_spec("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    einsum_spec("i,i,i->i", (4,), (4,), (4,)),
    einsum_spec("bn,anm,bm->ba", (2, 3), (4, 3, 5), (2, 5), name="bilinear"),
    einsum_spec("Ab,bc", (2, 3), (3, 4), name="uppercase-implicit"),
    einsum_spec(" ij , jk -> ik ", (2, 3), (3, 4), name="spaces"),
    einsum_spec("ij,j->i", (3, 1), (4,), name="broadcast-size-1"),
    einsum_spec("ij,jk->ik", (0, 3), (3, 2), name="empty-rows"),
    einsum_spec("ij,jk->ik", (2, 0), (0, 3), name="empty-contraction"),
]


def tensordot_spec(name, dims, *shapes):
    return OpSpec(f"tensordot[{name}]", lambda a, b: mytorch.tensordot(a, b, dims),
                  lambda a, b: torch.tensordot(a, b, dims), [shapes])


TENSORDOTS = [
    OpSpec("tensordot[default]", mytorch.tensordot, torch.tensordot, [((2, 3, 4), (3, 4, 5))]),
    tensordot_spec("1", 1, (2, 3), (3, 4, 2)),
    tensordot_spec("0-outer", 0, (2, 3), (4,)),
    tensordot_spec("lists", ([1, 0], [0, 1]), (3, 2, 4), (2, 3)),
    tensordot_spec("negative", ([-1], [0]), (2, 3), (3, 4)),
    tensordot_spec("all", 2, (2, 3), (2, 3)),
]

SPECS = [
    OpSpec("matmul", mytorch.matmul, torch.matmul, MATMUL),
    OpSpec("matmul-operator", lambda a, b: a @ b, lambda a, b: a @ b, MATMUL[:4]),
    OpSpec("mm", lambda a, b: a.mm(b), lambda a, b: a.mm(b), [((2, 3), (3, 4)), ((1, 3), (3, 1))]),
    OpSpec("bmm", lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), [((2, 3, 4), (2, 4, 5))]),
    OpSpec("dot", lambda a, b: a.dot(b), lambda a, b: a.dot(b), [((5,), (5,)), ((1,), (1,))]),
    OpSpec("outer", lambda a, b: a.outer(b), lambda a, b: a.outer(b), [((3,), (4,)), ((0,), (2,))]),
    *TENSORDOTS,
    *EINSUMS,
]


# matmul's gradcheck over the whole grid: every rank pair and broadcast pattern
MATMUL_GRADCHECK = [OpSpec("matmul", mytorch.matmul, torch.matmul, [s]) for s in MATMUL]
test_matches_torch, test_gradcheck = op_tests(SPECS, gradchecked=SPECS[1:] + MATMUL_GRADCHECK)


SECOND_ORDER = [
    OpSpec("matmul", mytorch.matmul, torch.matmul, [((2, 3), (3, 4)), ((3,), (2, 3, 2)),
                                                    ((2, 1, 2, 3), (3,)), ((4,), (4,))]),
    *[s for s in EINSUMS if s.name in (
        "einsum[ij,jk->ik]", "einsum[ii->i]", "einsum[trace]", "einsum[ij->]",
        "einsum[iij->ij]", "einsum[bilinear]", "einsum[ellipsis-broadcast-implicit]",
        "einsum[broadcast-size-1]", "einsum[i,i,i->i]")],
    *TENSORDOTS[:4],
]


@pytest.mark.parametrize("spec, shapes", gradcheck_cases(SECOND_ORDER))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


def test_second_derivative_of_quadratic_form():
    # f(x) = x^T A x: the gradient is (A + A^T) x and the Hessian is A + A^T
    A = mytorch.randn(3, 3, dtype=mytorch.float64)
    x = mytorch.randn(3, dtype=mytorch.float64, requires_grad=True)
    for f in (lambda v: v @ A @ v, lambda v: mytorch.einsum("i,ij,j->", v, A, v)):
        (g,) = mytorch.autograd.grad(f(x), x, create_graph=True)
        rows = [mytorch.autograd.grad(g, x, mytorch.tensor(e), retain_graph=True)[0].numpy()
                for e in np.eye(3)]  # row i: d g[i] / dx
        hessian = np.stack(rows)
        np.testing.assert_allclose(hessian, A.numpy() + A.numpy().T, rtol=1e-12)


# -- hypothesis-drawn shapes --------------------------------------------------------------
@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    batch_a, batch_b = batch.input_shapes
    a = (k,) if draw(st.booleans()) else batch_a + (m, k)
    b = (k,) if draw(st.booleans()) else batch_b + (k, n)
    return a, b


@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_hypothesis_shapes(shapes, seed):
    spec = SPECS[0]
    check_against_torch(spec, spec.arrays(shapes, np.float64, seed))


@st.composite
def einsum_problems(draw):
    """A random equation over the letters a-d with 1-3 operands, and matching shapes."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}
    terms = draw(st.lists(st.text("abcd", max_size=3), min_size=1, max_size=3))
    used = sorted(set("".join(terms)))
    if draw(st.booleans()):
        output = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        equation = ",".join(terms) + "->" + output
    else:
        equation = ",".join(terms)
    return equation, [tuple(sizes[c] for c in term) for term in terms]


@given(problem=einsum_problems(), seed=st.integers(0, 2**16))
def test_einsum_hypothesis_equations(problem, seed):
    equation, shapes = problem
    spec = einsum_spec(equation, *shapes)
    check_against_torch(spec, spec.arrays(shapes, np.float64, seed))


# -- dtypes, graphs and calling conventions ----------------------------------------------
@pytest.mark.parametrize("op", [
    mytorch.matmul,
    lambda a, b: mytorch.einsum("ij,jk->ik", a, b),
    lambda a, b: mytorch.tensordot(a, b, 1),
])
def test_float32_with_float64_gives_float64(op):
    a32 = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    b64 = np.random.default_rng(1).standard_normal((3, 4))
    a = mytorch.tensor(a32, requires_grad=True)
    b = mytorch.tensor(b64, requires_grad=True)
    y = op(a, b)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), a32.astype(np.float64) @ b64, rtol=1e-12)
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    a64 = a32.astype(np.float64)
    np.testing.assert_allclose(b.grad.numpy(), np.outer(a64.sum(0), np.ones(4)), rtol=1e-12)


def test_float64_matmul_is_float64_end_to_end():
    a = mytorch.randn(4, 5, dtype=mytorch.float64, requires_grad=True)
    b = mytorch.randn(5, 3, dtype=mytorch.float64, requires_grad=True)
    (a @ b).sum().backward()
    ad, bd = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((4, 3)) @ bd.T, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), ad.T @ np.ones((4, 3)), rtol=1e-12)


def test_integer_matmul_keeps_integers():
    a = mytorch.tensor([[1, 2], [3, 4]])
    y = a @ mytorch.tensor([1, 1])
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), [3, 7])


def test_ndarray_operand_and_list_of_operands():
    a = np.arange(6.0).reshape(2, 3)
    b = mytorch.ones(3, 2, dtype=mytorch.float64)
    np.testing.assert_allclose((a @ b).numpy(), a @ np.ones((3, 2)))
    np.testing.assert_allclose(mytorch.einsum("ij,jk", [mytorch.tensor(a), b]).numpy(),
                               a @ np.ones((3, 2)))


def test_grad_fn_names():
    a = mytorch.ones(2, 3, requires_grad=True)
    b = mytorch.ones(3, 4)
    assert (a @ b).grad_fn.name() == "MatMulBackward0"
    assert mytorch.einsum("ij,jk", a, b).grad_fn.name() == "EinsumBackward0"
    assert mytorch.tensordot(a, b, 1).grad_fn.name() == "TensordotBackward0"


def test_no_graph_without_requires_grad():
    y = mytorch.einsum("ij,jk", mytorch.ones(2, 3), mytorch.ones(3, 4))
    assert y.grad_fn is None and not y.requires_grad


def test_summed_out_index_gradient_is_broadcast():
    x = mytorch.ones(2, 3, requires_grad=True)
    mytorch.einsum("ij->", x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    w = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mytorch.einsum("ii,j->", mytorch.eye(2), w).backward()  # trace(I) * sum(w)
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


# -- errors: type, and a message naming the op and the shapes ------------------------------
@pytest.mark.parametrize("fn, a, b, pattern", [
    (mytorch.matmul, (2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\)"),
    (mytorch.matmul, (3,), (4,), r"matmul: shapes \(3,\) and \(4,\)"),
    (mytorch.matmul, (2, 3), (2,), r"matmul: shapes \(2, 3\) and \(2,\)"),
    (mytorch.matmul, (2, 2, 3), (3, 3, 4), r"matmul.*\(2, 2, 3\).*\(3, 3, 4\).*broadcast"),
    (mytorch.matmul, (), (3,), r"matmul.*at least 1-D.*\(\).*\(3,\)"),
    (mytorch.mm, (2, 3), (3,), r"mm.*2-D.*\(2, 3\).*\(3,\)"),
    (mytorch.mm, (2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\)"),
    (mytorch.bmm, (2, 3), (3, 4), r"bmm.*3-D.*\(2, 3\).*\(3, 4\)"),
    (mytorch.bmm, (2, 3, 4), (3, 4, 5), r"bmm: batch sizes.*\(2, 3, 4\).*\(3, 4, 5\)"),
    (mytorch.dot, (2, 3), (3,), r"dot.*1-D.*\(2, 3\).*\(3,\)"),
    (mytorch.dot, (2,), (3,), r"matmul: shapes \(2,\) and \(3,\)"),
    (mytorch.outer, (2, 1), (3,), r"outer.*1-D.*\(2, 1\).*\(3,\)"),
    (mytorch.tensordot, (2, 3), (4, 5), r"tensordot.*\(2, 3\).*\(4, 5\)"),
    (lambda a, b: mytorch.tensordot(a, b, 3), (2, 3), (3, 4), r"tensordot: dims=3.*\(2, 3\)"),
    (lambda a, b: mytorch.tensordot(a, b, ([0], [0])), (2, 3), (3, 4),
     r"tensordot.*a.shape\[0\] = 2.*b.shape\[0\] = 3"),
    (lambda a, b: mytorch.tensordot(a, b, ([0, 1], [0])), (2, 3), (2, 4),
     r"tensordot.*same length"),
    (lambda a, b: mytorch.tensordot(a, b, ([2], [0])), (2, 3), (2, 4),
     r"tensordot: axis 2.*\(2, 3\)"),
    (lambda a, b: mytorch.tensordot(a, b, ([0, 0], [0, 1])), (2, 3), (2, 2), r"tensordot.*repeats"),
    (lambda a, b: mytorch.tensordot(a, b, "x"), (2, 3), (2, 2), r"tensordot: dims must be"),
    (lambda a, b: mytorch.einsum("ij,jk->ik", a, b), (2, 3), (4, 3),
     r"einsum: subscript 'j' has size 4.*\(2, 3\), \(4, 3\)"),
    (lambda a, b: mytorch.einsum("ij,jk", a), (2, 3), (3, 3), r"einsum.*2 operand terms.*1"),
    (lambda a, b: mytorch.einsum("ijk,jk", a, b), (2, 3), (3, 3), r"einsum.*'ijk'.*\(2, 3\)"),
    (lambda a, b: mytorch.einsum("ii->i", a), (2, 3), None, r"einsum.*'i' is repeated.*\(2, 3\)"),
    (lambda a, b: mytorch.einsum("ij->k", a), (2, 3), None, r"einsum.*'k'.*does not appear"),
    (lambda a, b: mytorch.einsum("ij->ii", a), (2, 2), None, r"einsum.*more than once"),
    (lambda a, b: mytorch.einsum("i1->i", a), (2, 2), None, r"einsum: invalid subscripts"),
    (lambda a, b: mytorch.einsum("i....->i", a), (2, 2), None, r"einsum: invalid subscripts"),
])
def test_errors_name_op_and_shapes(fn, a, b, pattern):
    with pytest.raises(ValueError, match=pattern):
        fn(mytorch.ones(*a), None if b is None else mytorch.ones(*b))


def test_numbers_are_not_matrices():
    with pytest.raises(TypeError, match="matmul"):
        mytorch.ones(2) @ 3.0


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias_shape", [None, (5,), (1,), ()])
def test_linear_forward_backward_and_second_order_match_torch(x_shape, bias_shape):
    """F.linear is one op (Linear): its input, weight and bias gradients, and the gradient of
    a gradient, against torch, for every input rank and bias shape it accepts."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((5, 3))]
    if bias_shape is not None:
        arrays.append(rng.standard_normal(bias_shape))
    results = []
    for lib in (mytorch, torch):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.nn.functional.linear(*leaves)
        grads = lib.autograd.grad((y * y).sum(), leaves, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), leaves)
        results.append([y, *grads, *second])
    for mine, theirs in zip(*results):
        assert tuple(mine.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
