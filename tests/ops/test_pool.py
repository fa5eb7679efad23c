"""Pooling ops against PyTorch: every option, forward and gradients, gradcheck, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, op_tests
from mytorch.autograd import grad


def distinct(rng, shapes, dtype):
    """Values without ties (a max has one winner): a permutation spread over [-2, 2)."""
    out = []
    for shape in shapes:
        n = int(np.prod(shape))
        out.append((rng.permutation(n) * (4.0 / max(n, 1)) - 2.0).reshape(shape).astype(dtype))
    return out


def pool_specs(name, mt_fn, th_fn, options, shapes, make=None):
    """One OpSpec per option dict: the same call in mytorch and torch."""
    specs = []
    for opts in options:
        label = ",".join(f"{k}={v}" for k, v in opts.items())
        specs.append(OpSpec(f"{name}({label})",
                            lambda x, o=opts: mt_fn(x, **o), lambda x, o=opts: th_fn(x, **o),
                            shapes, make=make))
    return specs


# the first shapes are small (they are gradchecked); odd sizes make ceil_mode matter
SHAPES_1D = [((1, 2, 9),), ((2, 3, 10),), ((3, 11),)]
SHAPES_2D = [((1, 2, 5, 6),), ((2, 3, 7, 9),), ((2, 5, 7),)]

MAX_1D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, dilation=2, padding=1, ceil_mode=True, return_indices=True),
    dict(kernel_size=2, return_indices=True),
    dict(kernel_size=1),
]
MAX_2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=True),
    dict(kernel_size=2, return_indices=True),
    dict(kernel_size=3, stride=(2, 1), padding=1, dilation=(2, 1), ceil_mode=True,
         return_indices=True),
    dict(kernel_size=(4, 1), stride=1),
]
AVG_1D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
    dict(kernel_size=2, stride=1, ceil_mode=True, count_include_pad=False, divisor_override=-2),
]
AVG_2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
    dict(kernel_size=2, stride=1, ceil_mode=True, count_include_pad=False, divisor_override=-2),
]
ADAPTIVE_1D = [1, 3, 4, 7, 12, (5,)]
ADAPTIVE_2D = [1, 3, (2, 4), (4, None), (7, 5), (None, 1), (6, 8)]
# unpooling needs every index inside the output plane: sizes the windows tile, or output_size
UNPOOL_SHAPES_1D = [((2, 3, 10),), ((3, 10),)]
UNPOOL_SHAPES_2D = [((2, 3, 6, 8),), ((3, 6, 8),)]
UNPOOL_1D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, output_size=[10])]
UNPOOL_2D = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 1), stride=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, output_size=(6, 8)),
    dict(kernel_size=2, stride=(2, 3), output_size=(2, 3, 7, 9)),
]


def torch_avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None):
    """PyTorch's avg_pool1d lacks divisor_override; its avg_pool2d over a height-1 window has it."""
    if divisor_override is None:
        return F.avg_pool1d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    stride = kernel_size if stride is None else stride
    return F.avg_pool2d(x.unsqueeze(-2), (1, kernel_size), (1, stride), (0, padding), ceil_mode,
                        count_include_pad, divisor_override).squeeze(-2)


def mt_unpool(nd):
    pool, unpool = (mytorch.max_pool1d, mytorch.max_unpool1d) if nd == 1 else \
        (mytorch.max_pool2d, mytorch.max_unpool2d)

    def fn(x, kernel_size, stride=None, padding=0, output_size=None):
        y, index = pool(x, kernel_size, stride, padding, return_indices=True)
        return unpool(y * 2, index, kernel_size, stride, padding, output_size)
    return fn


def th_unpool(nd):
    pool, unpool = (F.max_pool1d, F.max_unpool1d) if nd == 1 else (F.max_pool2d, F.max_unpool2d)

    def fn(x, kernel_size, stride=None, padding=0, output_size=None):
        y, index = pool(x, kernel_size, stride, padding, return_indices=True)
        return unpool(y * 2, index, kernel_size, stride, padding, output_size)
    return fn


MAX_SPECS = (pool_specs("max_pool1d", mytorch.max_pool1d, F.max_pool1d, MAX_1D, SHAPES_1D, distinct)
             + pool_specs("max_pool2d", mytorch.max_pool2d, F.max_pool2d, MAX_2D, SHAPES_2D,
                          distinct))
