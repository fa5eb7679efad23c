"""Convolution ops against PyTorch: conv1d/conv2d (every option, every padding mode),
conv_transpose1d/2d, unfold/fold; forward and all gradients in float32 and float64,
gradcheck and gradgradcheck, hypothesis-drawn configurations, and every error."""

import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, gradcheck_cases, op_tests
from mytorch.ops import conv as C

MT_CONV = {1: C.conv1d, 2: C.conv2d}
TH_CONV = {1: F.conv1d, 2: F.conv2d}
MT_CONV_T = {1: C.conv_transpose1d, 2: C.conv_transpose2d}
TH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
TH_LAYER = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
# torch warns that it copies the input for padding='same' with even kernels; so do we, silently
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def _call(fn, kwargs):
    """f(x, W[, b]) with fixed keyword options."""
    return lambda *tensors: fn(*tensors, **kwargs)


def conv_spec(name, x, w, bias=True, **kwargs):
    """conv{nd}d on input shape x and weight shape w, with or without a bias."""
    nd = len(w) - 2
    shapes = [(x, w, (w[0],))] if bias else [(x, w)]
    return OpSpec(f"conv{nd}d-{name}", _call(MT_CONV[nd], kwargs), _call(TH_CONV[nd], kwargs),
                  shapes)


def padding_mode_spec(mode, x, w, **kwargs):
    """conv_nd with a padding_mode, against torch's own layer doing the same."""
    nd = len(w) - 2
    groups = kwargs.get("groups", 1)
    layer = TH_LAYER[nd](w[1] * groups, w[0], w[2:], padding_mode=mode, **kwargs)
    options = "-".join(f"{key}={value}" for key, value in kwargs.items()).replace(" ", "")
    mt = _call(C.conv_nd, dict(padding_mode=mode, **kwargs))
    return OpSpec(f"conv{nd}d-{mode}-{options}", mt,
                  lambda x_, w_, b_: layer._conv_forward(x_, w_, b_), [(x, w, (w[0],))])


def transpose_spec(name, x, w, groups=1, bias=True, **kwargs):
    """conv_transpose{nd}d; w is (C_in, C_out / groups, *K)."""
    nd = len(w) - 2
    kwargs["groups"] = groups
    shapes = [(x, w, (w[1] * groups,))] if bias else [(x, w)]
    return OpSpec(f"conv_transpose{nd}d-{name}", _call(MT_CONV_T[nd], kwargs),
                  _call(TH_CONV_T[nd], kwargs), shapes)


