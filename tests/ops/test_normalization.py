"""batch_norm, layer_norm and group_norm against PyTorch: forward, input and parameter gradients,
running statistics, gradcheck and gradgradcheck, hypothesis shapes, every error."""

import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests
from mytorch.autograd import grad
from mytorch.kernels import normalization as K
from mytorch.ops import normalization


def positive_last(*positive):
    """Inputs drawn normal; those at the indices in ``positive`` (variances) from [0.5, 2)."""
    def make(rng, shapes, dtype):
        return [(rng.uniform(0.5, 2.0, s) if i in positive else rng.standard_normal(s) * 2 + 0.5
                 ).astype(dtype) for i, s in enumerate(shapes)]
    return make


def normal(rng, shapes, dtype):
    return [(rng.standard_normal(s) * 2 + 0.5).astype(dtype) for s in shapes]


def bn(training):
    return (lambda x, w, b: mytorch.batch_norm(x, None, None, w, b, training=training),
            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=training))


# (N, C), (N, C, L), (N, C, H, W); one sample with L > 1; size-1 channel and spatial dims
BN_SHAPES = [((3, 2), (2,), (2,)), ((2, 3, 4), (3,), (3,)), ((2, 3, 4, 5), (3,), (3,)),
             ((1, 2, 3), (2,), (2,)), ((4, 1, 1, 3), (1,), (1,)), ((2, 5, 1), (5,), (5,))]
BN_EVAL_SHAPES = [tuple(s[:1]) + (s[1],) * 4 for s in BN_SHAPES]  # x, mean, var, w, b
LN_SHAPES = [((2, 5), (5,), (5,)), ((3, 2, 4), (2, 4), (2, 4)), ((7,), (7,), (7,)),
             ((2, 1, 3, 1), (3, 1), (3, 1))]
GN_SHAPES = [((2, 6, 3), (6,), (6,)), ((2, 4, 3, 2), (4,), (4,)), ((3, 6), (6,), (6,)),
             ((1, 4, 5), (4,), (4,))]

SPECS = [
    OpSpec("batch_norm_train", *bn(True), BN_SHAPES, make=normal),
    OpSpec("batch_norm_train_no_affine", lambda x: mytorch.batch_norm(x, None, None,
                                                                      training=True),
           lambda x: F.batch_norm(x, None, None, training=True),
           [s[:1] for s in BN_SHAPES], make=normal),
    OpSpec("batch_norm_train_weight_only",
           lambda x, w: mytorch.batch_norm(x, None, None, w, training=True),
           lambda x, w: F.batch_norm(x, None, None, w, training=True),
           [s[:2] for s in BN_SHAPES], make=normal),
    OpSpec("batch_norm_train_bias_only",
           lambda x, b: mytorch.batch_norm(x, None, None, bias=b, training=True),
           lambda x, b: F.batch_norm(x, None, None, bias=b, training=True),
           [s[:2] for s in BN_SHAPES], make=normal),
    OpSpec("batch_norm_eval",
           lambda x, m, v, w, b: mytorch.batch_norm(x, m, v, w, b, training=False, eps=1e-3),
           lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False, eps=1e-3),
           BN_EVAL_SHAPES, grad=(0, 3, 4), make=positive_last(2)),
    OpSpec("batch_norm_eval_no_affine",
           lambda x, m, v: mytorch.batch_norm(x, m, v), lambda x, m, v: F.batch_norm(x, m, v),
           [s[:3] for s in BN_EVAL_SHAPES], grad=(0,), make=positive_last(2)),
    OpSpec("layer_norm", lambda x, w, b: mytorch.layer_norm(x, w.shape, w, b, eps=1e-4),
           lambda x, w, b: F.layer_norm(x, w.shape, w, b, eps=1e-4), LN_SHAPES, make=normal),
    OpSpec("layer_norm_no_affine", lambda x, w: mytorch.layer_norm(x, w.shape),
           lambda x, w: F.layer_norm(x, w.shape), [s[:2] for s in LN_SHAPES], grad=(0,),
           make=normal),
    OpSpec("layer_norm_bias_only", lambda x, b: mytorch.layer_norm(x, b.shape, bias=b),
           lambda x, b: F.layer_norm(x, b.shape, bias=b), [s[:2] for s in LN_SHAPES],
           make=normal),
    OpSpec("group_norm_2", lambda x, w, b: mytorch.group_norm(x, 2, w, b),
           lambda x, w, b: F.group_norm(x, 2, w, b), GN_SHAPES, make=normal),
    OpSpec("group_norm_1", lambda x, w, b: mytorch.group_norm(x, 1, w, b),
           lambda x, w, b: F.group_norm(x, 1, w, b), GN_SHAPES, make=normal),
    OpSpec("group_norm_per_channel", lambda x, w: mytorch.group_norm(x, x.shape[1], w),
           lambda x, w: F.group_norm(x, x.shape[1], w), [s[:2] for s in GN_SHAPES[:2]],
           make=normal),
    OpSpec("group_norm_no_affine", lambda x: mytorch.group_norm(x, 2),
           lambda x: F.group_norm(x, 2), [s[:1] for s in GN_SHAPES], make=normal),
]


