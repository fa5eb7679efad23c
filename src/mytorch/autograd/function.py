"""``Function``: the base of every differentiable op; ``apply`` records its ``Node``.

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
gradients, or off, and then it builds nothing. A backward that is plain arithmetic,
as this one, works on NumPy arrays too: declared with ``arithmetic_backward = True``,
it runs on the bare arrays when recording is off, without a Tensor per gradient.

A ``backward`` returns one gradient per positional input of ``forward``
(``None`` where there is none). It may return a gradient of a broadcast shape
or another float dtype: the engine reduces it to the input's shape and dtype,
once, for every op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import grad_mode
from mytorch.autograd.graph import Edge, Node, Saved
from mytorch.autograd.tensor import TensorBase

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    pass

# While ``mytorch.onnx.export`` traces a model, every op run is reported here as
# ``op_tracer(function, args, kwargs, result)``; otherwise None, and it costs one test.
op_tracer: Callable[[type[Function], tuple[Any, ...], dict[str, Any], Any], None] | None = None


# The common values of ``needs_input_grad``, one tuple each, shared by every node.
_NEEDS = {needs: needs for needs in [(True,), (False,), (True, True), (True, False),
                                     (False, True), (False, False)]}


class Function:
    """Base class of differentiable ops; subclass it and define ``forward``/``backward``."""

    # True for an op whose ``backward`` is arithmetic alone: operators (``+ - * / **``, unary
    # ``-``) on ``gy``, the saved tensors and numbers, which NumPy arrays have as Tensors do
    # (or functions that take both alike, as the elementwise ops' ``_math``).
    # When no graph of the backward is recorded (no ``create_graph``), the engine then runs
    # it on arrays: ``gy`` and ``ctx.saved_tensors`` come as arrays, and no Tensor, node or
    # dispatch is made per intermediate gradient. (With ``create_graph`` it gets Tensors and
    # records its ops, as every backward does.)
    arithmetic_backward = False

    @staticmethod
    def forward(ctx: Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on ``args`` and, if needed, record the node for backward."""
        ctx = Node(cls)
        if grad_mode._enabled:
            needs = tuple([isinstance(a, TensorBase) and a._requires_grad for a in args])
            needs = _NEEDS.get(needs, needs)  # one shared tuple per common value
            ctx.needs_input_grad = needs
            grad_mode._enabled = False  # forward records nothing
            try:
                raw = cls.forward(ctx, *args, **kwargs)
            finally:
                grad_mode._enabled = True
            recording = True in needs
        else:  # nothing is recorded, so no input needs a gradient
            ctx.needs_input_grad = (False,) * len(args)
            raw = cls.forward(ctx, *args, **kwargs)
            recording = False

        if type(raw) is tuple:
            outputs = tuple([_as_output(o, args) for o in raw])
            if recording:
                _record(ctx, args, outputs)
            result: Any = outputs
        else:
            result = (TensorBase._make(raw) if type(raw) is np.ndarray
                      else _as_output(raw, args))
            if recording:
                _record(ctx, args, (result,))
        if op_tracer is not None:
            op_tracer(cls, args, kwargs, result)
        return result


def _record(ctx: Node, args: tuple[Any, ...], outputs: tuple[TensorBase, ...]) -> None:
    """Link ``ctx`` into the graph: edges to its inputs, grad_fn of its outputs.

    One pass over the inputs and one over the outputs: this runs once per recorded op.
    A ``(shape, dtype)`` meta is an immutable tuple, shared rather than made again: an
    input's is the one its producer recorded for it (unless its ``.data`` was replaced
    since), and an output with the shape and dtype of an input that was its producer's only
    output (every elementwise op) shares that producer's ``output_meta``. Every object an op
    leaves behind is one more for the garbage collector to track and scan.
    """
    edges: list[Edge | None] = []
    input_meta: list[tuple[tuple[int, ...], np.dtype] | None] = []
    shared: Any = None  # the output_meta of an input's single-output producer
    for a, needed in zip(args, ctx.needs_input_grad):
        if needed:
            edge = a._edge()
            data = a._data
            produced = edge[0].output_meta
            meta = produced[edge[1]]
            if meta[1] is not data.dtype or meta[0] != data.shape:
                meta = (data.shape, data.dtype)
            elif shared is None and len(produced) == 1:
                shared = produced
            edges.append(edge)
            input_meta.append(meta)
        else:
            edges.append(None)
            input_meta.append(None)
    ctx.next_edges = tuple(edges)
    ctx.input_meta = shared if len(input_meta) == 1 and shared is not None else tuple(input_meta)
    non_differentiable = ctx._non_differentiable  # (empty for most ops: tested first)
    if len(outputs) == 1:  # most ops: no list, and the shared meta compared before a tuple is made
        out = outputs[0]
        data = out._data
        if shared is not None and shared[0][1] is data.dtype and shared[0][0] == data.shape:
            ctx.output_meta = shared
        else:
            ctx.output_meta = ((data.shape, data.dtype),)
        differentiable = not non_differentiable or id(out) not in non_differentiable
        if differentiable and data.dtype.kind in "fc":
            out.grad_fn, out._output_nr, out._requires_grad = ctx, 0, True
    else:
        output_meta = []
        for nr, each in enumerate(outputs):
            data = each._data
            output_meta.append((data.shape, data.dtype))
            if data.dtype.kind in "fc" and id(each) not in non_differentiable:
                each.grad_fn, each._output_nr, each._requires_grad = ctx, nr, True
        ctx.output_meta = tuple(output_meta)
    if ctx._saved:  # each saved value as the node keeps it (see ``_pack``)
        only = outputs[0] if len(outputs) == 1 else None
        ctx._saved = tuple([
            # (inlined: the common case, an input of a one-output op never changed in place)
            t if (only is not None and t is not only and isinstance(t, TensorBase)
                  and t._version_counter is None) else _pack(t, outputs)
            for t in ctx._saved])
        ctx._packed = True


def _pack(t: Any, outputs: tuple[TensorBase, ...]) -> Saved | TensorBase:
    """What a node keeps of ``t``, one of the values its forward saved (see ``Saved``)."""
    if not isinstance(t, TensorBase):
        return (t, -1, None, 0, None)
    for nr, out in enumerate(outputs):
        if out is t:
            made = t._counter()
            return (t._data, nr, made, made[0], type(t))
    counter = t._version_counter
    if counter is None:  # an input at version 0: kept alone, its counter read when unpacked
        return t
    return (t, -1, counter, counter[0], type(t))


def _as_output(value: Any, inputs: tuple[Any, ...]) -> TensorBase:
    """Wrap what ``forward`` returned as a fresh output Tensor (never an input object)."""
    if type(value) is np.ndarray:
        return TensorBase._make(value)
    if isinstance(value, TensorBase):
        for a in inputs:
            if value is a:
                return TensorBase._make(value._data)
        return value
    return TensorBase._make(np.asarray(value))
