import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests
from mytorch.kernels import padding

# every op gets scalars (where the op allows them), size-1 dims and empty dims
UNARY = [((2, 3, 4),), ((),), ((2, 0, 3),), ((1, 5, 1),)]
NONSCALAR = [((2, 3, 4),), ((2, 0, 3),), ((1, 5, 1),), ((4,),)]
MATRIX3 = [((2, 3, 4),), ((2, 0, 3),), ((1, 5, 1),)]


def reversed_dims(a):
    return tuple(reversed(range(a.ndim)))


SPECS = [
    OpSpec("reshape_flat", lambda a: a.reshape(-1), lambda a: a.reshape(-1), UNARY),
    OpSpec("reshape_reversed", lambda a: a.reshape(tuple(reversed(a.shape))),
           lambda a: a.reshape(tuple(reversed(a.shape))), UNARY),
    OpSpec("view", lambda a: a.view(a.shape[0], -1), lambda a: a.view(a.shape[0], -1), MATRIX3),
    OpSpec("flatten", lambda a: a.flatten(), lambda a: a.flatten(), UNARY),
    OpSpec("flatten_1", lambda a: mytorch.flatten(a, 1), lambda a: torch.flatten(a, 1), MATRIX3),
    OpSpec("flatten_0_1", lambda a: a.flatten(0, 1), lambda a: a.flatten(0, 1), MATRIX3),
    OpSpec("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), UNARY),
    OpSpec("squeeze_tuple", lambda a: a.squeeze((0, -1)), lambda a: a.squeeze((0, -1)), MATRIX3),
    OpSpec("squeeze_0", lambda a: mytorch.squeeze(a, 0), lambda a: torch.squeeze(a, 0), UNARY),
    OpSpec("unsqueeze_0", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), UNARY),
    OpSpec("unsqueeze_last", lambda a: mytorch.unsqueeze(a, -1), lambda a: torch.unsqueeze(a, -1),
           UNARY),
    OpSpec("transpose", lambda a: a.transpose(0, -1), lambda a: a.transpose(0, -1), UNARY),
    OpSpec("swapaxes", lambda a: mytorch.swapaxes(a, 0, 1), lambda a: torch.swapaxes(a, 0, 1),
           MATRIX3),
    OpSpec("mT", lambda a: a.mT, lambda a: a.mT, MATRIX3),
    OpSpec("permute", lambda a: a.permute(reversed_dims(a)), lambda a: a.permute(reversed_dims(a)),
           UNARY),
    OpSpec("permute_varargs", lambda a: a.permute(1, 2, 0), lambda a: a.permute(1, 2, 0), MATRIX3),
    OpSpec("movedim", lambda a: mytorch.movedim(a, (0, 1), (2, 0)),
           lambda a: torch.movedim(a, (0, 1), (2, 0)), MATRIX3),
    OpSpec("expand", lambda a: a.expand(2, *a.shape), lambda a: a.expand(2, *a.shape), UNARY),
    OpSpec("expand_minus1", lambda a: a.expand(-1, 3, -1), lambda a: a.expand(-1, 3, -1),
           [((2, 1, 4),), ((0, 1, 3),), ((1, 1, 1),)]),
    OpSpec("repeat", lambda a: a.repeat(2, *range(1, a.ndim + 1)),
           lambda a: a.repeat(2, *range(1, a.ndim + 1)), UNARY),
    OpSpec("repeat_zero", lambda a: a.repeat(2, 0, 3), lambda a: a.repeat(2, 0, 3),
           [((3, 4),), ((1, 2),)]),
    OpSpec("tile", lambda a: a.tile((3, 2)), lambda a: a.tile((3, 2)), UNARY),
    OpSpec("tile_int", lambda a: mytorch.tile(a, 2), lambda a: torch.tile(a, (2,)), UNARY),
    OpSpec("cat", lambda a, b: mytorch.cat([a, b]), lambda a, b: torch.cat([a, b]),
           [((2, 3), (4, 3)), ((0, 3), (2, 3)), ((1,), (1,)), ((2, 1, 4), (1, 1, 4))]),
    OpSpec("cat_dim1", lambda a, b, c: mytorch.cat((a, b, c), dim=1),
           lambda a, b, c: torch.cat((a, b, c), dim=1),
           [((2, 3), (2, 1), (2, 2)), ((3, 0), (3, 2), (3, 0)), ((0, 2, 1), (0, 1, 1), (0, 0, 1))]),
    OpSpec("concatenate_neg", lambda a, b: mytorch.concatenate([a, b], -1),
           lambda a, b: torch.concatenate([a, b], -1), [((2, 3), (2, 1)), ((1, 0), (1, 2))]),
    OpSpec("stack", lambda a, b: mytorch.stack([a, b]), lambda a, b: torch.stack([a, b]),
           [((3,), (3,)), ((), ()), ((2, 0), (2, 0)), ((1, 4), (1, 4))]),
    OpSpec("stack_last", lambda a, b, c: mytorch.stack([a, b, c], -1),
           lambda a, b, c: torch.stack([a, b, c], -1), [((2, 3),) * 3, ((),) * 3]),
    OpSpec("split", lambda a: a.split(2), lambda a: a.split(2),
           [((5, 3),), ((4,),), ((0, 2),), ((1,),)]),
    OpSpec("split_sections", lambda a: mytorch.split(a, [1, 0, 2], 1),
           lambda a: torch.split(a, [1, 0, 2], 1), [((2, 3),), ((0, 3),)]),
    OpSpec("split_first_piece_only", lambda a: a.split(2, -1)[0] * 2,
           lambda a: a.split(2, -1)[0] * 2, [((3, 5),), ((1, 2),)]),
    OpSpec("split_last_pieces", lambda a: a.split([1, 2, 2])[1:], lambda a: a.split([1, 2, 2])[1:],
           [((5, 2),), ((5,),)]),
    OpSpec("chunk", lambda a: a.chunk(3), lambda a: a.chunk(3),
           [((6, 2),), ((7,),), ((0, 3),), ((2,),), ((4, 1),)]),
    OpSpec("chunk_dim1", lambda a: mytorch.chunk(a, 4, 1), lambda a: torch.chunk(a, 4, 1),
           [((2, 6),), ((3, 5),), ((1, 0),)]),
    OpSpec("flip", lambda a: a.flip(0), lambda a: a.flip(0), NONSCALAR),
    OpSpec("flip_two", lambda a: mytorch.flip(a, (0, -1)), lambda a: torch.flip(a, (0, -1)),
           MATRIX3),
    OpSpec("roll_flat", lambda a: a.roll(2), lambda a: a.roll(2), UNARY),
    OpSpec("roll_dims", lambda a: mytorch.roll(a, (1, -5), (0, 2)),
           lambda a: torch.roll(a, (1, -5), (0, 2)), MATRIX3),
    OpSpec("pad_constant", lambda a: mytorch.pad(a, (1, 2)), lambda a: F.pad(a, (1, 2)), NONSCALAR),
    OpSpec("pad_constant_value_crop", lambda a: mytorch.pad(a, (-1, 2, 1, -1), value=1.5),
           lambda a: F.pad(a, (-1, 2, 1, -1), value=1.5), [((2, 3, 4),), ((1, 5, 1),)]),
    OpSpec("pad_constant_all_dims", lambda a: mytorch.pad(a, (1, 0, 0, 2, 1, 1)),
           lambda a: F.pad(a, (1, 0, 0, 2, 1, 1)), MATRIX3),
    OpSpec("pad_reflect", lambda a: mytorch.pad(a, (2, 3), mode="reflect"),
           lambda a: F.pad(a, (2, 3), mode="reflect"), [((2, 3, 4),), ((1, 4),), ((2, 5),)]),
    OpSpec("pad_reflect_2d", lambda a: mytorch.pad(a, (1, 2, 2, 0), mode="reflect"),
           lambda a: F.pad(a, (1, 2, 2, 0), mode="reflect"), [((2, 3, 4),), ((1, 2, 3, 3),)]),
    OpSpec("pad_reflect_crop", lambda a: mytorch.pad(a, (-1, 2), mode="reflect"),
           lambda a: F.pad(a, (-1, 2), mode="reflect"), [((2, 4),), ((1, 2, 3),)]),
    OpSpec("pad_replicate", lambda a: mytorch.pad(a, (3, 1, 0, 2), mode="replicate"),
           lambda a: F.pad(a, (3, 1, 0, 2), mode="replicate"), [((2, 3, 4),), ((1, 1, 1, 1),)]),
    OpSpec("pad_replicate_3d", lambda a: mytorch.pad(a, (1, 1, 2, 0, 0, 1), mode="replicate"),
           lambda a: F.pad(a, (1, 1, 2, 0, 0, 1), mode="replicate"), [((1, 2, 2, 3),)]),
    OpSpec("pad_circular", lambda a: mytorch.pad(a, (4, 1), mode="circular"),
           lambda a: F.pad(a, (4, 1), mode="circular"), [((2, 4),), ((1, 2, 5),)]),
    OpSpec("pad_circular_crop", lambda a: mytorch.pad(a, (-1, 2, 1, -2), mode="circular"),
           lambda a: F.pad(a, (-1, 2, 1, -2), mode="circular"), [((1, 4, 5),), ((2, 1, 3, 4),)]),
]