X2, W2 = (2, 4, 7, 6), (6, 4, 3, 3)
X1, W1 = (3, 4, 9), (6, 4, 3)
SPECS = [
    # conv2d: one option at a time, then together
    conv_spec("plain", X2, W2),
    conv_spec("no-bias", X2, W2, bias=False),
    conv_spec("stride2", X2, W2, stride=2),
    conv_spec("stride23", X2, W2, stride=(2, 3)),
    conv_spec("pad1", X2, W2, padding=1),
    conv_spec("pad20", X2, W2, padding=(2, 0)),
    conv_spec("valid", X2, W2, padding="valid"),
    conv_spec("same", X2, W2, padding="same"),
    conv_spec("same-even", X2, (6, 4, 4, 2), padding="same"),
    conv_spec("same-even-dilated", X2, (6, 4, 2, 3), padding="same", dilation=(3, 2)),
    conv_spec("dilation2", X2, W2, dilation=2),
    conv_spec("dilation21", X2, W2, dilation=(2, 1), padding=1),
    conv_spec("groups2", X2, (6, 2, 3, 3), groups=2),
    conv_spec("depthwise", X2, (4, 1, 3, 3), groups=4, padding=1),
    conv_spec("depthwise-x2", X2, (8, 1, 3, 3), groups=4),
    conv_spec("depthwise-all", (2, 4, 9, 8), (8, 1, 3, 2), groups=4, stride=(2, 3),
              padding=(1, 2), dilation=(2, 1)),
    conv_spec("kernel1", X2, (5, 4, 1, 1)),
    conv_spec("kernel-whole", X2, (3, 4, 7, 6)),
    conv_spec("rect-kernel", X2, (6, 4, 2, 5), stride=(1, 2), padding=(1, 2)),
    conv_spec("all", (2, 6, 9, 8), (6, 2, 3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1),
              groups=3),
    conv_spec("unbatched", X2[1:], W2, padding=1),
    conv_spec("unbatched-same", X2[1:], (6, 4, 2, 2), padding="same"),
    conv_spec("empty-batch", (0, 4, 7, 6), W2),
    # conv1d
    conv_spec("plain", X1, W1),
    conv_spec("no-bias", X1, W1, bias=False),
    conv_spec("stride3-pad2", X1, W1, stride=3, padding=2),
    conv_spec("same-even", X1, (6, 4, 4), padding="same"),
    conv_spec("same-dilated", X1, W1, padding="same", dilation=3),
    conv_spec("valid-dilated", X1, W1, padding="valid", dilation=2),
    conv_spec("groups2", X1, (6, 2, 3), groups=2, stride=2),
    conv_spec("depthwise", X1, (4, 1, 5), groups=4, padding=2),
    conv_spec("depthwise-x3-all", X1, (12, 1, 3), groups=4, stride=2, padding=1, dilation=2),
    conv_spec("unbatched", X1[1:], W1, padding=1),
    # padding modes, through the layer's path (pad op, then convolution)
    *[padding_mode_spec(mode, X2, (6, 2, 3, 2), padding=(1, 2), groups=2)
      for mode in ("zeros", "reflect", "replicate", "circular")],
    *[padding_mode_spec(mode, X2, (6, 4, 2, 3), padding="same", dilation=(2, 1))
      for mode in ("reflect", "replicate", "circular")],
    *[padding_mode_spec(mode, X1, W1, padding=2, stride=2)
      for mode in ("reflect", "replicate", "circular")],
    padding_mode_spec("reflect", X2[1:], W2, padding=1),
    # conv_nd is written for any number of spatial dims: 3-D against torch's Conv3d
    padding_mode_spec("zeros", (2, 4, 4, 5, 4), (4, 2, 2, 3, 2), padding=1, groups=2,
                      stride=(1, 2, 1)),
    padding_mode_spec("circular", (1, 2, 4, 3, 5), (3, 2, 3, 2, 2), padding=(1, 0, 2)),
    # transposed convolutions
    transpose_spec("plain", (2, 4, 5, 4), (4, 3, 3, 3)),
    transpose_spec("no-bias", (2, 4, 5, 4), (4, 3, 3, 3), bias=False),
    transpose_spec("stride2-outpad1", (2, 4, 5, 4), (4, 3, 3, 3), stride=2, padding=1,
                   output_padding=1),
    transpose_spec("stride23-outpad12", (2, 4, 5, 4), (4, 3, 3, 2), stride=(2, 3),
                   padding=(1, 0), output_padding=(1, 2)),
    transpose_spec("dilated-outpad", (2, 4, 5, 4), (4, 3, 3, 3), dilation=2, output_padding=1),
    transpose_spec("groups2", (2, 4, 5, 4), (4, 3, 2, 3), groups=2, stride=2, padding=(0, 1)),
    transpose_spec("depthwise", (2, 4, 5, 4), (4, 1, 3, 3), groups=4),
    transpose_spec("unbatched", (4, 5, 4), (4, 3, 3, 3), stride=2),
    transpose_spec("plain", (3, 4, 7), (4, 2, 3)),
    transpose_spec("all", (3, 4, 7), (4, 3, 3), groups=2, stride=3, padding=2,
                   output_padding=1, dilation=2),
    transpose_spec("unbatched", (4, 7), (4, 2, 4), stride=2, output_padding=1),
    # unfold / fold
    OpSpec("unfold", lambda x: C.unfold(x, 2), lambda x: F.unfold(x, 2), [((2, 3, 5, 4),)]),
    OpSpec("unfold-all", lambda x: C.unfold(x, (2, 3), (1, 2), 1, (2, 1)),
           lambda x: F.unfold(x, (2, 3), (1, 2), 1, (2, 1)), [((2, 3, 6, 7),)]),
    OpSpec("unfold-unbatched", lambda x: C.unfold(x, 3, padding=1),
           lambda x: F.unfold(x, 3, padding=1), [((3, 4, 5),)]),
    OpSpec("fold", lambda x: C.fold(x, (4, 5), 2), lambda x: F.fold(x, (4, 5), 2),
           [((2, 12, 12),)]),
    OpSpec("fold-all", lambda x: C.fold(x, (6, 7), (2, 3), (1, 2), 1, (2, 1)),
           lambda x: F.fold(x, (6, 7), (2, 3), (1, 2), 1, (2, 1)), [((2, 18, 20),)]),
    OpSpec("fold-unbatched", lambda x: C.fold(x, 5, 3, padding=1),
           lambda x: F.fold(x, 5, 3, padding=1), [((18, 25),)]),
]


