"""The recorded graph: ``Node`` (an op's ``ctx`` and its outputs' ``grad_fn``), the
``AccumulateGrad`` node at each leaf, and the tensors a node saves for backward.

``Function.apply`` (``mytorch.autograd.function``) records nodes; the engine
(``mytorch.autograd.engine``) walks them. This module knows tensors only by the
attributes it reads (``_data``, ``grad_fn``, ``_output_nr``, version counters), so
the tensor class, which makes its leaf's ``AccumulateGrad``, can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from mytorch.autograd import grad_mode

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor
    from mytorch.autograd.function import Function
    from mytorch.autograd.tensor import TensorBase

# An edge of the graph: the node that made an input, and which of its outputs it was.
Edge = tuple["Node", int]

# A tensor saved for backward, as a node keeps it once recorded (a plain tuple: one is made
# per saved tensor on the hot path): ``(value, output_nr, counter, version, cls)``.
#
# An input (``output_nr`` -1) is kept as the Tensor itself. An output is kept as its array
# and its class (not the Tensor), so that the output -> grad_fn -> saved output loop never
# forms; it is rebuilt on access. ``counter`` is the tensor's version counter (shared with
# its views) and ``version`` its value when saved: if it has moved when backward unpacks the
# tensor, an in-place op changed the values this backward needs, and unpacking raises
# instead of computing a wrong gradient. Anything else saved (None, a number) is
# ``(value, -1, None, 0, None)``.
#
# An input that has no version counter yet (never changed in place, never viewed: most
# tensors) is kept as the Tensor alone, no tuple: its version was 0, and a counter made for
# it later starts at 0 and only grows, so unpacking reads its present counter instead.
Saved = tuple[Any, int, "list[int] | None", int, Any]


class Node:
    """A recorded op: the ``ctx`` of its ``forward`` and the ``grad_fn`` of its outputs.

    Attributes:
        function: the ``Function`` subclass whose ``backward`` this node runs.
        next_edges: for each positional input, ``(node, output_nr)`` of where its
            gradient goes, or None when that input needs no gradient.
        needs_input_grad: for each positional input, whether it requires grad.
        input_meta: ``(shape, dtype)`` of each input that needs a gradient (None for others).
        output_meta: ``(shape, dtype)`` of each output, to materialize missing
            output gradients as zeros.
    """

    # Slots for what every node has; an op's own state (``ctx.dims = dims``) goes to a
    # ``__dict__`` made only when an op sets some. One node is made per op: a node without
    # a dict is cheaper to make and to free, and one object fewer for the garbage collector.
    __slots__ = ("function", "next_edges", "needs_input_grad", "input_meta", "output_meta",
                 "_saved", "_packed", "_released", "__dict__", "__weakref__")
    # rarely set: class-level defaults
    retained: dict[int, Tensor] | None = None  # outputs that called retain_grad()
    _non_differentiable: frozenset[int] | set[int] = frozenset()

    def __init__(self, function: type[Function] | None = None) -> None:
        self.function = function
        self.next_edges: tuple[Edge | None, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.input_meta: tuple[tuple[tuple[int, ...], np.dtype] | None, ...] = ()
        self.output_meta: tuple[tuple[tuple[int, ...], np.dtype], ...] = ()
        self._saved: tuple[Any, ...] = ()
        self._packed = False  # whether _saved holds ``Saved`` entries (the node was recorded)
        self._released = False

    if TYPE_CHECKING:
        # ops keep their own state on ctx (``ctx.dims = dims``), as in PyTorch: tell the
        # type checker that any attribute may be set and read (no effect at run time)
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    # -- the ctx interface, as in PyTorch ------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (inputs or outputs) for ``backward``; freed after it runs.

        Each tensor's version is noted when the node is recorded; if an in-place op has
        changed it by the time ``backward`` reads ``saved_tensors``, that raises RuntimeError.
        """
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
        if not self._packed:  # never recorded: the tensors as forward gave them
            return self._saved
        # an arithmetic backward run unrecorded reads arrays (``Function.arithmetic_backward``)
        as_arrays = not grad_mode._enabled and self.function.arithmetic_backward  # type: ignore[union-attr]
        unpacked = []
        for saved in self._saved:  # each checked unchanged since it was saved
            if type(saved) is not tuple:  # an input saved at version 0 (see ``Saved``)
                counter = saved._version_counter
                if counter is None or counter[0] == 0:  # (the common case, without a tuple)
                    unpacked.append(saved._data if as_arrays else saved)
                    continue
                saved = (saved, -1, counter, 0, type(saved))
            value, output_nr, counter, version, cls = saved
            if counter is not None and counter[0] != version:
                raise RuntimeError(self._modified_message(saved))
            if as_arrays:  # an output is kept as its array already
                unpacked.append(value._data if output_nr < 0 and cls is not None else value)
            else:
                unpacked.append(value if output_nr < 0 else self._saved_output(saved))
        return tuple(unpacked)

    def _saved_output(self, saved: Saved) -> Tensor:
        """A saved output comes back as a tensor whose grad_fn is this node (PyTorch's rule)."""
        value, output_nr, counter, _, cls = saved
        t = cls._make(value)
        t._version_counter = counter
        if self.next_edges:  # recorded: the output is part of the graph
            t.grad_fn, t._output_nr, t._requires_grad = self, output_nr, True
        return t

    def _modified_message(self, saved: Saved) -> str:
        """PyTorch's words for a saved tensor changed in place since it was saved."""
        value, output_nr, counter, version, _ = saved
        assert counter is not None, "only a saved tensor has a version"
        if output_nr < 0:  # an input: named by the op that made it, as PyTorch
            array, producer, nr = value._data, value.grad_fn, value._output_nr
        else:
            array, producer, nr = value, self, output_nr
        shape = "[" + ", ".join(str(n) for n in array.shape) + "]"
        origin = "" if producer is None else f", which is output {nr} of {producer.name()},"
        return (
            f"{self.name()}: one of the variables needed for gradient computation has been "
            f"modified by an inplace operation: [{array.dtype} {shape}]{origin} is at version "
            f"{counter[0]}; expected version {version} instead. Compute it out of place (or "
            "clone() it) before the in-place change."
        )

    def _move_saved_output(self, output_nr: int, tensor: Tensor) -> None:
        """Output ``output_nr`` of this node now lives in ``tensor`` (an in-place op wrote it
        there): what was saved of that output is ``tensor``'s memory at its present version."""
        counter = tensor._counter()
        moved = (tensor._data, output_nr, counter, counter[0], type(tensor))
        self._saved = tuple([moved if type(s) is tuple and s[1] == output_nr else s
                             for s in self._saved])

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs (such as indices) that carry no gradient."""
        self._non_differentiable = {id(t) for t in outputs}

    # -- graph bookkeeping -----------------------------------------------------
    def name(self) -> str:
        """PyTorch's names: ``MulBackward0`` for built-in ops, ``MyFnBackward`` for users'."""
        assert self.function is not None
        builtin = self.function.__module__.startswith("mytorch.")
        return f"{self.function.__name__}Backward{'0' if builtin else ''}"

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """PyTorch's view of the edges: ``(None, 0)`` for an input that needs no gradient."""
        return tuple((None, 0) if edge is None else edge for edge in self.next_edges)

    def release(self) -> None:
        """Free saved tensors once backward has used them (unless retain_graph)."""
        if self._saved:
            self._saved = ()
            self._released = True

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad(Node):
    """The node at a leaf tensor: it adds the incoming gradient into ``variable.grad``.

    ``post_hooks`` run after each accumulation, with the tensor: what
    ``Tensor.register_post_accumulate_grad_hook`` registers (DistributedDataParallel
    starts averaging a gradient there, the moment it is complete).
    """

    def __init__(self, variable: TensorBase) -> None:
        super().__init__(None)
        self.variable = cast("Tensor", variable)  # every tensor is a Tensor
        self.output_meta = ((variable.shape, variable.dtype),)
        self.edge: Edge = (self, 0)  # the leaf's edge, one tuple for every op reading it
        self.post_hooks: list[Callable[[Tensor], None]] = []

    def name(self) -> str:
        return "AccumulateGrad"
