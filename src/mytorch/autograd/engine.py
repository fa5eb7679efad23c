"""The backward engine: one topological walk of the recorded graph, no recursion.

1. From the roots, count for every reachable node how many edges point at it
   (an explicit stack, so a chain of 100,000 ops is fine).
2. Run nodes whose count has reached zero (Kahn's algorithm): sum the
   gradients that arrived for each output, call the op's ``backward``, reduce
   each input gradient to that input's shape and dtype (the one place where
   broadcasting is undone), and pass it along its edge.
3. At a leaf, ``AccumulateGrad`` adds into ``.grad`` and runs the leaf's
   post-accumulate hooks; ``autograd.grad`` captures gradients instead of
   accumulating them. Callbacks that hooks queued (``queue_callback``) run
   once the whole pass has finished. A leaf's first gradient becomes its
   ``.grad`` without a copy when nothing but the engine holds it or its memory
   (``_sole_owner``); otherwise it is copied, so a ``.grad`` never aliases a
   saved tensor, another gradient or a user's array.

Recording is on during step 2 only when ``create_graph=True``; then every
gradient is itself a graph and can be differentiated again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from mytorch.autograd import grad_mode
from mytorch.autograd.fit import cast, sum_to
from mytorch.autograd.graph import AccumulateGrad, Edge, Node
from mytorch.autograd.tensor import TensorBase

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Backpropagate ``root_grads`` from ``roots``.

    With ``inputs`` None, gradients accumulate into the ``.grad`` of leaves;
    otherwise nothing accumulates and the gradients of ``inputs`` are returned.

    Without ``create_graph`` the gradients travel between nodes as NumPy arrays: an op
    whose backward is arithmetic (``Function.arithmetic_backward``) runs on them as they
    are, any other gets them as Tensors; nothing is wrapped that nothing reads.
    """
    on_arrays = not create_graph
    root_edges = [t._edge() for t in roots]
    root_nodes = [node for node, _ in root_edges]
    dependencies = _count_dependencies(root_nodes)

    captures: dict[tuple[Node, int], Any] = {}
    if inputs is not None:
        captures = {t._edge(): None for t in inputs}

    buffers: dict[Node, list[Any]] = {}
    for (node, nr), root_grad in zip(root_edges, root_grads):
        _add_to_buffer(buffers, node, nr, root_grad._data if on_arrays else root_grad)
    ready = [node for node in dict.fromkeys(root_nodes) if dependencies[node] == 0]

    previous = grad_mode._enabled
    grad_mode._enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:  # only None reached it (backwards that gave it no gradient)
                _pass_on_nothing(node.next_edges, dependencies, ready)
                continue
            if captures:
                for nr, grad in enumerate(grads):
                    if (node, nr) in captures:
                        captures[node, nr] = grad
            if type(node) is AccumulateGrad:
                grad = grads.pop()  # now held by this frame alone, unless someone else has it
                if inputs is None and grad is not None:
                    owned = on_arrays and _sole_owner(grad)  # (nothing else on the stack)
                    _accumulate_leaf(node, _tensor(grad), create_graph, owned)
                continue
            if node.retained and inputs is None:
                for nr, tensor in node.retained.items():
                    retained_grad = grads[nr]
                    if retained_grad is not None:
                        _accumulate(tensor, _tensor(retained_grad), create_graph)
            _run_node(node, grads, retain_graph, buffers, dependencies, ready, on_arrays)
    finally:
        grad_mode._enabled = previous

    if inputs is None:
        return None
    return [None if grad is None else _tensor(grad)
            for grad in (captures[t._edge()] for t in inputs)]


def _run_node(node: Node, grads: list[Any], retain_graph: bool,
              buffers: dict[Node, list[Any]], dependencies: dict[Node, int],
              ready: list[Node], on_arrays: bool) -> None:
    """Run ``node``'s backward on the gradients of its outputs and pass each input's gradient
    along its edge; a node whose last awaited gradient arrived becomes ready.

    A function of its own so that nothing of this node stays referenced once it returns:
    a leaf's gradient that no one else holds can then become its ``.grad`` without a copy.
    """
    if len(grads) > 1:  # (a node with one output runs once it has received its gradient)
        for nr, g in enumerate(grads):
            if g is None:  # an output that received no gradient gets zeros
                grads[nr] = _zeros(*node.output_meta[nr], on_arrays)
    function = node.function
    assert function is not None, "only an AccumulateGrad has no function, and it has no backward"
    if on_arrays and not function.arithmetic_backward:
        grads = [TensorBase._make(g) for g in grads]
    grad_inputs = function.backward(node, *grads)
    if type(grad_inputs) is not tuple:
        grad_inputs = (grad_inputs,)
    if len(grad_inputs) != len(node.next_edges):
        raise RuntimeError(
            f"{node.name()}: backward returned {len(grad_inputs)} gradients, "
            f"but forward took {len(node.next_edges)} inputs"
        )
    if not retain_graph and node._saved:
        node.release()
    for edge, grad, meta in zip(node.next_edges, grad_inputs, node.input_meta):
        if edge is None:
            continue
        if grad is None:  # no gradient for this input: it still counts as arrived
            _pass_on_nothing((edge,), dependencies, ready)
            continue
        if on_arrays:
            if type(grad) is not np.ndarray:  # a Tensor, or a NumPy scalar (0-d arithmetic)
                grad = grad._data if isinstance(grad, TensorBase) else np.asarray(grad)
            if grad.dtype is not meta[1] or grad.shape != meta[0]:  # type: ignore[index]
                grad = _fit(TensorBase._make(grad), meta)._data
        else:
            data = getattr(grad, "_data", None)
            # (the check, inlined: hot; a dtype equal to the meta's but another object only
            # costs a call of _fit that changes nothing)
            if data is None or data.dtype is not meta[1] or data.shape != meta[0]:  # type: ignore[index]
                grad = _fit(grad, meta)
        next_node, nr = edge
        _add_to_buffer(buffers, next_node, nr, grad)
        count = dependencies[next_node] - 1
        dependencies[next_node] = count
        if count == 0:
            ready.append(next_node)


