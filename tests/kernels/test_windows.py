"""The window geometry every windowed op shares: argument tuples, output sizes, the
geometry object, and the window view read (im2col, pooling) and written (col2im, the
pooling adjoints) one kernel offset at a time."""

import doctest
import re

import numpy as np
import pytest

from mytorch.kernels import windows as Wn
from mytorch.kernels.errors import ShapeError

rng = np.random.default_rng(0)


@pytest.mark.parametrize("value, expected", [
    (3, (3, 3)), (np.int64(2), (2, 2)), ((1, 2), (1, 2)), ([4], (4, 4)), ((np.int32(5),), (5, 5)),
])
def test_ntuple_one_int_or_one_per_dim(value, expected):
    result = Wn.ntuple(value, 2, "stride", "conv2d")
    assert result == expected and all(type(v) is int for v in result)


@pytest.mark.parametrize("value, error", [
    (1.5, TypeError), ((1, 2.0), TypeError), (True, TypeError), ("3", TypeError),
    ((1, 2, 3), ShapeError), ((), ShapeError),
])
def test_ntuple_refuses_with_the_op_and_the_value(value, error):
    with pytest.raises(error, match=r"^max_pool2d: expected kernel_size to be a single integer "
                                    r"value or a list of 2 values, but got kernel_size="
                                    + re.escape(repr(value))):
        Wn.ntuple(value, 2, "kernel_size", "max_pool2d")


def test_pad_pairs():
    assert Wn.pad_pairs(2, 2) == ((2, 2), (2, 2))
    assert Wn.pad_pairs((1, 0), 2) == ((1, 1), (0, 0))
    assert Wn.pad_pairs(((1, 2), 3), 2) == ((1, 2), (3, 3))


def test_one_formula_for_convolution_and_pooling():
    # floor mode is the convolution's formula, with either padding form
    assert Wn.output_size(7, 3, 2, 1, 1) == Wn.output_size(7, 3, 2, (1, 1), 1) == 4
    assert Wn.output_size(8, 4, 1, (1, 2)) == 8
    # ceil mode keeps a partial last window, unless it starts in the right padding
    assert Wn.output_size(5, 2, 2, ceil_mode=True) == 3
    assert Wn.output_size(4, 2, 3, 1, ceil_mode=True) == 2


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
@pytest.mark.parametrize("Lp, K, s, d", [((9,), (3,), (2,), (1,)),
                                         ((7, 8), (2, 3), (1, 2), (2, 1))])
def test_window_view_offset_k_is_the_strided_slice(lead, Lp, K, s, d):
    x_pad = rng.standard_normal(lead + Lp)
    out = Wn.output_shape(Lp, K, s, ((0, 0),) * len(Lp), d)
    view = Wn.window_view(x_pad, K, out, s, d)
    assert view.shape == K + lead + out and not view.flags.writeable
    for k in np.ndindex(*K):
        window = tuple(slice(ki * di, ki * di + si * (oi - 1) + 1, si)
                       for ki, di, si, oi in zip(k, d, s, out))
        np.testing.assert_array_equal(view[k], x_pad[(Ellipsis,) + window])


def test_writing_through_the_view_one_offset_at_a_time_counts_the_windows():
    """An add of ones per offset leaves at each position the number of windows reading it."""
    counts = np.zeros((2, 9))
    view = Wn.window_view(counts, (3,), (4,), (2,), (1,), writeable=True)  # windows 0-2, 2-4, ...
    for k in np.ndindex(3):
        view[k] += 1
    np.testing.assert_array_equal(counts[0], [1, 1, 2, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(counts[1], counts[0])


def test_windows_geometry():
    # conv-style: asymmetric padding; the last window ends before the right padding
    w = Wn.Windows((7,), (3,), (2,), ((1, 2),), (1,))  # windows start at 0, 2, 4, 6 of 10
    assert w.out == (4,) and w.padding == ((1, 2),) and w.pads == ((1, 1),) and not w.disjoint
    # an explicit OUT (a transposed convolution's adjoint) overrides the formula
    assert Wn.Windows((8,), (3,), (2,), (1,), (1,), out=(3,)).out == (3,)
    # ceil mode reads past the right padding; int padding means both sides
    w = Wn.Windows((5, 4), (2, 2), (2, 2), (0, 1), (1, 1), ceil_mode=True)
    assert w.out == (3, 3) and w.padding == ((0, 0), (1, 1)) and w.pads == ((0, 1), (1, 1))
    assert w.offsets == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert "Windows(size=(5, 4)" in repr(w)


def test_docstring_examples():
    assert doctest.testmod(Wn).failed == 0
