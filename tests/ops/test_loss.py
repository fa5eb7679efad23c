import warnings

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, op_tests
from mytorch.ops import loss as L

REDUCTIONS = ("none", "mean", "sum")


def call(fn, names=(), **options):
    """``fn(input, target, **options)``, further positional inputs passed by keyword ``names``
    (class weights and the like: inputs of the spec without gradient)."""
    def run(x, t, *extra):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kl_div's 'mean' warns, in torch and here
            return fn(x, t, **dict(zip(names, extra)), **options)
    return run


# -- regression losses ---------------------------------------------------------------------
PAIRS = [((3, 4), (3, 4)), ((), ()), ((2, 0, 3), (2, 0, 3)), ((1, 5, 1), (1, 5, 1))]


def pair_with_weight(rng, shapes, dtype):
    x, t = (rng.uniform(-2, 2, s).astype(dtype) for s in shapes)
    return [x, t, rng.uniform(0.5, 2, shapes[0]).astype(dtype)]


REGRESSION = [
    *(OpSpec(f"mse_loss-{r}", call(L.mse_loss, reduction=r), call(F.mse_loss, reduction=r),
             PAIRS) for r in REDUCTIONS),
    *(OpSpec(f"l1_loss-{r}", call(L.l1_loss, reduction=r), call(F.l1_loss, reduction=r), PAIRS)
      for r in REDUCTIONS),
    *(OpSpec(f"smooth_l1_loss-{r}-beta{beta}", call(L.smooth_l1_loss, reduction=r, beta=beta),
             call(F.smooth_l1_loss, reduction=r, beta=beta), PAIRS)
      for r in REDUCTIONS for beta in (1.0, 0.5, 0.0)),
    *(OpSpec(f"{name}-weight-{r}", call(getattr(L, name), ("weight",), reduction=r),
             call(getattr(F, name), ("weight",), reduction=r), PAIRS[:2], grad=(0, 1),
             make=pair_with_weight)
      for name in ("mse_loss", "l1_loss") for r in REDUCTIONS),
]


# -- classification: cross-entropy, nll ------------------------------------------------------
# (input, target) shapes: (N, C), K-dimensional (N, C, d1, d2), unbatched (C,), empty batch
CLASS_INDEX = [((4, 5), (4,)), ((2, 3, 4, 2), (2, 4, 2)), ((5,), ()), ((0, 3), (0,))]
PROBABILITIES = [((4, 5), (4, 5)), ((2, 3, 4, 2), (2, 3, 4, 2)), ((5,), (5,))]


def classes_of(shape):
    return shape[1] if len(shape) > 1 else shape[0]


def logits_and_indices(rng, shapes, dtype, weighted=False):
    x = rng.uniform(-3, 3, shapes[0]).astype(dtype)
    classes = classes_of(shapes[0])
    t = rng.integers(0, classes, shapes[1])
    if t.size > 2:
        t.flat[1] = -100  # one ignored target
    out = [x, t]
    if weighted:
        out.append(rng.uniform(0.5, 2, classes).astype(dtype))
    return out


def logits_and_probabilities(rng, shapes, dtype, weighted=False):
    x = rng.uniform(-3, 3, shapes[0]).astype(dtype)
    p = rng.uniform(0.05, 1, shapes[1])
    p = (p / p.sum(axis=1 if p.ndim > 1 else 0, keepdims=True)).astype(dtype)
    out = [x, p]
    if weighted:
        out.append(rng.uniform(0.5, 2, classes_of(shapes[0])).astype(dtype))
    return out


def ce_spec(reduction, weighted, smoothing, probabilities):
    kind = "prob" if probabilities else "index"
    names = ("weight",) if weighted else ()
    make = logits_and_probabilities if probabilities else logits_and_indices
    options = dict(reduction=reduction, label_smoothing=smoothing)
    return OpSpec(
        f"cross_entropy-{kind}-{reduction}-{'weighted' if weighted else 'plain'}-ls{smoothing}",
        call(L.cross_entropy, names, **options), call(F.cross_entropy, names, **options),
        PROBABILITIES if probabilities else CLASS_INDEX, grad=(0, 1) if probabilities else (0,),
        make=lambda rng, shapes, dtype: make(rng, shapes, dtype, weighted),
    )