BY_NAME = {spec.name: spec for spec in SPECS}


test_matches_torch, test_gradcheck = op_tests(SPECS)


@pytest.mark.parametrize("spec, shapes", gradcheck_cases(SPECS))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


@pytest.mark.parametrize("shape", [(0, 3), (0, 2, 4), (3, 0, 2)])
def test_empty_inputs_like_torch(shape):
    x = np.zeros(shape, np.float32)
    C = shape[1]
    rm, rv = mytorch.zeros(C), mytorch.ones(C)
    y = mytorch.batch_norm(mytorch.tensor(x), rm, rv, training=True)
    expected = F.batch_norm(torch.tensor(x), torch.zeros(C), torch.ones(C), training=True)
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(rm.numpy(), np.zeros(C))  # an empty batch updates nothing
    np.testing.assert_array_equal(rv.numpy(), np.ones(C))
    assert mytorch.layer_norm(mytorch.tensor(x), shape[-1:]).shape == shape


def test_normalizing_single_values_gives_the_bias():
    """A slice of one value normalizes to exactly 0 (torch's float32 leaves rounding noise
    there, amplified by 1/sqrt(eps)): the output is the bias and no gradient reaches x."""
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((2, 3, 1)), requires_grad=True)
    w, b = mytorch.full((1,), 2.0, requires_grad=True), mytorch.full((1,), 0.5, requires_grad=True)
    y = mytorch.layer_norm(x, (1,), w, b, eps=1e-4)
    np.testing.assert_array_equal(y.detach().numpy(), 0.5)
    y.backward(mytorch.randn(2, 3, 1, dtype=mytorch.float64))
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    np.testing.assert_array_equal(w.grad.numpy(), 0)
    th_x = torch.tensor(x.detach().numpy(), requires_grad=True)
    expected = F.layer_norm(th_x, (1,), torch.tensor([2.0], dtype=torch.float64),
                            torch.tensor([0.5], dtype=torch.float64), eps=1e-4)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), atol=1e-12)


# -- running statistics ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, momentum", [((8, 3), 0.1), ((4, 3, 5), 0.3),
                                             ((2, 3, 4, 4), 1.0), ((2, 3, 1), 0.0)])
