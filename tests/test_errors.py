"""Errors where PyTorch raises RuntimeError are ShapeErrors: ValueError and RuntimeError both.

Code ported from PyTorch catches ``RuntimeError``; mytorch's own convention is
``ValueError``. Every case runs in torch too, to confirm that torch raises
RuntimeError there, and the message must name the op and the shapes.
"""

from __future__ import annotations

import re

import pytest
import torch

import mytorch


def z(lib, *shape):
    return lib.zeros(shape)


def lz(lib, *shape):
    return lib.zeros(shape, dtype=lib.int64)


# (name, call with lib = mytorch or torch, a regex the message must match: the op and shapes)
CASES = [
    # products
    ("matmul", lambda lib: lib.matmul(z(lib, 2, 3), z(lib, 4, 5)), r"matmul.*\(2, 3\).*\(4, 5\)"),
    ("matmul_batch", lambda lib: z(lib, 2, 2, 3) @ z(lib, 3, 3, 4),
     r"matmul.*\(2, 2, 3\).*\(3, 3, 4\)"),
    ("matmul_0d", lambda lib: lib.matmul(z(lib), z(lib, 3)), r"matmul.*\(\).*\(3,\)"),
    ("mm", lambda lib: lib.mm(z(lib, 2, 3, 1), z(lib, 1, 5)), r"mm.*\(2, 3, 1\).*\(1, 5\)"),
    ("bmm", lambda lib: lib.bmm(z(lib, 2, 2, 3), z(lib, 3, 3, 4)),
     r"bmm.*\(2, 2, 3\).*\(3, 3, 4\)"),
    ("dot", lambda lib: lib.dot(z(lib, 3, 1), z(lib, 3)), r"dot.*\(3, 1\).*\(3,\)"),
    ("outer", lambda lib: lib.outer(z(lib, 3, 1), z(lib, 3)), r"outer.*\(3, 1\).*\(3,\)"),
    ("einsum", lambda lib: lib.einsum("ij,jk->ik", z(lib, 2, 3), z(lib, 4, 5)),
     r"einsum.*\(2, 3\).*\(4, 5\)"),
    ("tensordot", lambda lib: lib.tensordot(z(lib, 2, 3), z(lib, 4, 5), dims=1),
     r"tensordot.*\(2, 3\).*\(4, 5\)"),
    ("linear", lambda lib: lib.nn.functional.linear(z(lib, 2, 3), z(lib, 4, 5)),
     r"linear.*\(2, 3\).*\(4, 5\)"),
    ("linear_bias", lambda lib: lib.nn.functional.linear(z(lib, 2, 3), z(lib, 4, 3), z(lib, 5)),
     r"linear.*\(5,\).*\(4, 3\)"),
    ("Linear", lambda lib: lib.nn.Linear(3, 4)(z(lib, 2, 5)), r"linear.*\(2, 5\).*\(4, 3\)"),
    ("Bilinear", lambda lib: lib.nn.Bilinear(3, 4, 5)(z(lib, 2, 3), z(lib, 2, 5)),
     r"bilinear.*\(2, 3\).*\(2, 5\).*\(5, 3, 4\)"),
    # convolution: channels, ranks, bias, groups, sizes, geometry
    ("conv2d_channels",
     lambda lib: lib.nn.functional.conv2d(z(lib, 1, 3, 5, 5), z(lib, 4, 2, 3, 3)),
     r"conv2d.*\(4, 2, 3, 3\).*\(1, 3, 5, 5\).*2 channels.*3 channels"),
    ("Conv2d_channels", lambda lib: lib.nn.Conv2d(3, 4, 3)(z(lib, 1, 2, 5, 5)),
     r"conv2d.*\(4, 3, 3, 3\).*\(1, 2, 5, 5\)"),
    ("Conv1d_channels", lambda lib: lib.nn.Conv1d(3, 4, 3)(z(lib, 1, 2, 5)),
     r"conv1d.*\(4, 3, 3\).*\(1, 2, 5\)"),
    ("conv2d_rank", lambda lib: lib.nn.functional.conv2d(z(lib, 5, 5), z(lib, 4, 2, 3, 3)),
     r"conv2d.*\(5, 5\)"),
    ("conv2d_bias", lambda lib: lib.nn.functional.conv2d(z(lib, 1, 3, 5, 5), z(lib, 4, 3, 3, 3),
                                                        z(lib, 3)),
     r"conv2d.*\(4, 3, 3, 3\).*\(3,\)"),
    ("conv2d_groups", lambda lib: lib.nn.functional.conv2d(z(lib, 1, 4, 5, 5), z(lib, 3, 2, 3, 3),
                                                          groups=2),
     r"conv2d.*groups=2.*\(3, 2, 3, 3\)"),
    ("conv2d_too_small", lambda lib: lib.nn.functional.conv2d(z(lib, 1, 3, 2, 2),
                                                             z(lib, 4, 3, 3, 3)),
     r"conv2d.*2 x 2.*3 x 3"),
    ("conv_transpose2d_channels",
     lambda lib: lib.nn.functional.conv_transpose2d(z(lib, 1, 3, 5, 5), z(lib, 4, 2, 3, 3)),
     r"conv_transpose2d.*\(4, 2, 3, 3\).*\(1, 3, 5, 5\)"),
    ("conv_transpose2d_output_padding",
     lambda lib: lib.nn.functional.conv_transpose2d(z(lib, 1, 4, 5, 5), z(lib, 4, 2, 3, 3),
                                                    output_padding=2),
     r"conv_transpose2d.*output_padding=\(2, 2\)"),
    ("unfold_too_small", lambda lib: lib.nn.functional.unfold(z(lib, 1, 1, 1, 1), 2),
     r"unfold.*\(1, 1\).*kernel_size=\(2, 2\)"),
    ("fold_channels", lambda lib: lib.nn.functional.fold(z(lib, 1, 5, 4), (3, 3), 2),
     r"fold.*\(1, 5, 4\).*kernel_size=\(2, 2\)"),
    # normalization: channel counts and shapes
    ("BatchNorm2d_channels", lambda lib: lib.nn.BatchNorm2d(3)(z(lib, 2, 4, 5, 5)),
     r"batch_norm.*running_mean.*3.*\(2, 4, 5, 5\)"),
    ("BatchNorm1d_channels", lambda lib: lib.nn.BatchNorm1d(3)(z(lib, 2, 4)),
     r"batch_norm.*\(2, 4\)"),
    ("LayerNorm", lambda lib: lib.nn.LayerNorm(4)(z(lib, 2, 3)), r"layer_norm.*4.*\(2, 3\)"),
    ("GroupNorm", lambda lib: lib.nn.GroupNorm(2, 4)(z(lib, 2, 3, 5)), r"group_norm.*\(2, 3, 5\)"),
    # joining and broadcasting
    ("cat", lambda lib: lib.cat([z(lib, 2, 3), z(lib, 2, 4)]), r"cat.*\(2, 3\).*\(2, 4\)"),
    ("cat_rank", lambda lib: lib.cat([z(lib, 2, 3), z(lib, 2, 3, 1)]),
     r"cat.*\(2, 3\).*\(2, 3, 1\)"),
    ("stack", lambda lib: lib.stack([z(lib, 2, 3), z(lib, 2, 4)]), r"stack.*\(2, 3\).*\(2, 4\)"),
    ("add", lambda lib: z(lib, 2, 3) + z(lib, 4, 3), r"add.*\(2, 3\).*\(4, 3\)"),
    ("mul", lambda lib: z(lib, 2, 3) * z(lib, 2, 4), r"mul.*\(2, 3\).*\(2, 4\)"),
    ("sub", lambda lib: lib.sub(z(lib, 2, 3), z(lib, 3, 2)), r"sub.*\(2, 3\).*\(3, 2\)"),
    ("maximum", lambda lib: lib.maximum(z(lib, 2, 3), z(lib, 3, 2)),
     r"maximum.*\(2, 3\).*\(3, 2\)"),
    ("where", lambda lib: lib.where(z(lib, 2, 3) > 0, z(lib, 3, 2), z(lib, 2, 3)),
     r"where.*\(2, 3\).*\(3, 2\)"),
    ("mse_loss", lambda lib: lib.nn.functional.mse_loss(z(lib, 2, 3), z(lib, 4, 3)),
     r"mse_loss.*\(4, 3\).*\(2, 3\)"),
    # views and sizes
    ("view", lambda lib: z(lib, 2, 3).view(4, 2), r"reshape.*\(4, 2\).*\(2, 3\)"),
    ("reshape", lambda lib: z(lib, 2, 3).reshape(-1, 4), r"reshape.*\(-1, 4\).*\(2, 3\)"),
    ("expand", lambda lib: z(lib, 2, 3).expand(4, 3), r"expand.*\(2, 3\).*\(4, 3\)"),
    ("expand_rank", lambda lib: z(lib, 2, 3).expand(3), r"expand.*\(3,\).*\(2, 3\)"),
    ("permute", lambda lib: z(lib, 2, 3).permute(0, 1, 2), r"permute.*\(0, 1, 2\).*\(2, 3\)"),
    ("repeat", lambda lib: z(lib, 2, 3).repeat(2), r"repeat.*\(2,\).*\(2, 3\)"),
    ("split", lambda lib: z(lib, 4).split([1, 2]), r"split.*\[1, 2\].*\(4,\)"),
    ("flatten", lambda lib: z(lib, 2, 3, 4).flatten(2, 1), r"flatten.*\(2, 3, 4\)"),
    ("pad", lambda lib: lib.nn.functional.pad(z(lib, 2, 3), (1, 1, 1, 1, 1, 1)),
     r"pad.*\(1, 1, 1, 1, 1, 1\).*\(2, 3\)"),
    ("gather", lambda lib: lib.gather(z(lib, 2, 3), 1, lz(lib, 3, 3)),
     r"gather.*\(3, 3\).*\(2, 3\)"),
    ("topk", lambda lib: z(lib, 2, 3).topk(5), r"topk.*k=5.*\(2, 3\)"),
    ("setitem", lambda lib: z(lib, 2, 3).__setitem__(0, z(lib, 4)), r"setitem.*\(4,\).*\(2, 3\)"),
    # pooling geometry
    ("max_pool2d_too_small", lambda lib: lib.nn.functional.max_pool2d(z(lib, 1, 1, 1, 1), 2),
     r"max_pool2d.*\(1, 1, 1, 1\).*kernel_size=\(2, 2\)"),
    ("max_pool2d_rank", lambda lib: lib.nn.functional.max_pool2d(z(lib, 4), 2),
     r"max_pool2d.*\(4,\)"),
    ("adaptive_avg_pool2d_rank", lambda lib: lib.nn.functional.adaptive_avg_pool2d(z(lib, 4), 2),
     r"adaptive_avg_pool2d.*\(4,\)"),
    # recurrent layers
    ("RNN_input_size", lambda lib: lib.nn.RNN(3, 4)(z(lib, 5, 2, 6)), r"RNN.*3.*6.*\(5, 2, 6\)"),
    ("GRUCell_batch", lambda lib: lib.nn.GRUCell(3, 4)(z(lib, 2, 3), z(lib, 3, 4)),
     r"GRUCell.*\(2, 3\).*\(3, 4\)"),
]