CROSS_ENTROPY = [ce_spec(r, w, s, p) for p in (False, True) for r in REDUCTIONS
                 for w in (False, True) for s in (0.0, 0.2)]
NLL = [OpSpec(f"nll_loss-{r}-{'weighted' if w else 'plain'}",
              call(L.nll_loss, ("weight",) if w else (), reduction=r),
              call(F.nll_loss, ("weight",) if w else (), reduction=r), CLASS_INDEX, grad=(0,),
              make=lambda rng, shapes, dtype, w=w: logits_and_indices(rng, shapes, dtype, w))
       for r in REDUCTIONS for w in (False, True)]


# -- binary cross-entropy, kl_div -----------------------------------------------------------
def probabilities_and_targets(rng, shapes, dtype, extra=0):
    x = rng.uniform(0.02, 0.98, shapes[0]).astype(dtype)
    t = rng.uniform(0, 1, shapes[1]).astype(dtype)
    # weights broadcast along the last dim (one per class), like pos_weight usually is
    last = shapes[0][-1:] if shapes[0] else ()
    return [x, t] + [rng.uniform(0.5, 2, last).astype(dtype) for _ in range(extra)]


def logits_and_targets(rng, shapes, dtype, extra=0):
    x, t, *weights = probabilities_and_targets(rng, shapes, dtype, extra)
    return [rng.uniform(-4, 4, shapes[0]).astype(dtype), t, *weights]


BINARY = [
    *(OpSpec(f"binary_cross_entropy-{r}-{'weighted' if w else 'plain'}",
             call(L.binary_cross_entropy, ("weight",) if w else (), reduction=r),
             call(F.binary_cross_entropy, ("weight",) if w else (), reduction=r), PAIRS,
             grad=(0, 1), make=lambda rng, s, d, w=w: probabilities_and_targets(rng, s, d, w))
      for r in REDUCTIONS for w in (0, 1)),
    *(OpSpec(f"binary_cross_entropy_with_logits-{r}-{'+'.join(names) or 'plain'}",
             call(L.binary_cross_entropy_with_logits, names, reduction=r),
             call(F.binary_cross_entropy_with_logits, names, reduction=r), PAIRS, grad=(0, 1),
             make=lambda rng, s, d, n=names: logits_and_targets(rng, s, d, len(n)))
      for r in REDUCTIONS for names in ((), ("weight",), ("weight", "pos_weight"))),
]


def log_probabilities_and_targets(rng, shapes, dtype, log_target):
    x = np.log(rng.uniform(0.05, 1, shapes[0])).astype(dtype)
    t = rng.uniform(0.05, 1, shapes[1])  # positive: PyTorch's target gradient is NaN at 0
    return [x, (np.log(t) if log_target else t).astype(dtype)]


KL_DIV = [OpSpec(f"kl_div-{r}-log_target{lt}", call(L.kl_div, reduction=r, log_target=lt),
                 call(F.kl_div, reduction=r, log_target=lt), PAIRS, grad=(0, 1),
                 make=lambda rng, s, d, lt=lt: log_probabilities_and_targets(rng, s, d, lt))
          for r in ("none", "batchmean", "sum", "mean") for lt in (False, True)]

SPECS = REGRESSION + CROSS_ENTROPY + NLL + BINARY + KL_DIV


# gradcheck: the first grid point of each spec (each grid starts with the general case)
test_matches_torch, test_gradcheck = op_tests(SPECS, points=1)


