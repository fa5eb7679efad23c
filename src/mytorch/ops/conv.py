"""Convolution ops: conv1d/conv2d, their transposes, unfold/fold.

A convolution is bilinear in its input x and weight W, and its two gradients
are again convolutions of the same geometry. Three ``Function`` s form a
closed system, so every derivative of every order is one of them:

    Conv(x, W)            -> y      (N, C, *L), (O, C/G, *K) -> (N, O, *OUT)
    ConvTranspose(gy, W)  -> gx     the adjoint of Conv in x: (N, O, *OUT) -> (N, C, *L)
    ConvWeightGrad(x, gy) -> gW     the adjoint of Conv in W: -> (O, C/G, *K)

With ``B(x, W, gy) = <gy, Conv(x, W)>``, each gradient is a partial derivative
of B, and B is linear in each argument; e.g. ``<ggW, ConvWeightGrad(x, gy)> =
B(x, ggW, gy)``, whose gradient in x is ``ConvTranspose(gy, ggW)`` and in gy is
``Conv(x, ggW)``. The transposed convolution layer *is* ``ConvTranspose``;
unfold (im2col) and fold (col2im) are each other's adjoint in the same way.

The geometry is a ``kernels.windows.Windows`` (input size, kernel, stride,
zero padding, dilation, output size), the same object pooling carries; all
three Functions of one convolution share one, with the number of groups.
Zero padding is part of the geometry (the kernels pad one chunk of the batch
at a time); 'reflect', 'replicate' and 'circular' padding go through the
differentiable ``pad`` op first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase, arrays
from mytorch.kernels import conv as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.kernels.windows import Windows, ntuple, transpose_output_size
from mytorch.ops.shape import pad, reshape

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "conv_nd", "conv_transpose_nd",
    "unfold", "fold",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# -- the three Functions -----------------------------------------------------------------
class Conv(Function):
    """y = x (*) W (cross-correlation): x (N, C, *win.size) -> y (N, O, *win.out)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, W: Tensor, win: Windows, groups: int) -> np.ndarray:
        ctx.save_for_backward(x, W)
        ctx.win, ctx.groups = win, groups
        xd, Wd = arrays(x, W)
        return kernels.conv_forward(xd, Wd, win.stride, win.padding, win.dilation, groups,
                                    out_size=win.out)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None, None, None]:
        x, W = ctx.saved_tensors
        gx = gW = None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose.apply(gy, W, ctx.win, ctx.groups)
        if ctx.needs_input_grad[1]:
            gW = ConvWeightGrad.apply(x, gy, ctx.win, ctx.groups)
        return gx, gW, None, None


class ConvTranspose(Function):
    """gx = the transposed convolution of gy (N, O, *win.out) with W: -> (N, C, *win.size)."""

    @staticmethod
    def forward(ctx: Node, gy: Tensor, W: Tensor, win: Windows, groups: int) -> np.ndarray:
        ctx.save_for_backward(gy, W)
        ctx.win, ctx.groups = win, groups
        gyd, Wd = arrays(gy, W)
        return kernels.conv_input_grad(gyd, Wd, win.size, win.stride, win.padding, win.dilation,
                                       groups)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor | None, Tensor | None, None, None]:
        gy, W = ctx.saved_tensors
        g_gy = g_W = None
        if ctx.needs_input_grad[0]:  # <g, ConvT(gy, W)> = <Conv(g, W), gy>
            g_gy = Conv.apply(g, W, ctx.win, ctx.groups)
        if ctx.needs_input_grad[1]:  # ... = B(g, W, gy), whose W-gradient is ConvWeightGrad
            g_W = ConvWeightGrad.apply(g, gy, ctx.win, ctx.groups)
        return g_gy, g_W, None, None


