import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests

MATRIX = [((3, 4),), ((1, 4),), ((3, 0),)]
CUBE = [((2, 3, 4),), ((1, 3, 1),), ((2, 0, 3),)]
AT_LEAST_2 = [((3, 4),), ((2, 3, 4),), ((2, 0, 3),)]  # for index 1 on the first dim


def spec(name, fn, shapes, **kwargs):
    """One indexing expression ``fn(a, lib)`` run with lib = mytorch and lib = torch."""
    return OpSpec(name, lambda a: fn(a, mytorch), lambda a: fn(a, torch), shapes, **kwargs)


def index(values):
    """An int64 index tensor of the library ``lib`` (mytorch or torch)."""
    return lambda lib: lib.tensor(values, dtype=lib.int64)


SPECS = [
    # basic indexing: ints, slices (with steps), None, Ellipsis; scalars and empty dims
    spec("int", lambda a, lib: a[1], [((3, 4),), ((2,),), ((2, 0, 3),)]),
    spec("negative_int", lambda a, lib: a[-1, 0], [((3, 4),), ((2, 1, 5),)]),
    spec("slice", lambda a, lib: a[:, 1:3], [((3, 4),), ((0, 4),), ((2, 3, 2),)]),
    spec("step_slice", lambda a, lib: a[::2, 1::3], [((5, 7),), ((1, 2),), ((4, 0),)]),
    spec("none_ellipsis", lambda a, lib: a[None, ..., None], [((3, 4),), ((),), ((0,),)]),
    spec("empty_tuple", lambda a, lib: a[()], [((),), ((3,),)]),
    spec("ellipsis_int", lambda a, lib: a[..., 0], CUBE),
    spec("mixed_basic", lambda a, lib: a[1:, None, -1], [((3, 4),), ((2, 1, 3),)]),
    # advanced indexing: repeated integer indices must accumulate their gradients
    spec("int_list_repeats", lambda a, lib: a[[0, 2, 0, 0]], [((3, 4),), ((3,),), ((3, 0),)]),
    spec("int_lists_2d", lambda a, lib: a[[0, 1, 1], [1, 3, 1]], [((3, 4),), ((2, 4, 2),)]),
    spec("slice_then_array", lambda a, lib: a[:, [2, 2, 0]], [((3, 4),), ((0, 3),), ((2, 3, 2),)]),
    spec("separated_arrays", lambda a, lib: a[[0, 1], :, [1, 1]], [((2, 3, 4),), ((2, 0, 2),)]),
    spec("index_tensor", lambda a, lib: a[index([[1, 0], [1, 1]])(lib)], [((3, 4),), ((2, 0),)]),
    spec("broadcast_index_tensors", lambda a, lib: a[index([[0], [2]])(lib), index([1, 1, 0])(lib)],
         [((3, 4),), ((3, 2, 2),)]),
    spec("zero_dim_index_tensor", lambda a, lib: a[lib.tensor(1)], AT_LEAST_2),
    spec("empty_list", lambda a, lib: a[[]], [((3, 4),), ((2,),)]),
    spec("bool_mask_from_data", lambda a, lib: a[a > 0], [((3, 4),), ((),), ((2, 0),), ((5,),)]),
    spec("bool_mask_rows", lambda a, lib: a[lib.tensor([True, False, True])], [((3, 4),), ((3,),)]),
    spec("bool_list", lambda a, lib: a[:, [True, False, False, True]], [((3, 4),), ((0, 4),)]),
    spec("bool_scalar", lambda a, lib: a[True], [((3, 4),), ((),)]),
    spec("negative_array", lambda a, lib: a[[-1, -3, -1]], [((3, 4),), ((3,),)]),
    # any sequence of ints is an index list: range (the x[range(n), target] idiom), a tuple
    # inside the index, a NumPy integer array
    spec("range_and_target", lambda a, lib: a[range(len(a)), [1, 3, 1]], [((3, 4),), ((3, 4, 2),)]),
    spec("range_alone", lambda a, lib: a[range(2, -1, -1)], [((3, 4),), ((3,),)]),
    spec("empty_range", lambda a, lib: a[range(0)], [((3, 4),)]),
    spec("tuple_in_index", lambda a, lib: a[(0, 2, 0), 1], [((3, 4),), ((3, 2, 2),)]),
    spec("numpy_int_array", lambda a, lib: a[:, np.array([3, 0, 3])], [((3, 4),), ((0, 4),)]),
    # gathers: gather, index_select, sort, topk
    spec("gather_dim1", lambda a, lib: lib.gather(a, 1, index([[0, 0], [3, 1], [2, 2]])(lib)),
         [((3, 4),), ((4, 5),)]),
    spec("gather_dim0", lambda a, lib: a.gather(0, index([[0, 2, 2, 1]])(lib)),
         [((3, 4),), ((3, 6),)]),
    spec("gather_3d", lambda a, lib: a.gather(-1, index([[[1, 1, 0]], [[2, 0, 0]]])(lib)),
         [((2, 3, 4),), ((2, 2, 3),)]),
    spec("gather_empty", lambda a, lib: a.gather(1, lib.zeros((len(a), 0), dtype=lib.int64)),
         MATRIX),
    spec("gather_scalar", lambda a, lib: a.gather(0, lib.tensor(0)), [((),)]),
    spec("index_select", lambda a, lib: lib.index_select(a, 1, index([3, 0, 3])(lib)),
         [((3, 4),), ((0, 4),), ((2, 5, 1),)]),
    spec("index_select_0d", lambda a, lib: lib.index_select(a, 0, lib.tensor(1)), AT_LEAST_2),
    spec("sort", lambda a, lib: a.sort(), [((3, 4),), ((),), ((2, 0),), ((5,),)]),
    spec("sort_descending_dim0", lambda a, lib: lib.sort(a, 0, descending=True), CUBE),
    spec("argsort", lambda a, lib: a.argsort(dim=0, descending=True), MATRIX + [((),)],
         torch_grad=False),
    spec("topk", lambda a, lib: a.topk(2), [((3, 4),), ((2,),), ((0, 3),), ((2, 3, 5),)]),
    spec("topk_smallest_dim0", lambda a, lib: lib.topk(a, 1, 0, largest=False), MATRIX[:2] + CUBE),
    spec("topk_zero", lambda a, lib: a.topk(0), [((3, 4),)]),
    spec("topk_scalar", lambda a, lib: a.topk(1), [((),)]),
]