AVG_SPECS = (pool_specs("avg_pool1d", mytorch.avg_pool1d, torch_avg_pool1d, AVG_1D, SHAPES_1D)
             + pool_specs("avg_pool2d", mytorch.avg_pool2d, F.avg_pool2d, AVG_2D, SHAPES_2D))
ADAPTIVE_AVG_SPECS = (
    pool_specs("adaptive_avg_pool1d", mytorch.adaptive_avg_pool1d, F.adaptive_avg_pool1d,
               [dict(output_size=o) for o in ADAPTIVE_1D], SHAPES_1D)
    + pool_specs("adaptive_avg_pool2d", mytorch.adaptive_avg_pool2d, F.adaptive_avg_pool2d,
                 [dict(output_size=o) for o in ADAPTIVE_2D], SHAPES_2D))
ADAPTIVE_MAX_SPECS = (
    pool_specs("adaptive_max_pool1d", mytorch.adaptive_max_pool1d, F.adaptive_max_pool1d,
               [dict(output_size=o, return_indices=o in (3, 7)) for o in ADAPTIVE_1D],
               SHAPES_1D, distinct)
    + pool_specs("adaptive_max_pool2d", mytorch.adaptive_max_pool2d, F.adaptive_max_pool2d,
                 [dict(output_size=o, return_indices=o in (3, (7, 5))) for o in ADAPTIVE_2D],
                 SHAPES_2D, distinct))
UNPOOL_SPECS = (
    pool_specs("max_unpool1d", mt_unpool(1), th_unpool(1), UNPOOL_1D, UNPOOL_SHAPES_1D, distinct)
    + pool_specs("max_unpool2d", mt_unpool(2), th_unpool(2), UNPOOL_2D, UNPOOL_SHAPES_2D,
                 distinct))
SPECS = MAX_SPECS + AVG_SPECS + ADAPTIVE_AVG_SPECS + ADAPTIVE_MAX_SPECS + UNPOOL_SPECS


def named(*fragments):
    """The specs whose names contain one of ``fragments`` (exact option lists)."""
    return [s for s in SPECS if any(f in s.name for f in fragments)]


# every family, with and without padding, ceil_mode, dilation and indices. Unpooling only
# with disjoint windows: an input that wins two overlapping windows is written once but, as
# in PyTorch, gets the gradient of both, which is not the derivative finite differences see.
EMPTY_BATCH = SPECS[::5]


@pytest.mark.parametrize("spec", EMPTY_BATCH, ids=[s.name for s in EMPTY_BATCH])
def test_empty_batch_matches_torch(spec):
    shape = (0,) + spec.shapes[-1][0][-3:] if "2d" in spec.name else (0, 2, 10)
    check_against_torch(spec, spec.arrays((shape,), np.float32))


GRADCHECKED = MAX_SPECS[::2] + AVG_SPECS[::2] + ADAPTIVE_AVG_SPECS[::3] \
    + ADAPTIVE_MAX_SPECS[::3] + [UNPOOL_SPECS[i] for i in (0, 3, 5)]

test_matches_torch, test_gradcheck = op_tests(SPECS, gradchecked=GRADCHECKED, points=1)


UNBATCHED = [s for s in GRADCHECKED if len(s.shapes) > 2][::3]  # shapes[2] is (C, *L)


@pytest.mark.parametrize("spec", UNBATCHED, ids=[s.name for s in UNBATCHED])
def test_gradcheck_unbatched(spec):
    check_gradcheck(spec, spec.arrays(spec.shapes[2], np.float64))


SECOND_ORDER = named(
    "avg_pool1d(kernel_size=4,stride=3,padding=2,ceil_mode=True,count_include_pad=False)",
    "avg_pool2d(kernel_size=3,stride=2,padding=1,count_include_pad=False)",
    "avg_pool2d(kernel_size=3,stride=2,padding=1,divisor_override=5)",
    "avg_pool1d(kernel_size=3,stride=2,padding=1,divisor_override=5)",
    "adaptive_avg_pool1d(output_size=7)", "adaptive_avg_pool2d(output_size=(7, 5))",
    "max_pool1d(kernel_size=3,stride=1,padding=1,dilation=2)",
    "max_pool2d(kernel_size=3,stride=2,padding=1,ceil_mode=True)",
    "adaptive_max_pool2d(output_size=(2, 4)",
)