def test_running_statistics_follow_torch(shape, momentum, dtype):
    rng = np.random.default_rng(1)
    C = shape[1]
    mt_stats = [mytorch.zeros(C, dtype=dtype), mytorch.ones(C, dtype=dtype)]
    th_stats = [torch.zeros(C, dtype=torch.float64 if dtype == np.float64 else torch.float32),
                torch.ones(C, dtype=torch.float64 if dtype == np.float64 else torch.float32)]
    for step in range(4):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(dtype)
        y = mytorch.batch_norm(mytorch.tensor(x), *mt_stats, training=True, momentum=momentum)
        expected = F.batch_norm(torch.tensor(x), *th_stats, training=True, momentum=momentum)
        np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)
    for mine, theirs in zip(mt_stats, th_stats):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    x = rng.standard_normal(shape).astype(dtype)  # evaluation uses them
    np.testing.assert_allclose(mytorch.batch_norm(mytorch.tensor(x), *mt_stats).numpy(),
                               F.batch_norm(torch.tensor(x), *th_stats).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_running_variance_is_unbiased():
    x = np.array([[1.0], [2.0], [6.0]])
    rm, rv = mytorch.zeros(1, dtype=mytorch.float64), mytorch.zeros(1, dtype=mytorch.float64)
    mytorch.batch_norm(mytorch.tensor(x), rm, rv, training=True, momentum=1.0)
    assert rm.item() == pytest.approx(3.0) and rv.item() == pytest.approx(7.0)  # ddof=1


def test_training_without_running_stats_uses_batch_stats_only():
    x = mytorch.randn(5, 3)
    y = mytorch.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.numpy().mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(y.numpy().var(0), 1, atol=1e-3)


# -- dtypes ------------------------------------------------------------------------------------
def test_float64_stays_float64_and_mixed_dtypes_promote():
    x = mytorch.randn(4, 3, 2, dtype=mytorch.float64, requires_grad=True)
    w = mytorch.ones(3, requires_grad=True)  # float32 parameters with a float64 input
    y = mytorch.batch_norm(x, mytorch.zeros(3), mytorch.ones(3), w, None, training=True)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float32
    for op in (lambda t: mytorch.layer_norm(t, 2), lambda t: mytorch.group_norm(t, 3)):
        assert op(mytorch.randn(2, 3, 2, dtype=mytorch.float64)).dtype == np.float64


# -- the fused backward: its recorded (create_graph) path ------------------------------------
RECORDED_CASES = [  # (op, x shape, parameter shape)
    (lambda x, w, b: mytorch.batch_norm(x, None, None, w, b, training=True), (2, 4, 3), (4,)),
    (lambda x, w, b: mytorch.layer_norm(x, (4, 3), w, b), (2, 4, 3), (4, 3)),
    (lambda x, w, b: mytorch.group_norm(x, 2, w, b), (2, 4, 3), (4,)),
]


@pytest.mark.parametrize("op, x_shape, param_shape", RECORDED_CASES)
def test_recorded_and_fast_backward_agree(op, x_shape, param_shape):
    """create_graph=True rebuilds the statistics with Tensor ops; first derivatives agree."""
    rng = np.random.default_rng(2)
    x = mytorch.tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = mytorch.tensor(rng.standard_normal(param_shape), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal(param_shape), requires_grad=True)
    gy = mytorch.tensor(rng.standard_normal(x_shape))
    fast = grad(op(x, w, b), [x, w, b], gy)
    recorded = grad(op(x, w, b), [x, w, b], gy, create_graph=True)
    # the recorded path was taken: gx and gw depend on x (gb = sum(gy) does not)
    assert recorded[0].grad_fn is not None and recorded[1].grad_fn is not None
    for f, r in zip(fast, recorded):
        np.testing.assert_allclose(f.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-12)


KERNEL_CASES = [  # (x shape, normalized axes, parameter broadcast shape): batch, layer, group norm
    ((4, 3, 5), (0, 2), (1, 3, 1)),
    ((4, 3, 5), (1, 2), (1, 3, 5)),
    ((2, 2, 3, 4), (2, 3), (1, 2, 3, 1)),
]


@pytest.mark.parametrize("affine", [True, False], ids=["weight", "no_weight"])
@pytest.mark.parametrize("shape, axes, param_shape", KERNEL_CASES)
def test_recorded_formula_matches_the_array_kernel(shape, axes, param_shape, affine):
    """The composed Tensor formula (create_graph) and the fused array kernel: the same numbers."""
    rng = np.random.default_rng(0)
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    w = rng.standard_normal(param_shape) if affine else None
    _, xhat, _, _, invstd = K.normalize(x, axes, 1e-5)
    fast = K.normalize_backward(gy, xhat, invstd, w, axes, param_shape, (True, affine, True))
    recorded = normalization._recorded_backward(
        mytorch.tensor(gy), mytorch.tensor(x), None if w is None else mytorch.tensor(w),
        axes, param_shape, 1e-5, (True, affine, True))
    for f, r in zip(fast, recorded):
        assert (f is None) == (r is None)
        if f is not None:
            np.testing.assert_allclose(np.broadcast_to(f, r.shape), r.numpy(),
                                       rtol=1e-12, atol=1e-12)


# -- hypothesis shapes -------------------------------------------------------------------------
@given(n=st.integers(1, 4), c=st.integers(1, 4), spatial=st.lists(st.integers(1, 4), max_size=2),
       seed=st.integers(0, 2**16))
def test_batch_norm_hypothesis_shapes(n, c, spatial, seed):
    if n * int(np.prod(spatial)) == 1:
        return  # one value per channel: an error in training (tested below)
    spec = BY_NAME["batch_norm_train"]
    check_against_torch(spec, spec.arrays(((n, c, *spatial), (c,), (c,)), np.float64, seed))


@given(lead=st.lists(st.integers(0, 3), max_size=2), tail=st.lists(st.integers(1, 4), min_size=1,
                                                                  max_size=3),
       seed=st.integers(0, 2**16))
def test_layer_norm_hypothesis_shapes(lead, tail, seed):
    spec = BY_NAME["layer_norm"]
    tail = tuple(tail)
    check_against_torch(spec, spec.arrays(((*lead, *tail), tail, tail), np.float64, seed))


@given(n=st.integers(1, 3), groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 3), max_size=2), seed=st.integers(0, 2**16))
def test_group_norm_hypothesis_shapes(n, groups, per_group, spatial, seed):
    c = groups * per_group
    assume(n * per_group * int(np.prod(spatial)) > 1)  # one value per group: torch refuses it
    spec = OpSpec("group_norm", lambda x, w, b: mytorch.group_norm(x, groups, w, b),
                  lambda x, w, b: F.group_norm(x, groups, w, b), [], make=normal)
    check_against_torch(spec, spec.arrays(((n, c, *spatial), (c,), (c,)), np.float64, seed))