test_matches_torch, test_gradcheck = op_tests(SPECS)


SECOND_ORDER = ("reshape_reversed", "transpose", "permute", "cat", "cat_dim1", "split",
                "repeat", "pad_constant_value_crop", "pad_reflect_2d", "pad_replicate",
                "pad_circular_crop", "roll_dims", "flip_two")


@pytest.mark.parametrize("spec, shapes", gradcheck_cases([s for s in SPECS
                                                          if s.name in SECOND_ORDER]))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


def test_second_order_through_a_nonlinear_function():
    """d2/dx2 of sum(pad(x)^3) = 6 * pad(x) scatter-added back: needs the backward of
    PadAdjoint (Pad) and of Split (cat) to be differentiable."""
    for fn in (lambda a: mytorch.pad(a, (2, 1), mode="reflect"),
               lambda a: mytorch.cat(a.split(1, -1)[::-1], -1),
               lambda a: a.repeat(2, 1).transpose(0, 1)):
        x = mytorch.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
        assert mytorch.autograd.gradgradcheck(lambda a, fn=fn: fn(a) ** 3, (x,))


# -- hypothesis: shapes, dims, sizes and pads drawn at random ---------------------------------
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


def _check(mt, th, shape, seed, **kwargs):
    spec = OpSpec("drawn", mt, th, [(shape,)], **kwargs)
    check_against_torch(spec, spec.arrays((shape,), np.float64, seed))