@pytest.mark.parametrize("spec", SECOND_ORDER, ids=[s.name for s in SECOND_ORDER])
def test_gradgradcheck(spec):
    check_gradcheck(spec, spec.arrays(spec.shapes[0], np.float64), second_order=True)


@pytest.mark.parametrize("op, opts", [
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ("adaptive_avg_pool2d", dict(output_size=(4, 3))),
    ("adaptive_max_pool2d", dict(output_size=(4, 3))),
])
def test_second_order_gradients_match_torch(op, opts):
    """d/dx of <d pool(x)^2 / dx, v>: exercises the adjoint pairs' own backwards."""
    x = distinct(np.random.default_rng(7), [(2, 3, 7, 6)], np.float64)[0]
    v = np.random.default_rng(8).standard_normal(x.shape)
    results = []
    for lib, tensor, autograd in ((mytorch, mytorch.tensor, grad),
                                  (F, torch.tensor, torch.autograd.grad)):
        xt = tensor(x, requires_grad=True)
        (gx,) = autograd((getattr(lib, op)(xt, **opts) ** 2).sum(), xt, create_graph=True)
        (ggx,) = autograd((gx * tensor(v)).sum(), xt)
        results.append(np.asarray(ggx.detach().numpy()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


# -- hypothesis: any valid configuration ------------------------------------------------
@st.composite
def pool_configs(draw):
    nd = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    # at least one full window: L + 2p >= d(k - 1) + 1
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 9))
                 for k, p, d in zip(kernel, padding, dilation))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return nd, batch + (draw(st.integers(1, 3)),) + size, kernel, stride, padding, dilation, \
        draw(st.booleans()), draw(st.booleans())


@given(config=pool_configs(), seed=st.integers(0, 2**16))
def test_hypothesis_max_and_avg_pool(config, seed):
    nd, shape, kernel, stride, padding, dilation, ceil_mode, count_include_pad = config
    name = f"pool{nd}d"
    mt_max, th_max = getattr(mytorch, f"max_{name}"), getattr(F, f"max_{name}")
    mt_avg, th_avg = getattr(mytorch, f"avg_{name}"), getattr(F, f"avg_{name}")
    max_spec = OpSpec("max",
                      lambda x: mt_max(x, kernel, stride, padding, dilation, ceil_mode, True),
                      lambda x: th_max(x, kernel, stride, padding, dilation, ceil_mode, True),
                      [(shape,)], make=distinct)
    x = max_spec.arrays((shape,), np.float64, seed)
    # a window of padding only gives -inf, and torch's gradient for it writes out of bounds
    assume(torch.isfinite(max_spec.th(torch.tensor(x[0]))[0]).all())
    check_against_torch(max_spec, x)
    avg_spec = OpSpec("avg", lambda x: mt_avg(x, kernel, stride, padding, ceil_mode,
                                              count_include_pad),
                      lambda x: th_avg(x, kernel, stride, padding, ceil_mode, count_include_pad),
                      [(shape,)])
    check_against_torch(avg_spec, avg_spec.arrays((shape,), np.float64, seed))


@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       out=st.tuples(st.integers(1, 10), st.integers(1, 10)), seed=st.integers(0, 2**16))
def test_hypothesis_adaptive_pools(size, out, seed):
    for mt_fn, th_fn in ((mytorch.adaptive_avg_pool2d, F.adaptive_avg_pool2d),
                         (mytorch.adaptive_max_pool2d, F.adaptive_max_pool2d)):
        spec = OpSpec("adaptive", lambda x, f=mt_fn: f(x, out), lambda x, f=th_fn: f(x, out),
                      [((2, 2) + size,)], make=distinct)
        check_against_torch(spec, spec.arrays(((2, 2) + size,), np.float64, seed))