@pytest.mark.filterwarnings("ignore:Using a target size")  # torch's mse_loss warns, then raises
@pytest.mark.parametrize("name, call, message", CASES, ids=[c[0] for c in CASES])
def test_runtime_errors_of_torch_are_shape_errors(name, call, message):
    with pytest.raises(RuntimeError):  # the oracle: PyTorch raises RuntimeError here
        call(torch)
    with pytest.raises(mytorch.ShapeError, match=message) as caught:
        call(mytorch)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ValueError)


def test_shape_error_is_both_and_exported():
    assert issubclass(mytorch.ShapeError, ValueError)
    assert issubclass(mytorch.ShapeError, RuntimeError)
    try:
        mytorch.zeros(2, 3) @ mytorch.zeros(4, 5)
    except RuntimeError as error:  # what ported code writes
        assert "matmul" in str(error)


# where PyTorch raises ValueError, mytorch stays a plain ValueError
VALUE_ERRORS = [
    ("dropout_p", lambda lib: lib.nn.functional.dropout(z(lib, 2), 1.5), r"dropout.*1\.5"),
    ("reduction", lambda lib: lib.nn.functional.mse_loss(z(lib, 2), z(lib, 2), reduction="x"),
     r"mse_loss.*x"),
    ("nll_batch", lambda lib: lib.nn.functional.nll_loss(z(lib, 3, 4), lz(lib, 2)),
     r"nll_loss.*3.*2"),
    ("bce_shape", lambda lib: lib.nn.functional.binary_cross_entropy(z(lib, 2, 3), z(lib, 4, 3)),
     r"binary_cross_entropy.*\(4, 3\).*\(2, 3\)"),
    ("interpolate", lambda lib: lib.nn.functional.interpolate(z(lib, 1, 1, 4)),
     r"interpolate.*size or scale_factor"),
    ("cat_empty", lambda lib: lib.cat([]), r"cat.*non-empty"),
    ("GroupNorm_groups", lambda lib: lib.nn.GroupNorm(3, 4), r"GroupNorm.*4.*3"),
    ("Conv_groups", lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2), r"Conv2d.*3.*4.*2"),
]


