"""Reductions: sum, mean, var, std, prod, max/min, amax/amin, argmax/argmin, logsumexp,
cumsum, norm, all, any.

Every reduction takes ``dim``/``keepdim`` (or NumPy's ``axis``/``keepdims``).
The backward of a reduction broadcasts the gradient back over the reduced
axes: ``_restore_dims`` puts the reduced axes back as size 1 first, then a
broadcasting product (or ``broadcast_to``) spreads it over the input's shape.
Every backward is written with Tensor ops, so it can be differentiated again.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import reduce as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.ops._checks import float_input, require_float
from mytorch.ops.elementwise import abs, exp, maximum, minimum, sign, where
from mytorch.ops.shape import broadcast_to, reshape

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = [
    "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "logsumexp", "cumsum", "norm", "all", "any",
]

Dims = tuple[int, ...] | None


# -- argument handling shared by every reduction ---------------------------------------------
def normalize_dims(op: str, x: Tensor, dim: Any, axis: Any = None) -> Dims:
    """``dim`` (or NumPy's ``axis``) as a sorted tuple of non-negative axes; None means all.

    An empty tuple also means all axes, as in PyTorch. A dimension out of range
    raises IndexError, one given twice RuntimeError, both naming ``op`` and the shape.
    """
    if dim is None:
        dim = axis
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if not dims:
        return None
    ndim = x.ndim or 1  # a 0-d tensor accepts dim 0 and -1, as PyTorch
    normalized = []
    for d in dims:
        d = operator.index(d)
        if not -ndim <= d < ndim:
            raise IndexError(
                f"{op}: dimension {d} out of range for a tensor of shape {x.shape} "
                f"(expected to be in range [{-ndim}, {ndim - 1}])"
            )
        normalized.append(d % ndim)
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"{op}: dim {dims} names a dimension twice (tensor of shape {x.shape})")
    return tuple(sorted(normalized)) if x.ndim else ()


def single_dim(op: str, x: Tensor, dim: Any) -> Dims:
    """``normalize_dims`` for the ops whose ``dim`` is one int (or None), as in PyTorch."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim}")
    return normalize_dims(op, x, dim)


def _axis_alias(op: str, dim: Any, kwargs: dict[str, Any]) -> Any:
    """Accept NumPy's ``axis`` for PyTorch's ``dim``."""
    if "axis" in kwargs:
        if dim is not None:
            raise TypeError(f"{op}: got both 'dim' and its alias 'axis'")
        dim = kwargs.pop("axis")
    return dim