# -- semantics ---------------------------------------------------------------------------
@pytest.mark.parametrize("pool, opts", [
    (mytorch.max_pool2d, dict(kernel_size=3, stride=1, padding=1)),
    (mytorch.max_pool2d, dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    (mytorch.max_pool1d, dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
])
def test_max_pool_pads_with_minus_inf_not_zero(pool, opts):
    """All inputs negative: zero padding would put 0 in the border windows."""
    x = -1.0 - np.random.default_rng(9).random((2, 3, 5, 5) if pool is mytorch.max_pool2d
                                               else (2, 3, 7))
    y = pool(mytorch.tensor(x), **opts).numpy()
    th = F.max_pool2d if pool is mytorch.max_pool2d else F.max_pool1d
    np.testing.assert_array_equal(y, th(torch.tensor(x), **opts).numpy())
    assert (y < -1.0).all()


def test_max_pool_gradient_with_ties_goes_to_the_first_maximum_like_torch():
    x = np.zeros((1, 2, 6, 6))  # relu-like zeros: every window ties
    x[0, 0, 2, 3] = 1.0
    results = []
    for lib, tensor in ((mytorch, mytorch.tensor), (F, torch.tensor)):
        xt = tensor(x, requires_grad=True)
        lib.max_pool2d(xt, 3, 2, 1).sum().backward()
        results.append(np.asarray(xt.grad.numpy()))
    np.testing.assert_array_equal(results[0], results[1])


def test_window_of_padding_only_gives_minus_inf_torchs_index_and_no_gradient():
    """k=2, d=2, p=1 on L=1 reads positions -1 and 1: both padding. PyTorch's index is 1 (its
    scan's start), and its gradient writes to that out-of-range index (into the next plane);
    a constant -inf has zero gradient, which is what mytorch gives."""
    x = mytorch.tensor([[0.5], [0.7]], requires_grad=True)
    y, index = mytorch.max_pool1d(x, 2, 1, 1, 2, return_indices=True)
    y_ref, index_ref = F.max_pool1d(torch.tensor([[0.5], [0.7]]), 2, 1, 1, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())
    np.testing.assert_array_equal(index.numpy(), index_ref.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0], [0.0]])


def test_nan_propagates_and_its_index_is_torchs():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    y, index = mytorch.max_pool2d(mytorch.tensor(x), 2, return_indices=True)
    y_ref, index_ref = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())
    np.testing.assert_array_equal(index.numpy(), index_ref.numpy())


@pytest.mark.parametrize("opts", [dict(kernel_size=3, stride=2, padding=1),
                                  dict(kernel_size=3, stride=2, padding=1, dilation=2,
                                       ceil_mode=True),
                                  dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))])
def test_overlapping_max_pool_with_ties_nan_and_minus_inf_matches_torch(opts):
    """Values, indices and gradient where windows share their winners: small integers (ties
    everywhere), -inf entries, and NaN before and after larger values in a window's scan."""
    x = np.random.default_rng(12).integers(-2, 2, (2, 3, 9, 8)).astype(np.float64)
    x[0, 0, 1, :3] = -np.inf
    x[0, 1, 2, 2] = x[0, 1, 4, 5] = np.nan
    x[0, 1, 3, 3] = 7.0  # after the first NaN in the scan of the windows holding both
    results = []
    for lib, tensor in ((mytorch, mytorch.tensor), (F, torch.tensor)):
        xt = tensor(x, requires_grad=True)
        y, index = lib.max_pool2d(xt, return_indices=True, **opts)
        y.backward(tensor(np.arange(y.numel()).reshape(y.shape) % 5 + 1.0))
        results.append([np.asarray(t.detach().numpy()) for t in (y, index, xt.grad)])
    for mine, theirs in zip(*results):
        np.testing.assert_array_equal(mine, theirs)


def test_inference_max_pool_matches_torch_and_records_nothing():
    x = distinct(np.random.default_rng(11), [(2, 3, 7, 9)], np.float32)[0]
    expected = F.max_pool2d(torch.tensor(x), 3, 2, 1, ceil_mode=True).numpy()
    leaf = mytorch.tensor(x, requires_grad=True)
    with mytorch.no_grad():
        y = mytorch.max_pool2d(leaf, 3, 2, 1, ceil_mode=True)
    for out in (y, mytorch.max_pool2d(mytorch.tensor(x), 3, 2, 1, ceil_mode=True)):
        assert out.grad_fn is None and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), expected)


