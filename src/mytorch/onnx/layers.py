"""Layer rules: layers that ONNX has as one op, written from the layer as a whole.

A layer whose rule applies is exported as that op, with its parameters as the
op's inputs: ``Linear`` as Gemm, ``Conv``/``ConvTranspose`` as Conv/ConvTranspose
with their bias, ``BatchNorm`` in evaluation as BatchNormalization, ``Embedding``
as Gather, ``RNN``/``GRU``/``LSTM`` as ONNX's recurrent ops (not a loop unrolled
over time), and their cells as those ops over one step. Where no rule applies
(a ``Linear`` on 3-D input, a batch norm using batch statistics, a convolution
with reflect padding) the layer's ops are exported one by one like any other
code. A rule may read those ops (``call.inner``): a convolution layer takes
its geometry from its traced Conv op.

ONNX's recurrent ops take all gates of a direction as one matrix, in their
own order: GRU ``z, r, h`` where PyTorch has ``r, z, n``; LSTM ``i, o, f, c``
where PyTorch has ``i, f, g, o``. ``linear_before_reset=1`` is PyTorch's
GRU (the reset gate multiplies ``W_hn h + b_hn``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mytorch._tensor import Tensor
from mytorch.nn.module import Module
from mytorch.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from mytorch.nn.modules.embedding import Embedding
from mytorch.nn.modules.linear import Linear
from mytorch.nn.modules.normalization import BatchNorm1d, BatchNorm2d
from mytorch.nn.modules.rnn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNCell,
)
from mytorch.onnx import ops

if TYPE_CHECKING:
    from mytorch.onnx.graph import Graph
    from mytorch.onnx.trace import Call


class LayerRule(NamedTuple):
    applies: Callable[[Any, tuple[Any, ...]], bool]  # (layer, inputs): export as one op?
    write: Callable[[Graph, Call], None]  # the layer's call (its ops as ``call.inner``)


LAYERS: dict[type[Module], LayerRule] = {}


def layer_rule(*classes: type[Module], applies: Callable[[Any, tuple[Any, ...]], bool]
               ) -> Callable[[Any], Any]:
    """Register the decorated writer for these layer classes, when ``applies``."""
    def register(write: Any) -> Any:
        for cls in classes:
            LAYERS[cls] = LayerRule(applies, write)
        return write
    return register


def has_rule(module: Module) -> bool:
    return type(module) in LAYERS


def exports_as_layer(module: Module, args: tuple[Any, ...]) -> bool:
    found = LAYERS.get(type(module))
    return found is not None and found.applies(module, args)


def _same_dtype(module: Module, x: Any) -> bool:
    return isinstance(x, Tensor) and all(p.dtype == x.dtype for p in module.parameters())


# -- Linear as Gemm ------------------------------------------------------------------------
@layer_rule(Linear, applies=lambda m, args: len(args) == 1 and _same_dtype(m, args[0])
            and args[0].ndim == 2)
def linear(g: Graph, call: Call) -> None:
    """``Gemm(x, W, b, transB=1) = x W^T + b`` on (N, in) input."""
    m, args, outputs = call.op, call.args, call.outputs
    inputs = [g.value(args[0]), g.value(m.weight)]
    if m.bias is not None:
        inputs.append(g.value(m.bias))
    g.bind(outputs[0], g.op("Gemm", *inputs, transB=1))


# -- convolutions with their bias -----------------------------------------------------------
def _convolution_applies(m: Any, args: tuple[Any, ...]) -> bool:
    """Zero padding on batched input: the traced Conv op reads the layer's input itself."""
    return (m.padding_mode == "zeros" and isinstance(args[0], Tensor)
            and args[0].ndim == m.nd + 2 and _same_dtype(m, args[0]))


@layer_rule(Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, applies=_convolution_applies)
def convolution(g: Graph, call: Call) -> None:
    """The traced Conv (or ConvTranspose) op, with the layer's bias as its third input."""
    m = call.op
    (conv_call,) = [c for c in call.inner if c.op in ops.CONVOLUTIONS]
    bias = None if m.bias is None else g.value(m.bias)
    g.bind(call.outputs[0], ops.conv_node(g, conv_call, bias))


# -- batch norm in evaluation ----------------------------------------------------------------
def _uses_running_stats(m: Any, args: tuple[Any, ...]) -> bool:
    return (not m.training and m.running_mean is not None and m.running_var is not None
            and len(args) == 1 and _same_dtype(m, args[0]))