def _no_other_keywords(op: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")


def _dim_and_keepdim(op: str, dim: Any, keepdim: Any, kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """Accept NumPy's ``axis``/``keepdims`` for ``dim``/``keepdim``; refuse unknown keywords."""
    dim = _axis_alias(op, dim, kwargs)
    keepdim = kwargs.pop("keepdims", keepdim)
    _no_other_keywords(op, kwargs)
    return dim, bool(keepdim)


def _check_nonempty(op: str, x: Tensor, dims: Dims, unspecified: type[Exception] = RuntimeError
                    ) -> None:
    """max, min and argmax have no value for an empty slice: refuse it, as PyTorch."""
    if dims is None and x._data.size == 0:
        raise unspecified(
            f"{op}: expected a reduction dim to be specified for an empty tensor of shape "
            f"{x.shape} (the operation has no identity)"
        )
    for d in dims or ():
        if x.shape[d] == 0:
            raise IndexError(
                f"{op}: expected reduction dim {d} to have non-zero size "
                f"(tensor of shape {x.shape})"
            )


def _count(shape: tuple[int, ...], dims: Dims) -> int:
    """How many elements each output element of a reduction over ``dims`` combines."""
    return math.prod(shape if dims is None else [shape[d] for d in dims])


def _restore_dims(g: Tensor, input_shape: tuple[int, ...], dims: Dims, keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input (reduced axes as 1)."""
    if keepdim or not input_shape:
        return g
    axes = range(len(input_shape)) if dims is None else dims
    return reshape(g, tuple(1 if i in axes else n for i, n in enumerate(input_shape)))


def _with_dtype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype`` before reducing (PyTorch's ``dtype=`` argument), if given."""
    return x if dtype is None else x.to(dtype)


def _widened(data: np.ndarray) -> np.ndarray:
    """Bools and integers are summed and multiplied as int64, as PyTorch does."""
    return data.astype(np.int64) if data.dtype.kind in "biu" else data


# -- sum, mean ----------------------------------------------------------------------------
class Sum(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, keepdim: bool) -> np.ndarray:
        ctx.input_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(_widened(x._data).sum(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        g = _restore_dims(gy, ctx.input_shape, ctx.dims, ctx.keepdim)
        return broadcast_to(g, ctx.input_shape), None, None


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """Sum over ``dim`` (all elements when None); bools and integers give int64.

    Args:
        x: the input tensor.
        dim: an int or tuple of ints (None or (): all dimensions). Alias ``axis``.
        keepdim: keep the reduced dimensions with size 1. Alias ``keepdims``.
        dtype: (keyword) cast the input to this dtype first.

    Shape:
        ``x.shape`` without the reduced dimensions (with them as 1 if keepdim).

    >>> import mytorch
    >>> mytorch.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
    tensor([4., 6.])
    """
    x = _with_dtype(x, kwargs.pop("dtype", None))
    dim, keepdim = _dim_and_keepdim("sum", dim, keepdim, kwargs)
    return Sum.apply(x, normalize_dims("sum", x, dim), keepdim)


class Mean(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, keepdim: bool) -> np.ndarray:
        ctx.input_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = _count(x.shape, dims)
        with np.errstate(invalid="ignore"):  # the mean of nothing is 0/0 = nan, as PyTorch
            return np.asarray(x._data.sum(axis=dims, keepdims=keepdim) / ctx.count)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        g = _restore_dims(gy, ctx.input_shape, ctx.dims, ctx.keepdim)
        return broadcast_to(g / ctx.count, ctx.input_shape), None, None


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The mean over ``dim`` (all elements when None); needs a float input or ``dtype=``.

    Args:
        x: the input tensor (floating point, or pass ``dtype``).
        dim: an int or tuple of ints (None: all dimensions). Alias ``axis``.
        keepdim: keep the reduced dimensions with size 1. Alias ``keepdims``.
        dtype: (keyword) cast the input to this dtype first.

    >>> import mytorch
    >>> mytorch.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=1, keepdim=True)
    tensor([[1.5000],
            [3.5000]])
    """
    x = _with_dtype(x, kwargs.pop("dtype", None))
    dim, keepdim = _dim_and_keepdim("mean", dim, keepdim, kwargs)
    require_float("mean", x)
    return Mean.apply(x, normalize_dims("mean", x, dim), keepdim)


# -- var, std -----------------------------------------------------------------------------
def _degrees_of_freedom(op: str, shape: tuple[int, ...], dims: Dims, correction: float) -> float:
    """``N - correction``; PyTorch warns when it is <= 0 (the result is then inf or nan)."""
    dof = _count(shape, dims) - correction
    if dof <= 0:
        warnings.warn(
            f"{op}: degrees of freedom is <= 0 (correction {correction} for {_count(shape, dims)} "
            f"elements per result, tensor of shape {shape}); the result is inf or nan",
            stacklevel=6,  # the caller of var/std
        )
    return dof if dof > 0 else 0


def _centered(x: Tensor, dims: Dims) -> Tensor:
    """``x - mean(x)`` over ``dims``, as Tensor ops (so a backward using it is differentiable)."""
    return x - Mean.apply(x, dims, True)


def _variance(data: np.ndarray, dims: Dims, keepdim: bool, dof: float) -> np.ndarray:
    """``sum((x - mean)^2) / dof`` over ``dims``: two passes, the stable textbook formula."""
    with np.errstate(invalid="ignore", divide="ignore"):  # empty input or dof 0: nan / inf
        d = data - data.sum(axis=dims, keepdims=True) / _count(data.shape, dims)
        return np.asarray(np.sum(d * d, axis=dims, keepdims=keepdim) / dof)


class Var(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, correction: float, keepdim: bool) -> np.ndarray:
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.dof = _degrees_of_freedom("var", x.shape, dims, correction)
        ctx.save_for_backward(x)
        return _variance(x._data, dims, keepdim, ctx.dof)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        (x,) = ctx.saved_tensors
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        return g * _centered(x, ctx.dims) * 2 / ctx.dof, None, None, None  # d var = 2 (x - m) / dof


class Std(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, correction: float, keepdim: bool) -> Tensor:
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.dof = _degrees_of_freedom("std", x.shape, dims, correction)
        y = TensorBase._make(np.sqrt(_variance(x._data, dims, keepdim, ctx.dof)))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        x, y = ctx.saved_tensors
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        y = _restore_dims(y, x.shape, ctx.dims, ctx.keepdim)
        # d std = (x - m) / (dof std); where std = 0 every x - m is 0 too: gradient 0, as PyTorch
        safe = where(y == 0, 1.0, y)
        return g * _centered(x, ctx.dims) / (safe * ctx.dof), None, None, None


def _var_or_std(op: str, function: type[Function], x: Tensor, dim: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Tensor:
    """PyTorch's overloads: (dim, unbiased, keepdim), (unbiased), (dim, *, correction, keepdim)."""
    if isinstance(dim, bool):  # var(x, True): the old overload whose only argument is unbiased
        dim, args = None, (dim, *args)
    if len(args) > 2:
        raise TypeError(f"{op}: expected at most (dim, unbiased, keepdim), got {2 + len(args)} "
                        "positional arguments")
    for name, value in zip(("unbiased", "keepdim"), args):
        if name in kwargs:
            raise TypeError(f"{op}: got multiple values for argument '{name}'")
        kwargs[name] = value
    unbiased, correction = kwargs.pop("unbiased", None), kwargs.pop("correction", None)
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass either 'unbiased' or 'correction', not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dim, keepdim = _dim_and_keepdim(op, dim, kwargs.pop("keepdim", False), kwargs)
    require_float(op, x)
    return function.apply(x, normalize_dims(op, x, dim), correction, keepdim)


def var(x: Tensor, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
    """The variance ``sum((x - mean)^2) / (N - correction)`` over ``dim``.

    PyTorch 2's signature ``var(x, dim=None, *, correction=1, keepdim=False)``;
    also ``unbiased=True/False`` (correction 1/0), the positional form
    ``var(x, dim, unbiased, keepdim)`` and ``var(x, unbiased)``.

    Args:
        x: a floating point tensor.
        dim: an int or tuple of ints (None: all elements). Alias ``axis``.
        correction: subtracted from N, the number of elements per result (1: Bessel's).
        keepdim: keep the reduced dimensions with size 1. Alias ``keepdims``.

    >>> import mytorch
    >>> mytorch.tensor([1.0, 2.0, 3.0, 4.0]).var()
    tensor(1.6667)
    """
    return _var_or_std("var", Var, x, dim, args, kwargs)


def std(x: Tensor, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
    """The standard deviation, ``sqrt(var(x, ...))``, with the arguments of ``var``.

    Its gradient is 0 (not nan) where the standard deviation is 0, as in PyTorch.

    >>> import mytorch
    >>> mytorch.tensor([1.0, 2.0, 3.0, 4.0]).std(correction=0)
    tensor(1.1180)
    """
    return _var_or_std("std", Std, x, dim, args, kwargs)


# -- prod ------------------------------------------------------------------------------------
class Prod(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, keepdim: bool) -> Tensor:
        ctx.dims, ctx.keepdim = dims, keepdim
        y = TensorBase._make(np.asarray(_widened(x._data).prod(axis=dims, keepdims=keepdim)))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        x, y = ctx.saved_tensors
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        is_zero = x._data == 0
        if not is_zero.any():  # the usual case: the product of the others is y / x
            return g * _restore_dims(y, x.shape, ctx.dims, ctx.keepdim) / x, None, None
        return g * _product_of_others(x, is_zero, ctx.dims), None, None


def _product_of_others(x: Tensor, is_zero: np.ndarray, dims: Dims) -> Tensor:
    """For each x_i, the product of the other elements of its slice, when some x are 0.

    Split every x_j into a nonzero factor (x_j, or 1 where x_j = 0) and a zero
    factor (x_j where x_j = 0, else 1). The nonzero factors of the others multiply
    to P / x_i. The zero factors of the others multiply to 1 if none of them is
    zero, to the one zero x_k if exactly one is (written as a sum of the zeros, so
    its derivative with respect to x_k is 1), and to 0 if two or more are. Built
    from Tensor ops, this is exact in value and first derivative, so second-order
    gradients through prod are right with zeros too (PyTorch's convention).
    """
    zero_mask = TensorBase._make(is_zero)
    nonzero_part = where(zero_mask, 1.0, x)
    zero_part = where(zero_mask, x, 0.0)
    others_nonzero = Prod.apply(nonzero_part, dims, True) / nonzero_part
    # the number of zeros among the others: the slice's count minus x_i's own
    zeros_elsewhere = is_zero.sum(axis=dims, keepdims=True) - is_zero
    one_zero = TensorBase._make(zeros_elsewhere == 1)
    lone_zero = Sum.apply(zero_part, dims, True) - zero_part  # equal to 0, derivative 1 at x_k
    no_other_zero = TensorBase._make(zeros_elsewhere == 0)
    others_zero = where(no_other_zero, 1.0, where(one_zero, lone_zero, 0.0))
    return others_nonzero * others_zero


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The product over one ``dim`` (all elements when None); integers give int64.

    The gradient is the product of the other elements, also where some are 0.

    >>> import mytorch
    >>> mytorch.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
    tensor([ 2., 12.])
    """
    x = _with_dtype(x, kwargs.pop("dtype", None))
    dim, keepdim = _dim_and_keepdim("prod", dim, keepdim, kwargs)
    return Prod.apply(x, single_dim("prod", x, dim), keepdim)


# -- max, min, amax, amin, argmax, argmin --------------------------------------------------------
class MinMax(NamedTuple):
    """What ``max``/``min`` with a ``dim`` return (PyTorch's ``torch.return_types.max``)."""

    values: Tensor
    indices: Tensor


class MaxDim(Function):
    """max (or min) along one dim: the values and the first index of each; the gradient
    goes to that index only, as in PyTorch."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, dim: int, keepdim: bool, take_max: bool
                ) -> tuple[np.ndarray, np.ndarray]:
        arg, extreme = (np.argmax, np.amax) if take_max else (np.argmin, np.amin)
        index = arg(x._data, axis=dim, keepdims=True)  # NaN counts as the extreme, as PyTorch
        ctx.input_shape, ctx.dim, ctx.keepdim, ctx.index = x.shape, dim, keepdim, index
        values = extreme(x._data, axis=dim, keepdims=keepdim)
        return np.asarray(values), index if keepdim else np.squeeze(index, axis=dim)

    @staticmethod
    def backward(ctx: Node, gv: Tensor, gi: Tensor) -> tuple[Tensor, None, None, None]:
        shape, dim = ctx.input_shape, ctx.dim
        g = _restore_dims(gv, shape, (dim,), ctx.keepdim)
        # positions along dim, shaped (1, .., n, .., 1), against the index (.., 1, ..): one-hot
        along = [-1 if i == dim else 1 for i in range(len(shape))]
        positions = np.arange(shape[dim]).reshape(along)
        return g * TensorBase._make(positions == ctx.index), None, None, None


class Amax(Function):
    """amax (or amin) over dims; tied extremes share the gradient equally, as in PyTorch."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, keepdim: bool, take_max: bool) -> np.ndarray:
        extreme = np.amax if take_max else np.amin
        y = extreme(x._data, axis=dims, keepdims=True)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.save_for_backward(x, TensorBase._make(y))
        return np.asarray(y if keepdim else np.squeeze(y, axis=dims))

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        x, y = ctx.saved_tensors
        a, m = x._data, y._data
        hit = (a == m) | (np.isnan(a) & np.isnan(m))  # where the extreme was (NaN included)
        share = (hit / hit.sum(axis=ctx.dims, keepdims=True)).astype(gy.dtype)
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        return g * TensorBase._make(share), None, None, None


def _max_or_min(op: str, x: Tensor, dim: Any, keepdim: bool, kwargs: dict[str, Any],
                take_max: bool) -> Tensor | MinMax:
    other = kwargs.pop("other", dim if isinstance(dim, TensorBase) else None)
    if other is not None:  # max(a, b) is the elementwise maximum
        return maximum(x, other) if take_max else minimum(x, other)
    dim, keepdim = _dim_and_keepdim(op, dim, keepdim, kwargs)
    if dim is None:
        _check_nonempty(op, x, None)
        return Amax.apply(x, None, keepdim, take_max)
    dims = single_dim(op, x, dim)
    _check_nonempty(op, x, dims)
    if not dims:  # a 0-d tensor (dims ()) is reduced as a vector of one element
        values, indices = MaxDim.apply(reshape(x, (1,)), 0, False, take_max)
    else:
        values, indices = MaxDim.apply(x, dims[0], keepdim, take_max)
    return MinMax(values, indices)


def max(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
    """The largest element, or the largest along ``dim`` with its index, or ``maximum(x, other)``.

    * ``max(x)``: a 0-d tensor; tied maxima share the gradient equally.
    * ``max(x, dim, keepdim=False)``: ``MinMax(values, indices)`` (a named tuple, like
      ``torch.return_types.max``); the gradient goes to the first index of each maximum.
    * ``max(x, other)``: the elementwise ``maximum`` of two tensors.

    NaN counts as the largest value, as in PyTorch. An empty tensor has no maximum:
    without ``dim`` that raises RuntimeError, with an empty ``dim`` IndexError.

    >>> import mytorch
    >>> x = mytorch.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> x.max()
    tensor(5.)
    >>> x.max(dim=1).indices
    tensor([1, 0])
    """
    return _max_or_min("max", x, dim, keepdim, kwargs, take_max=True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
    """The smallest element, or along ``dim`` with its index, or ``minimum(x, other)``: see max."""
    return _max_or_min("min", x, dim, keepdim, kwargs, take_max=False)


def _amax_or_amin(op: str, x: Tensor, dim: Any, keepdim: bool, kwargs: dict[str, Any],
                  take_max: bool) -> Tensor:
    dim, keepdim = _dim_and_keepdim(op, dim, keepdim, kwargs)
    dims = normalize_dims(op, x, dim)
    _check_nonempty(op, x, dims)
    return Amax.apply(x, dims, keepdim, take_max)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The largest values over ``dim`` (an int or a tuple; None or (): all).

    Tied maxima share the gradient equally (``max`` with a dim gives it to one index).

    >>> import mytorch
    >>> mytorch.tensor([[1.0, 5.0], [4.0, 2.0]]).amax(dim=0)
    tensor([4., 5.])
    """
    return _amax_or_amin("amax", x, dim, keepdim, kwargs, take_max=True)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The smallest values over ``dim``; see ``amax``."""
    return _amax_or_amin("amin", x, dim, keepdim, kwargs, take_max=False)


def _argmax_or_argmin(op: str, x: Tensor, dim: Any, keepdim: bool, kwargs: dict[str, Any],
                      arg: Any) -> Tensor:
    dim, keepdim = _dim_and_keepdim(op, dim, keepdim, kwargs)
    dims = single_dim(op, x, dim)
    _check_nonempty(op, x, dims, unspecified=IndexError)
    axis = dims[0] if dims else None  # None: the index into the flattened tensor
    return TensorBase._make(np.asarray(arg(x._data, axis=axis, keepdims=keepdim), dtype=np.int64))


def argmax(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The index (int64) of the first largest value along ``dim``, or in the flattened tensor.

    >>> import mytorch
    >>> mytorch.tensor([[1.0, 5.0], [4.0, 2.0]]).argmax()
    tensor(1)
    """
    return _argmax_or_argmin("argmax", x, dim, keepdim, kwargs, np.argmax)


def argmin(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """The index (int64) of the first smallest value along ``dim``; see ``argmax``."""
    return _argmax_or_argmin("argmin", x, dim, keepdim, kwargs, np.argmin)


# -- logsumexp, cumsum ------------------------------------------------------------------------
class LogSumExp(Function):
    @staticmethod
    def forward(ctx: Node, x: Tensor, dims: Dims, keepdim: bool) -> Tensor:
        ctx.dims, ctx.keepdim = dims, keepdim
        y = TensorBase._make(kernels.logsumexp(x._data, dims, keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        x, y = ctx.saved_tensors
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        y = _restore_dims(y, x.shape, ctx.dims, ctx.keepdim)
        return g * exp(x - y), None, None  # the softmax: each term at most 1, no overflow


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, stable: the maximum is subtracted first.

    Logits of +-1e4 give finite values and gradients; a slice of -inf gives -inf.
    Integers are computed in float32.

    >>> import mytorch
    >>> mytorch.tensor([1e4, 1e4]).logsumexp(0)
    tensor(10000.6934)
    """
    dim, keepdim = _dim_and_keepdim("logsumexp", dim, keepdim, kwargs)
    dims = normalize_dims("logsumexp", x, dim)
    return LogSumExp.apply(float_input("logsumexp", x), dims, keepdim)


class CumSum(Function):
    """Running sums along ``dim``; ``reverse`` sums from the end (the adjoint of forward)."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, dim: int, reverse: bool) -> np.ndarray:
        ctx.dim, ctx.reverse = dim, reverse
        a = _widened(x._data)
        if reverse:
            return np.flip(np.cumsum(np.flip(a, dim), axis=dim), dim)
        return np.cumsum(a, axis=dim)

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None]:
        # y_j = sum_{i <= j} x_i, so dL/dx_i = sum_{j >= i} dL/dy_j: the reversed cumsum
        return CumSum.apply(gy, ctx.dim, not ctx.reverse), None, None


def cumsum(x: Tensor, dim: Any = None, **kwargs: Any) -> Tensor:
    """Running sums along ``dim`` (required; alias ``axis``); integers give int64.

    Args:
        x: the input tensor.
        dim: the dimension to sum along.
        dtype: (keyword) cast the input to this dtype first.

    >>> import mytorch
    >>> mytorch.tensor([1.0, 2.0, 3.0]).cumsum(0)
    tensor([1., 3., 6.])
    """
    x = _with_dtype(x, kwargs.pop("dtype", None))
    dim = _axis_alias("cumsum", dim, kwargs)
    _no_other_keywords("cumsum", kwargs)
    if dim is None:
        raise TypeError(f"cumsum: the argument 'dim' is required (tensor of shape {x.shape})")
    dims = single_dim("cumsum", x, dim)
    if not dims:  # a 0-d tensor (dims ()) is summed as a vector of one element
        return reshape(CumSum.apply(reshape(x, (1,)), 0, False), ())
    return CumSum.apply(x, dims[0], False)


# -- norm ---------------------------------------------------------------------------------
class Norm(Function):
    """The p-norm ``(sum |x|^p)^(1/p)`` over dims, for a finite p other than 0 and 1."""

    @staticmethod
    def forward(ctx: Node, x: Tensor, p: float, dims: Dims, keepdim: bool) -> Tensor:
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        y = TensorBase._make(np.asarray(
            np.sum(np.abs(x._data) ** p, axis=dims, keepdims=keepdim) ** (1 / p)))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Node, gy: Tensor) -> tuple[Tensor, None, None, None]:
        x, y = ctx.saved_tensors
        p = ctx.p
        g = _restore_dims(gy, x.shape, ctx.dims, ctx.keepdim)
        y = _restore_dims(y, x.shape, ctx.dims, ctx.keepdim)
        # a zero norm means x = 0 there: dividing by 1 instead gives the gradient 0, as PyTorch
        safe = where(y == 0, 1.0, y)
        # d||x||/dx_i = sign(x_i) (|x_i| / ||x||)^(p - 1); for p = 2 that is x_i / ||x||
        direction = x / safe if p == 2 else sign(x) * (abs(x) / safe) ** (p - 1)
        return g * direction, None, None, None


def norm(x: Tensor, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None), as ``torch.norm``.

    Args:
        x: a floating point tensor.
        p: 2 or 'fro' (Euclidean / Frobenius), 1, inf (largest |x|), -inf (smallest
            |x|), 0 (the number of nonzeros) or any other number.
        dim: an int or tuple of ints (None: all elements).
        keepdim: keep the reduced dimensions with size 1.

    The gradient at a zero norm is 0, not nan (PyTorch's convention).

    >>> import mytorch
    >>> mytorch.tensor([3.0, -4.0]).norm()
    tensor(5.)
    """
    require_float("norm", x)
    dims = normalize_dims("norm", x, dim)
    if p == "fro":
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported; use 'fro' or a number "
                         f"(tensor of shape {x.shape})")
    p = float(p)
    if math.isinf(p):
        _check_nonempty("norm", x, dims)
        return Amax.apply(abs(x), dims, keepdim, p > 0)
    if p == 0:  # a count: no gradient
        count = (x._data != 0).sum(axis=dims, keepdims=keepdim)
        return TensorBase._make(np.asarray(count, x.dtype))
    if p == 1:
        return Sum.apply(abs(x), dims, keepdim)
    return Norm.apply(x, p, dims, keepdim)


# -- all, any: bool results, no gradient ---------------------------------------------------
def _all_or_any(op: str, test: Any, x: Tensor, dim: Any, keepdim: bool,
                kwargs: dict[str, Any]) -> Tensor:
    dim, keepdim = _dim_and_keepdim(op, dim, keepdim, kwargs)
    out = test(x._data, axis=normalize_dims(op, x, dim), keepdims=keepdim)
    return TensorBase._make(np.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))


def all(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """Whether every element over ``dim`` is nonzero (bool; uint8 for uint8 input, as PyTorch)."""
    return _all_or_any("all", np.all, x, dim, keepdim, kwargs)


def any(x: Tensor, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
    """Whether some element over ``dim`` is nonzero (bool; uint8 for uint8 input, as PyTorch)."""
    return _all_or_any("any", np.any, x, dim, keepdim, kwargs)
