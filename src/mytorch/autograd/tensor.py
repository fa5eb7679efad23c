"""``Tensor``: one NumPy array plus what autograd needs to know about it.

The array lives in ``_data``; ``requires_grad`` says whether gradients flow
to it; ``grad_fn`` is the ``Node`` of the op that made it (None for a leaf);
``grad`` is filled by ``backward``. Every operator and method is bound here,
explicitly, to a function in ``mytorch.ops``; those functions hold the math.

In-place ops (``add_``, ``t[i] = v``, ``relu_``, ``inplace=True`` activations...) go
through one mechanism, ``Tensor._inplace``, and count themselves in the tensor's
version counter (``t._version``), which a tensor shares with its views; backward
refuses a saved tensor whose version moved (see ``Node.saved_tensors``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from mytorch.autograd import dtypes, grad_mode
from mytorch.autograd.function import AccumulateGrad, Edge

# How many in-place changes a tensor's memory has had (PyTorch's ``t._version``), as a
# one-element list: one counter is shared by a tensor and its views (``detach()``, basic
# slicing, ``reshape``, ``transpose``...), which share its memory. Autograd notes the version
# of every tensor an op saves for backward and checks it before backward uses it. A list
# because making one is cheap: it happens once per saved tensor on the autograd hot path.
VersionCounter = list[int]


class Tensor:
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

    __slots__ = (
        "_data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_accumulator",
        "_version_counter", "_view_of", "__weakref__",
    )
    _data: np.ndarray
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # hash by identity, as PyTorch (== is elementwise)

    def __init__(self, data: Any = (), requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = np.array(data, dtype=dtypes.DEFAULT_FLOAT)
        self._requires_grad = False
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self._output_nr = 0
        self._accumulator: AccumulateGrad | None = None
        self._version_counter: VersionCounter | None = None  # made on first need
        self._view_of: ViewOf | None = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """Wrap ``array`` without copying it (the fast internal constructor).

        NumPy ufuncs return scalars (np.float32...) for 0-d inputs: those become 0-d arrays.
        """
        t = object.__new__(Tensor)
        t._data = array if type(array) is np.ndarray else np.asarray(array)
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._accumulator = None
        t._version_counter = None
        t._view_of = None
        return t

    def _view(self, array: np.ndarray, remake: Callable[..., Tensor] | None = None,
              *args: Any) -> Tensor:
        """Wrap ``array``, the result of a view op on this tensor.

        When it shares this tensor's memory it is a view, as in PyTorch: it shares the
        version counter, and ``remake(base, *args)`` (the view op, differentiable) lets an
        in-place change of the view be recorded on this tensor, its base.
        """
        view = Tensor._make(array)
        owner = self._data if self._data.base is None else self._data.base
        if view._data.base is owner:  # NumPy points every view at the array owning the memory
            view._version_counter = self._counter()
            if remake is not None:
                view._view_of = (self, remake, args, view._version_counter[0])
        return view

    @property
    def _base(self) -> Tensor | None:
        """The tensor this one is a view of (PyTorch's ``t._base``), or None."""
        return None if self._view_of is None else self._view_of[0]

    # -- autograd attributes ----------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, "
                f"got dtype {self._data.dtype}"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad: you can only change requires_grad flags of leaf tensors; "
                "use detach() for a non-leaf"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False"
            )
        if self.grad_fn is None:
            return
        if self.grad_fn.retained is None:
            self.grad_fn.retained = {}
        self.grad_fn.retained[self._output_nr] = self

    @property
    def retains_grad(self) -> bool:
        retained = self.grad_fn.retained if self.grad_fn is not None else None
        return retained is not None and retained.get(self._output_nr) is self

    def register_post_accumulate_grad_hook(
        self, hook: Callable[[Tensor], None]
    ) -> Callable[[], None]:
        """``hook(tensor)`` runs each time backward has accumulated into this leaf's ``.grad``.

        Returns a function that removes the hook (as ``Module``'s hooks do).

        >>> import mytorch
        >>> w = mytorch.tensor([1.0, 2.0], requires_grad=True)
        >>> remove = w.register_post_accumulate_grad_hook(lambda t: print(t.grad))
        >>> (3 * w).sum().backward()
        tensor([3., 3.])
        """
        if not self._requires_grad or self.grad_fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: post accumulate grad hooks can only be "
                "registered on leaf tensors that require grad"
            )
        hooks = self._edge()[0].post_hooks
        hooks.append(hook)
        return lambda: hooks.remove(hook)

    # -- version counter ----------------------------------------------------------
    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (shared with its views)."""
        counter = self._version_counter
        return 0 if counter is None else counter[0]

    def _counter(self) -> VersionCounter:
        """The version counter, made on first need (most tensors never change in place)."""
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = [0]
        return counter

    def _bump_version(self) -> None:
        self._counter()[0] += 1

    def _edge(self) -> Edge:
        """Where the gradient of this tensor goes: its op's node, or its accumulator."""
        if self._view_of is not None:
            self._refresh_view()
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return (self._accumulator, 0)

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
        from mytorch.autograd.engine import backward

        gradients = None if gradient is None else [gradient]
        backward([self], gradients, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter) cut from the graph."""
        alias = Tensor._make(self._data)
        alias._version_counter = self._counter()
        return alias

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this one's memory (PyTorch's ``.data``).

        Unlike ``detach()``, it has a version counter of its own, as in PyTorch: changes
        made through it are invisible to autograd's checks.
        """
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # -- array attributes -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> Any:
        from mytorch.device import device

        return device("cpu")

    @property
    def is_cuda(self) -> bool:
        return False

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return int(self._data.itemsize)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory)."""
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self._data
        return self._data.astype(dtype)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    # -- dtype and device conversions -------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)`` or ``to(device, dtype)``; CPU only."""
        from mytorch.ops.elementwise import cast

        dtype = dtype_of_to_args(args, kwargs)
        if dtype is None or dtype == self._data.dtype:
            return self
        return cast(self, dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        raise RuntimeError(
            "cuda: mytorch runs on the CPU only (mytorch.cuda.is_available() is False)"
        )

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

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def clone(self) -> Tensor:
        from mytorch.ops.elementwise import clone

        return clone(self)

    def contiguous(self) -> Tensor:
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # -- Python protocol ----------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data)

    def __int__(self) -> int:
        return int(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return super().__format__(spec)

    def __repr__(self) -> str:
        from mytorch.autograd.printing import tensor_repr

        return tensor_repr(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "deepcopy: only tensors created explicitly by the user (graph leaves) "
                "support the deepcopy protocol; detach() first"
            )
        new = copy.copy(self)
        new._data = self._data.copy()
        new._accumulator = None
        new._version_counter = new._view_of = None
        new.grad = None if self.grad is None else copy.deepcopy(self.grad, memo)
        memo[id(self)] = new
        return new

    def __copy__(self) -> Tensor:
        new = object.__new__(type(self))
        for slot in Tensor.__slots__[:-1]:
            setattr(new, slot, getattr(self, slot))
        return new

    def __getstate__(self) -> dict[str, Any]:
        if self.grad_fn is not None:
            raise RuntimeError("pickle: only leaf tensors can be pickled")
        return {"data": self._data, "requires_grad": self._requires_grad, "grad": self.grad}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Tensor.__init__(self)
        self._data = state["data"]
        self._requires_grad = state["requires_grad"]
        self.grad = state["grad"]

    # -- arithmetic ----------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

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
        from mytorch.ops.index import copy_into_view

        assert self._view_of is not None
        base, remake, args, _ = self._view_of
        base._inplace(name, copy_into_view, remake, args, result)
        self._refresh_view()

    def _refresh_view(self) -> None:
        """A view whose memory changed since its ``grad_fn`` was set (an in-place op on it,
        on its base or on another view of it) becomes the view op applied to its base's
        present value, as PyTorch regenerates it: its gradient then follows the change."""
        assert self._view_of is not None and self._version_counter is not None
        base, remake, args, version = self._view_of
        now = self._version_counter[0]
        if version == now:
            return
        with grad_mode.enable_grad():
            view = remake(base, *args)
        self.grad_fn, self._output_nr, self._requires_grad = (
            view.grad_fn, view._output_nr, view._requires_grad
        )
        self._view_of = (base, remake, args, now)

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
        old = Tensor._make(self._data.copy())
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
        return self._inplace("add_", _ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("sub_", _ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("mul_", _ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("div_", _ops.div, other)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("add_", _ops.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("sub_", _ops.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", _ops.mul, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", _ops.div, other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", _ops.pow, exponent)

    def neg_(self) -> Tensor:
        return self._inplace("neg_", _ops.neg)

    def abs_(self) -> Tensor:
        return self._inplace("abs_", _ops.abs)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", _ops.exp)

    def log_(self) -> Tensor:
        return self._inplace("log_", _ops.log)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", _ops.sqrt)

    def sin_(self) -> Tensor:
        return self._inplace("sin_", _ops.sin)

    def cos_(self) -> Tensor:
        return self._inplace("cos_", _ops.cos)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", _ops.tanh)

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", _ops.sigmoid)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", _ops.relu)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._inplace("clamp_", _ops.clamp, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._inplace("masked_fill_", _ops.masked_fill, mask, value)

    def copy_(self, src: Any) -> Tensor:
        """Write ``src`` (broadcast, cast to this dtype) into this tensor's memory."""
        from mytorch.ops.elementwise import overwrite

        return self._inplace("copy_", overwrite, src)

    def fill_(self, value: Any) -> Tensor:
        from mytorch.ops.elementwise import overwrite

        return self._inplace("fill_", overwrite, value)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        from mytorch.random import generator

        return self.copy_(generator().uniform(a, b, self._data.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        from mytorch.random import generator

        return self.copy_(generator().normal(mean, std, self._data.shape))

    # -- comparisons (bool tensors, no gradient) -----------------------------------
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    def __invert__(self) -> Tensor:
        return _ops.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return _ops.logical_or(self, other)

    # -- indexing ----------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _ops.setitem(self, index, value)

    # -- methods that are ops (math in mytorch.ops) -----------------------------------
    def add(self, other: Any, alpha: float = 1) -> Tensor:
        return _ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: float = 1) -> Tensor:
        return _ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def log1p(self) -> Tensor:
        return _ops.log1p(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def sign(self) -> Tensor:
        return _ops.sign(self)

    def square(self) -> Tensor:
        return _ops.mul(self, self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return _ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ops.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        return _ops.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return _ops.masked_fill(self, mask, value)

    def eq(self, other: Any) -> Tensor:
        return _ops.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return _ops.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def gt(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    def equal(self, other: Tensor) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        return bool(np.allclose(self._data, np.asarray(other), rtol=rtol, atol=atol))

    def sum(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.sum(self, dim, keepdim, **kwargs)

    def mean(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.mean(self, dim, keepdim, **kwargs)

    def var(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.var(self, dim, *args, **kwargs)

    def std(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return _ops.std(self, dim, *args, **kwargs)

    def prod(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.prod(self, dim, keepdim, **kwargs)

    def max(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        return _ops.max(self, dim, keepdim, **kwargs)

    def min(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        return _ops.min(self, dim, keepdim, **kwargs)

    def amax(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.amin(self, dim, keepdim, **kwargs)

    def argmax(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.argmax(self, dim, keepdim, **kwargs)

    def argmin(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.argmin(self, dim, keepdim, **kwargs)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        return _ops.logsumexp(self, dim, keepdim, **kwargs)

    def softmax(self, dim: int = -1) -> Tensor:
        return _ops.softmax(self, dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        return _ops.log_softmax(self, dim)

    def cumsum(self, dim: Any = None, **kwargs: Any) -> Tensor:
        return _ops.cumsum(self, dim, **kwargs)

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.norm(self, p, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.any(self, dim, keepdim)

    def matmul(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def mm(self, other: Any) -> Tensor:
        return _ops.mm(self, other)

    def bmm(self, other: Any) -> Tensor:
        return _ops.bmm(self, other)

    def dot(self, other: Any) -> Tensor:
        return _ops.dot(self, other)

    def outer(self, other: Any) -> Tensor:
        return _ops.outer(self, other)

    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, Tensor)):
            return self.to(shape[0])  # view(dtype)
        return _ops.reshape(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return _ops.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return _ops.permute(self, *dims)

    def t(self) -> Tensor:
        if self._data.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got shape {self.shape}")
        return _ops.permute(self, *reversed(range(self._data.ndim)))

    @property
    def T(self) -> Tensor:
        return _ops.permute(self, *reversed(range(self._data.ndim)))

    @property
    def mT(self) -> Tensor:
        return _ops.transpose(self, -2, -1)

    def expand(self, *sizes: Any) -> Tensor:
        return _ops.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return _ops.expand(self, other.shape)

    def repeat(self, *sizes: Any) -> Tensor:
        return _ops.repeat(self, *sizes)

    def tile(self, dims: Any) -> Tensor:
        return _ops.tile(self, dims)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return _ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return _ops.chunk(self, chunks, dim)

    def flip(self, dims: Any) -> Tensor:
        return _ops.flip(self, dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _ops.roll(self, shifts, dims)

    def gather(self, dim: int, index: Any) -> Tensor:
        return _ops.gather(self, dim, index)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return _ops.topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        return _ops.sort(self, dim, descending)

    def argsort(self, dim: int = -1, descending: bool = False) -> Tensor:
        return _ops.argsort(self, dim, descending)

    # Last in the class: from here on, the names float, int and bool inside the class
    # body mean these methods, and type checkers would read annotations above as them.
    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)


# a view's base, the view op (differentiable) and its arguments (remake(base, *args) is the
# view), and the version of the memory when the view's grad_fn was last set
ViewOf = tuple[Tensor, Callable[..., Tensor], tuple[Any, ...], int]


def _any_requires_grad(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def dtype_of_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> np.dtype | None:
    """The dtype named by ``to(...)``'s arguments (None if only a device is named).

    Accepts a dtype, a tensor (its dtype), a device (checked to be the CPU), or
    ``device=``/``dtype=`` keywords, in PyTorch's combinations.
    """
    from mytorch.device import check_device

    dtype = kwargs.get("dtype")
    for arg in (*args, kwargs.get("device")):
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (np.dtype, type)) or (isinstance(arg, str) and arg in dtypes._NAMES):
            dtype = arg
        elif arg is not None:
            check_device(arg)
    return None if dtype is None else dtypes.as_dtype(dtype)


from mytorch import ops as _ops  # noqa: E402  (ops import Tensor; bound last to break the cycle)
