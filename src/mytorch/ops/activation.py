"""Activations: relu, leaky_relu, elu, hardtanh, sigmoid, silu, gelu, softplus, softmax,
log_softmax.

Each forward is one NumPy expression (the numerically delicate ones live in
``mytorch.kernels``); each backward is written with Tensor ops, so it can be
differentiated again. Piecewise activations multiply the gradient by a
constant mask (their derivative is piecewise constant there); the smooth ones
reuse their output (sigmoid: y (1 - y); softmax: y (g - sum(g y))).
``inplace=True`` (PyTorch's option) writes the result into the input through
``Tensor._inplace``: the same op, recorded as an in-place change.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes, grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import reduce as reduce_kernels
from mytorch.kernels import special
from mytorch.ops import reduce
from mytorch.ops._checks import require_float
from mytorch.ops.elementwise import cast, exp, tanh, where

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "relu", "leaky_relu", "elu", "hardtanh", "sigmoid", "silu", "gelu", "softplus", "softmax",
    "log_softmax",
]


def _mask(condition: np.ndarray, dtype: np.dtype) -> Tensor:
    """A 0/1 constant (no gradient) in the gradient's dtype."""
    return TensorBase._make(condition.astype(dtype))


# -- piecewise linear: relu, leaky_relu, hardtanh, and elu ---------------------------------------
class ReLU(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor) -> Tensor:
        y = TensorBase._make(np.maximum(x._data, 0))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return gy * _mask(y._data > 0, gy.dtype)  # 0 at x = 0, as PyTorch


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``, elementwise; integer tensors stay integer.

    ``inplace=True`` writes the result into ``x`` and returns ``x``.

    >>> import mytorch
    >>> mytorch.relu(mytorch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    if inplace:
        return x._inplace("relu_", ReLU.apply)
    return ReLU.apply(x)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, negative_slope: float) -> np.ndarray:
        a = x._data
        ctx.positive = a > 0
        ctx.negative_slope = negative_slope
        return np.where(ctx.positive, a, a * negative_slope)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        slope = np.where(ctx.positive, 1.0, ctx.negative_slope).astype(gy.dtype)
        return gy * TensorBase._make(slope), None


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where x > 0, else ``negative_slope * x``; ``inplace=True`` writes it into ``x``.

    >>> import mytorch
    >>> mytorch.leaky_relu(mytorch.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1000,  2.0000])
    """
    require_float("leaky_relu", x)
    if inplace:
        return x._inplace("leaky_relu_", LeakyReLU.apply, negative_slope)
    return LeakyReLU.apply(x, negative_slope)


class Hardtanh(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, min_val: float, max_val: float) -> np.ndarray:
        a = x._data
        ctx.inside = (a > min_val) & (a < max_val)
        return np.clip(a, min_val, max_val).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        # strictly inside only: 0 at the corners (clamp passes them; PyTorch's hardtanh does not)
        return gy * _mask(ctx.inside, gy.dtype), None, None


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clipped to ``[min_val, max_val]``; the gradient is 1 strictly inside, else 0.

    ``inplace=True`` writes the result into ``x`` and returns ``x``.

    >>> import mytorch
    >>> mytorch.hardtanh(mytorch.tensor([-3.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    if inplace:
        return x._inplace("hardtanh_", Hardtanh.apply, min_val, max_val)
    return Hardtanh.apply(x, min_val, max_val)


class ELU(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, alpha: float) -> Tensor:
        a = x._data
        ctx.positive, ctx.alpha = a > 0, alpha
        # expm1 of min(x, 0): the branch that is thrown away cannot overflow
        y = TensorBase._make(np.where(ctx.positive, a, alpha * np.expm1(np.minimum(a, 0))))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        # for x <= 0, d/dx alpha (e^x - 1) = alpha e^x = y + alpha
        slope = where(ctx.positive, 1.0, y + ctx.alpha)
        return gy * slope, None


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where x > 0, else ``alpha * (exp(x) - 1)``; ``inplace=True`` writes it into ``x``.

    >>> import mytorch
    >>> mytorch.elu(mytorch.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    require_float("elu", x)
    if inplace:
        return x._inplace("elu_", ELU.apply, alpha)
    return ELU.apply(x, alpha)


# -- smooth: sigmoid, silu, gelu, softplus ----------------------------------------------------
class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor) -> Tensor:
        y = TensorBase._make(special.sigmoid(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return gy * y * (1 - y)


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, stable for large |x|; integers give float32.

    >>> import mytorch
    >>> mytorch.sigmoid(mytorch.tensor([-1000.0, 0.0, 1000.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    if x.dtype.kind not in "fc":
        x = cast(x, dtypes.DEFAULT_FLOAT)
    return Sigmoid.apply(x)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish); ``inplace=True`` writes it into ``x``.

    >>> import mytorch
    >>> mytorch.silu(mytorch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    require_float("silu", x)
    if inplace:
        return x._inplace("silu_", silu)
    return x * sigmoid(x)


class NormalCdf(Function):
    """Phi(x), the standard normal CDF; its derivative is the density phi(x)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return special.normal_cdf(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy * _normal_density(x)


def _normal_density(x: Tensor) -> Tensor:
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi), with Tensor ops."""
    return exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi))


class GELU(Function):
    """Exact GELU, ``x Phi(x)``, fused: one kernel pass computes the output and the
    derivative ``Phi(x) + x phi(x)``, which backward multiplies by the incoming gradient.

    Under ``create_graph=True`` backward writes the same derivative with Tensor ops
    (``NormalCdf`` and the density), so it is differentiable again.
    """

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        y, ctx.slope = special.gelu(x._data)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        if grad_mode.is_grad_enabled():  # create_graph: composed ops, differentiable again
            (x,) = ctx.saved_tensors
            return gy * (NormalCdf.apply(x) + x * _normal_density(x))
        return TensorBase._make(gy._data * ctx.slope)


_GELU_TANH_SCALE = math.sqrt(2 / math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (computed exactly, not through tanh).

    ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``,
    a product of differentiable ops. The exact one is the fused op ``GELU``, whose
    backward is ``Phi(x) + x phi(x)`` (``mytorch.kernels.special.gelu``).

    >>> import mytorch
    >>> mytorch.gelu(mytorch.tensor([-1.0, 1.0]))
    tensor([-0.1587,  0.8413])
    """
    require_float("gelu", x)
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _GELU_TANH_SCALE
        return x * 0.5 * (tanh(inner) + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Softplus(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, beta: float, threshold: float) -> np.ndarray:
        a = x._data
        ctx.save_for_backward(x)
        ctx.beta, ctx.linear = beta, a * beta > threshold
        # log(1 + exp(bx)) / b as logaddexp(0, bx) / b: no overflow; above threshold, x itself
        return np.where(ctx.linear, a, np.logaddexp(0, a * beta) / beta).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        slope = where(ctx.linear, 1.0, sigmoid(x * ctx.beta))  # d/dx log(1 + e^bx)/b = sigmoid(bx)
        return gy * slope, None, None


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``.

    >>> import mytorch
    >>> mytorch.softplus(mytorch.tensor([0.0, 100.0]))
    tensor([  0.6931, 100.0000])
    """
    return Softplus.apply(require_float("softplus", x), beta, threshold)


# -- softmax, log_softmax -----------------------------------------------------------------------
class Softmax(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dim: int | None) -> Tensor:
        ctx.dim = dim
        y = TensorBase._make(reduce_kernels.softmax(x._data, dim))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        # Jacobian diag(y) - y y^T applied to g: y * (g - <g, y>) along dim
        return y * (gy - reduce.sum(gy * y, ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dim: int | None) -> Tensor:
        ctx.dim = dim
        y = TensorBase._make(reduce_kernels.log_softmax(x._data, dim))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None]:
        (y,) = ctx.saved_tensors
        # d(x_i - logsumexp x)/dx_j = [i = j] - softmax_j, so g - softmax * sum(g)
        return gy - exp(y) * reduce.sum(gy, ctx.dim, keepdim=True), None


def _softmax_input(op: str, x: Tensor, dim: Any, dtype: Any) -> tuple[Tensor, int | None]:
    """Cast to ``dtype`` if given, check the dtype, resolve ``dim`` (None: PyTorch's old rule).

    A 0-d tensor is its own (one-element) slice: its axis is None, "all elements".
    """
    if dtype is not None:
        x = x.to(dtype)
    require_float(op, x)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
        warnings.warn(f"{op}: implicit dimension choice is deprecated; pass dim (using {dim})",
                      UserWarning, stacklevel=3)
    dims = reduce.single_dim(op, x, dim)
    return x, dims[0] if dims else None


def softmax(x: Tensor, dim: Any = -1, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, the maximum subtracted first (no overflow).

    Args:
        x: a floating point tensor (or pass ``dtype``).
        dim: the dimension that sums to 1.
        dtype: cast the input to this dtype first.

    >>> import mytorch
    >>> mytorch.softmax(mytorch.tensor([1e4, 1e4]), dim=0)
    tensor([0.5000, 0.5000])
    """
    x, axis = _softmax_input("softmax", x, dim, dtype)
    return Softmax.apply(x, axis)


def log_softmax(x: Tensor, dim: Any = -1, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, stable for logits of any size.

    >>> import mytorch
    >>> mytorch.log_softmax(mytorch.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    x, axis = _softmax_input("log_softmax", x, dim, dtype)
    return LogSoftmax.apply(x, axis)