@layer_rule(BatchNorm1d, BatchNorm2d, applies=_uses_running_stats)
def batch_norm(g: Graph, call: Call) -> None:
    """BatchNormalization with the running statistics (affine=False: scale 1, shift 0)."""
    m, args, outputs = call.op, call.args, call.outputs
    x = args[0]
    C = m.num_features
    scale = g.value(m.weight) if m.weight is not None else g.constant(np.ones(C, x.dtype))
    shift = g.value(m.bias) if m.bias is not None else g.constant(np.zeros(C, x.dtype))
    g.bind(outputs[0], g.op("BatchNormalization", g.value(x), scale, shift,
                            g.value(m.running_mean), g.value(m.running_var),
                            epsilon=float(m.eps)))


# -- Embedding as Gather ---------------------------------------------------------------------
@layer_rule(Embedding, applies=lambda m, args: len(args) == 1 and isinstance(args[0], Tensor))
def embedding(g: Graph, call: Call) -> None:
    """``weight[indices]``: rows of the table; the result's leading axes are the indices'."""
    m, args, outputs = call.op, call.args, call.outputs
    indices = args[0]
    name = g.value(indices)
    if indices.dtype != np.int64:
        name = g.op("Cast", name, to=g.dtype_code(np.int64))
    g.bind(outputs[0], g.op("Gather", g.value(m.weight), name, axis=0),
           (*g.shape(indices), m.embedding_dim))


# -- recurrent layers ------------------------------------------------------------------------
# for each mode: ONNX op, the gate blocks of PyTorch's matrices in ONNX's order, attributes
_RECURRENT: dict[str, tuple[str, list[int], dict[str, Any]]] = {
    "RNN_TANH": ("RNN", [0], {"activations": ["Tanh"]}),
    "RNN_RELU": ("RNN", [0], {"activations": ["Relu"]}),
    "GRU": ("GRU", [1, 0, 2], {"linear_before_reset": 1}),
    "LSTM": ("LSTM", [0, 3, 1, 2], {}),
}


def _recurrent_applies(m: Any, args: tuple[Any, ...]) -> bool:
    return 1 <= len(args) <= 2 and _same_dtype(m, args[0]) and args[0].ndim in (2, 3)


@layer_rule(RNN, GRU, LSTM, applies=_recurrent_applies)
def recurrent(g: Graph, call: Call) -> None:
    """One ONNX RNN/GRU/LSTM node per layer, on time-major (L, N, I) input.

    ONNX's ``Y`` is (L, D, N, H): moved to (L, N, D*H) it is the next layer's
    input. The final states ``Y_h`` (and ``Y_c``), (D, N, H) per layer, are
    joined into (num_layers * D, N, H) as PyTorch returns them.
    """
    m, args, outputs = call.op, call.args, call.outputs
    x, hx = args[0], args[1] if len(args) == 2 else None
    state = () if hx is None else (hx,) if isinstance(hx, Tensor) else tuple(hx)
    op_type, blocks, attributes = _RECURRENT[m.mode]
    D = 2 if m.bidirectional else 1
    batched, batch_first = x.ndim == 3, m.batch_first and x.ndim == 3
    dims = g.shape(x)
    seq, batch = (dims[1], dims[0]) if batch_first else (dims[0], dims[1] if batched else 1)
    name = g.value(x)
    if batch_first:
        name = g.op("Transpose", name, perm=[1, 0, 2])  # (N, L, I) -> (L, N, I)
    elif not batched:
        name = g.op("Unsqueeze", name, g.ints([1]))  # (L, I) -> (L, 1, I)
    initial = [g.value(s) if batched else g.op("Unsqueeze", g.value(s), g.ints([1]))
               for s in state]
    prefix = g.module_names.get(id(m), "rnn")
    H = m.hidden_size
    finals: list[list[str]] = [[] for _ in range(2 if m.mode == "LSTM" else 1)]
    for layer in range(m.num_layers):
        W, R, B = _onnx_weights(m.all_weights[layer * D:(layer + 1) * D], H, blocks)
        inputs = [name, g.constant(W, f"{prefix}.W_l{layer}"),
                  g.constant(R, f"{prefix}.R_l{layer}"), g.constant(B, f"{prefix}.B_l{layer}")]
        if initial:
            inputs.append("")  # no sequence_lens: every sequence has the full length
        for s in initial:  # this layer's (D, N, H) slice of h_0 (and c_0)
            inputs.append(g.op("Slice", s, g.ints([layer * D]), g.ints([(layer + 1) * D]),
                               g.ints([0])))
        Y, *final = g.node(op_type, inputs, 1 + len(finals), hidden_size=m.hidden_size,
                           direction="bidirectional" if D == 2 else "forward",
                           **{k: v * D if isinstance(v, list) else v
                              for k, v in attributes.items()})
        for kept, s in zip(finals, final):
            kept.append(s)
        # (L, D, N, H) -> (L, N, D, H) -> (L, N, D*H)
        name = g.op("Reshape", g.op("Transpose", Y, perm=[0, 2, 1, 3]), g.ints([0, 0, -1]))
    states = [kept[0] if len(kept) == 1 else g.op("Concat", *kept, axis=0) for kept in finals]
    if batch_first:
        name = g.op("Transpose", name, perm=[1, 0, 2])
        g.bind(outputs[0], name, (batch, seq, D * H))
    elif batched:
        g.bind(outputs[0], name, (seq, batch, D * H))
    else:
        g.bind(outputs[0], g.op("Squeeze", name, g.ints([1])), (seq, D * H))
    for t, s in zip(outputs[1:], states):
        if batched:
            g.bind(t, s, (m.num_layers * D, batch, H))
        else:
            g.bind(t, g.op("Squeeze", s, g.ints([1])), (m.num_layers * D, H))


