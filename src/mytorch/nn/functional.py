"""``mytorch.nn.functional`` (``F``): stateless layers, with PyTorch's names and signatures.

Every layer in ``mytorch.nn`` computes by calling this module: ``nn.Conv2d`` keeps
the weight and calls ``F.conv_nd``, ``nn.ReLU`` calls ``F.relu``. Most functions
here are the ops themselves (re-exported from ``mytorch.ops``, where each op
validates its arguments next to its math); the few defined here are compositions
of ops. A handful are mytorch's own, for the layers that need more than PyTorch's
``F`` offers: ``conv_nd``/``conv_transpose_nd`` (any dimensionality, and the
layers' ``padding_mode``) and the recurrent ``recurrence``/``run_cell``
(PyTorch keeps its equivalents private).

It sits below the layers: it imports ops (and the Tensor), never ``nn.modules``.
"""

from __future__ import annotations

from mytorch._tensor import Tensor
from mytorch.kernels.errors import ShapeError
from mytorch.ops.activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
)
from mytorch.ops.conv import (
    conv1d,
    conv2d,
    conv_nd,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose_nd,
    fold,
    unfold,
)
from mytorch.ops.dropout import dropout, dropout1d, dropout2d
from mytorch.ops.elementwise import tanh
from mytorch.ops.embedding import embedding
from mytorch.ops.index import one_hot
from mytorch.ops.linalg import einsum, linear
from mytorch.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    ctc_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from mytorch.ops.normalization import batch_norm, group_norm, layer_norm
from mytorch.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from mytorch.ops.resample import downsample1d, downsample2d, interpolate, upsample1d, upsample2d
from mytorch.ops.rnn import recurrence, run_cell
from mytorch.ops.shape import pad


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = input1^T weight_k input2 + bias_k``.

    Shape:
        input1 ``(*, in1)``, input2 ``(*, in2)``, weight ``(out, in1, in2)``,
        output ``(*, out)``.
    """

    if (weight.ndim != 3 or input1.shape[-1] != weight.shape[1]
            or input2.shape[-1] != weight.shape[2]):
        raise ShapeError(
            f"bilinear: inputs of shapes {input1.shape} and {input2.shape} do not match weight "
            f"of shape {weight.shape} (expected (*, in1), (*, in2) and (out, in1, in2))"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv_nd",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose_nd", "cross_entropy", "ctc_loss",
    "downsample1d", "downsample2d", "dropout", "dropout1d", "dropout2d", "elu", "embedding",
    "fold", "gelu", "group_norm", "hardtanh", "interpolate", "kl_div", "l1_loss", "layer_norm",
    "leaky_relu", "linear", "log_softmax", "max_pool1d", "max_pool2d", "max_unpool1d",
    "max_unpool2d", "mse_loss", "nll_loss", "one_hot", "pad", "recurrence", "relu", "run_cell",
    "sigmoid",
    "silu", "smooth_l1_loss", "softmax", "softplus", "tanh", "unfold", "upsample1d",
    "upsample2d",
]
