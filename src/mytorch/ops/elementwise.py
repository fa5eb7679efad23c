"""Elementwise ops: arithmetic, math functions, clamp, maximum/minimum, where, comparisons.

Binary ops broadcast like NumPy and promote dtypes like PyTorch; their
backward returns gradients of the broadcast shape, and the engine sums them
back to each input's shape. Each backward is written with Tensor ops, so it
is differentiable again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes
from mytorch.autograd.fit import cast
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase, arrays
from mytorch.kernels.errors import ShapeError

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "log1p", "sqrt", "sin", "cos",
    "tanh", "sign", "clamp", "clip", "maximum", "minimum", "where", "masked_fill", "cast", "clone",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
    "isnan", "isinf", "isfinite", "isclose", "allclose", "equal",
]


def _broadcast_error(op: str, a: Any, b: Any) -> ShapeError:
    return ShapeError(
        f"{op}: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together"
    )


def _binary(op: str, ufunc: Any, a: Any, b: Any) -> np.ndarray:
    x, y = arrays(a, b)
    try:
        return ufunc(x, y)
    except ValueError:
        raise _broadcast_error(op, x, y) from None


# -- arithmetic --------------------------------------------------------------------------
class Add(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> np.ndarray:
        return _binary("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, Tensor]:
        return gy, gy


class Sub(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> np.ndarray:
        return _binary("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, Tensor | None]:
        return gy, (-gy if ctx.needs_input_grad[1] else None)


class Mul(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _binary("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        ga = gy * b if ctx.needs_input_grad[0] else None
        gb = gy * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> np.ndarray:
        ctx.save_for_backward(a, b)
        x, y = arrays(a, b)
        if x.dtype.kind in "biu":  # true division of integers gives the default float
            x, y = x.astype(dtypes.DEFAULT_FLOAT), np.asarray(y, dtype=dtypes.DEFAULT_FLOAT)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary("div", np.true_divide, x, y)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        ga = gy / b if ctx.needs_input_grad[0] else None
        gb = -gy * a / (b * b) if ctx.needs_input_grad[1] else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Tensor:
        x, y = arrays(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _binary("pow", np.power, x, y)
        y = TensorBase._make(out)
        # the output only for the exponent's gradient (as PyTorch: x ** 2 keeps x alone)
        ctx.save_for_backward(a, b, y if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b, y = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = gy * b * a ** (b - 1)  # d(a^b)/da = b a^(b-1)
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b log(a), taken as 0 where a == 0 and b >= 0 (PyTorch's
            # convention): there log(a) is replaced by log(1) = 0, which keeps it finite
            base = (a if isinstance(a, TensorBase)
                    else TensorBase._make(np.asarray(a, dtype=y.dtype)))
            safe_log = where(logical_and(base == 0, b >= 0), 1.0, base).log()
            gb = gy * y * safe_log
        return ga, gb


class Neg(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        return np.negative(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        return -gy


def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """a * b, broadcasting."""
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    """a / b (true division: integers give float32), broadcasting."""
    return Div.apply(a, b)


def pow(a: Any, b: Any) -> Tensor:
    """a ** b, broadcasting; differentiable in both the base and the exponent."""
    return Pow.apply(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


# -- unary math --------------------------------------------------------------------------
class Abs(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.abs(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy * sign(x)


class Exp(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> Tensor:
        y = TensorBase._make(np.exp(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return gy * y


class Log(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy / x


class Log1p(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy / (x + 1)


class Sqrt(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> Tensor:
        with np.errstate(invalid="ignore"):
            y = TensorBase._make(np.sqrt(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return gy / (y * 2)


def _math(op: Callable[[Tensor], Tensor], ufunc: np.ufunc, x: Any) -> Any:
    """``op(x)`` for a Tensor, NumPy's ``ufunc(x)`` for an array: so the backward of sin and
    cos, each the other's derivative, runs on arrays too (``Function.arithmetic_backward``)."""
    return ufunc(x) if type(x) is np.ndarray else op(x)