def _pass_on_nothing(edges: Sequence[Edge | None], dependencies: dict[Node, int],
                     ready: list[Node]) -> None:
    """Count as arrived, though they carry no gradient, the ``edges`` a node sends nothing
    along: as in PyTorch, a backward's None is an absent gradient, and the node at the other
    end still runs on what the others sent it."""
    for edge in edges:
        if edge is not None:
            next_node = edge[0]
            dependencies[next_node] -= 1
            if dependencies[next_node] == 0:
                ready.append(next_node)


def _count_dependencies(roots: list[Node]) -> dict[Node, int]:
    """For each node reachable from ``roots``, the number of edges that point to it.

    A node is visited when the first edge to it is counted: the count's presence is the
    mark, no separate set of seen nodes.
    """
    dependencies = dict.fromkeys(roots, 0)  # visited, no edge to them counted yet
    stack = list(dependencies)
    while stack:
        for edge in stack.pop().next_edges:
            if edge is None:
                continue
            child = edge[0]
            count = dependencies.get(child)
            if count is None:  # the first edge to it
                dependencies[child] = 1
                stack.append(child)
            else:
                dependencies[child] = count + 1
    return dependencies


def _add_to_buffer(buffers: dict[Node, list[Any]], node: Node, nr: int, grad: Any) -> None:
    """Add ``grad`` to what output ``nr`` of ``node`` has received (arrays, or with
    ``create_graph`` Tensors, whose sum is then recorded too)."""
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * len(node.output_meta)
    previous = slots[nr]
    if previous is None:
        slots[nr] = grad
    else:  # both fitted to the input's shape and dtype
        total = previous + grad  # NumPy's add (or, with create_graph, a recorded one)
        slots[nr] = np.asarray(total) if isinstance(total, np.generic) else total  # 0-d: a scalar


def _fit(grad: Tensor | np.ndarray, meta: tuple[tuple[int, ...], np.dtype] | None) -> Tensor:
    """Undo broadcasting and dtype promotion: give ``grad`` its input's shape and dtype."""
    if not isinstance(grad, TensorBase):
        grad = TensorBase._make(np.asarray(grad))
    assert meta is not None, "an input with an edge is a Tensor and has its meta recorded"
    shape, dtype = meta
    data = grad._data
    if data.shape != shape:
        grad = sum_to(grad, shape)
    if data.dtype != dtype:
        grad = cast(grad, dtype)
    return grad


def _accumulate(variable: Tensor, grad: Tensor, create_graph: bool, owned: bool = False) -> None:
    """``variable.grad += grad``, out of place so no two ``.grad`` ever share memory.

    A first gradient becomes ``.grad`` as it is when ``owned`` (nothing but the engine holds
    it or its memory, see ``_sole_owner``), else as a copy. With ``create_graph`` it is
    kept as it is, graph and all, as in PyTorch.
    """
    if not create_graph:
        grad = _detached(grad)
    if variable.grad is None:
        variable.grad = grad if create_graph or owned else grad.clone()
    else:
        variable.grad = variable.grad + grad


def _accumulate_leaf(accumulator: AccumulateGrad, grad: Tensor, create_graph: bool,
                     owned: bool = False) -> None:
    """Add ``grad`` into the leaf's ``.grad``, then run its post-accumulate hooks."""
    _accumulate(accumulator.variable, grad, create_graph, owned)
    for hook in accumulator.post_hooks:
        hook(accumulator.variable)


def _references_to_a_local() -> int:
    """What ``sys.getrefcount`` says of an object that one local variable alone holds."""
    probe = object()
    return sys.getrefcount(probe)


# An object passed to a function from the caller's one local variable, and held by nothing
# else, has this many references inside it (measured, not assumed: it differs between
# Python versions).
_HELD_BY_CALLER_ALONE = _references_to_a_local() + 1