class ConvWeightGrad(Function):
    """gW = the gradient of <gy, Conv(x, W)> in W: x (N, C, *L), gy (N, O, *OUT) -> (O, C/G, *K)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, gy: Tensor, win: Windows, groups: int) -> np.ndarray:
        ctx.save_for_backward(x, gy)
        ctx.win, ctx.groups = win, groups
        xd, gyd = arrays(x, gy)
        return kernels.conv_weight_grad(xd, gyd, win.kernel, win.stride, win.padding,
                                        win.dilation, groups)

    @staticmethod
    def backward(ctx: Node, ggW: Tensor) -> tuple[Tensor | None, Tensor | None, None, None]:
        x, gy = ctx.saved_tensors
        g_x = g_gy = None
        if ctx.needs_input_grad[0]:  # <ggW, gW(x, gy)> = B(x, ggW, gy) = <x, ConvT(gy, ggW)>
            g_x = ConvTranspose.apply(gy, ggW, ctx.win, ctx.groups)
        if ctx.needs_input_grad[1]:  # ... = <gy, Conv(x, ggW)>
            g_gy = Conv.apply(x, ggW, ctx.win, ctx.groups)
        return g_x, g_gy, None, None


class Unfold(Function):
    """im2col: x (N, C, *L) -> (N, C * prod(K), prod(OUT)); its adjoint is ``Fold``.

    ``kernels.im2col`` with the batch folded into the channels: the columns of
    (1, N * C, *L) are (N * C, *K, 1, *OUT), which is unfold's layout already
    (a free reshape), so unfold costs the one copy im2col makes.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor, win: Windows) -> np.ndarray:
        ctx.win = win
        N, C, *L = x.shape
        cols = kernels.im2col(x._data.reshape(1, N * C, *L), win.kernel, win.stride,
                              win.padding, win.dilation)     # (N * C, *K, 1, *OUT)
        return cols.reshape(N, C * math.prod(win.kernel), math.prod(win.out))

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return Fold.apply(g, ctx.win), None


class Fold(Function):
    """col2im: (N, C * prod(K), prod(OUT)) -> (N, C, *win.size), overlaps summed.

    ``kernels.col2im`` with the batch folded into the channels, as in ``Unfold``.
    """

    @staticmethod
    def forward(ctx: Node, cols: Tensor, win: Windows) -> np.ndarray:
        ctx.win = win
        N, CK, _ = cols.shape
        C = CK // math.prod(win.kernel)
        # (N, C * prod(K), prod(OUT)) -> (N * C, *K, 1, *OUT), free
        blocks = cols._data.reshape(N * C, *win.kernel, 1, *win.out)
        x = kernels.col2im(blocks, win.size, win.stride, win.padding, win.dilation)
        return x.reshape(N, C, *win.size)                   # (1, N * C, *L) -> (N, C, *L)

    @staticmethod
    def backward(ctx: Node, g: Tensor) -> tuple[Tensor, None]:
        return Unfold.apply(g, ctx.win), None


# -- argument checking -------------------------------------------------------------------
def _check_positive(op: str, **values: tuple[int, ...]) -> None:
    for name, value in values.items():
        if min(value, default=1) <= 0:
            raise ShapeError(f"{op}: non-positive {name} is not supported, got {name}={value}")


def check_conv_args(op: str, nd: int, kernel_size: Any, stride: Any, padding: Any,
                    dilation: Any, output_padding: Any = 0) -> None:
    """Reject the window a convolution's forward would reject: kernel_size, stride or
    dilation below 1, negative padding, an unknown padding string, 'same' with a stride,
    an output_padding (transposed) that is negative or not below the stride or dilation.

    The convolution layers call this when built, so that ``Conv2d(1, 1, kernel_size=0)``
    fails there and not at the first forward.
    """
    k = ntuple(kernel_size, nd, "kernel_size", op)
    s = ntuple(stride, nd, "stride", op)
    d = ntuple(dilation, nd, "dilation", op)
    _check_positive(op, kernel_size=k, stride=s, dilation=d)
    _conv_padding(op, padding, nd, s, d, k)
    _check_output_padding(op, ntuple(output_padding, nd, "output_padding", op), s, d)


def _check_output_padding(op: str, output_padding: tuple[int, ...], stride: tuple[int, ...],
                          dilation: tuple[int, ...]) -> None:
    if min(output_padding) < 0:
        raise ShapeError(
            f"{op}: negative output_padding is not supported, got output_padding={output_padding}"
        )
    if any(o >= max(si, di) for o, si, di in zip(output_padding, stride, dilation)):
        raise ShapeError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )


