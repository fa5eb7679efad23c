"""``Tensor``: the tensor users hold, with its operators; every tensor is one.

``TensorBase`` (``mytorch.autograd.tensor``) holds the array and the graph state;
this subclass adds Python's operators and the methods that are ops, each bound
explicitly, in the class body, to a function of ``mytorch.ops`` (which holds the
math). It sits above the ops, so the ops and autograd never import it: autograd
makes its output tensors through ``TensorBase._make``, which builds this class
(named by ``make_outputs=True`` below), and the ops only see ``TensorBase``.

In-place ops (``add_``, ``t[i] = v``, ``relu_``, ``inplace=True`` activations...) go
through one mechanism, ``Tensor._inplace``, and count themselves in the tensor's
version counter (``t._version``), which a tensor shares with its views; backward
refuses a saved tensor whose version moved (see ``Node.saved_tensors``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from mytorch import ops
from mytorch.autograd import dtypes, engine, grad_mode
from mytorch.autograd.tensor import TensorBase, dtype_of_to_args
from mytorch.ops.elementwise import overwrite
from mytorch.ops.index import copy_into_view
from mytorch.random import generator


class Tensor(TensorBase, make_outputs=True):
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data)`` is PyTorch's legacy constructor: the data becomes float32.
    Prefer ``mytorch.tensor(data, dtype=None, requires_grad=False)``, which
    infers the dtype (Python floats -> float32, ints -> int64, arrays keep theirs).

    >>> import mytorch
    >>> x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ()

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        Args:
            gradient: d(loss)/d(self); may be omitted only when ``self`` has one element.
            retain_graph: keep saved tensors for another backward (default: create_graph).
            create_graph: record the backward itself, for higher-order gradients.
            inputs: accumulate only into these tensors' ``.grad``.
        """
        gradients = None if gradient is None else [gradient]
        engine.backward([self], gradients, retain_graph, create_graph, inputs)

    # -- dtype and device conversions -------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)`` or ``to(device, dtype)``; CPU only."""
        dtype = dtype_of_to_args(args, kwargs)
        if dtype is None or dtype == self._data.dtype:
            return self
        return ops.cast(self, dtype)

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"mytorch.{self._data.dtype.name}"
        return self.to(dtype)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def clone(self) -> Tensor:
        return ops.clone(self)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # -- arithmetic ----------------------------------------------------------------
    # Where no in-place operator's signature must match, an operator or method is the op's
    # function itself (``x.tanh()`` calls ``ops.tanh(x)``): one Python call fewer per op.
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    __pow__ = ops.pow

    def __rpow__(self, other: Any) -> Tensor:
        return ops.pow(other, self)

    __matmul__ = ops.matmul

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    __neg__ = ops.neg

    def __pos__(self) -> Tensor:
        return self

    __abs__ = ops.abs

    # -- in place: one mechanism (_inplace) behind every op that changes a tensor's values ----
    def _inplace(self, name: str, op: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
        """``self <- op(self, *args, **kwargs)`` in place, as PyTorch records it.

        ``op`` is the out-of-place op, run through the normal Function machinery. When the
        change is recorded (gradients on, and ``self`` or an argument requires grad), ``op``
        runs on a snapshot of ``self``: a copy of its values holding its place in the graph,
        so that what ``op`` keeps for backward is the old value. The result is written into
        ``self``'s memory (so its views and aliases see it), the version counter moves, and
        ``self.grad_fn`` becomes ``op``'s node, whose input edge is the previous ``grad_fn``.
        On a view, the change is recorded on its base (``_write_through_base``). As in
        PyTorch, a leaf that requires grad changes in place only under ``no_grad``.
        """
        self._check_writeable(name)
        recording = grad_mode._enabled and (self._requires_grad or _any_requires_grad(args))
        if recording:
            if self._requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an in-place "
                    f"operation (shape {self.shape}); change it under mytorch.no_grad()"
                )
            if self._view_of is not None:
                self._refresh_view()
            old = self._snapshot()
            result = op(old, *[old if a is self else a for a in args], **kwargs)
        else:
            result = op(self, *args, **kwargs)
        self._check_result(name, result)
        old_fn, old_nr, retains = self.grad_fn, self._output_nr, self.retains_grad
        if recording and self._view_of is not None:
            self._write_through_base(name, result)
        else:
            np.copyto(self._data, result._data)
            self._bump_version()
            if result.grad_fn is not None:  # self now holds the op's output: takes its place
                self.grad_fn, self._output_nr, self._requires_grad = (
                    result.grad_fn, result._output_nr, True
                )
        if result.grad_fn is not None:  # what the op saved of its output is self's memory
            result.grad_fn._move_saved_output(result._output_nr, self)
        if retains and self.grad_fn is not old_fn:  # .grad is that of the new value (PyTorch)
            del old_fn.retained[old_nr]
            self.retain_grad()
        return self

    def _write_through_base(self, name: str, result: Tensor) -> None:
        """An in-place change of a view, recorded on its base (PyTorch's ``CopySlices``):
        the base takes ``result`` in the view's region, as its own in-place op, and the
        view becomes the view op applied to the base's new value."""
        assert self._view_of is not None
        base, remake, args, _ = self._view_of
        assert isinstance(base, Tensor)  # as every tensor is
        base._inplace(name, copy_into_view, remake, args, result)
        self._refresh_view()

    def _check_result(self, name: str, result: Tensor) -> None:
        """An in-place op's result must fit this tensor's shape and (same-kind) dtype."""
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"{name}: the result of shape {result.shape} cannot be written in place into "
                f"a tensor of shape {self.shape}"
            )
        if not np.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
            raise RuntimeError(
                f"{name}: result type {result.dtype} can't be cast to the desired output type "
                f"{self.dtype}"
            )

    def _snapshot(self) -> Tensor:
        """A copy of the values, in this tensor's place in the graph: an in-place op's input."""
        old = TensorBase._make(self._data.copy())
        old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
        old._requires_grad = self._requires_grad
        return old

    def _check_writeable(self, name: str) -> None:
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{name}: the tensor of shape {self.shape} is a read-only view (made by expand "
                "or broadcasting); clone() it before writing into it"
            )

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("add_", ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("sub_", ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("mul_", ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("div_", ops.div, other)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("add_", ops.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("sub_", ops.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", ops.mul, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", ops.div, other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", ops.pow, exponent)

    def neg_(self) -> Tensor:
        return self._inplace("neg_", ops.neg)

    def abs_(self) -> Tensor:
        return self._inplace("abs_", ops.abs)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", ops.exp)

    def log_(self) -> Tensor:
        return self._inplace("log_", ops.log)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", ops.sqrt)

    def sin_(self) -> Tensor:
        return self._inplace("sin_", ops.sin)

    def cos_(self) -> Tensor:
        return self._inplace("cos_", ops.cos)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", ops.tanh)

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", ops.sigmoid)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", ops.relu)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._inplace("clamp_", ops.clamp, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._inplace("masked_fill_", ops.masked_fill, mask, value)

    def copy_(self, src: Any) -> Tensor:
        """Write ``src`` (broadcast, cast to this dtype) into this tensor's memory."""
        return self._inplace("copy_", overwrite, src)

    def fill_(self, value: Any) -> Tensor:
        return self._inplace("fill_", overwrite, value)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        return self.copy_(generator().uniform(a, b, self._data.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        return self.copy_(generator().normal(mean, std, self._data.shape))

    # -- comparisons (bool tensors, no gradient) -----------------------------------
    __hash__ = TensorBase.__hash__  # defining == below would otherwise unset it

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def __invert__(self) -> Tensor:
        return ops.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.logical_or(self, other)

    # -- indexing ----------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        ops.setitem(self, index, value)

    # -- methods that are ops (math in mytorch.ops) -----------------------------------
    def add(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: float = 1) -> Tensor:
        return ops.sub(self, other if alpha == 1 else other * alpha)

    mul = ops.mul

    div = ops.div

    pow = ops.pow

    neg = ops.neg

    abs = ops.abs

    exp = ops.exp

    log = ops.log

    log1p = ops.log1p

    sqrt = ops.sqrt

    sin = ops.sin

    cos = ops.cos

    tanh = ops.tanh

    sigmoid = ops.sigmoid

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sign(self) -> Tensor:
        return ops.sign(self)

    def square(self) -> Tensor:
        return ops.mul(self, self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        return ops.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return ops.masked_fill(self, mask, value)

    def eq(self, other: Any) -> Tensor:
        return ops.eq(self, other)

    def isclose(self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Tensor) -> bool:
        return ops.equal(self, other)

    def ne(self, other: Any) -> Tensor:
        return ops.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def gt(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def sum(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.sum(self, dim, keepdim, **kwargs)

    def mean(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.mean(self, dim, keepdim, **kwargs)

    def var(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return ops.var(self, dim, *args, **kwargs)

    def std(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return ops.std(self, dim, *args, **kwargs)

    def prod(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.prod(self, dim, keepdim, **kwargs)

    def max(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        return ops.max(self, dim, keepdim, **kwargs)

    def min(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        return ops.min(self, dim, keepdim, **kwargs)

    def amax(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.amin(self, dim, keepdim, **kwargs)

    def argmax(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.argmax(self, dim, keepdim, **kwargs)

    def argmin(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.argmin(self, dim, keepdim, **kwargs)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return ops.logsumexp(self, dim, keepdim, **kwargs)

    def softmax(self, dim: int = -1) -> Tensor:
        return ops.softmax(self, dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        return ops.log_softmax(self, dim)

    def cumsum(self, dim: Any = None, **kwargs: Any) -> Tensor:
        return ops.cumsum(self, dim, **kwargs)

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.norm(self, p, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.any(self, dim, keepdim)

    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def mm(self, other: Any) -> Tensor:
        return ops.mm(self, other)

    def bmm(self, other: Any) -> Tensor:
        return ops.bmm(self, other)

    def dot(self, other: Any) -> Tensor:
        return ops.dot(self, other)

    def outer(self, other: Any) -> Tensor:
        return ops.outer(self, other)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, Tensor)):
            return self.to(shape[0])  # view(dtype)
        return ops.reshape(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return ops.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return ops.permute(self, *dims)

    def t(self) -> Tensor:
        if self._data.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got shape {self.shape}")
        return ops.permute(self, *reversed(range(self._data.ndim)))

    @property
    def T(self) -> Tensor:
        return ops.permute(self, *reversed(range(self._data.ndim)))

    @property
    def mT(self) -> Tensor:
        return ops.transpose(self, -2, -1)

    def expand(self, *sizes: Any) -> Tensor:
        return ops.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return ops.expand(self, other.shape)

    def repeat(self, *sizes: Any) -> Tensor:
        return ops.repeat(self, *sizes)

    def tile(self, dims: Any) -> Tensor:
        return ops.tile(self, dims)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.chunk(self, chunks, dim)

    def flip(self, dims: Any) -> Tensor:
        return ops.flip(self, dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return ops.roll(self, shifts, dims)

    def gather(self, dim: int, index: Any) -> Tensor:
        return ops.gather(self, dim, index)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return ops.topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        return ops.sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False) -> Tensor:
        return ops.argsort(self, dim, descending)

    # Last in the class: from here on, the names float, int and bool inside the class
    # body mean these methods, and type checkers would read annotations above as them.
    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)


def _any_requires_grad(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, TensorBase) and a._requires_grad for a in args)
