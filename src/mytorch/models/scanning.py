"""Scanning MLPs as convolutions: ``scanning_mlp_to_conv1d``.

An MLP that scans a time series ``x`` of shape ``(T, C)``, looking at a window of
``K`` consecutive time steps and moving by ``s``, computes exactly what a Conv1d
network computes on ``x.T`` of shape ``(C, T)``: its first layer is a
convolution with kernel ``K`` and stride ``s``, each later layer a 1x1
convolution applied at every window position. The only work is to put the
weights in the right places.

Window layout (time-major). The window starting at time ``t`` is flattened
row by row, ``v = [x[t, 0], ..., x[t, C-1], x[t+1, 0], ..., x[t+K-1, C-1]]``,
so input feature ``k * C + c`` of the first Linear is channel ``c`` at window
offset ``k``. A Linear weight ``W`` of shape ``(O, K*C)`` (PyTorch's
orientation) therefore becomes the Conv1d weight
``W.reshape(O, K, C).transpose(0, 2, 1)`` of shape ``(O, C, K)``.

Shared ("distributed") scanning MLP. Its neurons share weights across parts
of the window: layer ``l`` applies one Linear of shape
``(k_l * C_{l-1}) -> C_l`` to every group of ``k_l`` neighbouring positions of
layer ``l-1``'s output (flattened time-major, as above), taking a group every
``s_l`` positions; layer 1 reads the input's time steps, with
``C_0 = C``. That is ``Conv1d(C_{l-1}, C_l, k_l, s_l)`` at every layer. One
output of the last layer sees a receptive field of
``R = k_1 + sum_{l >= 2} (k_l - 1) * s_1 * ... * s_{l-1}`` time steps, and
neighbouring outputs are ``S = s_1 * ... * s_L`` time steps apart: the network
scans windows of ``R`` time steps with stride ``S``. The plain scanning MLP is
the special case ``k = (K, 1, ..., 1)``, ``s = (s, 1, ..., 1)``, so one
converter serves both. (Where a course hands out the shared MLP's layers as
the full, block-structured matrices of the unshared network, layer ``l``'s
shared weights are the leading ``(k_l * C_{l-1}, C_l)`` block.)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from mytorch.autograd import dtypes
from mytorch.models.course_cnn import ACTIVATIONS
from mytorch.models.summary import Model
from mytorch.nn.module import Module, Sequential
from mytorch.nn.modules.activation import ReLU
from mytorch.nn.modules.conv import Conv1d
from mytorch.nn.modules.linear import Linear
from mytorch.nn.parameter import Parameter

__all__ = ["ScanningConv1d", "scanning_mlp_to_conv1d"]

_ELEMENTWISE = tuple(ACTIVATIONS.values())


class ScanningConv1d(Sequential, Model):
    """The Conv1d network built by :func:`scanning_mlp_to_conv1d` (a ``Sequential``).

    Attributes:
        kernel_sizes, strides: of each convolution.
        receptive_field: time steps ``R`` seen by one output position.
        scan_stride: time steps ``S`` between neighbouring output positions.
        input_shape: ``(C, R + 3 S)``, an input giving four output positions.

    Shape:
        - Input: ``(N, C, T)``
        - Output: ``(N, out, T')`` with ``T' = (T - R) // S + 1``
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__(*layers)
        convs = [layer for layer in layers if isinstance(layer, Conv1d)]
        self.kernel_sizes = tuple(conv.kernel_size[0] for conv in convs)
        self.strides = tuple(conv.stride[0] for conv in convs)
        self.receptive_field, self.scan_stride = 1, 1
        for k, s in zip(self.kernel_sizes, self.strides):
            self.receptive_field += (k - 1) * self.scan_stride
            self.scan_stride *= s
        self.input_shape = (convs[0].in_channels, self.receptive_field + 3 * self.scan_stride)


def _weight_list_layers(weights: Sequence[Any]) -> list[Any]:
    """Course weight lists -> ``[(W, b), ReLU(), (W, b), ...]``, W as ``(out, in)``."""
    layers: list[Any] = []
    for i, item in enumerate(weights):
        W, b = item if isinstance(item, (tuple, list)) else (item, None)
        W = np.asarray(W)
        if W.dtype.kind != "f":  # integer matrices become float32 (PyTorch's default)
            W = W.astype(dtypes.DEFAULT_FLOAT)
        if W.ndim != 2:
            raise ValueError(f"scanning_mlp_to_conv1d: weight {i} must be a matrix (in, out), "
                             f"got shape {W.shape}")
        if i:
            layers.append(ReLU())
        if b is not None and np.shape(b) != (W.shape[1],):
            raise ValueError(f"scanning_mlp_to_conv1d: bias {i} of shape {np.shape(b)} does not "
                             f"match weight {i} of shape {W.shape}")
        layers.append((W.T, None if b is None else np.asarray(b)))
    return layers


def _sequential_layers(mlp: Sequential) -> list[Any]:
    """An MLP's modules -> ``[(W, b), activation, ...]``, the activations copied."""
    layers: list[Any] = []
    for i, module in enumerate(mlp):
        if isinstance(module, Linear):
            b = None if module.bias is None else module.bias._data
            layers.append((module.weight._data, b))
        elif isinstance(module, _ELEMENTWISE):
            layers.append(copy.deepcopy(module))
        else:
            raise TypeError(
                f"scanning_mlp_to_conv1d: layer {i} is a {type(module).__name__}; the MLP may "
                f"hold only Linear layers and elementwise activations "
                f"({', '.join(cls.__name__ for cls in _ELEMENTWISE)})"
            )
    return layers


def _per_layer(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n:
        raise ValueError(f"scanning_mlp_to_conv1d: shared=True needs one {name} per Linear "
                         f"layer ({n}), got {values}")
    return values


def scanning_mlp_to_conv1d(mlp: Sequential | Sequence[Any], kernel_size: int | Sequence[int],
                           stride: int | Sequence[int], shared: bool = False) -> ScanningConv1d:
    """The Conv1d network that computes a scanning MLP at every window position.

    Args:
        mlp: the MLP, either an ``nn.Sequential`` of ``Linear`` layers and
            elementwise activations (ReLU, Tanh, ...), or a list of weight
            matrices in the course's ``x @ W`` orientation, shape
            ``(in, out)`` (or ``(W, b)`` pairs), with a ReLU between
            consecutive layers and none after the last; a bare matrix means
            no bias.
        kernel_size: ``shared=False``: the window ``K`` in time steps, the
            first Linear having ``K * C`` inputs. ``shared=True``: per Linear
            layer, how many neighbouring positions of the layer below it
            reads (an int: the same for every layer).
        stride: ``shared=False``: time steps between windows.
            ``shared=True``: per Linear layer, the step between the groups it
            reads (an int: the same for every layer).
        shared: the MLP is a shared ("distributed") scanning MLP whose layer
            ``l`` has ``k_l * C_{l-1}`` inputs (see the module docstring).

    Returns:
        A :class:`ScanningConv1d`: one ``Conv1d`` per Linear (the first with
        kernel ``K`` and stride ``s`` and the rest 1x1 when not shared), the
        activations between them, in the dtype of the given weights.

    Shape:
        - Input: ``(N, C, T)``, the series with time last
        - Output: ``(N, out, T')``; column ``t`` is the MLP's output on the
          ``t``-th window, ``T' = (T - R) // S + 1``

    Raises:
        ValueError: when a layer's inputs do not match ``kernel * channels`` of
            the layer below it.
        TypeError: for a module other than Linear or an elementwise activation.

    >>> import mytorch, mytorch.nn as nn
    >>> mlp = nn.Sequential(nn.Linear(2 * 3, 8), nn.ReLU(), nn.Linear(8, 4))
    >>> scanning_mlp_to_conv1d(mlp, kernel_size=2, stride=1)(mytorch.zeros(5, 3, 10)).shape
    (5, 4, 9)
    """
    if isinstance(mlp, Sequential):
        layers = _sequential_layers(mlp)
    else:
        layers = _weight_list_layers(mlp)
    n_linear = sum(isinstance(layer, tuple) for layer in layers)
    if n_linear == 0:
        raise ValueError("scanning_mlp_to_conv1d: the MLP has no Linear layer")
    if shared:
        kernels = _per_layer(kernel_size, n_linear, "kernel_size")
        strides = _per_layer(stride, n_linear, "stride")
    else:
        if not isinstance(kernel_size, int) or not isinstance(stride, int):
            raise ValueError("scanning_mlp_to_conv1d: kernel_size and stride must be ints when "
                             f"shared=False, got {kernel_size!r} and {stride!r}")
        kernels = (kernel_size,) + (1,) * (n_linear - 1)
        strides = (stride,) + (1,) * (n_linear - 1)

    modules: list[Module] = []
    geometry = iter(zip(kernels, strides))
    channels = None  # C_{l-1}: the outputs of the previous Linear
    for layer in layers:
        if not isinstance(layer, tuple):
            modules.append(layer)
            continue
        W, b = layer
        k, s = next(geometry)
        out_features, in_features = W.shape
        if in_features % k or (channels is not None and in_features != k * channels):
            expected = f"{k} x {channels}" if channels is not None else f"a multiple of {k}"
            raise ValueError(
                f"scanning_mlp_to_conv1d: Linear layer of shape (in={in_features}, "
                f"out={out_features}) should have {expected} inputs for kernel size {k}"
            )
        channels = in_features // k
        conv = Conv1d(channels, out_features, k, s, bias=b is not None, dtype=W.dtype)
        # (O, K*C) time-major window -> (O, K, C) -> (O, C, K): channel c at offset k
        conv.weight = Parameter(W.reshape(out_features, k, channels).transpose(0, 2, 1).copy())
        if b is not None:
            conv.bias = Parameter(b.astype(W.dtype))
        modules.append(conv)
        channels = out_features
    return ScanningConv1d(*modules)