@given(shape=SHAPES, data=st.data(), seed=st.integers(0, 2**16))
def test_permute_and_transpose_hypothesis(shape, data, seed):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    _check(lambda a: a.permute(perm), lambda a: a.permute(perm), shape, seed)
    n = max(len(shape), 1)
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    _check(lambda a: a.transpose(d0, d1), lambda a: a.transpose(d0, d1), shape, seed)


@given(shape=SHAPES, data=st.data(), seed=st.integers(0, 2**16))
def test_flatten_squeeze_unsqueeze_hypothesis(shape, data, seed):
    n = max(len(shape), 1)
    start = data.draw(st.integers(-n, n - 1))
    end = data.draw(st.integers(start % n, n - 1))
    _check(lambda a: a.flatten(start, end), lambda a: a.flatten(start, end), shape, seed)
    dims = tuple(data.draw(st.sets(st.integers(0, n - 1))))
    _check(lambda a: a.squeeze(dims), lambda a: a.squeeze(dims), shape, seed)
    at = data.draw(st.integers(-len(shape) - 1, len(shape)))
    _check(lambda a: a.unsqueeze(at), lambda a: a.unsqueeze(at), shape, seed)


@given(shape=SHAPES, data=st.data(), seed=st.integers(0, 2**16))
def test_repeat_flip_roll_hypothesis(shape, data, seed):
    reps = data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2))
    _check(lambda a: a.repeat(tuple(reps)), lambda a: a.repeat(tuple(reps)), shape, seed)
    if shape:
        dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
        shifts = data.draw(st.lists(st.integers(-6, 6), min_size=len(dims), max_size=len(dims)))
        _check(lambda a: a.flip(dims), lambda a: a.flip(dims), shape, seed)
        _check(lambda a: a.roll(shifts, dims), lambda a: a.roll(shifts, dims), shape, seed)


