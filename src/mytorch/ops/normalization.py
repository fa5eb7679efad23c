"""Normalization ops: batch_norm, layer_norm, group_norm.

All three are one op, ``Normalize``: normalize ``x`` over a set of axes,
then scale and shift by parameters that broadcast against ``x``
(``mytorch.kernels.normalization`` has the formulas and the table of axes).
The wrappers only choose the axes and the parameters' broadcast shape, and
check the arguments as PyTorch does.

``Normalize.backward`` is fused: the kernel's formula gives the input, weight
and bias gradients in a few passes over saved arrays. When the backward itself
is being recorded (``create_graph=True``), ``_recorded_backward`` writes the
same formula as composed Tensor ops (mean, sub, mul, ...), the statistics
rebuilt from ``x``, so gradients of gradients come out right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes, grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import normalization as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.ops._checks import require_float
from mytorch.ops.shape import reshape

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm"]


class Normalize(Function):
    """``y = (x - mean_R x) / sqrt(var_R x + eps) * weight + bias``, and the statistics.

    Outputs ``(y, mean, var)``; ``mean`` and the biased ``var`` (shaped like ``x``
    with the axes ``R`` set to 1) carry no gradient: batch norm's running
    averages are made from them.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, weight: Tensor | None, bias: Tensor | None,
                axes: kernels.Axes, param_shape: tuple[int, ...], eps: float
                ) -> tuple[Tensor, Tensor, Tensor]:
        ctx.axes, ctx.param_shape, ctx.eps = axes, param_shape, eps
        w = None if weight is None else weight._data
        b = None if bias is None else bias._data
        with np.errstate(divide="ignore", invalid="ignore"):  # an empty input: nan statistics
            y, xhat, mean, var, invstd = kernels.normalize(x._data, axes, eps, w, b)
        ctx.save_for_backward(x, weight, xhat, invstd)
        stats = TensorBase._make(mean), TensorBase._make(var)
        ctx.mark_non_differentiable(*stats)
        return TensorBase._make(y), *stats

    @staticmethod
    def backward(ctx: Node, gy: Tensor, *_: Tensor) -> tuple[Any, ...]:
        x, weight, xhat, invstd = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        if grad_mode.is_grad_enabled():  # create_graph: composed ops, differentiable again
            recorded = _recorded_backward(gy, x, weight, ctx.axes, ctx.param_shape, ctx.eps,
                                          needs)
            return (*recorded, None, None, None)
        w = None if weight is None else weight._data
        grads = kernels.normalize_backward(gy._data, xhat, invstd, w, ctx.axes, ctx.param_shape,
                                           needs)
        return (*(None if g is None else TensorBase._make(g) for g in grads), None, None, None)


def _recorded_backward(gy: Tensor, x: Tensor, weight: Tensor | None, axes: kernels.Axes,
                       param_shape: tuple[int, ...], eps: float, needs: Sequence[bool]
                       ) -> tuple[Tensor | None, ...]:
    """``kernels.normalize_backward`` as composed Tensor ops, for ``create_graph=True``.

    ``xhat`` and ``invstd`` are rebuilt from ``x`` by recorded ops, so the gradients
    ``(gx, gw, gb)`` (None where not in ``needs``) are differentiable in ``x``,
    ``weight`` and ``gy``::

        gx = invstd * (g - mean_R(g) - xhat * mean_R(g * xhat)),   g = gy * w
    """
    need_x, need_w, need_b = needs
    centred = x - x.mean(axes, keepdim=True)
    invstd = ((centred * centred).mean(axes, keepdim=True) + eps) ** -0.5
    xhat = centred * invstd
    g = gy if weight is None else gy * weight
    gx = gw = gb = None
    if need_x:
        gx = (g - g.mean(axes, keepdim=True)
              - xhat * (g * xhat).mean(axes, keepdim=True)) * invstd
    param_axes = tuple(a for a, n in enumerate(param_shape) if n == 1)
    if need_w:
        gw = (gy * xhat).sum(param_axes, keepdim=True)
    if need_b:
        gb = gy.sum(param_axes, keepdim=True)
    return gx, gw, gb