@pytest.mark.parametrize("name, call, message", VALUE_ERRORS, ids=[c[0] for c in VALUE_ERRORS])
def test_value_errors_of_torch_stay_value_errors(name, call, message):
    with pytest.raises(ValueError):
        call(torch)
    with pytest.raises(ValueError, match=message) as caught:
        call(mytorch)
    assert not isinstance(caught.value, RuntimeError)


# -- window geometry: a kernel, stride or dilation below 1, or negative padding, fails -----------
def F(lib):
    return lib.nn.functional


BAD_WINDOWS = [
    # (name, call with lib, message)
    ("conv2d_kernel_0", lambda lib: F(lib).conv2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 0, 0)),
     r"conv2d.*kernel_size.*\(0, 0\)"),
    ("conv1d_kernel_0", lambda lib: F(lib).conv1d(z(lib, 1, 1, 5), z(lib, 1, 1, 0)),
     r"conv1d.*kernel_size.*\(0,\)"),
    ("conv_transpose2d_kernel_0",
     lambda lib: F(lib).conv_transpose2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 0, 0)),
     r"conv_transpose2d.*kernel_size.*\(0, 0\)"),
    ("conv2d_stride_0", lambda lib: F(lib).conv2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 3, 3), stride=0),
     r"conv2d.*stride.*\(0, 0\)"),
    ("conv1d_stride_neg", lambda lib: F(lib).conv1d(z(lib, 1, 1, 5), z(lib, 1, 1, 3), stride=-1),
     r"conv1d.*stride.*\(-1,\)"),
    ("conv2d_dilation_0",
     lambda lib: F(lib).conv2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 3, 3), dilation=0),
     r"conv2d.*dilation.*\(0, 0\)"),
    ("conv2d_padding_neg",
     lambda lib: F(lib).conv2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 3, 3), padding=-1),
     r"conv2d.*padding.*\(-1, -1\)"),
    ("conv_transpose1d_stride_0",
     lambda lib: F(lib).conv_transpose1d(z(lib, 1, 1, 5), z(lib, 1, 1, 3), stride=0),
     r"conv_transpose1d.*stride.*\(0,\)"),
    ("conv_transpose2d_output_padding_neg",
     lambda lib: F(lib).conv_transpose2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 3, 3), stride=2,
                                         output_padding=-1),
     r"conv_transpose2d.*output_padding=\(-1, -1\)"),
    ("conv_transpose2d_padding_neg",
     lambda lib: F(lib).conv_transpose2d(z(lib, 1, 1, 5, 5), z(lib, 1, 1, 3, 3), padding=-1),
     r"conv_transpose2d.*padding.*\(-1, -1\)"),
    ("max_pool2d_kernel_0", lambda lib: F(lib).max_pool2d(z(lib, 1, 1, 4, 4), 0),
     r"max_pool2d.*kernel_size.*\(0, 0\)"),
    ("max_pool1d_stride_0", lambda lib: F(lib).max_pool1d(z(lib, 1, 1, 4), 2, 0),
     r"max_pool1d.*stride.*\(0,\)"),
    ("max_pool2d_dilation_0", lambda lib: F(lib).max_pool2d(z(lib, 1, 1, 4, 4), 2, 1, 0, 0),
     r"max_pool2d.*dilation.*\(0, 0\)"),
    ("avg_pool1d_stride_0", lambda lib: F(lib).avg_pool1d(z(lib, 1, 1, 4), 2, 0),
     r"avg_pool1d.*stride.*\(0,\)"),
    ("avg_pool2d_padding_neg", lambda lib: F(lib).avg_pool2d(z(lib, 1, 1, 4, 4), 2, 1, -1),
     r"avg_pool2d.*padding.*\(-1, -1\)"),
    ("unfold_kernel_0", lambda lib: F(lib).unfold(z(lib, 1, 1, 4, 4), 0),
     r"unfold.*kernel_size.*\(0, 0\)"),
    ("unfold_dilation_0", lambda lib: F(lib).unfold(z(lib, 1, 1, 4, 4), 2, dilation=0),
     r"unfold.*dilation.*\(0, 0\)"),
    ("fold_stride_0", lambda lib: F(lib).fold(z(lib, 1, 4, 4), (3, 3), 2, stride=0),
     r"fold.*stride.*\(0, 0\)"),
    ("fold_padding_neg", lambda lib: F(lib).fold(z(lib, 1, 4, 4), (3, 3), 2, padding=-1),
     r"fold.*padding.*\(-1, -1\)"),
]