@given(shape=SHAPES.filter(len), data=st.data(), seed=st.integers(0, 2**16))
def test_cat_split_chunk_hypothesis(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    size = data.draw(st.integers(1, 5) if n else st.integers(0, 5))
    _check(lambda a: a.split(size, dim), lambda a: a.split(size, dim), shape, seed)
    chunks = data.draw(st.integers(1, 5))
    _check(lambda a: a.chunk(chunks, dim), lambda a: a.chunk(chunks, dim), shape, seed)
    # cat of the pieces of a random partition reassembles the tensor
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = np.diff([0, *cuts, n]).tolist()
    _check(lambda a: mytorch.cat(a.split(sizes, dim)[::-1], dim),
           lambda a: torch.cat(a.split(sizes, dim)[::-1], dim), shape, seed)


@given(shape=hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=5), data=st.data(),
       mode=st.sampled_from(padding.MODES), seed=st.integers(0, 2**16))
def test_pad_hypothesis(shape, data, mode, seed):
    # torch's non-constant modes pad the last 1-3 dims of a tensor with 1 or 2 more dims
    if mode == "constant":
        k = data.draw(st.integers(1, len(shape)))
    else:
        k = data.draw(st.integers(max(1, len(shape) - 2), min(3, len(shape) - 1)))
    amounts = []
    for n in reversed(shape[-k:]):
        low = -((n - 1) // 2)  # crop less than half from each side: torch needs an output
        high = {"constant": 4, "reflect": n - 1, "replicate": 4, "circular": n + low}[mode]
        amounts += [data.draw(st.integers(low, high)), data.draw(st.integers(low, high))]
    _check(lambda a: mytorch.pad(a, amounts, mode), lambda a: F.pad(a, amounts, mode), shape, seed)


def test_pad_reflect_on_any_number_of_dims_matches_numpy():
    """Beyond PyTorch's supported combinations (1-D input, 4 padded dims) the kernel follows
    the same rule: compare with np.pad's 'reflect', 'edge' and 'wrap'."""
    x = np.random.default_rng(0).standard_normal((3, 4, 2, 5))
    pads = (1, 2, 0, 1, 2, 3, 1, 0)
    np_pads = [(1, 0), (2, 3), (0, 1), (1, 2)]
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        out = mytorch.pad(mytorch.tensor(x), pads, mode)
        np.testing.assert_array_equal(out.numpy(), np.pad(x, np_pads, mode=np_mode))
    one_d = mytorch.pad(mytorch.tensor([1.0, 2.0, 3.0]), (2, 2), "reflect")
    np.testing.assert_array_equal(one_d.numpy(), [3, 2, 1, 2, 3, 2, 1])


def test_pad_gradient_accumulates_repeated_copies():
    x = mytorch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    mytorch.pad(x, (3, 2), mode="replicate").sum().backward()  # first copied 4x, last 3x
    np.testing.assert_array_equal(x.grad.numpy(), [[4, 1, 3]])


def test_pad_indices():
    expected = {(4, 2, 3, "reflect"): [2, 1, 0, 1, 2, 3, 2, 1, 0],
                (3, 2, 1, "replicate"): [0, 0, 0, 1, 2, 2],
                (5, -1, 2, "circular"): [1, 2, 3, 4, 1, 2]}
    for args, indices in expected.items():
        np.testing.assert_array_equal(padding.pad_indices(*args), indices)


# -- dtypes, identities, view semantics ---------------------------------------------------------
def test_cat_promotes_dtypes_like_torch():
    pairs = [(np.float32, np.float64), (np.int64, np.float32), (np.bool_, np.int64),
             (np.int32, np.int64)]
    for a_dtype, b_dtype in pairs:
        a, b = np.ones((2, 2), a_dtype), np.zeros((1, 2), b_dtype)
        expected = torch.cat([torch.tensor(a), torch.tensor(b)]).numpy().dtype
        assert mytorch.cat([mytorch.tensor(a), mytorch.tensor(b)]).dtype == expected


def test_cat_mixed_precision_gradients_keep_input_dtypes():
    a = mytorch.ones(2, requires_grad=True)
    b = mytorch.ones(3, dtype=mytorch.float64, requires_grad=True)
    out = mytorch.cat([a, b])
    assert out.dtype == np.float64
    (out * mytorch.arange(5.0)).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(b.grad.numpy(), [2, 3, 4])


def test_cat_skips_legacy_empty_1d_tensors():
    out = mytorch.cat([mytorch.zeros(0), mytorch.ones(2, 3), mytorch.zeros(0)])
    assert out.shape == (2, 3)


def test_float64_stays_float64():
    x = mytorch.randn(2, 3, dtype=mytorch.float64, requires_grad=True)
    y = mytorch.pad(mytorch.cat([x, x.flip(0)], 1).repeat(2, 1), (1, 1), mode="circular")
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64


def test_split_is_one_node_with_several_outputs():
    x = mytorch.randn(5, 2, requires_grad=True)
    pieces = x.split(2)
    assert len({id(p.grad_fn) for p in pieces}) == 1
    assert [p._output_nr for p in pieces] == [0, 1, 2]
    pieces[1].sum().backward()  # the other two pieces get zero gradients
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [0, 0], [1, 1], [1, 1], [0, 0]])


