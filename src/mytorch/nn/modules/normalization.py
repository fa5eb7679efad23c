"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

Each holds its affine parameters (``weight`` starts at ones, ``bias`` at
zeros) and calls its ``nn.functional`` twin. Batch norm also
keeps the buffers ``running_mean``, ``running_var`` and
``num_batches_tracked``, named as in PyTorch so that a PyTorch state_dict
loads unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mytorch import creation
from mytorch._tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter, parameter_dtype


def _affine_parameters(module: Module, shape: tuple[int, ...], affine: bool, bias: bool,
                       dtype: np.dtype) -> None:
    """Register ``weight`` (and ``bias``) of ``shape``, or None in their place."""
    if affine:
        module.weight = Parameter(creation.empty(*shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(creation.empty(*shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Batch norm over dim 1 of ``(N, C, *)``; subclasses fix the accepted input ranks."""

    _ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_parameters(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor._make(np.array(0, np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, x: Tensor) -> None:
        if x.ndim not in self._ranks:
            expected = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(
                f"{type(self).__name__}: expected {expected} input (got {x.ndim}D input of "
                f"shape {x.shape})"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average: batch k gets weight 1/k
                momentum = 1.0 / float(self.num_batches_tracked)
        # batch statistics in training, and in evaluation when there are no running ones
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        # the running statistics are updated only when tracked (and used only in evaluation)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight, self.bias, use_batch_stats, momentum, self.eps,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` inputs, per channel.

    In training, each channel is normalized by the mean and (biased) variance
    of the batch over N (and L), then scaled by ``weight`` and shifted by
    ``bias``; the running mean and the running unbiased variance are updated as
    ``running = (1 - momentum) * running + momentum * batch`` (``momentum=None``:
    a cumulative average over ``num_batches_tracked`` batches). In evaluation the
    running statistics are used, unless they are not tracked.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before the square root (default 1e-5).
        momentum: weight of each new batch in the running statistics (default 0.1).
        affine: learn a per-channel ``weight`` and ``bias`` (default True).
        track_running_stats: keep running statistics for evaluation (default True).
        bias: learn ``bias`` when ``affine`` (default True; keyword only).

    Shape:
        - Input: ``(N, C)`` or ``(N, C, L)``
        - Output: same shape as the input

    >>> import mytorch
    >>> bn = BatchNorm1d(3)
    >>> bn(mytorch.randn(8, 3, 5)).shape
    (8, 3, 5)
    >>> bn.num_batches_tracked
    tensor(1)
    """

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` inputs, per channel (over N, H and W).

    The same layer as ``BatchNorm1d`` with the ``N * H * W`` values of a channel
    as its batch; see there for the statistics and the arguments.

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: same shape as the input

    >>> import mytorch
    >>> bn = BatchNorm2d(16, momentum=None)
    >>> bn
    BatchNorm2d(16, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)
    >>> bn(mytorch.randn(4, 16, 8, 8)).shape
    (4, 16, 8, 8)
    """

    _ranks = (4,)


class LayerNorm(Module):
    """Layer normalization: each sample normalized over its last dims, then scaled and shifted
    elementwise.

    Args:
        normalized_shape: the trailing shape to normalize over (an int for one dim).
        eps: added to the variance before the square root (default 1e-5).
        elementwise_affine: learn ``weight`` and ``bias`` of shape ``normalized_shape``
            (default True).
        bias: learn ``bias`` when ``elementwise_affine`` (default True).

    Shape:
        - Input: ``(*, *normalized_shape)``
        - Output: same shape as the input

    >>> import mytorch
    >>> ln = LayerNorm((5, 4))
    >>> ln
    LayerNorm((5, 4), eps=1e-05, elementwise_affine=True, bias=True)
    >>> ln(mytorch.randn(2, 3, 5, 4)).shape
    (2, 3, 5, 4)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: the channels split into groups, each group of each sample
    normalized over its channels and positions, then scaled and shifted per channel.

    Args:
        num_groups: the number of groups; must divide ``num_channels``.
        num_channels: the number of channels ``C``.
        eps: added to the variance before the square root (default 1e-5).
        affine: learn a per-channel ``weight`` and ``bias`` (default True).
        bias: learn ``bias`` when ``affine`` (default True; keyword only).

    Shape:
        - Input: ``(N, C, *)``
        - Output: same shape as the input

    Raises:
        ValueError: ``num_channels`` not divisible by ``num_groups``.

    >>> import mytorch
    >>> gn = GroupNorm(3, 6)
    >>> gn
    GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)
    >>> gn(mytorch.randn(2, 6, 10, 10)).shape
    (2, 6, 10, 10)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        dtype = parameter_dtype(type(self).__name__, device, dtype)
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