def _sole_owner(grad: np.ndarray) -> bool:
    """Whether the caller's local variable is all that holds the gradient array ``grad``.

    Then the engine may hand ``grad`` to a leaf as its ``.grad`` without copying it
    (PyTorch's AccumulateGrad steals a gradient the same way, by its use count): no saved
    tensor, no other node's or leaf's gradient, no hook and no user's Tensor or array can
    see that memory. The array must own its memory, or be the only view of an array that
    does (a view made by a view op keeps its base tensor alive and is refused), and be a
    writeable C-contiguous block, as ``clone()`` would give.
    """
    if sys.getrefcount(grad) > _HELD_BY_CALLER_ALONE:
        return False
    owner = grad.base  # held by grad and by this variable, when grad is its only view
    if owner is not None and (type(owner) is not np.ndarray or owner.base is not None
                              or sys.getrefcount(owner) > _HELD_BY_CALLER_ALONE):
        return False
    return bool(grad.flags.writeable and grad.flags.c_contiguous)


def _detached(grad: Tensor) -> Tensor:
    return grad.detach() if grad.grad_fn is not None else grad


def _tensor(grad: Any) -> Tensor:
    """A gradient as a Tensor (without ``create_graph`` the engine passes arrays)."""
    return TensorBase._make(grad) if type(grad) is np.ndarray else grad


def _zeros(shape: tuple[int, ...], dtype: np.dtype, as_array: bool) -> Any:
    zeros = np.zeros(shape, dtype=dtype)
    return zeros if as_array else TensorBase._make(zeros)


def backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Any] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Args:
        tensors: the roots (usually one scalar loss).
        grad_tensors: d(something)/d(root) for each root; None for a one-element root.
        retain_graph: keep the saved tensors so backward can run again (default: create_graph).
        create_graph: record the backward pass so the gradients can be differentiated.
        inputs: if given, accumulate only into these leaves.
    """
    roots, root_grads = _roots_and_grads("backward", tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    with _backward_pass():
        if inputs is None:
            run_backward(roots, root_grads, retain_graph, create_graph)
            return
        grads = run_backward(roots, root_grads, retain_graph, create_graph, list(inputs))
        assert grads is not None
        for tensor, grad in zip(inputs, grads):
            if grad is None:
                continue
            if tensor.grad_fn is None and tensor._accumulator is not None:  # a leaf
                _accumulate_leaf(tensor._accumulator, grad, create_graph)
            else:
                _accumulate(tensor, grad, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    With ``create_graph=True`` the returned gradients are part of a graph and
    can be differentiated again (second derivatives, gradient penalties).

    >>> import mytorch
    >>> x = mytorch.tensor(2.0, requires_grad=True)
    >>> (g,) = mytorch.autograd.grad(x ** 3, x, create_graph=True)
    >>> mytorch.autograd.grad(g, x)[0]      # d2/dx2 x^3 = 6x
    tensor(12.)
    """
    outputs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    inputs = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    if isinstance(grad_outputs, TensorBase):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    roots, root_grads = _roots_and_grads("grad", outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    with _backward_pass():
        grads = run_backward(roots, root_grads, retain_graph, create_graph, inputs)
    assert grads is not None
    for i, g in enumerate(grads):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {inputs[i].shape}) was not used in the graph; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(g if create_graph or g is None else _detached(g) for g in grads)


# The callbacks queued during each running backward pass (a backward started inside a hook
# pushes its own list), run when that pass has finished.
_final_callbacks: list[list[Callable[[], None]]] = []


def queue_callback(callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the backward pass now running has finished.

    Called from a hook during backward, as PyTorch's
    ``Variable._execution_engine.queue_callback``: DistributedDataParallel waits there
    for its last gradient averages, so ``loss.backward()`` returns averaged gradients.
    Callbacks run in the order they were queued, and only when the pass succeeded.
    """
    if not _final_callbacks:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a hook")
    _final_callbacks[-1].append(callback)


@contextmanager
def _backward_pass() -> Iterator[None]:
    """Collect the callbacks queued while the body runs; run them after it succeeded."""
    callbacks: list[Callable[[], None]] = []
    _final_callbacks.append(callbacks)
    try:
        yield
    finally:
        _final_callbacks.pop()
    for callback in callbacks:  # not reached when the body raised
        callback()


def _roots_and_grads(
    op: str, tensors: Sequence[Tensor], grad_tensors: Sequence[Any] | None
) -> tuple[list[Tensor], list[Tensor]]:
    """Check the roots and give each one its starting gradient (1 for a scalar)."""
    roots, root_grads = [], []
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    for i, (root, g) in enumerate(zip(tensors, grad_tensors)):
        if not root.requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if root._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs; "
                    f"got a tensor of shape {root.shape}: pass `gradient` of that shape"
                )
            g = TensorBase._make(np.ones(root.shape, dtype=root.dtype))
        elif not isinstance(g, TensorBase):
            g = TensorBase._make(np.asarray(g, dtype=root.dtype))
        if g.shape != root.shape:
            raise RuntimeError(
                f"{op}: mismatch in shape: gradient has shape {g.shape}, "
                f"the output has shape {root.shape}"
            )
        roots.append(root)
        root_grads.append(g)
    return roots, root_grads