def test_shape_ops_are_views_like_torch():
    x = mytorch.zeros(2, 3)
    x.transpose(0, 1)[2, 0] = 5.0
    x.reshape(6)[0] = 1.0
    x.split(1)[1][0, 1] = 7.0
    np.testing.assert_array_equal(x.numpy(), [[1, 0, 5], [0, 7, 0]])


def test_repeat_copies():
    x = mytorch.zeros(2)
    y = x.repeat(1)
    y[0] = 1.0
    assert x[0].item() == 0.0


def test_permute_varargs_and_tuple_agree():
    x = mytorch.randn(2, 3, 4)
    assert x.permute(2, 0, 1).shape == x.permute((2, 0, 1)).shape == x.permute([2, 0, 1]).shape
    assert x.T.shape == (4, 3, 2)


def test_grad_fn_names():
    x = mytorch.randn(2, 3, requires_grad=True)
    assert x.transpose(0, 1).grad_fn.name() == "PermuteBackward0"
    assert mytorch.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert mytorch.pad(x, (1, 1)).grad_fn.name() == "PadBackward0"


# -- errors: type and message (the op and the shapes) ---------------------------------------------
ERRORS = [
    (lambda: mytorch.zeros(2, 3).transpose(0, 2), IndexError, r"transpose.*2.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).flatten(2), IndexError, r"flatten.*2.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3, 4).flatten(2, 1), ValueError, r"flatten.*\(2, 3, 4\)"),
    (lambda: mytorch.zeros(2, 3).squeeze(3), IndexError, r"squeeze.*3.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 1).squeeze((1, 1)), ValueError, r"squeeze.*multiple"),
    (lambda: mytorch.zeros(2, 3).unsqueeze(3), IndexError, r"unsqueeze.*3.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).unsqueeze(-4), IndexError, r"unsqueeze.*-4.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).permute(0), ValueError, r"permute.*\(0,\).*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).permute(0, 0), ValueError, r"permute.*multiple"),
    (lambda: mytorch.zeros(2, 3).permute(0, 2), IndexError, r"permute.*2.*\(2, 3\)"),
    (lambda: mytorch.movedim(mytorch.zeros(2, 3), (0, 1), 1), ValueError, r"movedim"),
    (lambda: mytorch.zeros(2, 3).repeat(2), ValueError, r"repeat.*\(2,\).*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).repeat(-1, 1), ValueError, r"repeat.*\(-1, 1\).*\(2, 3\)"),
    (lambda: mytorch.cat([mytorch.zeros(2, 3), mytorch.zeros(2, 4)]), ValueError,
     r"cat.*\(2, 3\).*\(2, 4\)"),
    (lambda: mytorch.cat([mytorch.zeros(2, 3), mytorch.zeros(2, 3, 1)], 1), ValueError,
     r"cat.*\(2, 3\).*\(2, 3, 1\)"),
    (lambda: mytorch.cat([]), ValueError, r"cat.*non-empty"),
    (lambda: mytorch.cat([mytorch.tensor(1.0)]), ValueError, r"cat.*zero-dimensional"),
    (lambda: mytorch.cat([mytorch.zeros(2), np.zeros(2)]), TypeError, r"cat.*ndarray"),
    (lambda: mytorch.cat(mytorch.zeros(2)), TypeError, r"cat.*single Tensor"),
    (lambda: mytorch.cat([mytorch.zeros(2, 3)], 2), IndexError, r"cat.*2.*\(2, 3\)"),
    (lambda: mytorch.stack([mytorch.zeros(2, 3), mytorch.zeros(2, 4)]), ValueError,
     r"stack.*\(2, 3\).*\(2, 4\)"),
    (lambda: mytorch.stack([mytorch.zeros(2, 3)], 3), IndexError, r"stack.*3.*\(2, 3\)"),
    (lambda: mytorch.zeros(5).split([2, 2]), ValueError, r"split.*\[2, 2\].*5.*\(5,\)"),
    (lambda: mytorch.zeros(5).split([6, -1]), ValueError, r"split.*\[6, -1\].*\(5,\)"),
    (lambda: mytorch.zeros(5).split(0), ValueError, r"split.*0.*\(5,\)"),
    (lambda: mytorch.zeros(5).split(1, 1), IndexError, r"split.*1.*\(5,\)"),
    (lambda: mytorch.tensor(1.0).split(1), ValueError, r"split.*1-dimensional.*\(\)"),
    (lambda: mytorch.zeros(5).chunk(0), ValueError, r"chunk.*0.*\(5,\)"),
    (lambda: mytorch.tensor(1.0).chunk(2), ValueError, r"chunk.*\(\)"),
    (lambda: mytorch.zeros(2, 3).flip(2), IndexError, r"flip.*2.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).flip((0, -2)), ValueError, r"flip.*multiple"),
    (lambda: mytorch.zeros(2, 3).roll(1, (0, 1)), ValueError, r"roll.*\(2, 3\)"),
    (lambda: mytorch.zeros(2, 3).roll((1, 2)), ValueError, r"roll.*\(1, 2\)"),
    (lambda: mytorch.zeros(2, 3).roll(1, 2), IndexError, r"roll.*2.*\(2, 3\)"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (1, 1, 1)), ValueError,
     r"pad.*divisible.*\(1, 1, 1\)"),
    (lambda: mytorch.pad(mytorch.zeros(3), (1, 1, 1, 1)), ValueError,
     r"pad.*\(1, 1, 1, 1\).*\(3,\)"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (1, 1), mode="mirror"), ValueError, r"pad.*mirror"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (1, 1), mode="reflect", value=2), ValueError,
     r"pad.*reflect.*value"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (3, 0), mode="reflect"), ValueError,
     r"pad.*\(3, 0\).*reflect.*\(1, 3\)"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (0, 4), mode="circular"), ValueError,
     r"pad.*\(0, 4\).*circular.*\(1, 3\)"),
    (lambda: mytorch.pad(mytorch.zeros(1, 0), (1, 0), mode="replicate"), ValueError,
     r"pad.*\(1, 0\).*replicate.*\(1, 0\)"),
    (lambda: mytorch.pad(mytorch.zeros(1, 3), (-2, -2)), ValueError, r"pad.*\(-2, -2\).*\(1, 3\)"),
]


@pytest.mark.parametrize("fn, error, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_name_the_op_and_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


def test_errors_where_torch_errors_too():
    """Each error case above is an error in PyTorch as well (never stricter than torch)."""
    torch_cases = [
        lambda: torch.zeros(2, 3).transpose(0, 2), lambda: torch.zeros(2, 3, 4).flatten(2, 1),
        lambda: torch.zeros(2, 3).permute(0), lambda: torch.zeros(2, 3).repeat(2),
        lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)]),
        lambda: torch.zeros(5).split([2, 2]), lambda: torch.zeros(5).chunk(0),
        lambda: torch.zeros(2, 3).roll(1, (0, 1)),
        lambda: F.pad(torch.zeros(1, 3), (3, 0), mode="reflect"),
        lambda: F.pad(torch.zeros(1, 3), (0, 4), mode="circular"),
        lambda: F.pad(torch.zeros(1, 3), (-2, -2)),
    ]
    for fn in torch_cases:
        with pytest.raises((RuntimeError, IndexError, ValueError, NotImplementedError)):
            fn()