def _same_dtype(x: Tensor, *params: Tensor | None) -> tuple[Any, ...]:
    """``x`` and the parameters in their promoted float dtype (float32 with float64: float64)."""
    dtype = dtypes.result_type(x._data, *(p._data for p in params if p is not None))
    return tuple(t if t is None or t.dtype == dtype else t.to(dtype) for t in (x, *params))


def _check_size(op: str, name: str, t: Tensor | None, n: int, x: Tensor) -> None:
    """A per-channel tensor must hold ``n`` elements (RuntimeError, as PyTorch)."""
    if t is not None and t._data.size != n:
        raise ShapeError(
            f"{op}: {name} should contain {n} elements not {t._data.size} "
            f"(input of shape {x.shape}, {name} of shape {t.shape})"
        )


# -- batch norm ------------------------------------------------------------------------------
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel over the batch (and every spatial position), then scale and shift.

    In training, or without running statistics, each channel ``c`` is normalized
    by the mean and biased variance of ``input[:, c]`` (over N and all spatial
    axes: a CNN's batch norm is the 1-d one over ``N * H * W`` samples), and the
    running statistics, when given, are updated in place::

        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * unbiased_var

    Otherwise (evaluation) ``running_mean`` and ``running_var`` are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``, floating point.
        running_mean, running_var: ``(C,)`` buffers, or None.
        weight, bias: ``(C,)`` affine parameters, or None.
        training: use batch statistics (and update the running ones).
        momentum: weight of the new batch in the running averages.
        eps: added to the variance before the square root.

    Shape:
        - Input: ``(N, C)`` or ``(N, C, *)``
        - Output: same shape as the input

    Raises:
        ValueError: fewer than 2 dims, one value per channel in training, eps out of range.
        RuntimeError: a per-channel tensor of the wrong size, or evaluation without
            running statistics.

    >>> import mytorch
    >>> x = mytorch.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> batch_norm(x, None, None, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
    """
    x = require_float("batch_norm", input)
    if x.ndim < 2:
        raise ShapeError(
            f"batch_norm: expected input of shape (N, C) or (N, C, *), got shape {x.shape}"
        )
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_size("batch_norm", name, t, C, x)
    samples = x.shape[0] * math.prod(x.shape[2:])  # values per channel
    if training and samples == 1:
        raise ValueError(
            "batch_norm: Expected more than 1 value per channel when training, "
            f"got input size {x.shape}"
        )
    if training and eps <= 0:
        raise ValueError(f"batch_norm: eps must be positive during training, but got {eps}")
    if eps < 0:
        raise ValueError(f"batch_norm: eps must be non-negative, but got {eps}")
    use_batch_stats = training or (running_mean is None and running_var is None)
    if not use_batch_stats and (running_mean is None or running_var is None):
        missing = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"batch_norm: {missing} must be defined in evaluation mode")

    x, weight, bias = _same_dtype(x, weight, bias)
    # (C,) -> (C, 1, ..., 1): per channel, broadcast over the spatial axes
    param_shape = (C,) + (1,) * (x.ndim - 2)
    w = None if weight is None else reshape(weight, param_shape)
    b = None if bias is None else reshape(bias, param_shape)
    if not use_batch_stats:
        # fixed statistics: an affine map per channel, y = x * scale + shift
        assert running_mean is not None and running_var is not None
        scale = (reshape(running_var, param_shape).to(x.dtype) + eps) ** -0.5
        if w is not None:
            scale = scale * w
        shift = -reshape(running_mean, param_shape).to(x.dtype) * scale
        if b is not None:
            shift = shift + b
        return x * scale + shift

    axes = (0,) + tuple(range(2, x.ndim))
    y, mean, var = Normalize.apply(x, w, b, axes, (1, *param_shape), eps)
    if training and samples > 0:
        # the running variance is the unbiased one: var * M / (M - 1)
        for buffer, stat in ((running_mean, mean._data),
                             (running_var, var._data * (samples / (samples - 1)))):
            if buffer is not None:
                buffer._data *= 1 - momentum
                buffer._data += momentum * stat.reshape(C)
    return y


# -- layer norm ------------------------------------------------------------------------------
def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` dims, then scale and shift elementwise.

    Args:
        input: ``(*, *normalized_shape)``, floating point.
        normalized_shape: the trailing shape to normalize over (an int for one dim).
        weight, bias: of shape ``normalized_shape``, or None.
        eps: added to the variance before the square root.

    Shape:
        - Input: ``(*, *normalized_shape)``
        - Output: same shape as the input

    Raises:
        RuntimeError: an empty ``normalized_shape``, an input whose trailing dims
            differ from it, or a weight or bias of another shape (as PyTorch).

    >>> import mytorch
    >>> layer_norm(mytorch.tensor([[1.0, 3.0], [0.0, 10.0]]), 2)
    tensor([[-1.0000,  1.0000],
            [-1.0000,  1.0000]])
    """
    x = require_float("layer_norm", input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0:
        raise ShapeError(
            "layer_norm: Expected normalized_shape to be at least 1-dimensional, i.e., "
            "containing at least one element, but got normalized_shape = ()"
        )
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ShapeError(
            f"layer_norm: Given normalized_shape={shape}, expected input with shape "
            f"(*, {', '.join(map(str, shape))}), but got input of size {x.shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ShapeError(
                f"layer_norm: Expected {name} to be of same shape as normalized_shape, but got "
                f"{name} of shape {t.shape} and normalized_shape = {shape}"
            )
    x, weight, bias = _same_dtype(x, weight, bias)
    axes = tuple(range(x.ndim - k, x.ndim))
    # weight and bias (D1, ..., Dk) broadcast against the trailing dims as they are
    return Normalize.apply(x, weight, bias, axes, (1,) * (x.ndim - k) + shape, eps)[0]


# -- group norm ------------------------------------------------------------------------------
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the channels into ``num_groups`` groups; normalize each group of each sample
    (over its channels and spatial positions), then scale and shift per channel.

    Args:
        input: ``(N, C, *)``, floating point; ``C`` divisible by ``num_groups``.
        num_groups: the number of groups ``G``.
        weight, bias: ``(C,)`` per-channel affine parameters, or None.
        eps: added to the variance before the square root.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same shape as the input

    Raises:
        RuntimeError: fewer than 2 dims, ``C`` not divisible by ``num_groups``, or a
            weight or bias without ``C`` elements (as PyTorch).
        ValueError: a single value to normalize (as PyTorch).

    >>> import mytorch
    >>> group_norm(mytorch.tensor([[1.0, 3.0, 0.0, 10.0]]), 2)
    tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """
    x = require_float("group_norm", input)
    if x.ndim < 2:
        raise ShapeError(
            f"group_norm: Expected at least 2 dimensions for input tensor but received "
            f"{x.ndim} (input of shape {x.shape})"
        )
    N, C = x.shape[:2]
    G = num_groups
    if G <= 0 or C % G:
        raise ShapeError(
            "group_norm: Expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {x.shape} and num_groups={G}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != C:
            raise ShapeError(
                f"group_norm: Expected {name} to be a vector of size equal to the number of "
                f"channels in input, but got {name} of shape {t.shape} and input of shape "
                f"{x.shape}"
            )
    L = math.prod(x.shape[2:])
    if N * (C // G) * L == 1:  # PyTorch's check, on (N * C / G, G, *)
        raise ValueError(
            "group_norm: Expected more than 1 value per channel when training, got input "
            f"size {x.shape} and num_groups={G}"
        )
    x, weight, bias = _same_dtype(x, weight, bias)
    # (N, C, *) -> (N, G, C/G, L): a group is a (C/G, L) slab, normalized over axes 2 and 3
    grouped = reshape(x, (N, G, C // G, L))
    # (C,) -> (G, C/G, 1): per channel, broadcast over L
    param_shape = (G, C // G, 1)
    w = None if weight is None else reshape(weight, param_shape)
    b = None if bias is None else reshape(bias, param_shape)
    y = Normalize.apply(grouped, w, b, (2, 3), (1, *param_shape), eps)[0]
    return reshape(y, x.shape)
