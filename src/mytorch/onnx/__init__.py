"""Export a model to ONNX: ``mytorch.onnx.export(model, args, "model.onnx")``.

How it works, in three steps:

1. **Trace** (``trace.py``). The model runs once on ``args``, in evaluation
   mode. Every op reports itself from ``Function.apply`` with the arguments
   its ``forward`` received (so a convolution's stride and padding, a pooling's
   windows, an interpolation's matrices are all there), and every layer that
   ONNX has as a single op reports itself after its own ops. Nothing is
   recorded when no export is running: the hook in ``apply`` is one test of a
   module variable.
2. **Walk back from the outputs.** Each traced tensor has a producer: the last
   call that returned it. A layer's call comes after its ops, so it replaces
   them; ops nested inside another op, and results nobody uses, are never
   reached. What is reached is written in recording order (a topological order).
3. **Write ONNX** (``graph.py``). Rules turn each call into nodes: one rule per
   op (``ops.py``: elementwise math, activations, shapes, indexing, reductions,
   convolution, pooling, normalization, resampling...) and one per layer exported
   whole (``layers.py``: Linear as Gemm, Conv with its bias, BatchNorm as
   BatchNormalization, Embedding as Gather, RNN/GRU/LSTM as ONNX's recurrent
   ops). Graph inputs
   come from ``args``; parameters and buffers become initializers under their
   ``named_parameters`` / ``named_buffers`` names. With ``do_constant_folding``
   an op whose inputs are all constants is not written: its traced result is.
   An op without a rule stops the export with an error naming it.

``dynamic_axes`` names axes of the inputs (and outputs) whose size is free,
such as the batch. The symbolic sizes are followed through the graph so that a
reshape (``x.view(x.shape[0], -1)``) keeps the batch free: ONNX's Reshape gets
0 ("same as the input") or -1 where the batch is, never the traced number.
Trace with a batch of 2 or more, so the batch axis can be told from axes of
size 1. As in every tracing exporter, what the model computes in Python rather
than with ops is fixed at its traced value: a number made from a size
(``x.sum() / x.shape[0]``) or a comparison's mask (``where(x > 0, ...)``; the
comparisons record no op) becomes a constant.

The ``onnx`` package is needed only here, and imported only when ``export``
runs: ``import mytorch`` never loads it.
"""

from __future__ import annotations

import os
import tempfile
from itertools import chain
from typing import IO, Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.nn.module import Module
from mytorch.onnx.graph import Dims, Graph
from mytorch.onnx.layers import LAYERS
from mytorch.onnx.ops import OPS, unsupported
from mytorch.onnx.trace import Trace, flat_tensors

__all__ = ["export", "MIN_OPSET"]

MIN_OPSET = 17  # LayerNormalization


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "mytorch.onnx.export needs the onnx package: pip install onnx "
            "(or pip install 'mytorch[onnx]')"
        ) from None
    return onnx