# finite differences on one spec of each kind (the torch comparison above covers every option)
GRADCHECKED = ["conv2d-all", "conv2d-same-even-dilated", "conv2d-depthwise", "conv2d-depthwise-all",
               "conv1d-depthwise-x3-all", "conv1d-groups2",
               "conv1d-unbatched", "conv_transpose2d-stride23-outpad12", "conv_transpose1d-all",
               "unfold-all", "fold-all"]

test_matches_torch, test_gradcheck = op_tests(SPECS, gradchecked=[
    s for s in SPECS if s.name in GRADCHECKED or s.name.startswith("conv2d-circular-padding=s")])


# second order, on small shapes: the three Functions differentiate each other
SECOND_ORDER = [
    conv_spec("small", (1, 2, 4, 4), (2, 2, 2, 2), stride=2, padding=1),
    conv_spec("small-groups-dilation", (1, 4, 5, 4), (2, 2, 2, 2), groups=2, dilation=(2, 1)),
    conv_spec("small-1d", (2, 2, 6), (3, 2, 3), padding="same", bias=False),
    conv_spec("small-depthwise", (2, 2, 5, 4), (4, 1, 2, 3), groups=2, stride=(2, 1),
              padding=1, dilation=(1, 2)),
    padding_mode_spec("reflect", (1, 2, 4, 4), (2, 2, 2, 2), padding=1),
    transpose_spec("small", (1, 2, 3, 3), (2, 2, 2, 2), stride=2, padding=1, output_padding=1),
    transpose_spec("small-dilated-outpad", (1, 2, 4), (2, 1, 2), groups=2, dilation=2,
                   output_padding=1),
    OpSpec("unfold-small", lambda x: C.unfold(x, 2, stride=2, padding=1) ** 2,
           lambda x: F.unfold(x, 2, stride=2, padding=1) ** 2, [((1, 2, 3, 3),)]),
    OpSpec("fold-small", lambda x: C.fold(x, 3, 2) ** 2, lambda x: F.fold(x, 3, 2) ** 2,
           [((1, 4, 4),)]),
]


@pytest.mark.parametrize("spec, shapes", gradcheck_cases(SECOND_ORDER))
def test_gradgradcheck(spec, shapes):
    check_gradcheck(spec, spec.arrays(shapes, np.float64), second_order=True)


def test_second_derivatives_match_torch():
    """d/dx and d/dW of <v, grad of <gy, conv(x, W)>>: every Function's backward, vs torch."""
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((6, 2, 3, 2))
    gy = rng.standard_normal((2, 6, 3, 3))
    vx, vW = rng.standard_normal(x.shape), rng.standard_normal(W.shape)
    kw = dict(stride=2, padding=(1, 1), dilation=(1, 2), groups=2)
    results = []
    for lib, conv in ((mytorch, C.conv2d), (torch, F.conv2d)):
        xs, Ws = lib.tensor(x, requires_grad=True), lib.tensor(W, requires_grad=True)
        gx, gW = lib.autograd.grad((conv(xs, Ws, **kw) * lib.tensor(gy)).sum(), [xs, Ws],
                                   create_graph=True)
        total = (gx * lib.tensor(vx)).sum() + (gW * lib.tensor(vW)).sum()
        results.append([np.asarray(g.detach().numpy()) for g in lib.autograd.grad(total, [xs, Ws])])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)


