"""``TensorBase``: one NumPy array plus what autograd needs to know about it.

The array lives in ``_data``; ``requires_grad`` says whether gradients flow
to it; ``grad_fn`` is the ``Node`` of the op that made it (None for a leaf);
``grad`` is filled by ``backward``. This is the autograd layer's half of
``mytorch.Tensor``: the operators and the methods that are ops live in the
subclass ``mytorch._tensor.Tensor``, above ``mytorch.ops``, so that autograd
never imports the ops (the layers import one way: kernels <- autograd <- ops <- tensor).

Views share a version counter (``t._version``) with the tensor they view; in-place
ops count themselves there, and backward refuses a saved tensor whose version moved
(see ``Node.saved_tensors``). The in-place mechanism itself, ``Tensor._inplace``,
is an op and lives with the operators.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import dtypes, grad_mode
from mytorch.autograd.graph import AccumulateGrad, Edge
from mytorch.device import check_device, device

if TYPE_CHECKING:  # annotations only: the class every tensor is, defined above the ops
    from typing import TypeGuard

    from typing_extensions import Self

    from mytorch._tensor import Tensor

# How many in-place changes a tensor's memory has had (PyTorch's ``t._version``), as a
# one-element list: one counter is shared by a tensor and its views (``detach()``, basic
# slicing, ``reshape``, ``transpose``...), which share its memory. Autograd notes the version
# of every tensor an op saves for backward and checks it before backward uses it. A list
# because making one is cheap: it happens once per saved tensor on the autograd hot path.
VersionCounter = list[int]


class TensorBase:
    """The data and graph half of ``mytorch.Tensor``: what autograd reads and writes.

    ``_data`` (the array), ``_requires_grad``, ``grad``, ``grad_fn``/``_output_nr`` (the
    node that made it), the leaf's ``AccumulateGrad``, the version counter and the view
    record. The operators and the methods that are ops are defined on the subclass
    ``mytorch._tensor.Tensor``, above the ops; every tensor is an instance of that one
    class, which ``_make`` builds (it declares itself with ``make_outputs=True``).
    """

    __slots__ = (
        "_data", "_requires_grad", "grad", "grad_fn", "_output_nr", "_accumulator",
        "_version_counter", "_view_of", "__weakref__",
    )
    _data: np.ndarray
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # hash by identity, as PyTorch (== is elementwise)

    def __init_subclass__(cls, make_outputs: bool = False, **kwargs: Any) -> None:
        """``class Tensor(TensorBase, make_outputs=True)`` names the class ``_make`` builds:
        autograd wraps every op's output in it without importing it (it sits above the ops)."""
        super().__init_subclass__(**kwargs)
        if make_outputs:
            global _tensor_class
            _tensor_class = cls  # type: ignore[assignment]

    def __init__(self, data: Any = (), requires_grad: bool = False) -> None:
        if isinstance(data, TensorBase):
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
        t = object.__new__(_tensor_class)
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
        view = TensorBase._make(array)
        owner = self._data if self._data.base is None else self._data.base
        if view._data.base is owner:  # NumPy points every view at the array owning the memory
            view._version_counter = self._counter()
            if remake is not None:
                view._view_of = (self, remake, args, view._version_counter[0])
        return view

    @property
    def _base(self) -> TensorBase | None:
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

    def requires_grad_(self, requires_grad: bool = True) -> Self:
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
        return self._accumulator.edge

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter) cut from the graph."""
        alias = TensorBase._make(self._data)
        alias._version_counter = self._counter()
        return alias

    def detach_(self) -> Self:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this one's memory (PyTorch's ``.data``).

        Unlike ``detach()``, it has a version counter of its own, as in PyTorch: changes
        made through it are invisible to autograd's checks.
        """
        return TensorBase._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, TensorBase) else np.asarray(value)

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

    def cpu(self) -> Self:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        raise RuntimeError(
            "cuda: mytorch runs on the CPU only (mytorch.cuda.is_available() is False)"
        )

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def contiguous(self) -> Self:
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # -- Python protocol ----------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

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

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
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

    def __copy__(self) -> Self:
        new = object.__new__(type(self))
        for slot in TensorBase.__slots__[:-1]:
            setattr(new, slot, getattr(self, slot))
        return new

    def __getstate__(self) -> dict[str, Any]:
        if self.grad_fn is not None:
            raise RuntimeError("pickle: only leaf tensors can be pickled")
        return {"data": self._data, "requires_grad": self._requires_grad, "grad": self.grad}

    def __setstate__(self, state: dict[str, Any]) -> None:
        TensorBase.__init__(self)
        self._data = state["data"]
        self._requires_grad = state["requires_grad"]
        self.grad = state["grad"]

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


# The class every tensor is made of (``mytorch._tensor.Tensor``), named by its class statement.
_tensor_class: type[Tensor]

# a view's base, the view op (differentiable) and its arguments (remake(base, *args) is the
# view), and the version of the memory when the view's grad_fn was last set
ViewOf = tuple[TensorBase, Callable[..., "Tensor"], tuple[Any, ...], int]


def arrays(*operands: Any) -> list[Any]:
    """The operands' data, cast to the dtype PyTorch's promotion gives their op."""
    if len(operands) == 2:  # the hot cases: nothing to promote
        x, y = operands
        if isinstance(x, TensorBase):
            x = x._data
        if isinstance(y, TensorBase):
            y = y._data
        if type(x) is np.ndarray:
            if type(y) is np.ndarray:
                if x.dtype == y.dtype:  # two arrays of one dtype
                    return [x, y]
            elif type(y) in (float, int) and x.dtype.kind == "f":
                # a float array and a Python number: NumPy casts the number to the array's
                # dtype, as PyTorch's promotion does
                return [x, y]
        operands = (x, y)
    data = [o._data if isinstance(o, TensorBase) else o for o in operands]
    dtype = dtypes.common_float_dtype(data)
    if dtype is None:
        dtype = dtypes.result_type(*data)
    return [d if type(d) is np.ndarray and d.dtype == dtype else np.asarray(d, dtype=dtype)
            for d in data]


def dtype_of_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> np.dtype | None:
    """The dtype named by ``to(...)``'s arguments (None if only a device is named).

    Accepts a dtype, a tensor (its dtype), a device (checked to be the CPU), or
    ``device=``/``dtype=`` keywords, in PyTorch's combinations.
    """
    dtype = kwargs.get("dtype")
    for arg in (*args, kwargs.get("device")):
        if isinstance(arg, TensorBase):
            dtype = arg.dtype
        elif isinstance(arg, (np.dtype, type)) or (isinstance(arg, str) and arg in dtypes._NAMES):
            dtype = arg
        elif arg is not None:
            check_device(arg)
    return None if dtype is None else dtypes.as_dtype(dtype)


def is_tensor(obj: object) -> TypeGuard[Tensor]:
    """Whether ``obj`` is a tensor: every tensor is a ``mytorch.Tensor``, a ``TensorBase``."""
    return isinstance(obj, TensorBase)