def _check_tensors(op: str, **tensors: Any) -> None:
    """Each named argument must be a Tensor (``bias`` may be None)."""
    for name, t in tensors.items():
        if not (isinstance(t, TensorBase) or (name == "bias" and t is None)):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _check_dims(op: str, nd: int, input: Tensor, weight: Tensor, transposed: bool) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"{op}: expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, "
            f"but got input of shape {input.shape}"
        )
    if weight.ndim != nd + 2:
        channels = "(in_channels, out_channels/groups" if transposed else \
            "(out_channels, in_channels/groups"
        raise ShapeError(
            f"{op}: expected a {nd + 2}D weight {channels}, *kernel_size), "
            f"but got weight of shape {weight.shape}"
        )


def _check_groups(op: str, weight: Tensor, groups: Any) -> None:
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ShapeError(f"{op}: non-positive groups is not supported, got groups={groups!r}")
    if weight.shape[0] == 0 or weight.shape[0] % groups:
        raise ShapeError(
            f"{op}: given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0 (and non-empty), but got weight of shape {weight.shape}"
        )


def _check_bias(op: str, weight: Tensor, bias: Tensor | None, channels: int, transposed: bool
                ) -> None:
    if bias is not None and bias.shape != (channels,):
        kind = "transposed " if transposed else ""
        raise ShapeError(
            f"{op}: given {kind}weight of shape {weight.shape}, expected bias to be 1-dimensional "
            f"with {channels} elements, but got bias of shape {bias.shape}"
        )


