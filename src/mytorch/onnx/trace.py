"""Record one forward pass: every op run (and every layer with an ONNX rule) as a ``Call``.

Two sources feed the record, both switched on only inside ``trace``:

* ``Function.apply`` reports each op with its arguments, attributes included
  (``autograd.function.op_tracer``);
* each layer that ``mytorch.onnx.layers`` exports as one ONNX op (Gemm,
  BatchNormalization, GRU...) reports its call after its ops, through a
  wrapper of its ``forward`` set on the instance for the trace only (a
  forward hook would not see keyword arguments such as ``hx=``).

A ``Call`` becomes the *producer* of its outputs; a layer's call, recorded
last, replaces the ops inside it as the producer of the layer's outputs, so
those ops are never reached from the model's outputs and are not exported.
The same walk drops ops nested inside another op's forward and ops whose
result nobody uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, NamedTuple

from mytorch._tensor import Tensor
from mytorch.autograd import function as _function
from mytorch.autograd.grad_mode import enable_grad
from mytorch.nn.module import Module
from mytorch.onnx import layers


class Call(NamedTuple):
    """One recorded op (``op`` a ``Function`` subclass) or layer (``op`` the Module, and
    ``inner`` the calls its forward made)."""

    op: Any
    args: tuple[Any, ...]
    outputs: tuple[Tensor, ...]
    inner: tuple[Call, ...] = ()

    def tensor_args(self) -> Iterator[Tensor]:
        return flat_tensors(self.args)


def flat_tensors(value: Any) -> Iterator[Tensor]:
    """The Tensors in a value, tuples and lists opened, in order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from flat_tensors(item)


class Trace:
    """The calls of one forward pass, and which call produced each tensor.

    Attributes:
        calls: in the order they finished (a topological order: a call's inputs
            exist before it starts).
        producer: ``id(tensor) -> (call index, output index)``. The tensors are
            kept alive by ``calls``, so their ids stay unique.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.producer: dict[int, tuple[int, int]] = {}

    def record(self, op: Any, args: tuple[Any, ...], outputs: tuple[Tensor, ...],
               inner: tuple[Call, ...] = ()) -> None:
        index = len(self.calls)
        self.calls.append(Call(op, args, outputs, inner))
        for i, t in enumerate(outputs):
            self.producer[id(t)] = (index, i)

    def _on_op(self, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
               result: Any) -> None:
        if kwargs:
            raise NotImplementedError(
                f"mytorch.onnx: op {function.__name__} was called with keyword arguments "
                f"{sorted(kwargs)}, which the tracer does not record"
            )
        self.record(function, args, result if isinstance(result, tuple) else (result,))

    def _on_layer(self, module: Module, args: tuple[Any, ...], output: Any,
                  inner: tuple[Call, ...]) -> None:
        if not layers.exports_as_layer(module, args):
            return  # its ops, recorded one by one, stand for it
        inputs = {id(t) for t in flat_tensors(args)}
        outputs = tuple(flat_tensors(output))
        if any(id(t) in inputs for t in outputs):
            return  # the layer passed an input through: no call of its own
        self.record(module, args, outputs, inner)

    def _watch(self, module: Module) -> None:
        """Report the layer's calls through a ``forward`` set on the instance (removed after
        the trace): unlike a forward hook it sees keyword arguments (``rnn(x, hx=h)``),
        which it passes on as positional ones."""
        forward = module.forward
        signature = inspect.signature(forward)

        def traced(*args: Any, **kwargs: Any) -> Any:
            start = len(self.calls)
            output = forward(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            if not bound.kwargs:  # else keyword-only arguments: its ops stand for it
                self._on_layer(module, bound.args, output, tuple(self.calls[start:]))
            return output

        object.__setattr__(module, "forward", traced)

    def run(self, model: Module, inputs: tuple[Tensor, ...]) -> Any:
        """Call ``model(*inputs)`` with recording on; return its output."""
        watched = list({id(m): m for m in model.modules()
                        if layers.has_rule(m) and "forward" not in vars(m)}.values())
        for module in watched:
            self._watch(module)
        _function.op_tracer = self._on_op
        try:
            # with gradients recorded, every op goes through its Function (an op may take
            # a shortcut past it when no gradient can be asked for)
            with enable_grad():
                return model(*inputs)
        finally:
            _function.op_tracer = None
            for module in watched:
                object.__delattr__(module, "forward")

    def reachable(self, outputs: list[Tensor]) -> list[int]:
        """Indices of the calls the outputs depend on, in recording order."""
        seen: set[int] = set()
        stack = list(outputs)
        while stack:
            t = stack.pop()
            where = self.producer.get(id(t))
            if where is None or where[0] in seen:
                continue
            seen.add(where[0])
            stack.extend(self.calls[where[0]].tensor_args())
        return sorted(seen)