def _onnx_weights(groups: list[list[Any]], H: int, blocks: list[int]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONNX's W (D, G*H, I), R (D, G*H, H) and B (D, 2*G*H) from the parameter groups
    ``[w_ih, w_hh(, b_ih, b_hh)]`` of the D directions, gates put in ONNX's order."""

    def gates(a: np.ndarray) -> np.ndarray:  # (G*H, ...) blocks of H rows, in ONNX's order
        return np.concatenate([a[k * H:(k + 1) * H] for k in blocks])

    Ws, Rs, Bs = [], [], []
    for w_ih, w_hh, *biases in groups:
        Ws.append(gates(w_ih._data))
        Rs.append(gates(w_hh._data))
        b_ih, b_hh = ((b._data for b in biases) if biases
                      else (np.zeros(w_ih.shape[0], w_ih.dtype),) * 2)
        Bs.append(np.concatenate([gates(b_ih), gates(b_hh)]))
    return np.stack(Ws), np.stack(Rs), np.stack(Bs)


@layer_rule(RNNCell, GRUCell, LSTMCell, applies=lambda m, args: 1 <= len(args) <= 2
            and _same_dtype(m, args[0]) and args[0].ndim in (1, 2))
def cell(g: Graph, call: Call) -> None:
    """One step: the layer's ONNX op on a sequence of length 1, (N, I) -> (1, N, I)."""
    m, args, outputs = call.op, call.args, call.outputs
    x, hx = args[0], args[1] if len(args) == 2 else None
    state = () if hx is None else (hx,) if isinstance(hx, Tensor) else tuple(hx)
    op_type, blocks, attributes = _RECURRENT[m.mode]
    new_axes = g.ints([0] if x.ndim == 2 else [0, 1])  # (N, *) -> (1, N, *); (*) -> (1, 1, *)
    params = [m.weight_ih, m.weight_hh] + ([m.bias_ih, m.bias_hh] if m.bias else [])
    W, R, B = _onnx_weights([params], m.hidden_size, blocks)
    prefix = g.module_names.get(id(m), "cell")
    inputs = [g.op("Unsqueeze", g.value(x), new_axes), g.constant(W, f"{prefix}.W"),
              g.constant(R, f"{prefix}.R"), g.constant(B, f"{prefix}.B")]
    if state:
        inputs += ["", *(g.op("Unsqueeze", g.value(s), new_axes) for s in state)]
    _, *final = g.node(op_type, inputs, 1 + len(outputs), hidden_size=m.hidden_size,
                       **attributes)
    dims = (*g.shape(x)[:-1], m.hidden_size)
    for t, s in zip(outputs, final):  # (1, N, H) -> (N, H), the next state
        g.bind(t, g.op("Squeeze", s, new_axes), dims)