@pytest.mark.parametrize("name, call, message", BAD_WINDOWS, ids=[c[0] for c in BAD_WINDOWS])
def test_bad_windows_raise_in_functional_calls_like_torch(name, call, message):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(mytorch.ShapeError, match=message):
        call(mytorch)


BAD_LAYERS = [
    # PyTorch builds these and fails at the first forward (or returns zeros); we fail at once
    (lambda: mytorch.nn.Conv2d(1, 1, kernel_size=0), r"Conv2d.*kernel_size.*\(0, 0\)"),
    (lambda: mytorch.nn.Conv1d(1, 1, kernel_size=-2), r"Conv1d.*kernel_size.*\(-2,\)"),
    (lambda: mytorch.nn.Conv2d(1, 1, 3, stride=0), r"Conv2d.*stride.*\(0, 0\)"),
    (lambda: mytorch.nn.Conv1d(1, 1, 3, dilation=0), r"Conv1d.*dilation.*\(0,\)"),
    (lambda: mytorch.nn.Conv2d(1, 1, 3, padding=-1), r"Conv2d.*padding.*\(-1, -1\)"),
    (lambda: mytorch.nn.Conv2d(1, 1, (3, 0)), r"Conv2d.*kernel_size.*\(3, 0\)"),
    (lambda: mytorch.nn.ConvTranspose2d(1, 1, 0), r"ConvTranspose2d.*kernel_size.*\(0, 0\)"),
    (lambda: mytorch.nn.ConvTranspose1d(1, 1, 3, stride=0), r"ConvTranspose1d.*stride.*\(0,\)"),
    (lambda: mytorch.nn.ConvTranspose2d(1, 1, 3, padding=-1), r"ConvTranspose2d.*padding"),
    (lambda: mytorch.nn.ConvTranspose1d(1, 1, 3, output_padding=-1),
     r"ConvTranspose1d.*output_padding=\(-1,\)"),
    (lambda: mytorch.nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2),
     r"ConvTranspose2d.*output_padding=\(2, 2\), stride=\(2, 2\)"),
    (lambda: mytorch.nn.MaxPool2d(0), r"MaxPool2d.*kernel_size.*\(0, 0\)"),
    (lambda: mytorch.nn.MaxPool1d(2, stride=0), r"MaxPool1d.*stride.*\(0,\)"),
    (lambda: mytorch.nn.MaxPool2d(2, dilation=0), r"MaxPool2d.*dilation.*\(0, 0\)"),
    (lambda: mytorch.nn.MaxPool2d(2, padding=-1), r"MaxPool2d.*padding.*\(-1, -1\)"),
    (lambda: mytorch.nn.AvgPool1d(0), r"AvgPool1d.*kernel_size.*\(0,\)"),
    (lambda: mytorch.nn.AvgPool2d(2, stride=0), r"AvgPool2d.*stride.*\(0, 0\)"),
    (lambda: mytorch.nn.AvgPool2d(2, padding=-1), r"AvgPool2d.*padding.*\(-1, -1\)"),
    (lambda: mytorch.nn.Unfold(0), r"Unfold.*kernel_size.*\(0, 0\)"),
    (lambda: mytorch.nn.Unfold(2, stride=0), r"Unfold.*stride.*\(0, 0\)"),
    (lambda: mytorch.nn.Fold((4, 4), 2, dilation=0), r"Fold.*dilation.*\(0, 0\)"),
    (lambda: mytorch.nn.Fold((4, 4), 2, padding=-1), r"Fold.*padding.*\(-1, -1\)"),
]


@pytest.mark.parametrize("build, message", BAD_LAYERS,
                         ids=[re.sub(r"\W+", "_", m)[:40] for _, m in BAD_LAYERS])
def test_bad_windows_raise_when_the_layer_is_built(build, message):
    with pytest.raises(mytorch.ShapeError, match=message):
        build()