SECOND_ORDER = [s for s in SPECS if s.name in (
    "mse_loss-mean", "mse_loss-none", "cross_entropy-index-mean-weighted-ls0.2",
    "cross_entropy-index-none-plain-ls0.0", "cross_entropy-prob-sum-weighted-ls0.2",
    "binary_cross_entropy_with_logits-mean-weight+pos_weight",
    "binary_cross_entropy_with_logits-none-plain", "binary_cross_entropy-sum-plain",
    "nll_loss-mean-weighted",
)]


@pytest.mark.parametrize("spec", SECOND_ORDER, ids=[s.name for s in SECOND_ORDER])
def test_gradgradcheck(spec):
    check_gradcheck(spec, spec.arrays(spec.shapes[0], np.float64), second_order=True)


def test_second_order_of_cross_entropy_is_the_softmax_jacobian():
    # d/dx of (dL/dx . v) for L = CE(x, y) summed: the Hessian of logsumexp applied to v
    x = mytorch.randn(3, 4, dtype=mytorch.float64, requires_grad=True)
    v = mytorch.randn(3, 4, dtype=mytorch.float64)
    (g,) = mytorch.autograd.grad(L.cross_entropy(x, mytorch.tensor([0, 1, 3]), reduction="sum"),
                                 [x], create_graph=True)
    (h,) = mytorch.autograd.grad((g * v).sum(), [x])
    p = mytorch.softmax(x, 1).numpy()
    vv = v.numpy()
    expected = p * vv - p * (p * vv).sum(1, keepdims=True)  # (diag(p) - p p^T) v, per row
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-14)


# -- hypothesis-drawn shapes ---------------------------------------------------------------
@given(n=st.integers(0, 4), classes=st.integers(1, 5),
       spatial=st.lists(st.integers(1, 3), max_size=2), reduction=st.sampled_from(REDUCTIONS),
       smoothing=st.sampled_from([0.0, 0.3]), weighted=st.booleans(),
       probabilities=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_hypothesis_shapes(n, classes, spatial, reduction, smoothing, weighted,
                                         probabilities, seed):
    spec = ce_spec(reduction, weighted, smoothing, probabilities)
    x_shape = (n, classes, *spatial)
    t_shape = x_shape if probabilities else (n, *spatial)
    check_against_torch(spec, spec.make(np.random.default_rng(seed), (x_shape, t_shape),
                                        np.dtype(np.float64)))


ELEMENTWISE = [s for s in REGRESSION + BINARY if "weight" not in s.name]


@given(shape=st.lists(st.integers(0, 4), max_size=4), index=st.integers(0, len(ELEMENTWISE) - 1),
       seed=st.integers(0, 2**16))
def test_elementwise_losses_hypothesis_shapes(shape, index, seed):
    spec = ELEMENTWISE[index]
    shapes = (tuple(shape), tuple(shape))
    check_against_torch(spec, spec.arrays(shapes, np.float64, seed))


# -- numerics --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_finite_for_huge_logits(dtype, smoothing):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    y = np.array([1, 2, 0])
    spec = OpSpec("ce-huge", call(L.cross_entropy, label_smoothing=smoothing),
                  call(F.cross_entropy, label_smoothing=smoothing), [])
    check_against_torch(spec, [x, y])
    mx = mytorch.tensor(x, requires_grad=True)
    loss = L.cross_entropy(mx, mytorch.tensor(y), label_smoothing=smoothing)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(mx.grad.numpy()).all()


def test_bce_with_logits_is_finite_for_huge_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    for r in REDUCTIONS:
        spec = OpSpec("bcel-huge", call(L.binary_cross_entropy_with_logits, reduction=r),
                      call(F.binary_cross_entropy_with_logits, reduction=r), [], grad=(0, 1))
        check_against_torch(spec, [x, t])


def test_cross_entropy_with_minus_inf_logits_like_torch():
    # a masked class (-inf logit) that is not the target: finite loss, zero gradient there
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]], dtype=np.float32)
    spec = OpSpec("ce-masked", call(L.cross_entropy), call(F.cross_entropy), [])
    check_against_torch(spec, [x, np.array([0, 1])])