def export(model: Module, args: Any, f: str | os.PathLike[str] | IO[bytes],
           input_names: list[str] | None = None, output_names: list[str] | None = None,
           dynamic_axes: dict[str, Any] | None = None, opset_version: int = 17,
           do_constant_folding: bool = True) -> Any:
    """Trace ``model(*args)`` and write it to ``f`` as an ONNX model.

    Args:
        model: the model; it runs once in evaluation mode (its mode is restored).
        args: the example input: a Tensor (or array), or a tuple of them.
        f: a path (written atomically) or a binary file object.
        input_names, output_names: names of the graph's inputs and outputs
            (default ``input`` / ``output``, numbered ``_0, _1...`` when several).
        dynamic_axes: ``{name: {axis: symbol}}`` or ``{name: [axis, ...]}`` for inputs
            and outputs whose size along ``axis`` is free, e.g. ``{"input": {0: "batch"}}``.
        opset_version: the ONNX opset (17 or newer).
        do_constant_folding: write the traced value of ops that depend on constants only.

    Returns:
        The ``onnx.ModelProto`` written, checked by ``onnx.checker.check_model``.

    Raises:
        ImportError: without the onnx package.
        NotImplementedError: an op or layer of the model has no ONNX mapping (named).
        ValueError: bad names, axes or opset.

    >>> import mytorch, mytorch.nn as nn
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> proto = export(model, mytorch.randn(2, 4), "model.onnx",
    ...                dynamic_axes={"input": {0: "batch"}})
    """
    onnx = _import_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"mytorch.onnx.export: model must be a Module, got {type(model).__name__}")
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset_version <= newest:
        raise ValueError(f"mytorch.onnx.export: opset_version must be in [{MIN_OPSET}, "
                         f"{newest}], got {opset_version}")
    inputs = _example_inputs(args)
    input_names = _names("input", input_names, len(inputs))
    training = model.training
    model.eval()
    trace = Trace()
    try:
        result = trace.run(model, inputs)
    finally:
        model.train(training)
    outputs = list(flat_tensors(result))
    if not outputs:
        raise ValueError("mytorch.onnx.export: the model returned no Tensor")
    output_names = _names("output", output_names, len(outputs))
    axes = _dynamic_axes(dynamic_axes, dict(zip(input_names, inputs)), output_names)

    g = Graph(onnx, opset_version,
              {id(t): name for name, t in chain(model.named_parameters(), model.named_buffers())
               if t is not None},
              {id(m): name for name, m in model.named_modules()})
    varying: set[int] = set()  # ids of the tensors that depend on the inputs
    for t, name in zip(inputs, input_names):
        g.fresh(name)
        g.bind(t, name, _symbolic(t.shape, axes.get(name, {})))
        varying.add(id(t))
    for k in trace.reachable(outputs):
        call = trace.calls[k]
        if do_constant_folding and not any(id(t) in varying for t in call.tensor_args()):
            for t in call.outputs:  # the traced value is the value
                g.bind(t, g.constant(t._data, _folded_name(g, call)))
            continue
        if isinstance(call.op, Module):
            LAYERS[type(call.op)].write(g, call)
        elif call.op in OPS:
            OPS[call.op](g, call)
        else:
            raise unsupported(call)
        for t in call.outputs:
            varying.add(id(t))
            _settle(g, call, t)
    return _write(onnx, g, inputs, input_names, outputs, output_names, axes, f)


def _folded_name(g: Graph, call: Any) -> str:
    """``bias.Reshape`` for an op folded on one parameter, else the op's name."""
    op = type(call.op).__name__ if isinstance(call.op, Module) else call.op.__name__
    named = {g.state_names[id(t)] for t in call.tensor_args() if id(t) in g.state_names}
    return f"{named.pop()}.{op}" if len(named) == 1 else op


def _example_inputs(args: Any) -> tuple[Tensor, ...]:
    """Fresh input tensors (float ones require grad, so every op takes its recorded path)."""
    items = args if isinstance(args, (tuple, list)) else (args,)
    inputs = []
    for i, a in enumerate(items):
        if not isinstance(a, (Tensor, np.ndarray)):
            raise TypeError(f"mytorch.onnx.export: args[{i}] must be a Tensor or an array, "
                            f"got {type(a).__name__}")
        data = np.array(a._data if isinstance(a, Tensor) else a)
        inputs.append(Tensor._make(data, requires_grad=data.dtype.kind == "f"))
    return tuple(inputs)


def _names(kind: str, names: list[str] | None, n: int) -> list[str]:
    if names is None:
        return [kind] if n == 1 else [f"{kind}_{i}" for i in range(n)]
    names = list(names)
    if len(names) != n or len(set(names)) != n:
        raise ValueError(f"mytorch.onnx.export: {n} distinct {kind}_names needed, got {names}")
    return names