def test_float64_stays_float64_and_indices_are_int64_without_grad():
    x = mytorch.randn(2, 3, 6, 6, dtype=mytorch.float64, requires_grad=True)
    y, index = mytorch.max_pool2d(x, 2, return_indices=True)
    z = mytorch.avg_pool2d(x, 3, 1, 1) + 0 * mytorch.adaptive_avg_pool2d(x, 6)
    (y.sum() + z.sum()).backward()
    assert y.dtype == z.dtype == x.grad.dtype == np.float64
    assert index.dtype == np.int64 and not index.requires_grad
    assert mytorch.max_pool2d(mytorch.randn(1, 1, 4, 4), 2).dtype == np.float32


def test_grad_fn_names_the_op():
    x = mytorch.randn(1, 1, 4, 4, requires_grad=True)
    assert "MaxPool" in mytorch.max_pool2d(x, 2).grad_fn.name()
    assert "WindowSum" in mytorch.avg_pool2d(x, 2).grad_fn.name()


# -- errors ------------------------------------------------------------------------------
X4 = mytorch.randn(2, 3, 5, 5)
X3 = mytorch.randn(2, 3, 5)
IDX = mytorch.tensor(np.zeros((1, 1, 2, 2), dtype=np.int64))


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: mytorch.max_pool2d(X4, 2, padding=2), ValueError,
     r"max_pool2d: padding should be at most half of kernel_size.*\(2, 2\)"),
    (lambda: mytorch.max_pool2d(X4, 7), ValueError,
     r"max_pool2d: input of shape \(2, 3, 5, 5\) is too small.*\(0, 0\)"),
    (lambda: mytorch.max_pool2d(X4, 2, stride=0), ValueError,
     r"max_pool2d: stride must be greater than zero, got \(0, 0\)"),
    (lambda: mytorch.max_pool2d(X4, 2, stride=(1, -1)), ValueError,
     r"max_pool2d: stride must be greater than zero, got \(1, -1\)"),
    (lambda: mytorch.max_pool2d(X4, 0), ValueError, r"max_pool2d: kernel_size must be greater"),
    (lambda: mytorch.max_pool2d(X4, 2, dilation=0), ValueError, r"max_pool2d: dilation must"),
    (lambda: mytorch.max_pool2d(X4, 2, padding=-1), ValueError,
     r"max_pool2d: padding must be non-negative"),
    (lambda: mytorch.max_pool2d(mytorch.randn(5, 5), 2), ValueError,
     r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(5, 5\)"),
    (lambda: mytorch.max_pool2d(mytorch.randn(1, 1, 1, 5, 5), 2), ValueError,
     r"max_pool2d: expected a 3-D.*\(1, 1, 1, 5, 5\)"),
    (lambda: mytorch.max_pool2d(mytorch.randn(2, 0, 4, 4), 2), ValueError,
     r"max_pool2d: expected non-zero channel and spatial sizes.*\(2, 0, 4, 4\)"),
    (lambda: mytorch.max_pool2d(X4, (2, 2, 2)), ValueError,
     r"max_pool2d: expected kernel_size to be a single integer value or a list of 2 values"),
    (lambda: mytorch.max_pool2d(X4, 2.5), TypeError,
     r"max_pool2d: expected kernel_size to be a single integer value.*kernel_size=2.5"),
    (lambda: mytorch.max_pool2d(mytorch.tensor(np.ones((1, 1, 4, 4), np.int64)), 2), RuntimeError,
     r"max_pool2d: expected a floating point tensor, got dtype int64"),
    (lambda: mytorch.max_pool2d(np.ones((1, 1, 4, 4)), 2), TypeError,
     r"max_pool2d: expected a Tensor input, got ndarray"),
    (lambda: mytorch.max_pool1d(X4, 2), ValueError,
     r"max_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape \(2, 3, 5, 5\)"),
    (lambda: mytorch.max_pool1d(X3, 6), ValueError, r"max_pool1d: input of shape \(2, 3, 5\)"),
    (lambda: mytorch.max_pool1d(X3, 2, padding=2), ValueError,
     r"max_pool1d: padding should be at most half"),
    (lambda: mytorch.avg_pool2d(X4, 2, padding=2), ValueError,
     r"avg_pool2d: padding should be at most half"),
    (lambda: mytorch.avg_pool2d(X4, 7), ValueError, r"avg_pool2d: input of shape \(2, 3, 5, 5\)"),
    (lambda: mytorch.avg_pool2d(X4, 2, stride=0), ValueError, r"avg_pool2d: stride must be"),
    (lambda: mytorch.avg_pool2d(X4, 2, divisor_override=0), ValueError,
     r"avg_pool2d: divisor_override must not be zero"),
    (lambda: mytorch.avg_pool1d(X4, 2), ValueError, r"avg_pool1d: expected a 2-D"),
    (lambda: mytorch.avg_pool1d(X3, 6), ValueError, r"avg_pool1d: input of shape \(2, 3, 5\)"),
    (lambda: mytorch.adaptive_avg_pool2d(mytorch.randn(1, 1, 1, 5, 5), 2), ValueError,
     r"adaptive_avg_pool2d: expected a 3-D"),
    (lambda: mytorch.adaptive_avg_pool2d(X4, -1), ValueError,
     r"adaptive_avg_pool2d: output_size must be non-negative, got \(-1, -1\)"),
    (lambda: mytorch.adaptive_avg_pool2d(X4, (1, 2, 3)), ValueError,
     r"adaptive_avg_pool2d: output_size must have 2 elements, got \(1, 2, 3\)"),
    (lambda: mytorch.adaptive_avg_pool2d(mytorch.randn(2, 3, 0, 5), 2), ValueError,
     r"adaptive_avg_pool2d: expected non-zero.*\(2, 3, 0, 5\)"),
    (lambda: mytorch.adaptive_avg_pool1d(X4, 2), ValueError, r"adaptive_avg_pool1d: expected"),
    (lambda: mytorch.adaptive_max_pool2d(mytorch.randn(2, 3, 0, 5), 2), ValueError,
     r"adaptive_max_pool2d: expected non-zero"),
    (lambda: mytorch.adaptive_max_pool1d(X3, 1.5), TypeError,
     r"adaptive_max_pool1d: output_size must be an int"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(1, 1, 2, 2), mytorch.tensor([[[[0, 1], [2, 99]]]]),
                                  2), ValueError,
     r"max_unpool2d: found an invalid max index 99 \(the output plane is 4x4\)"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(1, 1, 2, 2), IDX, 2, output_size=(9, 9)),
     ValueError, r"max_unpool2d: invalid output_size \(9, 9\).*dim 0 must be between 2 and 6"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(1, 1, 2, 2), IDX, 2, output_size=(4, 4, 4)),
     ValueError, r"max_unpool2d: output_size should have 2 or 4 elements"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(1, 1, 2, 3), IDX, 2), ValueError,
     r"max_unpool2d: indices of shape \(1, 1, 2, 2\) must have the input's shape \(1, 1, 2, 3\)"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(1, 1, 2, 2), mytorch.zeros(1, 1, 2, 2), 2),
     TypeError, r"max_unpool2d: indices must be an integer Tensor"),
    (lambda: mytorch.max_unpool2d(mytorch.randn(2, 2), IDX, 2), ValueError,
     r"max_unpool2d: expected a 3-D"),
    (lambda: mytorch.max_unpool1d(mytorch.randn(1, 1, 2, 2), IDX, 2), ValueError,
     r"max_unpool1d: expected a 2-D"),
])
def test_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_every_error_message_is_also_raised_by_torch():
    """The same bad calls fail in torch too (so the checks are PyTorch's, not stricter)."""
    x4, x3 = torch.randn(2, 3, 5, 5), torch.randn(2, 3, 5)
    for call in (lambda: F.max_pool2d(x4, 2, padding=2), lambda: F.max_pool2d(x4, 7),
                 lambda: F.max_pool2d(x4, 2, stride=0), lambda: F.max_pool1d(x3, 6),
                 lambda: F.avg_pool2d(x4, 2, divisor_override=0),
                 lambda: F.adaptive_avg_pool2d(x4, -1),
                 lambda: F.max_unpool2d(torch.randn(1, 1, 2, 2),
                                        torch.zeros(1, 1, 2, 2, dtype=torch.long), 2,
                                        output_size=(9, 9))):
        with pytest.raises((RuntimeError, ValueError)):
            call()
