"""Each op family exports, and ONNX Runtime computes what mytorch computes, at two batch sizes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from onnx_check import check, randn

import mytorch
import mytorch.nn as nn
import mytorch.nn.functional as F


class Fn(nn.Module):
    """A model made of a function (for the functional ops)."""

    def __init__(self, fn: Any, *children: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        self.layers = nn.ModuleList(children)

    def forward(self, *xs: Any) -> Any:
        return self.fn(*xs)


def images(c: int = 3, h: int = 9, w: int = 8) -> Any:
    return lambda n: [randn(n, c, h, w, seed=n)]


def series(c: int = 3, length: int = 11) -> Any:
    return lambda n: [randn(n, c, length, seed=n)]


# -- linear and matrix products ------------------------------------------------------------
def test_linear_is_gemm_with_named_parameters() -> None:
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4, bias=False))
    proto = check(model, lambda n: [randn(n, 6, seed=n)])
    assert [node.op_type for node in proto.graph.node] == ["Gemm", "Relu", "Gemm"]
    assert {i.name for i in proto.graph.initializer} == {"0.weight", "0.bias", "2.weight"}
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "batch"


def test_linear_on_3d_input_and_matmul() -> None:
    lin = nn.Linear(6, 5)
    W = mytorch.randn(5, 2)
    model = Fn(lambda x: (lin(x) @ W).transpose(1, 2), lin)
    check(model, lambda n: [randn(n, 4, 6, seed=n)])


def test_einsum() -> None:
    W = mytorch.randn(6, 3)
    check(Fn(lambda x: mytorch.einsum("nli,io->nol", x, W)), lambda n: [randn(n, 4, 6, seed=n)])


# -- elementwise -----------------------------------------------------------------------------
def test_elementwise_arithmetic_and_math() -> None:
    b = mytorch.rand(8) + 0.5

    def fn(x: Any, y: Any) -> Any:
        z = (x + y) * 2 - y / b + 1.5 ** (x * 0.1) - (-x).abs()
        z = z + mytorch.exp(x * 0.5) + mytorch.log(y * y + 1) + mytorch.sqrt(y.abs())
        z = z + mytorch.sin(x) * mytorch.cos(y) + mytorch.log1p(x.abs()) + y ** 2
        return mytorch.maximum(z, x).clamp(-3.0, 4.0) + mytorch.minimum(x, y).clamp(min=0.0)

    check(Fn(fn), lambda n: [randn(n, 3, 8, seed=n), randn(n, 3, 8, seed=n + 10)])


def test_mixed_dtypes_follow_the_promotion() -> None:
    b = mytorch.tensor(np.arange(8), dtype=mytorch.int64)
    check(Fn(lambda x: (x + b) * x.double()), lambda n: [randn(n, 8, seed=n)])


# -- activations -----------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(0.7), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
    nn.Sigmoid(), nn.Tanh(), nn.Softplus(), nn.Softplus(beta=2.0, threshold=1.0),
    nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
], ids=lambda m: repr(m))
def test_activation(layer: nn.Module) -> None:
    check(layer, lambda n: [2 * randn(n, 4, 7, seed=n)])


def test_functional_hardtanh() -> None:
    check(Fn(lambda x: F.hardtanh(x, -0.5, 0.25)), lambda n: [randn(n, 4, 7, seed=n)])


def test_functional_softmax_and_log_softmax() -> None:
    check(Fn(lambda x: F.softmax(x, dim=0) + F.log_softmax(x, dim=2)),
          lambda n: [randn(n, 4, 7, seed=n)], batch_axes=[None])


# -- convolution -----------------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(padding="valid", bias=False),
    dict(padding=2, groups=3, stride=(2, 1)), dict(padding=(1, 2), dilation=(2, 1)),
    dict(padding=2, padding_mode="reflect"), dict(padding=(1, 3), padding_mode="replicate"),
    dict(padding=2, padding_mode="circular", stride=2),
    dict(padding="same", padding_mode="circular"),
], ids=str)
def test_conv2d(options: dict[str, Any]) -> None:
    check(nn.Conv2d(3, 6, (3, 4) if options.get("padding") != "same" else 3, **options), images())


@pytest.mark.parametrize("options", [
    dict(stride=3, padding=2, dilation=2), dict(padding="same", groups=3),
    dict(padding=3, padding_mode="reflect"), dict(padding=1, padding_mode="replicate"),
    dict(padding=2, padding_mode="circular"),
], ids=str)
def test_conv1d(options: dict[str, Any]) -> None:
    check(nn.Conv1d(3, 6, 3, **options), series())


@pytest.mark.parametrize("options", [
    dict(stride=2), dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), dilation=2, groups=3, bias=False),
], ids=str)
def test_conv_transpose2d(options: dict[str, Any]) -> None:
    check(nn.ConvTranspose2d(3, 6, 3, **options), images(h=5, w=4))


@pytest.mark.parametrize("layer", [nn.Conv2d(3, 4, 3, padding="same"),
                                   nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)],
                         ids=repr)
def test_convolution_layer_is_one_node_with_its_bias(layer: nn.Module) -> None:
    proto = check(layer, images())
    (node,) = proto.graph.node
    assert node.op_type == type(layer).__name__[:-2]  # Conv, ConvTranspose
    assert list(node.input)[1:] == ["weight", "bias"]


def test_conv_transpose1d() -> None:
    check(nn.ConvTranspose1d(3, 4, 4, stride=3, padding=2, output_padding=1), series())


def test_functional_conv_on_unbatched_input() -> None:
    W = mytorch.randn(4, 3, 3)
    check(Fn(lambda x: F.conv1d(x, W, padding=1)), lambda n: [randn(3, 7, seed=n)],
          batch_axes=[None])


# -- pooling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), nn.MaxPool1d(3, stride=2, padding=1),
    nn.AvgPool2d(2), nn.AvgPool2d(3, stride=2, padding=1),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AvgPool2d(2, divisor_override=3), nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((4, 3)), nn.AdaptiveAvgPool1d(4),
], ids=repr)
def test_pooling(layer: nn.Module) -> None:
    check(layer, series() if "1d" in type(layer).__name__ else images())


def test_global_average_pooling() -> None:
    proto = check(nn.AdaptiveAvgPool2d(1), images())
    assert [node.op_type for node in proto.graph.node] == ["GlobalAveragePool"]


def test_pooling_on_unbatched_input() -> None:
    check(nn.MaxPool2d(2), lambda n: [randn(3, 6, 6, seed=n)], batch_axes=[None])


# -- normalization, dropout ------------------------------------------------------------------
def _with_statistics(layer: nn.Module) -> nn.Module:
    """A batch norm whose running statistics are not the defaults."""
    layer.running_mean.copy_(mytorch.randn(layer.num_features))
    layer.running_var.copy_(mytorch.rand(layer.num_features) + 0.5)
    return layer


@pytest.mark.parametrize("layer, inputs", [
    (_with_statistics(nn.BatchNorm2d(3)), images()),
    (_with_statistics(nn.BatchNorm2d(3, affine=False)), images()),
    (_with_statistics(nn.BatchNorm1d(3)), series()),
    (_with_statistics(nn.BatchNorm1d(6)), lambda n: [randn(n, 6, seed=n)]),
    (nn.BatchNorm1d(6, track_running_stats=False), lambda n: [randn(n, 6, seed=n)]),
    (nn.LayerNorm(8), images()), (nn.LayerNorm((9, 8), elementwise_affine=False), images()),
    (nn.GroupNorm(3, 6), lambda n: [randn(n, 6, 5, seed=n)]), (nn.GroupNorm(1, 3), images()),
], ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_normalization(layer: nn.Module, inputs: Any) -> None:
    if isinstance(layer, nn.LayerNorm | nn.GroupNorm) and layer.weight is not None:
        layer.weight.data.copy_(mytorch.randn(*layer.weight.shape))
    check(layer, inputs)


def test_batch_norm_is_one_op_with_the_buffers() -> None:
    proto = check(_with_statistics(nn.BatchNorm2d(3)), images())
    assert [node.op_type for node in proto.graph.node] == ["BatchNormalization"]
    assert {i.name for i in proto.graph.initializer} == {"weight", "bias", "running_mean",
                                                       "running_var"}


def test_dropout_in_evaluation_is_the_identity() -> None:
    model = nn.Sequential(nn.Dropout(0.5), nn.Dropout2d(0.3), nn.Tanh())
    proto = check(model, images())
    assert [node.op_type for node in proto.graph.node] == ["Tanh"]


def test_export_runs_in_evaluation_mode_and_restores_the_mode() -> None:
    model = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))
    model.train()
    proto = mytorch.onnx.export(model, mytorch.randn(3, 4), io.BytesIO())
    assert [node.op_type for node in proto.graph.node] == ["BatchNormalization"]
    assert model.training and all(m.training for m in model.modules())


# -- shapes and indexing ---------------------------------------------------------------------
def test_flatten_reshape_transpose_concat_split() -> None:
    def fn(x: Any) -> Any:
        a, b = x.split([1, 2], dim=1)
        y = mytorch.cat([b, a * 2], dim=1).permute(0, 2, 3, 1)  # (N, H, W, C)
        y = y.reshape(y.shape[0], -1, 3).flatten(1).unsqueeze(-1)
        chunks = y.chunk(3, dim=1)
        return mytorch.stack([chunks[0], chunks[2]], dim=2).squeeze(-1)

    check(Fn(fn), images())
    check(nn.Sequential(nn.Flatten(), nn.Unflatten(1, (8, 9, 3))), images())


def test_slicing_and_gather() -> None:
    idx = mytorch.tensor([2, 0, 2])

    def fn(x: Any) -> Any:
        y = x[:, 1:, ::2, -3:] * x[:, :2, 0:9:2, :3][..., None, :].sum(-2)  # (N, 2, 5, 3)
        return y[:, :, idx] + x[:, -1, None, None, 0:3, 5] + x.flip(2)[:, 0][:, None, :3, :3]

    check(Fn(fn), images())


def test_repeat_expand_pad() -> None:
    bias = mytorch.randn(1, 3, 1, 1)

    def fn(x: Any) -> Any:
        y = x + bias.expand(1, 3, 9, 8)
        y = F.pad(y, (1, 2, 0, 3), value=0.5) + 0
        return y.repeat(1, 2, 1, 1), F.pad(x, (2, 1), mode="reflect"), F.pad(x, (1, 1, 2, 0),
                                                                           mode="replicate")

    check(Fn(fn), images())


@pytest.mark.parametrize("opset", [17, 18])  # from 18 the axes of Reduce* are an input
def test_reductions(opset: int) -> None:
    def fn(x: Any) -> Any:
        values, indices = x.max(dim=3)
        return (x.sum(dim=(2, 3)) + x.mean(1, keepdim=True).amax(dim=(2, 3))
                + x.var(dim=2).std(dim=2) + mytorch.logsumexp(x, dim=3).amin(2)
                + (x * 0.5 + 1).prod(dim=2).min(dim=2, keepdim=True)[0][..., 0]
                + values.mean(2) * indices.sum(2))

    check(Fn(fn), images(), opset_version=opset)


def test_tensordot() -> None:
    W = mytorch.randn(3, 8, 2)
    check(Fn(lambda x: mytorch.tensordot(x, W, dims=([1, 3], [0, 1]))), images())


# -- embedding, resampling -------------------------------------------------------------------
def test_embedding_is_gather() -> None:
    embed = nn.Embedding(10, 4)
    model = Fn(lambda i: embed(i).mean(1), embed)
    proto = check(model, lambda n: [np.random.default_rng(n).integers(0, 10, (n, 6))])
    assert "Gather" in [node.op_type for node in proto.graph.node]


@pytest.mark.parametrize("layer", [
    nn.Upsample(scale_factor=2), nn.Upsample(size=(5, 13), mode="nearest"),
    nn.Upsample(scale_factor=1.5, mode="bilinear"),
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
], ids=repr)
def test_upsample(layer: nn.Module) -> None:
    check(layer, images())


def test_course_upsampling_and_downsampling() -> None:
    check(nn.Sequential(nn.Upsample1d(3), nn.Downsample1d(2)), series())
    check(nn.Sequential(nn.Upsample2d(2), nn.Tanh(), nn.Downsample2d(3)), images())


def test_interpolate_linear_and_area() -> None:
    check(Fn(lambda x: F.interpolate(x, size=17, mode="linear")), series())
    check(Fn(lambda x: F.interpolate(x, size=(4, 5), mode="area")), images())


# -- what cannot be exported -----------------------------------------------------------------
def test_an_op_without_mapping_is_named() -> None:
    with pytest.raises(NotImplementedError, match="op CumSum .* has no ONNX mapping"):
        check(Fn(lambda x: x.cumsum(1)), images())


def test_a_failing_forward_leaves_no_tracer_behind() -> None:
    linear = nn.Linear(3, 2)

    def fn(x: Any) -> Any:
        linear(x)
        raise ValueError("the model failed")

    with pytest.raises(ValueError, match="the model failed"):
        mytorch.onnx.export(Fn(fn, linear), mytorch.randn(2, 3), io.BytesIO())
    assert mytorch.autograd.function.op_tracer is None
    assert "forward" not in vars(linear)  # the layer's own forward again


def test_max_pool_indices_are_refused() -> None:
    with pytest.raises(NotImplementedError, match="return_indices"):
        check(Fn(lambda x: F.max_pool2d(x, 2, return_indices=True)[0]), images())