def _dynamic_axes(dynamic_axes: dict[str, Any] | None, inputs: dict[str, Tensor],
                  output_names: list[str]) -> dict[str, dict[int, str]]:
    """``{name: {axis: symbol}}``, checked against the inputs and outputs."""
    result: dict[str, dict[int, str]] = {}
    for name, spec in (dynamic_axes or {}).items():
        if name not in inputs and name not in output_names:
            raise ValueError(f"mytorch.onnx.export: dynamic_axes names {name!r}, which is not "
                             f"an input {list(inputs)} or output {output_names}")
        pairs = spec.items() if isinstance(spec, dict) else ((a, f"{name}_dim{a}") for a in spec)
        result[name] = {}
        for axis, symbol in pairs:
            ndim = inputs[name].ndim if name in inputs else None
            if ndim is not None and not -ndim <= axis < ndim:
                raise ValueError(f"mytorch.onnx.export: dynamic axis {axis} of {name!r} is out "
                                 f"of range for shape {inputs[name].shape}")
            result[name][axis % ndim if ndim else axis] = str(symbol)
    return result


def _symbolic(shape: tuple[int, ...], axes: dict[int, str]) -> Dims:
    return tuple(axes.get(k, n) for k, n in enumerate(shape))


def _settle(g: Graph, call: Any, t: Tensor) -> None:
    """After a rule ran: an output it did not bind must not be read; one bound without a
    symbolic shape inherits the inputs' dynamic axes where its sizes match theirs
    (leading axes first: the batch leads, and most ops keep it in place)."""
    name = g.names.get(id(t))
    if name is None:
        g.names[id(t)] = ""  # Graph.value refuses it
        return
    if name in g.dims:
        return
    dims: list[int | str] = list(t.shape)
    for a in call.tensor_args():
        for k, (symbol, n) in enumerate(zip(g.shape(a), a.shape)):
            if isinstance(symbol, str) and k < len(dims) and dims[k] == n:
                dims[k] = symbol
    g.dims[name] = tuple(dims)


def _write(onnx: Any, g: Graph, inputs: tuple[Tensor, ...], input_names: list[str],
           outputs: list[Tensor], output_names: list[str], axes: dict[str, dict[int, str]],
           f: Any) -> Any:
    """Name the outputs, assemble and check the model, write it to ``f``."""
    helper = onnx.helper
    renamed: dict[str, str] = {}
    for t, out_name in zip(outputs, output_names):
        name = g.value(t)
        g.dims[out_name] = g.dims[name]
        if name in input_names or name in g.initializers or name in renamed:
            # not a node's own output (or taken by another output): copy it
            g.nodes.append(helper.make_node("Identity", [renamed.get(name, name)], [out_name]))
        else:
            renamed[name] = out_name
    for node in g.nodes:
        for names in (node.input, node.output):
            for i, name in enumerate(names):
                names[i] = renamed.get(name, name)

    def info(name: str, dtype: np.dtype) -> Any:
        dims = g.dims[name]
        dims = tuple(axes.get(name, {}).get(k, d) for k, d in enumerate(dims))
        return helper.make_tensor_value_info(name, g.dtype_code(dtype), list(dims))

    graph = helper.make_graph(
        g.nodes, "mytorch",
        [info(name, t.dtype) for t, name in zip(inputs, input_names)],
        [info(name, t.dtype) for t, name in zip(outputs, output_names)],
        initializer=[onnx.numpy_helper.from_array(np.asarray(a, order="C"), name)
                     for name, a in g.initializers.items()],
    )
    opsets = [helper.make_opsetid("", g.opset)]
    from mytorch.version import __version__

    model = helper.make_model(graph, opset_imports=opsets, producer_name="mytorch",
                              producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
    else:
        _write_atomically(os.fspath(f), data)
    return model


def _write_atomically(path: str, data: bytes) -> None:
    """A temporary file in the same folder, then a rename: a crash leaves no half file."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"mytorch.onnx.export: no folder {folder!r} to write {path!r}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".onnx-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
