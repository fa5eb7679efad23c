"""``Function``: the base of every differentiable op, and the graph nodes it records.

An op is a ``Function`` subclass with two static methods side by side::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                 # x: Tensor; runs with recording off
            y = Tensor(np.exp(x._data))
            ctx.save_for_backward(y)
            return y
        @staticmethod
        def backward(ctx, gy):               # gy: Tensor, the gradient of the output
            (y,) = ctx.saved_tensors
            return gy * y                    # made of Tensor ops: differentiable again

``Exp.apply(x)`` runs ``forward`` and, when recording is on and some input
requires grad, records a ``Node`` (the ``ctx`` above, which becomes the
output's ``grad_fn``). ``backward`` is written with Tensor ops, so the engine
can run it with recording on (``create_graph=True``) to get gradients of
gradients, or off, and then it builds nothing.

A ``backward`` returns one gradient per positional input of ``forward``
(``None`` where there is none). It may return a gradient of a broadcast shape
or another float dtype: the engine reduces it to the input's shape and dtype,
once, for every op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import grad_mode

if TYPE_CHECKING:
    from mytorch.autograd.tensor import Tensor

# An edge of the graph: the node that made an input, and which of its outputs it was.
Edge = tuple["Node", int]


class Node:
    """A recorded op: the ``ctx`` of its ``forward`` and the ``grad_fn`` of its outputs.

    Attributes:
        function: the ``Function`` subclass whose ``backward`` this node runs.
        next_edges: for each positional input, ``(node, output_nr)`` of where its
            gradient goes, or None when that input needs no gradient.
        needs_input_grad: for each positional input, whether it requires grad.
        input_meta: ``(shape, dtype)`` of each Tensor input (None for others).
        output_meta: ``(shape, dtype)`` of each output, to materialize missing
            output gradients as zeros.
    """

    def __init__(self, function: type[Function] | None = None) -> None:
        self.function = function
        self.next_edges: tuple[Edge | None, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.input_meta: tuple[tuple[tuple[int, ...], np.dtype] | None, ...] = ()
        self.output_meta: tuple[tuple[tuple[int, ...], np.dtype], ...] = ()
        self.retained: dict[int, Tensor] | None = None  # outputs that called retain_grad()
        self._saved: tuple[Any, ...] = ()
        self._released = False
        self._non_differentiable: set[int] = set()

    if TYPE_CHECKING:
        # ops keep their own state on ctx (``ctx.dims = dims``), as in PyTorch: tell the
        # type checker that any attribute may be set and read (no effect at run time)
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    # -- the ctx interface, as in PyTorch ------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (inputs or outputs) for ``backward``; freed after it runs."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they were freed). Saved tensors are freed after "
                "the first backward; pass retain_graph=True to the first backward or "
                "autograd.grad call if you need to backward through the graph again."
            )
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs (such as indices) that carry no gradient."""
        self._non_differentiable.update(id(t) for t in outputs)

    # -- graph bookkeeping -----------------------------------------------------
    def name(self) -> str:
        assert self.function is not None
        return f"{self.function.__name__}Backward"

    @property
    def next_functions(self) -> tuple[Edge | None, ...]:
        return self.next_edges

    def release(self) -> None:
        """Free saved tensors once backward has used them (unless retain_graph)."""
        if self._saved:
            self._saved = ()
            self._released = True

    def run_backward(self, grad_outputs: tuple[Tensor, ...]) -> tuple[Any, ...]:
        """Call the op's ``backward``; always returns a tuple, one entry per input."""
        assert self.function is not None
        grads = self.function.backward(self, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(self.next_edges):
            raise RuntimeError(
                f"{self.name()}: backward returned {len(grads)} gradients, "
                f"but forward took {len(self.next_edges)} inputs"
            )
        return grads

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    if TYPE_CHECKING:
        # ops keep non-tensor state on ctx (ctx.stride = ...): any attribute is allowed
        def __getattr__(self, name: str) -> Any: ...


class AccumulateGrad(Node):
    """The node at a leaf tensor: it adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable: Tensor) -> None:
        super().__init__(None)
        self.variable = variable
        self.output_meta = ((variable.shape, variable.dtype),)

    def name(self) -> str:
        return "AccumulateGrad"


class Function:
    """Base class of differentiable ops; subclass it and define ``forward``/``backward``."""

    @staticmethod
    def forward(ctx: Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on ``args`` and, if needed, record the node for backward."""
        from mytorch.autograd.tensor import Tensor

        needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = grad_mode._enabled and True in needs_input_grad
        ctx = Node(cls)
        ctx.needs_input_grad = needs_input_grad
        previous = grad_mode._enabled
        grad_mode._enabled = False
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_mode._enabled = previous

        is_tuple = isinstance(raw, tuple)
        outputs = tuple(_as_output(o, args) for o in (raw if is_tuple else (raw,)))
        if record:
            ctx.next_edges = tuple(
                a._edge() if needs else None for a, needs in zip(args, needs_input_grad)
            )
            ctx.input_meta = tuple(
                (a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args
            )
            ctx.output_meta = tuple((o._data.shape, o._data.dtype) for o in outputs)
            for i, out in enumerate(outputs):
                if out._data.dtype.kind in "fc" and id(out) not in ctx._non_differentiable:
                    out.grad_fn = ctx
                    out._output_nr = i
                    out._requires_grad = True
        return outputs if is_tuple else outputs[0]


def _as_output(value: Any, inputs: tuple[Any, ...]) -> Tensor:
    """Wrap what ``forward`` returned as a fresh output Tensor (never an input object)."""
    from mytorch.autograd.tensor import Tensor

    if isinstance(value, Tensor):
        if any(value is a for a in inputs):
            return Tensor._make(value._data)
        return value
    return Tensor._make(np.asarray(value))