def test_float64_stays_float64_and_mixed_promotes():
    x = mytorch.randn(2, 3, 5, dtype=mytorch.float64, requires_grad=True)
    W = mytorch.randn(4, 3, 2, requires_grad=True)  # float32
    y = C.conv1d(x, W)
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64 and W.grad.dtype == np.float32


def test_grad_fn_names():
    x = mytorch.randn(1, 2, 5, requires_grad=True)
    W = mytorch.randn(3, 2, 2, requires_grad=True)
    assert C.conv1d(x, W).grad_fn.name() == "ConvBackward0"
    assert C.conv_transpose1d(mytorch.randn(1, 3, 4), W).grad_fn.name() == "ConvTransposeBackward0"


def test_chunked_ops_match_unchunked():
    from mytorch.kernels import conv as K

    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((5, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for budget in (K.get_conv_memory_budget(), 1):
        previous = K.set_conv_memory_budget(budget)
        try:
            xs, Ws = mytorch.tensor(x, requires_grad=True), mytorch.tensor(W, requires_grad=True)
            y = C.conv2d(xs, Ws, padding=1)
            (y * y).sum().backward()
            results.append((y.numpy(), xs.grad.numpy(), Ws.grad.numpy()))
        finally:
            K.set_conv_memory_budget(previous)
    for whole, chunked in zip(*results):
        np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)


# -- hypothesis: any valid configuration -------------------------------------------------
@st.composite
def conv_configs(draw):
    nd = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    same = draw(st.booleans())
    stride = (1,) * nd if same else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = "same" if same else tuple(draw(st.integers(0, 2)) for _ in range(nd))
    # sizes large enough for the dilated kernel and for reflect padding (< size)
    size = tuple(draw(st.integers(max(d * (k - 1) + 1, 3), 7)) for d, k in zip(dilation, kernel))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return dict(nd=nd, x=(*batch, cin, *size), w=(cout, cin // groups, *kernel),
                bias=draw(st.booleans()), kw=dict(stride=stride, padding=padding,
                                                  dilation=dilation, groups=groups),
                mode=mode, seed=draw(st.integers(0, 2**16)))


@given(conv_configs())
def test_hypothesis_conv(config):
    kw = config["kw"]
    nd, groups = config["nd"], kw["groups"]
    x_shape, w_shape = config["x"], config["w"]
    layer = TH_LAYER[nd](w_shape[1] * groups, w_shape[0], w_shape[2:],
                         padding_mode=config["mode"], **kw)
    shapes = (x_shape, w_shape, (w_shape[0],)) if config["bias"] else (x_shape, w_shape)
    spec = OpSpec("conv", _call(C.conv_nd, dict(padding_mode=config["mode"], **kw)),
                  lambda x, w, b=None: layer._conv_forward(x, w, b), [shapes])
    check_against_torch(spec, spec.arrays(shapes, np.float64, config["seed"]))


@given(conv_configs())
def test_hypothesis_conv_transpose(config):
    kw = dict(config["kw"])
    if kw.pop("padding") == "same":
        kw["padding"] = 0
    nd = config["nd"]
    cout, cin_g, *kernel = config["w"]  # reuse: C_in = cout, C_out / groups = cin_g
    # every output_padding that is < stride or < dilation
    kw["output_padding"] = tuple((config["seed"] >> i) % max(s, d)
                                 for i, s, d in zip(range(nd), kw["stride"], kw["dilation"]))
    spec = transpose_spec("hyp", (*config["x"][:-nd - 1], cout, *config["x"][-nd:]),
                          (cout, cin_g, *kernel), bias=config["bias"], **kw)
    check_against_torch(spec, spec.arrays(spec.shapes[0], np.float64, config["seed"]))


# -- errors: type, and a message naming the op and the shapes ----------------------------
def t(*shape):
    return mytorch.zeros(*shape)


ERRORS = [
    (lambda: C.conv2d(t(2, 5, 8, 8), t(4, 3, 3, 3)), ValueError,
     r"conv2d: given groups=1, weight of shape \(4, 3, 3, 3\) expects input of shape "
     r"\(2, 5, 8, 8\) to have 3 channels, but got 5"),
    (lambda: C.conv1d(t(2, 5, 8), t(4, 2, 3), groups=2), ValueError,
     r"conv1d: given groups=2.*\(4, 2, 3\).*\(2, 5, 8\).*4 channels, but got 5"),
    (lambda: C.conv2d(t(2, 6, 8, 8), t(3, 3, 3, 3), groups=2), ValueError,
     r"conv2d: given groups=2, expected weight to be divisible by 2.*\(3, 3, 3, 3\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), groups=0), ValueError,
     r"conv2d: non-positive groups"),
    (lambda: C.conv2d(t(2, 3, 2, 2), t(4, 3, 3, 3)), ValueError,
     r"conv2d: calculated padded input size per channel \(2 x 2\).*\(3 x 3\).*\(2, 3, 2, 2\)"),
    (lambda: C.conv1d(t(2, 3, 4), t(4, 3, 3), dilation=2), ValueError,
     r"conv1d: calculated padded input size per channel \(4\).*dilated kernel size \(5\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), stride=0), ValueError,
     r"conv2d: non-positive stride.*\(0, 0\)"),
    (lambda: C.conv1d(t(2, 3, 8), t(4, 3, 3), stride=-1), ValueError,
     r"conv1d: non-positive stride"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), dilation=(1, 0)), ValueError,
     r"conv2d: non-positive dilation.*\(1, 0\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), padding=-1), ValueError,
     r"conv2d: negative padding.*\(-1, -1\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), padding="same", stride=2), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), padding="full"), ValueError,
     r"conv2d: invalid padding string 'full'"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), stride=(1, 1, 1)), ValueError,
     r"conv2d: expected stride to be a single integer value or a list of 2 values"),
    (lambda: C.conv1d(t(2, 3, 8), t(4, 3, 3), padding=(1, 2)), ValueError,
     r"conv1d: expected padding to be .* a list of 1 values"),
    (lambda: C.conv2d(t(2, 3), t(4, 3, 3, 3)), ValueError,
     r"conv2d: expected 3D \(unbatched\) or 4D \(batched\) input, but got input of shape \(2, 3\)"),
    (lambda: C.conv1d(t(1, 2, 3, 8), t(4, 3, 3)), ValueError,
     r"conv1d: expected 2D \(unbatched\) or 3D \(batched\) input.*\(1, 2, 3, 8\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3)), ValueError,
     r"conv2d: expected a 4D weight .*\(4, 3, 3\)"),
    (lambda: C.conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), t(5)), ValueError,
     r"conv2d: given weight of shape \(4, 3, 3, 3\), expected bias to be 1-dimensional with 4 "
     r"elements, but got bias of shape \(5,\)"),
    (lambda: C.conv2d(np.zeros((2, 3, 8, 8)), t(4, 3, 3, 3)), TypeError,
     r"conv2d: input must be a Tensor, got ndarray"),
    (lambda: C.conv_nd(t(2, 3, 8, 8), t(4, 3, 3, 3), padding=1, padding_mode="mirror"),
     ValueError, r"conv2d: padding_mode must be one of .*'mirror'"),
    (lambda: C.conv_nd(t(2, 3, 2, 8), t(4, 3, 1, 3), padding=2, padding_mode="reflect"),
     ValueError, r"pad: .*reflect padding must be less than the size.*\(2, 3, 2, 8\)"),
    (lambda: C.conv_transpose2d(t(2, 4, 8, 8), t(4, 3, 3, 3), stride=2, output_padding=2),
     ValueError, r"conv_transpose2d: output padding must be smaller than either stride or "
     r"dilation, but got output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)"),
    (lambda: C.conv_transpose1d(t(2, 4, 8), t(4, 3, 3), output_padding=1), ValueError,
     r"conv_transpose1d: output padding must be smaller"),
    (lambda: C.conv_transpose2d(t(2, 5, 8, 8), t(4, 3, 3, 3)), ValueError,
     r"conv_transpose2d: given transposed=1, weight of shape \(4, 3, 3, 3\) expects input of "
     r"shape \(2, 5, 8, 8\) to have 4 channels, but got 5"),
    (lambda: C.conv_transpose2d(t(2, 4, 8, 8), t(4, 3, 3, 3), t(4)), ValueError,
     r"conv_transpose2d: given transposed weight of shape \(4, 3, 3, 3\), expected bias .*3 "
     r"elements.*\(4,\)"),
    (lambda: C.conv_transpose2d(t(2, 4, 8, 8), t(4, 3, 3, 3), groups=3), ValueError,
     r"conv_transpose2d: given groups=3, expected weight to be divisible by 3"),
    (lambda: C.conv_transpose2d(t(2, 4, 1, 1), t(4, 3, 3, 3), padding=3), ValueError,
     r"conv_transpose2d: the calculated output size \(-3, -3\) is not positive.*\(2, 4, 1, 1\)"),
    (lambda: C.conv_transpose2d(t(2, 4, 8, 8), t(4, 3, 3, 3), padding="same"), TypeError,
     r"conv_transpose2d: padding must be an int or a tuple of ints"),
    (lambda: C.conv_transpose1d(t(2, 4, 8), t(4, 3, 3), padding=-1), ValueError,
     r"conv_transpose1d: negative padding"),
    (lambda: C.conv_transpose1d(t(2, 4, 8), t(4, 3, 3), stride=0), ValueError,
     r"conv_transpose1d: non-positive stride"),
    (lambda: C.conv_transpose2d(t(4, 8), t(4, 3, 3, 3)), ValueError,
     r"conv_transpose2d: expected 3D \(unbatched\) or 4D \(batched\) input.*\(4, 8\)"),
    (lambda: C.unfold(t(2, 3, 8, 8, 8), 2), ValueError,
     r"unfold: expected a 3D \(unbatched\) or 4D \(batched\) input.*\(2, 3, 8, 8, 8\)"),
    (lambda: C.unfold(t(2, 3, 2, 2), 3), ValueError,
     r"unfold: given input with spatial size \(2, 2\), kernel_size=\(3, 3\).*\(0, 0\)"),
    (lambda: C.unfold(t(2, 3, 8, 8), 2, stride=0), ValueError, r"unfold: non-positive stride"),
    (lambda: C.unfold(t(2, 3, 8, 8), 2, padding=-1), ValueError, r"unfold: negative padding"),
    (lambda: C.fold(t(2, 13, 9), (4, 4), 2), ValueError,
     r"fold: expected size of input's dimension 1 to be divisible by the product of "
     r"kernel_size, but got input of shape \(2, 13, 9\) and kernel_size=\(2, 2\)"),
    (lambda: C.fold(t(2, 12, 8), (4, 4), 2), ValueError,
     r"fold: given output_size=\(4, 4\).*sliding blocks 3 \* 3 = 9, but got input of shape "
     r"\(2, 12, 8\)"),
    (lambda: C.fold(t(2, 12, 9, 1), (4, 4), 2), ValueError,
     r"fold: expected a 2D \(unbatched\) or 3D \(batched\) input.*\(2, 12, 9, 1\)"),
    (lambda: C.fold(t(2, 12, 9), (4, 4, 4), 2), ValueError,
     r"fold: expected output_size to be a single integer value or a list of 2 values"),
]


@pytest.mark.parametrize("call, error, message", ERRORS,
                         ids=[f"error{i}" for i in range(len(ERRORS))])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_docstring_examples():
    assert doctest.testmod(C).failed == 0