class Sin(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return gy * _math(cos, np.cos, x)


class Cos(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(x._data)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return -gy * _math(sin, np.sin, x)


class Tanh(Function):
    arithmetic_backward = True

    @staticmethod
    def forward(ctx: Node, x: Tensor) -> Tensor:
        y = TensorBase._make(np.tanh(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return gy * (1 - y * y)  # tanh' = 1 - tanh^2, from the output


def _float_input(op: str, x: Tensor) -> Tensor:
    """Math functions of integer tensors compute in the default float dtype, as PyTorch."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x if x._data.dtype.kind in "fc" else cast(x, dtypes.DEFAULT_FLOAT)


def abs(x: Tensor) -> Tensor:
    return Abs.apply(x)


def exp(x: Tensor) -> Tensor:
    return Exp.apply(_float_input("exp", x))


def log(x: Tensor) -> Tensor:
    return Log.apply(_float_input("log", x))


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(_float_input("log1p", x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(_float_input("sqrt", x))


def sin(x: Tensor) -> Tensor:
    return Sin.apply(_float_input("sin", x))


def cos(x: Tensor) -> Tensor:
    return Cos.apply(_float_input("cos", x))


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(_float_input("tanh", x))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1; its gradient is zero everywhere, so it records nothing."""
    return TensorBase._make(np.sign(x._data))


# -- clamp, maximum, minimum, where -------------------------------------------------------
class Clamp(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, lo: Any, hi: Any) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x._data, lo, hi).astype(x._data.dtype, copy=False)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)  # the gradient passes where lo <= x <= hi
        if ctx.lo is not None:
            inside &= x._data >= ctx.lo
        if ctx.hi is not None:
            inside &= x._data <= ctx.hi
        return gy * TensorBase._make(inside), None, None


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    lo = min.item() if isinstance(min, TensorBase) else min
    hi = max.item() if isinstance(max, TensorBase) else max
    return Clamp.apply(x, lo, hi)


clip = clamp


class Maximum(Function):
    """max(a, b) elementwise; where a == b each side gets half the gradient (as PyTorch)."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any, take_max: bool) -> np.ndarray:
        x, y = arrays(a, b)
        out = _binary("maximum" if take_max else "minimum",
                      np.maximum if take_max else np.minimum, x, y)
        ctx.save_for_backward(
            TensorBase._make(x > y if take_max else x < y), TensorBase._make(x == y)
        )
        return out

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, Tensor, None]:
        a_wins, tie = ctx.saved_tensors
        half = gy * tie * 0.5
        return gy * a_wins + half, gy * ~(a_wins | tie) + half, None


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(a, b, True)


def minimum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(a, b, False)


class Where(Function):
    @staticmethod
    def forward(ctx: Node, condition: np.ndarray, a: Any, b: Any) -> np.ndarray:
        ctx.condition = TensorBase._make(condition)
        x, y = arrays(a, b)
        try:
            return np.where(condition, x, y)
        except ValueError:
            raise ShapeError(
                f"where: condition {condition.shape}, input {np.shape(x)} and other "
                f"{np.shape(y)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
        zero = TensorBase._make(np.zeros((), gy.dtype))
        ga = where(ctx.condition, gy, zero) if ctx.needs_input_grad[1] else None
        gb = where(ctx.condition, zero, gy) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``, broadcasting all three."""
    cond = condition._data if isinstance(condition, TensorBase) else np.asarray(condition)
    return Where.apply(cond.astype(bool, copy=False), a, b)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where ``mask`` is True (no gradient flows there)."""
    value = value.item() if isinstance(value, TensorBase) else value
    return where(mask, TensorBase._make(np.asarray(value, dtype=x.dtype)), x)


# -- dtype casts and copies ---------------------------------------------------------------
class Clone(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor) -> np.ndarray:
        return x._data.copy()

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> Tensor:
        return gy


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


class Overwrite(Function):
    """``src`` broadcast to ``x``'s shape and cast to its dtype: the new value of
    ``x.copy_(src)`` and ``x.fill_(src)``. Every old value of ``x`` is replaced, so ``x``'s
    gradient is zero; ``src`` gets ``gy`` (summed back to its shape by the engine)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, src: Any) -> np.ndarray:
        source = src._data if isinstance(src, TensorBase) else np.asarray(src)
        try:
            return np.broadcast_to(source, x.shape).astype(x.dtype)
        except ValueError:
            raise ValueError(
                f"copy_: the source of shape {source.shape} cannot be broadcast to the "
                f"tensor's shape {x.shape}"
            ) from None

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor | None, Tensor | None]:
        gx = TensorBase._make(np.zeros_like(gy._data)) if ctx.needs_input_grad[0] else None
        return gx, (gy if ctx.needs_input_grad[1] else None)


