"""Resampling: the courses' integer-factor up/downsampling, and PyTorch's ``interpolate``.

Upsampling by an integer factor inserts ``factor - 1`` zeros between
neighbours; downsampling keeps every factor-th sample, starting at the first.
Each is the other's adjoint, so the two Functions are each other's backward:

    Dilate    x (*lead, *L) -> zeros (*lead, *size) with out[..., ::f] = x
    Decimate  x (*lead, *L) -> x[..., ::f]

With them a strided convolution is a stride-1 convolution followed by
``Decimate``, and a transposed convolution a ``Dilate`` followed by a stride-1
convolution: the algebra the courses build CNNs from.

``interpolate`` resizes by a linear map per spatial axis (``AxisMaps``, whose
matrices ``kernels.interpolate`` builds) that encodes the mode's rule, so every
mode has an exact adjoint and is differentiable to any order. Adaptive average
pooling (``ops.pool``) is the same op with its own matrices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import interpolate as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.kernels.pool import adaptive_avg_matrix
from mytorch.ops._checks import require_float

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["upsample1d", "upsample2d", "downsample1d", "downsample2d", "interpolate"]


# -- a matrix per axis -------------------------------------------------------------------
class AxisMaps(Function):
    """y = x with ``maps[i]``, an (OUT_i, L_i) matrix, applied along trailing axis i.

    x (*lead, *L) -> (*lead, *OUT). Linear, so the backward is the same op with
    the transposed matrices, and so on to any order. Interpolation and adaptive
    average pooling are this op.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, maps: tuple[np.ndarray, ...]) -> np.ndarray:
        ctx.maps = maps
        return kernels.apply_axis_maps(x._data, maps)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return AxisMaps.apply(gy, tuple(M.T for M in ctx.maps)), None


# -- integer-factor resampling -----------------------------------------------------------
def _every(factors: tuple[int, ...]) -> tuple[Any, ...]:
    """The index of every factor-th position along the trailing axes: ``[..., ::f1, ::f2]``."""
    return (Ellipsis,) + tuple(slice(None, None, f) for f in factors)


class Dilate(Function):
    """Zeros of spatial ``size``, x at every factor-th position: (*lead, *L) -> (*lead, *size)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, factors: tuple[int, ...],
                size: tuple[int, ...]) -> np.ndarray:
        ctx.factors = factors
        out = np.zeros(x.shape[:-len(size)] + size, dtype=x.dtype)
        out[_every(factors)] = x._data
        return out

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        return Decimate.apply(gy, ctx.factors), None, None


class Decimate(Function):
    """Every factor-th sample from the first: (*lead, *L) -> (*lead, *ceil(L / factor))."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, factors: tuple[int, ...]) -> np.ndarray:
        ctx.factors, ctx.size = factors, x.shape[-len(factors):]
        return x._data[_every(factors)].copy()

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        return Dilate.apply(gy, ctx.factors, ctx.size), None