test_matches_torch, test_gradcheck = op_tests(SPECS)


SECOND_ORDER = ("int", "step_slice", "int_list_repeats", "broadcast_index_tensors",
                "bool_mask_rows", "gather_dim1", "sort", "topk")


@pytest.mark.parametrize("spec, shapes", gradcheck_cases([s for s in SPECS
                                                          if s.name in SECOND_ORDER]))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


def test_second_order_through_getitem_of_a_nonlinear_function():
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert mytorch.autograd.gradgradcheck(lambda a: a[[0, 0, 2], 1:] ** 3, (x,))
    assert mytorch.autograd.gradgradcheck(lambda a: (a * a)[a > 0].exp(), (x,))


def test_repeated_indices_accumulate():
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mytorch.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])
    w = mytorch.ones(2, 3, requires_grad=True)
    w.gather(1, mytorch.tensor([[2, 2, 2], [0, 1, 0]])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0, 3], [2, 1, 0]])


def test_float64_stays_float64():
    x = mytorch.randn(4, 3, dtype=mytorch.float64, requires_grad=True)
    y = x[[0, 0]].sum() + x.sort(0).values.sum() + x.topk(2).values.sum()
    y.backward()
    assert x.grad.dtype == np.float64 and x[1:].dtype == np.float64


def test_basic_index_is_a_view_like_torch():
    x = mytorch.zeros(3, 4)
    x[1][2] = 5.0  # x[1] shares memory with x
    assert x[1, 2].item() == 5.0
    x[:, 0][x[:, 0] == 0] = 7.0  # a copy (advanced index) then a write into a view
    np.testing.assert_array_equal(x[:, 0].numpy(), [7, 7, 7])