def _conv_padding(op: str, padding: Any, nd: int, stride: tuple[int, ...],
                  dilation: tuple[int, ...], kernel_size: tuple[int, ...]
                  ) -> tuple[tuple[int, int], ...]:
    """padding as (before, after) per dim; 'same' splits d(k-1) with the extra on the right."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ShapeError(
                f"{op}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
        if any(s != 1 for s in stride):
            raise ShapeError(
                f"{op}: padding='same' is not supported for strided convolutions "
                f"(stride={stride})"
            )
        totals = [d * (k - 1) for d, k in zip(dilation, kernel_size)]
        return tuple((t // 2, t - t // 2) for t in totals)  # PyTorch's split: left = total // 2
    pads = ntuple(padding, nd, "padding", op)
    if min(pads) < 0:
        raise ShapeError(f"{op}: negative padding is not supported, got padding={pads}")
    return tuple((p, p) for p in pads)


def _check_window(op: str, input_shape: tuple[int, ...], spatial: Sequence[int],
                  kernel_size: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """The (dilated) kernel must fit in the padded input along every dim."""
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel_size))
    if any(n < s for n, s in zip(spatial, span)):
        raise ShapeError(
            f"{op}: calculated padded input size per channel ({' x '.join(map(str, spatial))}) "
            f"is smaller than the dilated kernel size ({' x '.join(map(str, span))}); kernel size "
            f"can't be greater than actual input size (input of shape {input_shape})"
        )


def _unbatch(x: Tensor, nd: int) -> tuple[Tensor, bool]:
    """(C, *L) -> (1, C, *L), and whether it was unbatched."""
    if x.ndim == nd + 1:
        return reshape(x, (1, *x.shape)), True
    return x, False


def _finish(y: Tensor, bias: Tensor | None, unbatched: bool) -> Tensor:
    """Add the bias over channels (broadcast; the engine sums its gradient) and re-unbatch."""
    if bias is not None:
        y = y + reshape(bias, (bias.shape[0],) + (1,) * (y.ndim - 2))
    return reshape(y, y.shape[1:]) if unbatched else y


# -- convolution -------------------------------------------------------------------------
def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: int, padding_mode: str) -> Tensor:
    _check_tensors(op, input=input, weight=weight, bias=bias)
    _check_dims(op, nd, input, weight, transposed=False)
    s = ntuple(stride, nd, "stride", op)
    d = ntuple(dilation, nd, "dilation", op)
    _check_positive(op, stride=s, dilation=d)
    _check_groups(op, weight, groups)
    if padding_mode not in PADDING_MODES:
        raise ValueError(
            f"{op}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
        )
    O, Cg, *ks = weight.shape
    kernel_size = tuple(ks)
    _check_positive(op, kernel_size=kernel_size)  # an empty kernel would give zeros, silently
    pads = _conv_padding(op, padding, nd, s, d, kernel_size)
    channels = input.shape[-nd - 1]
    if channels != Cg * groups:
        raise ShapeError(
            f"{op}: given groups={groups}, weight of shape {weight.shape} expects input of shape "
            f"{input.shape} to have {Cg * groups} channels, but got {channels} channels instead"
        )
    _check_bias(op, weight, bias, O, transposed=False)
    spatial = [n + b + a for n, (b, a) in zip(input.shape[-nd:], pads)]
    _check_window(op, input.shape, spatial, kernel_size, d)

    x, unbatched = _unbatch(input, nd)
    if padding_mode != "zeros" and any(b or a for b, a in pads):
        # F.pad's order: (left, right) of the last dim first
        x = pad(x, [p for pair in reversed(pads) for p in pair], mode=padding_mode)
        pads = ((0, 0),) * nd
    win = Windows(x.shape[2:], kernel_size, s, pads, d)
    return _finish(Conv.apply(x, weight, win, int(groups)), bias, unbatched)


def conv_nd(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: str | int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1,
    padding_mode: str = "zeros",
) -> Tensor:
    """Convolution over ``weight.ndim - 2`` spatial dims, with nn.ConvNd's ``padding_mode``.

    ``conv1d``/``conv2d`` are this with ``padding_mode='zeros'``; ``nn.Conv1d``/``nn.Conv2d``
    call it to offer 'reflect', 'replicate' and 'circular' padding as PyTorch's layers do.

    Args:
        input: (N, C, *L) or unbatched (C, *L).
        weight: (O, C/groups, *K).
        bias: (O,) or None.
        stride, dilation: an int or one per spatial dim (> 0).
        padding: an int or one per dim (>= 0), 'valid' (none) or 'same' (output size =
            input size; stride 1 only; an odd total d(k-1) puts the extra element on the right).
        groups: split channels into ``groups`` independent convolutions (C and O divisible).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.

    Shape:
        (N, C, *L) -> (N, O, *OUT), OUT = floor((L + 2p - d(k-1) - 1) / s) + 1 per dim.
    """
    nd = max(weight.ndim - 2, 1) if isinstance(weight, TensorBase) else 1
    return _conv(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation, groups,
                 padding_mode)


def conv1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: str | int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C, L), as ``torch.nn.functional.conv1d``.

    Args:
        input: (N, C, L) or (C, L).
        weight: (O, C/groups, K).
        bias: (O,) or None.
        stride: step between windows (default 1).
        padding: zeros on both sides: an int, 'valid' or 'same' (default 0).
        dilation: spacing between kernel taps (default 1).
        groups: channel groups; groups == C is a depthwise convolution (default 1).

    Shape:
        (N, C, L) -> (N, O, L_out), L_out = floor((L + 2p - d(K-1) - 1) / s) + 1.

    >>> import mytorch
    >>> x = mytorch.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    >>> conv1d(x, mytorch.tensor([[[1.0, -1.0]]]))
    tensor([[[-1., -1., -1.]]])
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups, "zeros")


def conv2d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: str | int | Sequence[int] = 0, dilation: int | Sequence[int] = 1, groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C, H, W), as ``torch.nn.functional.conv2d``.

    Args:
        input: (N, C, H, W) or (C, H, W).
        weight: (O, C/groups, KH, KW).
        bias: (O,) or None.
        stride: an int or (sH, sW) (default 1).
        padding: zeros on each side: an int, (pH, pW), 'valid' or 'same' (default 0).
        dilation: an int or (dH, dW) (default 1).
        groups: channel groups; groups == C is a depthwise convolution (default 1).

    Shape:
        (N, C, H, W) -> (N, O, OH, OW), OH = floor((H + 2pH - dH(KH-1) - 1) / sH) + 1, OW alike.

    >>> import mytorch
    >>> x = mytorch.ones(1, 1, 3, 3)
    >>> conv2d(x, mytorch.ones(1, 1, 2, 2)).shape
    (1, 1, 2, 2)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups, "zeros")


# -- transposed convolution --------------------------------------------------------------
def _conv_transpose(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None,
                    stride: Any, padding: Any, output_padding: Any, groups: int, dilation: Any
                    ) -> Tensor:
    _check_tensors(op, input=input, weight=weight, bias=bias)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of ints, not {padding!r}")
    _check_dims(op, nd, input, weight, transposed=True)
    s = ntuple(stride, nd, "stride", op)
    d = ntuple(dilation, nd, "dilation", op)
    p = ntuple(padding, nd, "padding", op)
    op_ = ntuple(output_padding, nd, "output_padding", op)
    _check_positive(op, stride=s, dilation=d)
    if min(p) < 0:
        raise ShapeError(f"{op}: negative padding is not supported, got padding={p}")
    _check_output_padding(op, op_, s, d)
    _check_groups(op, weight, groups)
    Cin, Cg, *ks = weight.shape
    kernel_size = tuple(ks)
    _check_positive(op, kernel_size=kernel_size)
    channels = input.shape[-nd - 1]
    if channels != Cin:
        raise ShapeError(
            f"{op}: given transposed=1, weight of shape {weight.shape} expects input of shape "
            f"{input.shape} to have {Cin} channels, but got {channels} channels instead"
        )
    _check_bias(op, weight, bias, Cg * groups, transposed=True)
    out_size = tuple(
        transpose_output_size(n, k, si, pi, di, oi)
        for n, k, si, pi, di, oi in zip(input.shape[-nd:], kernel_size, s, p, d, op_)
    )
    if min(out_size) <= 0:
        raise ShapeError(
            f"{op}: the calculated output size {out_size} is not positive (input of shape "
            f"{input.shape}, weight of shape {weight.shape}, stride={s}, padding={p}, "
            f"dilation={d}, output_padding={op_})"
        )
    x, unbatched = _unbatch(input, nd)
    # the windows of the convolution this transposes: from out_size to the input's size
    win = Windows(out_size, kernel_size, s, p, d, out=x.shape[2:])
    return _finish(ConvTranspose.apply(x, weight, win, int(groups)), bias, unbatched)


def conv_transpose_nd(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed convolution over ``weight.ndim - 2`` spatial dims (see ``conv_transpose2d``)."""
    nd = max(weight.ndim - 2, 1) if isinstance(weight, TensorBase) else 1
    return _conv_transpose(f"conv_transpose{nd}d", nd, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    The gradient of ``conv1d`` with respect to its input, used as a layer: each
    input element scatters ``weight`` times itself into the output, windows
    ``stride`` apart; ``padding`` crops the result and ``output_padding`` adds
    to one side, choosing among the sizes a strided conv1d maps to the same length.

    Args:
        input: (N, C_in, L) or (C_in, L).
        weight: (C_in, C_out/groups, K).
        bias: (C_out,) or None.
        stride, padding, dilation, groups: those of the conv1d this transposes.
        output_padding: extra size on one side (< stride or < dilation).

    Shape:
        (N, C_in, L) -> (N, C_out, (L - 1)s - 2p + d(K-1) + output_padding + 1).

    >>> import mytorch
    >>> conv_transpose1d(mytorch.tensor([[[1.0, 2.0]]]), mytorch.tensor([[[1.0, 1.0, 1.0]]]))
    tensor([[[1., 3., 3., 2.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0, output_padding: int | Sequence[int] = 0, groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out/groups, KH, KW).
        bias: (C_out,) or None.
        stride, padding, dilation, groups: those of the conv2d this transposes.
        output_padding: extra size on one side per dim (< stride or < dilation).

    Shape:
        (N, C_in, H, W) -> (N, C_out, OH, OW), OH = (H - 1)sH - 2pH + dH(KH-1) + opH + 1.

    >>> import mytorch
    >>> x = mytorch.ones(1, 1, 2, 2)
    >>> conv_transpose2d(x, mytorch.ones(1, 1, 3, 3), stride=2, padding=1, output_padding=1).shape
    (1, 1, 4, 4)
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# -- unfold / fold -----------------------------------------------------------------------
def block_args(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
               ) -> tuple[tuple[int, ...], ...]:
    """unfold's/fold's window as (kernel_size, stride, padding, dilation), two ints each,
    checked (the layers check it when built, too)."""
    k = ntuple(kernel_size, 2, "kernel_size", op)
    d = ntuple(dilation, 2, "dilation", op)
    p = ntuple(padding, 2, "padding", op)
    s = ntuple(stride, 2, "stride", op)
    _check_positive(op, kernel_size=k, dilation=d, stride=s)
    if min(p) < 0:
        raise ShapeError(f"{op}: negative padding is not supported, got padding={p}")
    return k, s, p, d


def _blocks(op: str, spatial: Sequence[int], kernel_size: Any, dilation: Any, padding: Any,
            stride: Any) -> Windows:
    """The windows of unfold/fold over an image of size ``spatial``: at least one per dim."""
    k, s, p, d = block_args(op, kernel_size, dilation, padding, stride)
    win = Windows(spatial, k, s, p, d)
    if min(win.out) < 1:
        raise ShapeError(
            f"{op}: given input with spatial size {tuple(spatial)}, kernel_size={k}, "
            f"dilation={d}, padding={p}, stride={s}, the calculated shape of the array of "
            f"sliding blocks is {win.out}, but its components must be at least one"
        )
    return win


def unfold(
    input: Tensor, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1,
) -> Tensor:
    """Extract sliding blocks (im2col), as ``torch.nn.functional.unfold``.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W).
        kernel_size, dilation, padding, stride: an int or a pair each.

    Shape:
        (N, C, H, W) -> (N, C * KH * KW, OH * OW), columns ordered (c, kh, kw), windows
        row-major; OH, OW by the conv2d formula.

    >>> import mytorch
    >>> unfold(mytorch.ones(1, 2, 3, 3), 2).shape
    (1, 8, 4)
    """
    op = "unfold"
    _check_tensors(op, input=input)
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"{op}: expected a 3D (unbatched) or 4D (batched) input, but got input of shape "
            f"{input.shape}"
        )
    win = _blocks(op, input.shape[-2:], kernel_size, dilation, padding, stride)
    x, unbatched = _unbatch(input, 2)
    cols = Unfold.apply(x, win)
    return reshape(cols, cols.shape[1:]) if unbatched else cols


def fold(
    input: Tensor, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Tensor:
    """Sum sliding blocks back into an image (col2im), as ``torch.nn.functional.fold``.

    The adjoint of ``unfold``: where blocks overlap their values add up.

    Args:
        input: (N, C * KH * KW, L) or unbatched (C * KH * KW, L), L the number of blocks.
        output_size: (H, W) of the result (an int for both).
        kernel_size, dilation, padding, stride: an int or a pair each.

    Shape:
        (N, C * KH * KW, OH * OW) -> (N, C, H, W).

    >>> import mytorch
    >>> fold(mytorch.ones(1, 4, 4), (3, 3), 2)[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    op = "fold"
    _check_tensors(op, input=input)
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"{op}: expected a 2D (unbatched) or 3D (batched) input, but got input of shape "
            f"{input.shape}"
        )
    size = ntuple(output_size, 2, "output_size", op)
    win = _blocks(op, size, kernel_size, dilation, padding, stride)
    k, blocks = win.kernel, win.out
    rows, length = input.shape[-2:]
    if rows % math.prod(k):
        raise ShapeError(
            f"{op}: expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input of shape {input.shape} and kernel_size={k}"
        )
    if length != math.prod(blocks):
        raise ShapeError(
            f"{op}: given output_size={size}, kernel_size={k}, dilation={win.dilation}, "
            f"padding={tuple(p for p, _ in win.padding)}, stride={win.stride}, expected size "
            f"of input's last dimension to match the calculated number of sliding blocks "
            f"{' * '.join(map(str, blocks))} = {math.prod(blocks)}, but got input of shape "
            f"{input.shape}"
        )
    x, unbatched = _unbatch(input, 1)
    y = Fold.apply(x, win)
    return reshape(y, y.shape[1:]) if unbatched else y