def test_binary_cross_entropy_at_0_and_1_like_torch():
    # log clamped at -100; the gradient's denominator x (1 - x) clamped at 1e-12
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30], dtype=np.float32)
    t = np.array([0.5, 0.5, 1.0, 0.0, 0.5], dtype=np.float32)
    spec = OpSpec("bce-edges", call(L.binary_cross_entropy, reduction="none"),
                  call(F.binary_cross_entropy, reduction="none"), [], grad=(0,))
    check_against_torch(spec, [x, t])


def test_all_targets_ignored_gives_nan_loss_and_zero_gradient_like_torch():
    spec = OpSpec("ce-ignored", call(L.cross_entropy), call(F.cross_entropy), [])
    check_against_torch(spec, [np.ones((3, 4), np.float32), np.full(3, -100)])
    spec = OpSpec("nll-ignored", call(L.nll_loss, ignore_index=2), call(F.nll_loss, ignore_index=2),
                  [])
    check_against_torch(spec, [np.ones((3, 4), np.float32), np.full(3, 2)])


def test_custom_ignore_index_and_uint8_targets():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 3, 2], dtype=np.uint8)
    spec = OpSpec("ce-ignore3", call(L.cross_entropy, ignore_index=3),
                  call(F.cross_entropy, ignore_index=3), [])
    check_against_torch(spec, [x, t])


def test_float64_probabilities_promote_a_float32_input_like_torch():
    rng = np.random.default_rng(0)
    x, p = logits_and_probabilities(rng, ((3, 4), (3, 4)), np.float32)
    # both compute log-softmax in float32 before meeting the float64 target: float32 accuracy
    spec = OpSpec("ce-promote", call(L.cross_entropy), call(F.cross_entropy), [], grad=(0, 1),
                  tol=dict(rtol=1e-6, atol=1e-7))
    check_against_torch(spec, [x, p.astype(np.float64)])


def test_class_weights_get_a_gradient_with_probability_targets_like_torch():
    rng = np.random.default_rng(3)
    x, p, w = logits_and_probabilities(rng, ((3, 4), (3, 4)), np.float64, weighted=True)
    spec = OpSpec("ce-weight-grad", call(L.cross_entropy, ("weight",), label_smoothing=0.1),
                  call(F.cross_entropy, ("weight",), label_smoothing=0.1), [], grad=(0, 1, 2))
    check_against_torch(spec, [x, p, w])


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_class_weights_that_require_grad_are_refused_with_class_indices(fn):
    weight = mytorch.ones(5, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{fn.__name__}: the loss is not differentiable "
                                           "with respect to weight"):
        fn(mytorch.zeros(3, 5), mytorch.tensor([1, 2, 3]), weight=weight)


def test_targets_may_be_arrays():
    x = mytorch.tensor([[1.0, 2.0], [0.5, 0.0]])
    expected = L.cross_entropy(x, mytorch.tensor([1, 0])).item()
    assert L.cross_entropy(x, np.array([1, 0])).item() == expected
    assert L.mse_loss(x, [[1.0, 2.0], [0.5, 0.0]]).item() == 0.0


def test_legacy_size_average_and_reduce_translate_with_a_warning():
    x, t = mytorch.tensor([1.0, 3.0]), mytorch.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert L.mse_loss(x, t, size_average=False).item() == 10.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert L.l1_loss(x, t, reduce=False).shape == (2,)
    with pytest.warns(UserWarning, match="reduction='mean'"):
        assert L.nll_loss(mytorch.tensor([[-1.0, -2.0]]), mytorch.tensor([1]),
                          size_average=True).item() == 2.0


def test_broadcasting_target_warns_like_torch():
    with pytest.warns(UserWarning, match=r"mse_loss: using a target size \(1,\).*\(3,\)"):
        loss = L.mse_loss(mytorch.tensor([1.0, 2.0, 3.0]), mytorch.tensor([1.0]))
    assert loss.item() == pytest.approx(5 / 3)


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning, match="kl_div: reduction 'mean'"):
        L.kl_div(mytorch.zeros(2), mytorch.ones(2))
    spec = OpSpec("kl-0d", call(L.kl_div, reduction="batchmean"),
                  call(F.kl_div, reduction="batchmean"), [], grad=(0, 1))
    check_against_torch(spec, [np.array(-0.3), np.array(0.5)])  # 0-d: batchmean is the sum