# -- errors ------------------------------------------------------------------------------------
def t(*shape):
    return mytorch.ones(*shape)


ERRORS = [
    (lambda: mytorch.batch_norm(t(1, 3), None, None, training=True), ValueError,
     r"batch_norm: Expected more than 1 value per channel when training, got input size \(1, 3\)"),
    (lambda: mytorch.batch_norm(t(1, 3, 1, 1), t(3), t(3), training=True), ValueError,
     r"more than 1 value per channel.*\(1, 3, 1, 1\)"),
    (lambda: mytorch.batch_norm(t(3), None, None, training=True), ValueError,
     r"batch_norm: expected input of shape \(N, C\).*\(3,\)"),
    (lambda: mytorch.batch_norm(t(4, 3, 5), t(4), t(3), training=True), RuntimeError,
     r"batch_norm: running_mean should contain 3 elements not 4.*\(4, 3, 5\)"),
    (lambda: mytorch.batch_norm(t(4, 3, 5), t(3), t(2)), RuntimeError,
     r"batch_norm: running_var should contain 3 elements not 2"),
    (lambda: mytorch.batch_norm(t(4, 3), None, None, t(4), training=True), RuntimeError,
     r"batch_norm: weight should contain 3 elements not 4.*\(4, 3\)"),
    (lambda: mytorch.batch_norm(t(4, 3), None, None, None, t(2), training=True), RuntimeError,
     r"batch_norm: bias should contain 3 elements not 2"),
    (lambda: mytorch.batch_norm(t(4, 3), t(3), None), RuntimeError,
     r"batch_norm: running_var must be defined in evaluation mode"),
    (lambda: mytorch.batch_norm(t(4, 3), None, t(3)), RuntimeError,
     r"batch_norm: running_mean must be defined in evaluation mode"),
    (lambda: mytorch.batch_norm(t(4, 3), None, None, training=True, eps=0.0), ValueError,
     r"batch_norm: eps must be positive during training, but got 0.0"),
    (lambda: mytorch.batch_norm(t(4, 3), t(3), t(3), eps=-1.0), ValueError,
     r"batch_norm: eps must be non-negative, but got -1.0"),
    (lambda: mytorch.batch_norm(mytorch.ones(4, 3, dtype=mytorch.int64), None, None,
                                training=True), RuntimeError,
     r"batch_norm: expected a floating point tensor.*int64"),
    (lambda: mytorch.layer_norm(t(4, 3, 5), (4,)), RuntimeError,
     r"layer_norm: Given normalized_shape=\(4,\), expected input with shape \(\*, 4\), but got "
     r"input of size \(4, 3, 5\)"),
    (lambda: mytorch.layer_norm(t(4, 3, 5), (2, 4, 3, 5)), RuntimeError,
     r"layer_norm: Given normalized_shape=\(2, 4, 3, 5\).*\(4, 3, 5\)"),
    (lambda: mytorch.layer_norm(t(4, 3, 5), ()), RuntimeError,
     r"layer_norm: Expected normalized_shape to be at least 1-dimensional"),
    (lambda: mytorch.layer_norm(t(4, 3, 5), 5, t(4)), RuntimeError,
     r"layer_norm: Expected weight to be of same shape as normalized_shape, but got weight of "
     r"shape \(4,\) and normalized_shape = \(5,\)"),
    (lambda: mytorch.layer_norm(t(4, 3, 5), (3, 5), None, t(5)), RuntimeError,
     r"layer_norm: Expected bias.*bias of shape \(5,\) and normalized_shape = \(3, 5\)"),
    (lambda: mytorch.group_norm(t(3), 1), RuntimeError,
     r"group_norm: Expected at least 2 dimensions for input tensor but received 1"),
    (lambda: mytorch.group_norm(t(4, 3, 5), 2), RuntimeError,
     r"group_norm: Expected number of channels in input to be divisible by num_groups, but got "
     r"input of shape \(4, 3, 5\) and num_groups=2"),
    (lambda: mytorch.group_norm(t(4, 3, 5), 0), RuntimeError,
     r"group_norm: .*divisible by num_groups.*num_groups=0"),
    (lambda: mytorch.group_norm(t(4, 3, 5), 3, t(4)), RuntimeError,
     r"group_norm: Expected weight to be a vector of size equal to the number of channels in "
     r"input, but got weight of shape \(4,\) and input of shape \(4, 3, 5\)"),
    (lambda: mytorch.group_norm(t(4, 3, 5), 3, None, t(2)), RuntimeError,
     r"group_norm: Expected bias .*bias of shape \(2,\)"),
    (lambda: mytorch.group_norm(t(1, 3), 3), ValueError,
     r"group_norm: Expected more than 1 value per channel.*\(1, 3\) and num_groups=3"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_error_types_match_torch():
    """The same bad calls raise the same exception types in PyTorch."""
    x = torch.ones(4, 3, 5)
    torch_calls = [
        (lambda: F.batch_norm(torch.ones(1, 3), None, None, training=True), ValueError),
        (lambda: F.batch_norm(x, torch.zeros(4), torch.ones(3), training=True), RuntimeError),
        (lambda: F.batch_norm(x, None, None, torch.ones(4), training=True), RuntimeError),
        (lambda: F.batch_norm(x, torch.zeros(3), None), RuntimeError),
        (lambda: F.layer_norm(x, (4,)), RuntimeError),
        (lambda: F.layer_norm(x, (5,), torch.ones(4)), RuntimeError),
        (lambda: F.group_norm(x, 2), RuntimeError),
        (lambda: F.group_norm(torch.ones(1, 3), 3), ValueError),
    ]
    for call, error in torch_calls:
        with pytest.raises(error):
            call()


def test_docstring_examples():
    import doctest

    assert doctest.testmod(importlib.import_module("mytorch.ops.normalization")).failed == 0