# -- hypothesis: random shapes and random basic + advanced indices ------------------------------
@st.composite
def shapes_and_indices(draw):
    """A shape and an index mixing ints, 0-d tensors, slices, None, integer arrays (repeats
    likely) and bool masks; lists stand for index tensors."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    parts = []
    covered = draw(st.integers(1, len(shape)))  # how many leading dims the index names
    for n in shape[:covered]:
        kinds = ["int", "int0d", "slice", "array", "mask", "none"] if n else ["slice", "none"]
        kind = draw(st.sampled_from(kinds))
        if kind in ("int", "int0d"):
            value = draw(st.integers(-n, n - 1))
            parts.append(value if kind == "int" else ("0d", value))
        elif kind == "slice":
            start, stop = draw(st.integers(-n - 1, n + 1)), draw(st.integers(-n - 1, n + 1))
            parts.append(slice(start, stop, draw(st.integers(1, 3))))
        elif kind == "array":
            parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
        elif kind == "mask":
            parts.append(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        else:
            parts.extend([None, slice(None)])
    if draw(st.booleans()):  # an Ellipsis that stands for no dim, or for the trailing ones
        at = draw(st.integers(0, len(parts))) if covered == len(shape) else len(parts)
        parts.insert(at, Ellipsis)
    # several index arrays must broadcast together: one mask at most, equal lengths
    masks = [i for i, p in enumerate(parts) if isinstance(p, list) and isinstance(p[0], bool)]
    arrays = [i for i, p in enumerate(parts) if isinstance(p, list) and i not in masks]
    for i in masks[1:] if not arrays else masks:
        parts[i] = slice(None)
    length = min((len(parts[i]) for i in arrays), default=0)
    for i in arrays:
        parts[i] = parts[i][:length]
    return shape, parts


@given(case=shapes_and_indices(), seed=st.integers(0, 2**16))
def test_getitem_hypothesis(case, seed):
    shape, parts = case

    def make(lib):
        return tuple(lib.tensor(p) if isinstance(p, list) else
                     lib.tensor(p[1]) if isinstance(p, tuple) else p for p in parts)

    drawn = OpSpec("drawn", lambda a: a[make(mytorch)], lambda a: a[make(torch)], [(shape,)])
    check_against_torch(drawn, drawn.arrays((shape,), np.float64, seed))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data(),
       seed=st.integers(0, 2**16))
def test_gather_and_sort_hypothesis(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(0, n)) for n in shape)
    index_shape = index_shape[:dim % len(shape)] + (data.draw(st.integers(0, 6)),) \
        + index_shape[dim % len(shape) + 1:]
    idx = np.random.default_rng(seed).integers(0, shape[dim], index_shape)
    k = data.draw(st.integers(0, shape[dim]))
    descending = data.draw(st.booleans())
    for mt, th in [
        (lambda a: a.gather(dim, mytorch.tensor(idx)), lambda a: a.gather(dim, torch.tensor(idx))),
        (lambda a: a.sort(dim, descending), lambda a: a.sort(dim, descending)),
        (lambda a: a.topk(k, dim, descending), lambda a: a.topk(k, dim, descending)),
    ]:
        drawn = OpSpec("drawn", mt, th, [(shape,)])
        check_against_torch(drawn, drawn.arrays((shape,), np.float64, seed))


# -- sort details ------------------------------------------------------------------------------
def test_sort_is_stable_with_ties_and_nan_like_torch_stable_sort():
    values = [1.0, float("nan"), 0.0, 1.0, 0.0, float("nan"), 2.0]
    for descending in (False, True):
        ours = mytorch.sort(mytorch.tensor(values), descending=descending, stable=True)
        theirs = torch.sort(torch.tensor(values), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(
            mytorch.argsort(mytorch.tensor(values), descending=descending).numpy(),
            theirs.indices.numpy())


def test_sort_and_topk_return_named_tuples_without_grad_on_indices():
    x = mytorch.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    values, indices = x.topk(2)
    result = x.sort(descending=True)
    assert result.values is result[0] and result.indices is result[1]
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert values.requires_grad
    np.testing.assert_array_equal(indices.numpy(), [[0, 2]])


# -- one_hot -------------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, num_classes", [
    ([0, 2, 1, 2], -1), ([0, 2], 5), ([[1], [0]], 3), (3, 4), (np.zeros((2, 0), np.int64), 3),
])
def test_one_hot_matches_torch(labels, num_classes):
    ours = mytorch.one_hot(mytorch.tensor(labels), num_classes)
    theirs = F.one_hot(torch.tensor(labels), num_classes)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- item assignment ---------------------------------------------------------------------------
def test_setitem_writes_in_place_with_broadcasting_and_casting():
    x = mytorch.zeros(3, 4)
    x[0] = 1.0
    x[1:, ::2] = mytorch.tensor([2.0, 3.0])
    x[mytorch.tensor([2]), mytorch.tensor(3)] = np.float64(4.5)
    expected = torch.zeros(3, 4)
    expected[0] = 1.0
    expected[1:, ::2] = torch.tensor([2.0, 3.0])
    expected[torch.tensor([2]), torch.tensor(3)] = 4.5
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    cube, expected_cube = mytorch.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    cube[0, :, [0, 3]] = mytorch.arange(6.0).reshape(3, 2)  # ints first, as torch
    expected_cube[0, :, [0, 3]] = torch.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(cube.numpy(), expected_cube.numpy())
    ints = mytorch.zeros(3, dtype=mytorch.int64)
    ints[1] = 2.7  # cast to the tensor's dtype, as torch
    assert ints.tolist() == [0, 2, 0] and ints.dtype == np.int64


def test_setitem_takes_any_sequence_of_ints_like_torch():
    rng = np.random.default_rng(0)
    w_np, v_np = rng.standard_normal((3, 4)), rng.standard_normal(3)
    results = []
    for lib in (mytorch, torch):
        w = lib.tensor(w_np, requires_grad=True)
        v = lib.tensor(v_np, requires_grad=True)
        h = w * 1
        h[range(3), (1, 3, 0)] = v * 2  # a range and a tuple as index lists
        h[np.array([2]), range(2)] = 0.0
        (h * h).sum().backward()
        results.append((h.detach().numpy(), w.grad.numpy(), v.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_masked_augmented_assignment():
    x = mytorch.tensor([1.0, -2.0, 3.0, -4.0])
    x[x < 0] += 10.0  # getitem, iadd, setitem
    x[0] -= 1.0
    np.testing.assert_array_equal(x.numpy(), [0, 8, 3, 6])


def test_setitem_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = mytorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"setitem.*leaf.*\(3,\).*no_grad"):
        w[0] = 5.0
    with pytest.raises(RuntimeError, match=r"leaf"):
        w[w > 0] += 1.0
    with mytorch.no_grad():
        w[0] = 5.0
        w[w > 1] += 1.0
    np.testing.assert_array_equal(w.numpy(), [6, 1, 1])
    assert w.requires_grad and w.is_leaf


def test_setitem_records_the_write_like_torch_copyslices():
    """A write into a non-leaf, or of a value that requires grad, joins the graph."""
    rng = np.random.default_rng(0)
    w_np, v_np, g_np = rng.standard_normal(4), rng.standard_normal(2), rng.standard_normal(4)
    results = []
    for lib in (mytorch, torch):
        w = lib.tensor(w_np, requires_grad=True)
        v = lib.tensor(v_np, requires_grad=True)
        h = w * 2
        h[1:3] = v * 3  # overwrite two positions of a non-leaf
        buffer = lib.zeros(4, dtype=lib.float64)
        buffer[[0, 3]] = v.sum()  # a value that requires grad into a plain tensor
        (h * lib.tensor(g_np) + buffer).sum().backward()
        assert h.requires_grad and buffer.requires_grad and not buffer.is_leaf
        results.append((h.detach().numpy(), w.grad.numpy(), v.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_setitem_gradgradcheck():
    def write(w, v):
        h = w * w
        h[[0, 2]] = v ** 2
        return h

    rng = np.random.default_rng(1)
    w = mytorch.tensor(rng.standard_normal(4), requires_grad=True)
    v = mytorch.tensor(rng.standard_normal(2), requires_grad=True)
    assert mytorch.autograd.gradcheck(write, (w, v))
    assert mytorch.autograd.gradgradcheck(write, (w, v))


# -- errors: type and message (the op, the index, the shapes) ------------------------------------
x34 = mytorch.zeros(3, 4)
ERRORS = [
    (lambda: x34[5], IndexError, r"getitem.*5.*\[5\].*\(3, 4\)"),
    (lambda: x34[:, -5], IndexError, r"getitem.*-5.*\(3, 4\)"),
    (lambda: x34[[0, 7]], IndexError, r"getitem.*7.*\[\[0, 7\]\].*\(3, 4\)"),
    (lambda: x34[0, 0, 0], IndexError, r"getitem.*too many.*\(3, 4\)"),
    (lambda: x34[mytorch.tensor([True, False])], IndexError, r"getitem.*boolean.*\(3, 4\)"),
    (lambda: x34[mytorch.tensor([1.0])], IndexError, r"getitem.*integer or bool.*float32"),
    (lambda: x34[1.5], IndexError, r"getitem.*float"),
    (lambda: x34[[0, 1], [0, 1, 2]], IndexError, r"getitem.*broadcast.*\(3, 4\)"),
    (lambda: x34.__setitem__(3, 1.0), IndexError, r"setitem.*3.*\(3, 4\)"),
    (lambda: x34.__setitem__(0, mytorch.ones(3)), ValueError, r"setitem.*\(3,\).*\(3, 4\)"),
    (lambda: mytorch.zeros(4).expand(3, 4).__setitem__(0, 1.0), RuntimeError,
     r"setitem.*\(3, 4\).*read-only"),
    (lambda: x34.gather(1, mytorch.tensor([[0], [4], [1]])), IndexError,
     r"gather.*4.*dimension 1.*\(3, 4\)"),
    (lambda: x34.gather(1, mytorch.tensor([[0], [-1], [1]])), IndexError,
     r"gather.*-1.*\(3, 4\)"),
    (lambda: x34.gather(1, mytorch.tensor([0, 1])), ValueError, r"gather.*\(2,\).*\(3, 4\)"),
    (lambda: x34.gather(1, mytorch.zeros(4, 1, dtype=mytorch.int64)), ValueError,
     r"gather.*\(4, 1\).*\(3, 4\)"),
    (lambda: x34.gather(1, mytorch.zeros(3, 1)), TypeError, r"gather.*integer.*float32"),
    (lambda: x34.gather(2, mytorch.zeros(3, 1, dtype=mytorch.int64)), IndexError,
     r"gather.*2.*\(3, 4\)"),
    (lambda: mytorch.index_select(x34, 1, mytorch.tensor([0, 4])), IndexError,
     r"index_select.*4.*\(3, 4\)"),
    (lambda: mytorch.index_select(x34, 1, mytorch.tensor([[0]])), ValueError,
     r"index_select.*\(1, 1\)"),
    (lambda: x34.topk(5), ValueError, r"topk.*k=5.*\(3, 4\)"),
    (lambda: x34.topk(-1), ValueError, r"topk.*k=-1.*\(3, 4\)"),
    (lambda: x34.topk(1, dim=2), IndexError, r"topk.*2.*\(3, 4\)"),
    (lambda: x34.sort(2), IndexError, r"sort.*2.*\(3, 4\)"),
    (lambda: x34.argsort(-3), IndexError, r"argsort.*-3.*\(3, 4\)"),
    (lambda: mytorch.one_hot(mytorch.tensor([0, 3]), 3), ValueError, r"one_hot.*num_classes=3.*3"),
    (lambda: mytorch.one_hot(mytorch.tensor([0, -1])), ValueError, r"one_hot.*non-negative.*-1"),
    (lambda: mytorch.one_hot(mytorch.tensor([0.0])), TypeError, r"one_hot.*float32"),
    (lambda: mytorch.one_hot(mytorch.zeros(0, dtype=mytorch.int64)), ValueError,
     r"one_hot.*empty"),
]


@pytest.mark.parametrize("fn, error, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_name_the_op_index_and_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