def test_kl_div_target_zero_contributes_nothing():
    x = mytorch.tensor([-1.0, -2.0], requires_grad=True)
    t = mytorch.tensor([0.0, 1.0], requires_grad=True)
    loss = L.kl_div(x, t, reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2.0)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0])
    assert np.isfinite(t.grad.numpy()).all()  # 0 where t == 0 (PyTorch's is NaN there)


def test_float64_stays_float64():
    x = mytorch.randn(4, 3, dtype=mytorch.float64, requires_grad=True)
    for loss in (L.cross_entropy(x, mytorch.tensor([0, 1, 2, 0])),
                 L.binary_cross_entropy_with_logits(x, mytorch.zeros(4, 3, dtype=mytorch.float64)),
                 L.mse_loss(x, mytorch.zeros(4, 3, dtype=mytorch.float64))):
        x.grad = None
        loss.backward()
        assert loss.dtype == np.float64 and x.grad.dtype == np.float64


# -- errors ----------------------------------------------------------------------------------
def t(*values, dtype=None):
    return mytorch.tensor(np.array(values, dtype=dtype))


X = mytorch.zeros(3, 5)
P = mytorch.full((3,), 0.5)

ERRORS = [
    ("ce-batch", lambda: L.cross_entropy(X, t(1, 2)), ValueError,
     r"cross_entropy: expected input batch_size \(3\) to match target batch_size \(2\).*\(3, 5\)"),
    ("ce-index-high", lambda: L.cross_entropy(X, t(1, 2, 5)), IndexError,
     r"cross_entropy: target 5 is out of bounds for 5 classes"),
    ("ce-index-negative", lambda: L.cross_entropy(X, t(-1, 2, 0)), IndexError,
     r"cross_entropy: target -1 is out of bounds for 5 classes"),
    ("ce-prob-shape", lambda: L.cross_entropy(X, mytorch.zeros(3, 4)), ValueError,
     r"cross_entropy: probability targets must have the input's shape \(3, 5\).*\(3, 4\)"),
    ("ce-spatial", lambda: L.cross_entropy(mytorch.zeros(2, 5, 3, 4),
                                           mytorch.zeros(2, 3, 3, dtype=mytorch.int64)),
     ValueError, r"cross_entropy: target of shape \(2, 3, 3\) does not match input of shape "
                 r"\(2, 5, 3, 4\) \(expected a target of shape \(2, 3, 4\)\)"),
    ("ce-weight", lambda: L.cross_entropy(X, t(1, 2, 3), weight=mytorch.ones(4)), ValueError,
     r"cross_entropy: weight .* all 5 classes .* shape \(4,\)"),
    ("ce-reduction", lambda: L.cross_entropy(X, t(1, 2, 3), reduction="foo"), ValueError,
     r"cross_entropy: foo is not a valid value for reduction"),
    ("ce-smoothing", lambda: L.cross_entropy(X, t(1, 2, 3), label_smoothing=1.5), ValueError,
     r"cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5"),
    ("ce-int-input", lambda: L.cross_entropy(mytorch.zeros(3, 5, dtype=mytorch.int64),
                                             t(1, 2, 3)),
     RuntimeError, r"cross_entropy: expected a floating point tensor.*\(3, 5\)"),
    ("ce-0d", lambda: L.cross_entropy(mytorch.tensor(1.0), mytorch.tensor(0)), ValueError,
     r"cross_entropy: expected an input of shape \(C,\) or \(N, C, d1, ...\), got a 0-d"),
    ("ce-unbatched-target", lambda: L.cross_entropy(mytorch.zeros(5), t(1, 2)), ValueError,
     r"cross_entropy: an unbatched input of shape \(5,\) needs .* got a target of shape \(2,\)"),
    ("ce-no-classes", lambda: L.cross_entropy(mytorch.zeros(3, 0), t(0, 0, 0)), ValueError,
     r"cross_entropy: expected at least one class, got input of shape \(3, 0\)"),
    ("nll-batch", lambda: L.nll_loss(X, t(1, 2)), ValueError,
     r"nll_loss: expected input batch_size \(3\) to match target batch_size \(2\)"),
    ("nll-index", lambda: L.nll_loss(X, t(1, 7, 0)), IndexError,
     r"nll_loss: target 7 is out of bounds for 5 classes"),
    ("nll-float-target", lambda: L.nll_loss(X, mytorch.zeros(3)), TypeError,
     r"nll_loss: expected class-index targets of an integer dtype.*float32"),
    ("bce-outside", lambda: L.binary_cross_entropy(t(0.5, 1.5, 0.2), P), ValueError,
     r"binary_cross_entropy: all elements of input should be between 0 and 1, got 1.5 "
     r"\(input of shape \(3,\)\)"),
    ("bce-nan", lambda: L.binary_cross_entropy(t(0.5, np.nan, 0.2), P), ValueError,
     r"binary_cross_entropy: all elements of input should be between 0 and 1, got nan"),
    ("bce-negative", lambda: L.binary_cross_entropy(t(-0.1, 0.5, 0.2), P), ValueError,
     r"between 0 and 1, got -0.1"),
    ("bce-shape", lambda: L.binary_cross_entropy(P, mytorch.full((4,), 0.5)), ValueError,
     r"binary_cross_entropy: target of shape \(4,\) must have the input's shape \(3,\)"),
    ("bce-weight", lambda: L.binary_cross_entropy(P, P, weight=mytorch.ones(2)), ValueError,
     r"binary_cross_entropy: weight of shape \(2,\) cannot be broadcast to the input's "
     r"shape \(3,\)"),
    ("bcel-shape", lambda: L.binary_cross_entropy_with_logits(P, mytorch.zeros(3, 1)),
     ValueError, r"binary_cross_entropy_with_logits: target of shape \(3, 1\) must have the "
                 r"input's shape \(3,\)"),
    ("bcel-pos-weight", lambda: L.binary_cross_entropy_with_logits(
        P, P, pos_weight=mytorch.ones(2, 3)), ValueError,
     r"binary_cross_entropy_with_logits: pos_weight of shape \(2, 3\) cannot be broadcast"),
    ("mse-shape", lambda: L.mse_loss(P, mytorch.zeros(4)), ValueError,
     r"mse_loss: target of shape \(4,\) cannot be broadcast to the input's shape \(3,\)"),
    ("mse-weight", lambda: L.mse_loss(P, P, weight=mytorch.ones(1)), ValueError,
     r"mse_loss: weight of shape \(1,\) must have the input's shape \(3,\)"),
    ("mse-int", lambda: L.mse_loss(mytorch.zeros(3, dtype=mytorch.int64), P), RuntimeError,
     r"mse_loss: expected a floating point tensor, got dtype int64"),
    ("l1-reduction", lambda: L.l1_loss(P, P, reduction="batchmean"), ValueError,
     r"l1_loss: batchmean is not a valid value for reduction"),
    ("smooth-l1-beta", lambda: L.smooth_l1_loss(P, P, beta=-1.0), ValueError,
     r"smooth_l1_loss: beta must not be negative, got -1.0"),
    ("kl-reduction", lambda: L.kl_div(P, P, reduction="foo"), ValueError,
     r"kl_div: foo is not a valid value for reduction.*'batchmean'"),
    ("kl-shape", lambda: L.kl_div(P, mytorch.zeros(4), reduction="sum"), ValueError,
     r"kl_div: target of shape \(4,\) cannot be broadcast to the input's shape \(3,\)"),
]


@pytest.mark.parametrize("fn, error, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_op_and_the_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