def overwrite(x: Tensor, src: Any) -> Tensor:
    """A tensor like ``x`` holding ``src`` (broadcast and cast): ``x.copy_(src)`` out of place."""
    return Overwrite.apply(x, src)


# -- comparisons and logic: bool results, no gradient ----------------------------------------
def _compare(op: str, ufunc: Any, a: Any, b: Any) -> Tensor:
    return TensorBase._make(_binary(op, ufunc, a, b))


def eq(a: Any, b: Any) -> Tensor:
    return _compare("eq", np.equal, a, b)


def ne(a: Any, b: Any) -> Tensor:
    return _compare("ne", np.not_equal, a, b)


def lt(a: Any, b: Any) -> Tensor:
    return _compare("lt", np.less, a, b)


def le(a: Any, b: Any) -> Tensor:
    return _compare("le", np.less_equal, a, b)


def gt(a: Any, b: Any) -> Tensor:
    return _compare("gt", np.greater, a, b)


def ge(a: Any, b: Any) -> Tensor:
    return _compare("ge", np.greater_equal, a, b)


def logical_not(x: Tensor) -> Tensor:
    data = x._data
    return TensorBase._make(np.invert(data) if data.dtype.kind in "biu" else np.logical_not(data))


def logical_and(a: Any, b: Any) -> Tensor:
    return _compare("logical_and", np.bitwise_and if _all_integral(a, b) else np.logical_and, a, b)


def logical_or(a: Any, b: Any) -> Tensor:
    return _compare("logical_or", np.bitwise_or if _all_integral(a, b) else np.logical_or, a, b)


def _all_integral(a: Any, b: Any) -> bool:
    return all(np.asarray(v).dtype.kind in "biu" for v in (a, b))


def isnan(x: Tensor) -> Tensor:
    return TensorBase._make(np.isnan(x._data))


def isinf(x: Tensor) -> Tensor:
    return TensorBase._make(np.isinf(x._data))


def isfinite(x: Tensor) -> Tensor:
    return TensorBase._make(np.isfinite(x._data))


# -- closeness and equality of whole tensors ---------------------------------------------
class DTypeMismatch(TypeError, RuntimeError):
    """Two tensors an op compares have different dtypes (a RuntimeError in PyTorch)."""


def _same_dtype(op: str, a: Tensor, b: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The two tensors' arrays; PyTorch compares only tensors of one dtype."""
    if not (isinstance(a, TensorBase) and isinstance(b, TensorBase)):
        raise TypeError(f"{op}: expected two tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if a.dtype != b.dtype:
        raise DTypeMismatch(f"{op}: the tensors' dtypes differ: {a.dtype} and {b.dtype}")
    return a._data, b._data


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|`` (the tolerance scales with
    ``other``, as in PyTorch); equal infinities are close, and NaN is close to NaN only
    with ``equal_nan``. Shapes broadcast; a bool tensor of the broadcast shape."""
    return TensorBase._make(_close("isclose", input, other, rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether :func:`isclose` holds everywhere (a Python bool)."""
    return bool(_close("allclose", input, other, rtol, atol, equal_nan).all())


def _close(op: str, input: Tensor, other: Tensor, rtol: float, atol: float,
           equal_nan: bool) -> np.ndarray:
    x, y = _same_dtype(op, input, other)
    return _binary(op, lambda a, b: np.isclose(a, b, rtol, atol, equal_nan), x, y)


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether the tensors have the same shape and the same values (NaN equals nothing).
    Different shapes are simply unequal: no broadcasting. The dtypes must match."""
    x, y = _same_dtype("equal", input, other)
    return x.shape == y.shape and bool(np.array_equal(x, y))