def _check_resample(op: str, x: Any, nd: int, factor: Any) -> int:
    """Check an (N, C, *L) or (C, *L) Tensor and an integer factor >= 1."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if not isinstance(factor, (int, np.integer)) or isinstance(factor, bool):
        raise TypeError(f"{op}: factor must be an int, got {factor!r}")
    if factor < 1:
        raise ValueError(f"{op}: factor must be at least 1, got {factor}")
    layouts = {1: "(C, W) or 3-D (N, C, W)", 2: "(C, H, W) or 4-D (N, C, H, W)"}
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{op}: expected a {nd + 1}-D {layouts[nd]} input, got shape {x.shape}")
    return int(factor)


def _upsample(op: str, nd: int, x: Tensor, factor: Any) -> Tensor:
    f = _check_resample(op, x, nd, factor)
    if 0 in x.shape[-nd:]:
        raise ShapeError(f"{op}: cannot upsample an empty signal, got shape {x.shape}")
    size = tuple(f * (L - 1) + 1 for L in x.shape[-nd:])
    return Dilate.apply(x, (f,) * nd, size)


def _downsample(op: str, nd: int, x: Tensor, factor: Any) -> Tensor:
    f = _check_resample(op, x, nd, factor)
    return Decimate.apply(x, (f,) * nd)


def upsample1d(x: Tensor, factor: int) -> Tensor:
    """Insert ``factor - 1`` zeros between neighbouring samples along W.

    Shape:
        (N, C, W) -> (N, C, factor * (W - 1) + 1); (C, W) alike.

    >>> import mytorch
    >>> upsample1d(mytorch.tensor([[[1.0, 2.0, 3.0]]]), 2)
    tensor([[[1., 0., 2., 0., 3.]]])
    """
    return _upsample("upsample1d", 1, x, factor)


def upsample2d(x: Tensor, factor: int) -> Tensor:
    """Insert ``factor - 1`` zero rows and columns between neighbouring pixels.

    Shape:
        (N, C, H, W) -> (N, C, factor * (H - 1) + 1, factor * (W - 1) + 1); (C, H, W) alike.

    >>> import mytorch
    >>> upsample2d(mytorch.ones(1, 1, 2, 2), 2)[0, 0]
    tensor([[1., 0., 1.],
            [0., 0., 0.],
            [1., 0., 1.]])
    """
    return _upsample("upsample2d", 2, x, factor)


def downsample1d(x: Tensor, factor: int) -> Tensor:
    """Keep every factor-th sample along W, starting at the first (``x[..., ::factor]``).

    The backward returns a gradient of the input's width (zeros at the dropped samples).

    Shape:
        (N, C, W) -> (N, C, ceil(W / factor)); (C, W) alike.

    >>> import mytorch
    >>> downsample1d(mytorch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
    tensor([[[1., 3., 5.]]])
    """
    return _downsample("downsample1d", 1, x, factor)


def downsample2d(x: Tensor, factor: int) -> Tensor:
    """Keep every factor-th row and column, starting at the first (``x[..., ::f, ::f]``).

    Shape:
        (N, C, H, W) -> (N, C, ceil(H / factor), ceil(W / factor)); (C, H, W) alike.

    >>> import mytorch
    >>> downsample2d(mytorch.arange(16.0).reshape(1, 1, 4, 4), 2)[0, 0]
    tensor([[ 0.,  2.],
            [ 8., 10.]])
    """
    return _downsample("downsample2d", 2, x, factor)


# -- interpolate -------------------------------------------------------------------------
# the modes, and the input rank each needs (None: 3-D, 4-D or 5-D)
_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 3, "bilinear": 4,
          "trilinear": 5}


def _per_axis(value: Any, nd: int) -> list[Any]:
    return list(value) if isinstance(value, (tuple, list)) else [value] * nd


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None) -> Tensor:
    """Resize the spatial dims of (N, C, *L) input, with PyTorch's ``F.interpolate`` rules.

    Give either ``size`` or ``scale_factor``. With a scale factor the output
    is ``floor(L * scale_factor)`` and the factor itself sets the sampling
    step ``1 / scale_factor`` (unless ``recompute_scale_factor``, which uses
    ``L / OUT`` as with a size).

    Modes, each a matrix per spatial axis:

    - 'nearest': output i copies input ``floor(i * step)`` (PyTorch's legacy rule).
    - 'nearest-exact': copies input ``floor((i + 0.5) * step)``, the nearest pixel centre.
    - 'linear' (3-D), 'bilinear' (4-D), 'trilinear' (5-D): mixes the two inputs around
      ``(i + 0.5) * step - 0.5`` (clamped at 0), or around ``i (L-1)/(OUT-1)``
      with ``align_corners=True``, which maps corner pixels onto corner pixels.
    - 'area': adaptive average pooling to the output size.

    Args:
        input: (N, C, L), (N, C, H, W) or (N, C, D, H, W), floating point.
        size: the output spatial size (an int for every axis, or one per axis).
        scale_factor: a float for every axis, or one per axis.
        mode: one of the modes above.
        align_corners: for the linear modes only (default False).
        recompute_scale_factor: compute the step from the output size even
            when a scale factor is given.

    Shape:
        (N, C, *L) -> (N, C, *OUT)

    >>> import mytorch
    >>> interpolate(mytorch.tensor([[[1.0, 2.0]]]), scale_factor=2, mode="linear")
    tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                "interpolate: align_corners option can only be set with the interpolating "
                f"modes: linear | bilinear | trilinear (got mode={mode!r})"
            )
    else:
        align_corners = bool(align_corners)
    if not isinstance(input, TensorBase):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    nd = input.ndim - 2
    spatial = input.shape[2:]

    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with a size")
        out = _per_axis(size, nd)
        if len(out) != nd:
            raise ValueError(
                f"interpolate: input and output must have the same number of spatial dims, "
                f"got input of shape {input.shape} and size {size}"
            )
        if not all(isinstance(o, (int, np.integer)) and not isinstance(o, bool) for o in out):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        scales: list[Any] = [None] * nd
    else:
        scales = [float(s) for s in _per_axis(scale_factor, nd)]
        if len(scales) != nd:
            raise ValueError(
                f"interpolate: input and scale_factor must have the same number of spatial "
                f"dims, got input of shape {input.shape} and scale_factor {scale_factor}"
            )
        out = [int(L * s) for L, s in zip(spatial, scales)]  # truncation, as PyTorch
        if recompute_scale_factor or mode == "area":
            scales = [None] * nd

    if input.ndim not in (3, 4, 5) or mode not in _MODES:
        raise NotImplementedError(
            f"interpolate: only 3-D, 4-D and 5-D inputs are supported, for the modes "
            f"{' | '.join(_MODES)}; got a {input.ndim}-D input and mode {mode!r}"
        )
    if _MODES[mode] not in (None, input.ndim):
        raise NotImplementedError(
            f"interpolate: got a {input.ndim}-D input, but {mode} mode needs "
            f"{_MODES[mode]}-D input (shape {input.shape})"
        )
    require_float("interpolate", input)
    if min(spatial) <= 0 or min(out) <= 0:
        raise ShapeError(
            f"interpolate: input and output sizes should be greater than 0, got input "
            f"{tuple(spatial)} and output {tuple(out)}"
        )

    dtype = input.dtype
    if mode == "area":
        maps = [adaptive_avg_matrix(L, o, dtype) for L, o in zip(spatial, out)]
    elif mode in ("nearest", "nearest-exact"):
        maps = [kernels.nearest_matrix(L, o, s, mode == "nearest-exact", dtype)
                for L, o, s in zip(spatial, out, scales)]
    else:
        maps = [kernels.linear_matrix(L, o, s, bool(align_corners), dtype)
                for L, o, s in zip(spatial, out, scales)]
    return AxisMaps.apply(input, tuple(maps))
