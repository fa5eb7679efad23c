"""Resampling: integer-factor up/downsampling against their definitions, interpolate vs torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

import mytorch
from harness import OpSpec, check_against_torch, check_gradcheck, op_tests


# -- upsample / downsample: the course definitions, written out with loops ---------------
def upsample_reference(x, factor, nd):
    """out[..., factor * i] = x[..., i] (each spatial axis), zeros elsewhere."""
    size = tuple(factor * (L - 1) + 1 for L in x.shape[-nd:])
    out = np.zeros(x.shape[:-nd] + size, dtype=x.dtype)
    for i in np.ndindex(*x.shape[-nd:]):
        out[(..., *(factor * j for j in i))] = x[(..., *i)]
    return out


def downsample_reference(x, factor, nd):
    """out[..., i] = x[..., factor * i] for every i with factor * i < L."""
    size = tuple(-(-L // factor) for L in x.shape[-nd:])
    out = np.empty(x.shape[:-nd] + size, dtype=x.dtype)
    for i in np.ndindex(*size):
        out[(..., *i)] = x[(..., *(factor * j for j in i))]
    return out


RESAMPLE = [("upsample", upsample_reference, downsample_reference),
            ("downsample", downsample_reference, None)]
SHAPES = {1: [(2, 3, 5), (3, 4), (1, 1, 1), (0, 2, 6)], 2: [(2, 3, 4, 5), (2, 3, 3), (1, 1, 1, 1)]}


def grids():
    for nd, shapes in SHAPES.items():
        for shape in shapes:
            for factor in (1, 2, 3):
                for kind in ("upsample", "downsample"):
                    if kind == "upsample" and 0 in shape[-nd:]:
                        continue
                    yield pytest.param(kind, nd, shape, factor, id=f"{kind}{nd}d-{shape}-f{factor}")


@pytest.mark.parametrize("kind, nd, shape, factor", list(grids()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resample_matches_definition_forward_and_backward(kind, nd, shape, factor, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    fn = getattr(mytorch, f"{kind}{nd}d")
    xt = mytorch.tensor(x, requires_grad=True)
    y = fn(xt, factor)
    forward = upsample_reference if kind == "upsample" else downsample_reference
    expected = forward(x, factor, nd)
    assert y.shape == expected.shape and y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), expected)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(mytorch.tensor(gy))
    # the adjoint: downsampling's for upsampling; zeros at the dropped samples for downsampling
    if kind == "upsample":
        expected_grad = downsample_reference(gy, factor, nd)
    else:
        expected_grad = np.zeros_like(x)
        expected_grad[(..., *(slice(None, None, factor),) * nd)] = gy
    assert xt.grad.shape == x.shape and xt.grad.dtype == dtype
    np.testing.assert_array_equal(xt.grad.numpy(), expected_grad)


@pytest.mark.parametrize("nd, shape", [(1, (2, 3, 5)), (1, (3, 7)), (2, (1, 2, 3, 4)),
                                       (2, (2, 5, 3))])
@pytest.mark.parametrize("factor", [2, 3])
def test_upsample_and_downsample_are_adjoint(nd, shape, factor):
    rng = np.random.default_rng(1)
    x = mytorch.tensor(rng.standard_normal(shape))
    up = getattr(mytorch, f"upsample{nd}d")(x, factor)
    g = mytorch.tensor(rng.standard_normal(up.shape))
    down = getattr(mytorch, f"downsample{nd}d")(g, factor)
    assert np.isclose(np.vdot(up.numpy(), g.numpy()), np.vdot(x.numpy(), down.numpy()))
    np.testing.assert_array_equal(getattr(mytorch, f"downsample{nd}d")(up, factor).numpy(),
                                  x.numpy())  # downsampling undoes upsampling


@pytest.mark.parametrize("name, shape", [("upsample1d", (1, 2, 4)), ("downsample1d", (2, 7)),
                                         ("upsample2d", (1, 2, 3, 2)),
                                         ("downsample2d", (1, 2, 5, 4))])
def test_resample_gradcheck_and_gradgradcheck(name, shape):
    spec = OpSpec(name, lambda x: getattr(mytorch, name)(x, 2) * 1.5, None, [(shape,)])
    x = spec.arrays((shape,), np.float64)
    check_gradcheck(spec, x)
    check_gradcheck(spec, x, second_order=True)


def test_downsample_backward_keeps_input_width_even_when_factor_does_not_divide():
    x = mytorch.ones(1, 1, 8, requires_grad=True)
    y = mytorch.downsample1d(x, 3)  # keeps 0, 3, 6
    assert y.shape == (1, 1, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [1, 0, 0, 1, 0, 0, 1, 0])


@given(nd=st.integers(1, 2), lead=st.sampled_from([(), (2,)]),  # unbatched or batched
       size=st.integers(1, 7), factor=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_hypothesis_resample(nd, lead, size, factor, seed):
    shape = lead + (2,) + (size,) * nd
    x = np.random.default_rng(seed).standard_normal(shape)
    up = getattr(mytorch, f"upsample{nd}d")(mytorch.tensor(x), factor).numpy()
    np.testing.assert_array_equal(up, upsample_reference(x, factor, nd))
    down = getattr(mytorch, f"downsample{nd}d")(mytorch.tensor(x), factor).numpy()
    np.testing.assert_array_equal(down, downsample_reference(x, factor, nd))


# -- interpolate -------------------------------------------------------------------------
def interp_specs(shapes, options):
    specs = []
    for opts in options:
        label = ",".join(f"{k}={v}" for k, v in opts.items())
        specs.append(OpSpec(f"interpolate({label})",
                            lambda x, o=opts: mytorch.interpolate(x, **o),
                            lambda x, o=opts: F.interpolate(x, **o), shapes))
    return specs


def modes_for(rank):
    linear = {3: "linear", 4: "bilinear", 5: "trilinear"}[rank]
    return [dict(mode="nearest"), dict(mode="nearest-exact"), dict(mode="area"),
            dict(mode=linear, align_corners=False), dict(mode=linear, align_corners=True),
            dict(mode=linear)]


def sizes_for(rank):
    nd = rank - 2
    return [dict(size=7), dict(size=(2,) * nd), dict(size=tuple(range(3, 3 + nd))),
            dict(scale_factor=2), dict(scale_factor=0.5),
            dict(scale_factor=tuple([1.7, 0.6, 3][:nd])),
            dict(scale_factor=1.5, recompute_scale_factor=True), dict(size=(5, 4, 3)[:nd])]


SPECS = []
for rank, shapes in ((3, [((1, 2, 5),), ((2, 3, 4),)]), (4, [((1, 2, 3, 5),), ((2, 1, 6, 4),)]),
                     (5, [((1, 1, 3, 2, 4),)])):
    options = [{**m, **s} for m in modes_for(rank) for s in sizes_for(rank)]
    SPECS += interp_specs(shapes, options)


test_interpolate_matches_torch, test_interpolate_gradcheck = op_tests(
    SPECS, gradchecked=SPECS[::5], points=1)


SECOND_ORDER = SPECS[3::11]


@pytest.mark.parametrize("spec", SECOND_ORDER, ids=[s.name for s in SECOND_ORDER])
def test_interpolate_gradgradcheck(spec):
    check_gradcheck(spec, spec.arrays(spec.shapes[0], np.float64), second_order=True)


def test_the_grids_cover_every_mode_and_align_corners_and_both_size_kinds():
    names = " ".join(s.name for s in SPECS)
    for word in ("nearest,", "nearest-exact", "area", "mode=linear", "bilinear", "trilinear",
                 "align_corners=True", "align_corners=False", "size=", "scale_factor=",
                 "recompute_scale_factor=True"):
        assert word in names, word
    assert any("align_corners=True" in s.name for s in SECOND_ORDER)


@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       out=st.tuples(st.integers(1, 12), st.integers(1, 12)),
       mode=st.sampled_from(["nearest", "nearest-exact", "bilinear", "area"]),
       align_corners=st.booleans(), seed=st.integers(0, 2**16))
def test_hypothesis_interpolate(size, out, mode, align_corners, seed):
    opts = dict(size=out, mode=mode, align_corners=align_corners if mode == "bilinear" else None)
    spec = OpSpec("interpolate", lambda x: mytorch.interpolate(x, **opts),
                  lambda x: F.interpolate(x, **opts), [((2, 2) + size,)])
    check_against_torch(spec, spec.arrays(((2, 2) + size,), np.float64, seed))


@given(size=st.integers(1, 9), scale=st.floats(0.2, 4.0), seed=st.integers(0, 2**16),
       mode=st.sampled_from(["nearest", "nearest-exact", "linear"]))
def test_hypothesis_interpolate_scale_factor(size, scale, seed, mode):
    out = int(size * scale)
    assume(out >= 1)
    # torch's 'nearest' backward special-cases out == L and out == 2L (see the test below)
    assume(mode != "nearest" or out not in (size, 2 * size) or scale == out / size)
    spec = OpSpec("interpolate", lambda x: mytorch.interpolate(x, scale_factor=scale, mode=mode),
                  lambda x: F.interpolate(x, scale_factor=scale, mode=mode), [((1, 2, size),)])
    for dtype in (np.float32, np.float64):
        check_against_torch(spec, spec.arrays(((1, 2, size),), dtype, seed))


def test_nearest_gradient_is_the_adjoint_of_the_forward_even_where_torchs_is_not():
    """L=3, scale_factor=2.2: out = 6 = 2L, and both libraries read inputs [0, 0, 0, 1, 1, 2]
    (floor(i / 2.2)). torch's backward assumes i // 2 there and returns [2, 2, 2]; the true
    gradient of the sum counts the reads: [3, 2, 1]."""
    x = mytorch.tensor([[[1.0, 10.0, 100.0]]], requires_grad=True)
    y = mytorch.interpolate(x, scale_factor=2.2)
    expected = F.interpolate(torch.tensor([[[1.0, 10.0, 100.0]]]), scale_factor=2.2)
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[3.0, 2.0, 1.0]]])
    spec = OpSpec("nearest", lambda t: mytorch.interpolate(t, scale_factor=2.2), None, [])
    check_gradcheck(spec, [np.array([[[1.0, 10.0, 100.0]]])])


# -- errors ------------------------------------------------------------------------------
X3, X4 = mytorch.randn(2, 3, 5), mytorch.randn(2, 3, 5, 5)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: mytorch.interpolate(X4, size=3, scale_factor=2), ValueError,
     r"interpolate: only one of size or scale_factor should be defined"),
    (lambda: mytorch.interpolate(X4), ValueError,
     r"interpolate: either size or scale_factor should be defined"),
    (lambda: mytorch.interpolate(X4, size=3, align_corners=True), ValueError,
     r"interpolate: align_corners option can only be set with the interpolating modes"),
    (lambda: mytorch.interpolate(X3, size=3, mode="bilinear"), NotImplementedError,
     r"interpolate: got a 3-D input, but bilinear mode needs 4-D input \(shape \(2, 3, 5\)\)"),
    (lambda: mytorch.interpolate(X4, size=3, mode="linear"), NotImplementedError,
     r"interpolate: got a 4-D input, but linear mode needs 3-D input"),
    (lambda: mytorch.interpolate(X4, size=3, mode="trilinear"), NotImplementedError,
     r"interpolate: got a 4-D input, but trilinear mode needs 5-D"),
    (lambda: mytorch.interpolate(X4, size=3, mode="foo"), NotImplementedError,
     r"interpolate: only 3-D, 4-D and 5-D inputs .* mode 'foo'"),
    (lambda: mytorch.interpolate(X4, size=3, mode="bicubic"), NotImplementedError,
     r"interpolate: .* mode 'bicubic'"),
    (lambda: mytorch.interpolate(mytorch.randn(3, 4), size=3), NotImplementedError,
     r"interpolate: only 3-D, 4-D and 5-D inputs .* got a 2-D input"),
    (lambda: mytorch.interpolate(X4, size=(3, 3, 3)), ValueError,
     r"interpolate: input and output must have the same number of spatial dims.*\(2, 3, 5, 5\)"),
    (lambda: mytorch.interpolate(X4, scale_factor=(2, 2, 2)), ValueError,
     r"interpolate: input and scale_factor must have the same number of spatial dims"),
    (lambda: mytorch.interpolate(X4, size=0), ValueError,
     r"interpolate: input and output sizes should be greater than 0, got input \(5, 5\) and "
     r"output \(0, 0\)"),
    (lambda: mytorch.interpolate(X4, scale_factor=0.1), ValueError,
     r"interpolate: input and output sizes should be greater than 0"),
    (lambda: mytorch.interpolate(mytorch.randn(2, 3, 0, 4), size=3), ValueError,
     r"interpolate: input and output sizes should be greater than 0, got input \(0, 4\)"),
    (lambda: mytorch.interpolate(X4, size=2.5), TypeError, r"interpolate: size must be an int"),
    (lambda: mytorch.interpolate(X4, size=3, recompute_scale_factor=True), ValueError,
     r"interpolate: recompute_scale_factor is not meaningful with a size"),
    (lambda: mytorch.interpolate(mytorch.tensor(np.ones((1, 1, 3), np.int64)), size=4),
     RuntimeError, r"interpolate: expected a floating point tensor, got dtype int64"),
    (lambda: mytorch.upsample1d(X3, 0), ValueError,
     r"upsample1d: factor must be at least 1, got 0"),
    (lambda: mytorch.upsample2d(X4, 1.5), TypeError, r"upsample2d: factor must be an int"),
    (lambda: mytorch.downsample1d(X4, 2), ValueError,
     r"downsample1d: expected a 2-D \(C, W\) or 3-D \(N, C, W\) input, got shape \(2, 3, 5, 5\)"),
    (lambda: mytorch.downsample2d(X3[0], 2), ValueError,
     r"downsample2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(3, 5\)"),
    (lambda: mytorch.upsample1d(mytorch.randn(2, 3, 0), 2), ValueError,
     r"upsample1d: cannot upsample an empty signal, got shape \(2, 3, 0\)"),
    (lambda: mytorch.downsample1d(np.ones((2, 3)), 2), TypeError,
     r"downsample1d: expected a Tensor input, got ndarray"),
])
def test_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("kwargs", [dict(size=3, scale_factor=2), dict(),
                                    dict(size=3, align_corners=True), dict(size=(3, 3, 3)),
                                    dict(size=0), dict(size=3, mode="linear")])
def test_torch_rejects_the_same_interpolate_calls(kwargs):
    with pytest.raises((ValueError, RuntimeError)):  # NotImplementedError is a RuntimeError
        F.interpolate(torch.randn(2, 3, 5, 5), **kwargs)
