"""Recurrent cells: one time step of an Elman RNN, a GRU or an LSTM, each one fused op.

A recurrent layer applies its cell once per time step. Composed of small ops,
one GRU step would record about fifteen graph nodes; here a step is a single
``Function``, so a sequence of L steps is a chain of L nodes, and
backpropagation through time is the autograd walking back along that chain.

Every step takes the same inputs, with ``G`` gates of size ``H``:

* ``gi`` of shape (*, G*H): the input projection ``x_t W_ih^T + b_ih``. A layer
  computes it for all time steps at once, one matrix product, before its loop;
* ``W_hh`` (G*H, H) and ``b_hh`` (G*H,) or None: the hidden projection
  ``gh = h W_hh^T + b_hh``, the one product that has to wait for the previous step;
* the state: ``h`` (*, H), and for the LSTM also the cell ``c`` (*, H).

Each cell class writes its gate equations (``gates``) and their chain rule
(``gates_backward``) side by side; ``CellStep`` does the hidden projection and
its gradients for all of them. The equations are written once, with Python's
arithmetic operators plus the few functions in a ``Math`` namespace, so they
run on NumPy arrays or on Tensors alike. Forward runs them on arrays; backward
first recomputes the gates from the saved inputs, then applies the chain rule:
on arrays when no graph is being recorded (the usual case, and fast), on
Tensors under ``create_graph=True``, where the backward is then itself a
differentiable graph, so second derivatives are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

from mytorch.autograd import grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels.errors import ShapeError
from mytorch.ops.activation import relu, sigmoid
from mytorch.ops.elementwise import tanh
from mytorch.ops.linalg import matmul
from mytorch.ops.shape import cat

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell"]


class Math(NamedTuple):
    """The functions the cell equations need that arrays and Tensors spell differently."""

    sigmoid: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    relu: Callable[[Any], Any]
    cat: Callable[[list[Any]], Any]  # join along the last axis


def _gate_sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))``, one exp per element: twice as fast here as the two-sided
    stable form in ``kernels.special``. A gate needs absolute accuracy, and where exp(-a)
    overflows (a < -88 in float32) the result 0 is within 1e-38 of the true value."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


ARRAYS = Math(_gate_sigmoid, np.tanh, lambda a: np.maximum(a, 0),
              lambda parts: np.concatenate(parts, axis=-1))
TENSORS = Math(sigmoid, tanh, relu, lambda parts: cat(parts, -1))


class CellStep(Function):
    """One time step: ``gh = h W_hh^T + b_hh``, then the gate equations of a subclass.

    ``apply(gi, W_hh, b_hh, *state)`` returns the new state: ``h'`` (one Tensor) or,
    for the LSTM, ``(h', c')``. Subclasses define ``num_gates`` and the two class
    methods below; ``state[0]`` is always the hidden state ``h`` that ``W_hh`` reads.
    """

    num_gates: int

    @classmethod
    def gates(cls, m: Math, gi: Any, gh: Any, state: tuple[Any, ...]
              ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The new state from both projections, and what the chain rule will need."""
        raise NotImplementedError

    @classmethod
    def gates_backward(cls, m: Math, grads: tuple[Any, ...], gi: Any, gh: Any,
                       state: tuple[Any, ...], cache: tuple[Any, ...]
                       ) -> tuple[Any, Any, list[Any]]:
        """Gradients of ``gi`` and of ``gh``, and of each state through paths that skip
        ``gh`` (None where there is none), given the gradients of the new state."""
        raise NotImplementedError

    @staticmethod
    def forward(ctx: Node, gi: Tensor, W_hh: Tensor, b_hh: Tensor | None,
                *state: Tensor) -> Any:
        cell = cast("type[CellStep]", ctx.function)
        states = tuple(s._data for s in state)
        gh = _hidden_projection(states[0], W_hh._data, None if b_hh is None else b_hh._data)
        new_state, cache = cell.gates(ARRAYS, gi._data, gh, states)
        # the chain rule reuses gh and the gate values (computing them is most of the
        # work of a step), unless it must be recorded as a graph: then it recomputes
        ctx.save_for_backward(gi, W_hh, b_hh, state, gh, cache)
        return new_state if len(new_state) > 1 else new_state[0]

    @staticmethod
    def backward(ctx: Node, *grads: Tensor) -> tuple[Any, ...]:
        gi, W, b, state, gh, cache = ctx.saved_tensors
        cell = cast("type[CellStep]", ctx.function)
        if grad_mode.is_grad_enabled():
            # create_graph: the same equations on Tensors, from the inputs, build the graph
            m: Math = TENSORS
            gh = _hidden_projection(state[0], W, b)
            _, cache = cell.gates(m, gi, gh, state)
            grads_in: tuple[Any, ...] = grads
        else:
            m = ARRAYS
            gi, W, state = gi._data, W._data, tuple(s._data for s in state)
            grads_in = tuple(g._data for g in grads)
        ggi, ggh, gstate = cell.gates_backward(m, grads_in, gi, gh, state, cache)

        # through gh = h W^T + b, with every leading axis (time, batch) folded into rows P
        h = state[0]
        needs = ctx.needs_input_grad
        rows = ggh.reshape(-1, ggh.shape[-1])  # (P, G*H)
        gW = rows.T @ h.reshape(-1, h.shape[-1]) if needs[1] else None  # (G*H, P) @ (P, H)
        gb = rows.sum(0) if needs[2] else None  # (G*H,)
        if needs[3]:
            through_W = ggh @ W  # (*, G*H) @ (G*H, H) -> (*, H)
            gstate[0] = through_W if gstate[0] is None else gstate[0] + through_W
        grads_out = (ggi if needs[0] else None, gW, gb, *gstate)
        if m is TENSORS:
            return grads_out
        return tuple(None if g is None else TensorBase._make(g) for g in grads_out)


def _hidden_projection(h: Any, W: Any, b: Any) -> Any:
    """``gh = h W^T + b``: (*, H) @ (H, G*H) -> (*, G*H), on arrays or Tensors."""
    gh = h @ W.T
    return gh if b is None else gh + b


class _ElmanStep(CellStep):
    """Elman RNN step: ``h' = f(gi + gh)``; subclasses name ``f`` and its slope."""

    num_gates = 1
    activation: str  # the Math function applying f

    @staticmethod
    def slope(h_new: Any) -> Any:
        """f' written with the output h' = f(a)."""
        raise NotImplementedError

    @classmethod
    def gates(cls, m: Math, gi: Any, gh: Any, state: tuple[Any, ...]
              ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        h_new = getattr(m, cls.activation)(gi + gh)
        return (h_new,), (h_new,)

    @classmethod
    def gates_backward(cls, m: Math, grads: tuple[Any, ...], gi: Any, gh: Any,
                       state: tuple[Any, ...], cache: tuple[Any, ...]
                       ) -> tuple[Any, Any, list[Any]]:
        ((g,), (h_new,)) = grads, cache
        g_pre = g * cls.slope(h_new)
        return g_pre, g_pre, [None]


class RNNTanhStep(_ElmanStep):
    """Elman RNN step: ``h' = tanh(gi + gh)``."""

    activation = "tanh"

    @staticmethod
    def slope(h_new: Any) -> Any:
        return 1 - h_new * h_new  # tanh' = 1 - tanh^2


class RNNReLUStep(_ElmanStep):
    """Elman RNN step: ``h' = relu(gi + gh)``."""

    activation = "relu"

    @staticmethod
    def slope(h_new: Any) -> Any:
        return h_new > 0  # relu' = 1 where the output is positive, else 0


class GRUStep(CellStep):
    """GRU step, gates in PyTorch's order r, z, n (each a third of ``gi`` and ``gh``)::

        r = sigmoid(gi_r + gh_r)
        z = sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)        # gh_n = h W_hn^T + b_hn: the reset gate acts on it
        h' = (1 - z) * n + z * h
    """

    num_gates = 3

    @classmethod
    def gates(cls, m: Math, gi: Any, gh: Any, state: tuple[Any, ...]
              ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        (h,) = state
        H = h.shape[-1]
        rz = m.sigmoid(gi[..., :2 * H] + gh[..., :2 * H])  # r and z in one pass: (*, 2H)
        r, z = rz[..., :H], rz[..., H:]
        n = m.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
        h_new = n + z * (h - n)  # = (1 - z) n + z h
        return (h_new,), (r, z, n)

    @classmethod
    def gates_backward(cls, m: Math, grads: tuple[Any, ...], gi: Any, gh: Any,
                       state: tuple[Any, ...], cache: tuple[Any, ...]
                       ) -> tuple[Any, Any, list[Any]]:
        ((g,), (h,), (r, z, n)) = grads, state, cache
        H = h.shape[-1]
        g_n = g * (1 - z) * (1 - n * n)  # through n = tanh(a_n): tanh' = 1 - n^2
        g_z = g * (h - n) * z * (1 - z)  # sigmoid' = z (1 - z)
        g_r = g_n * gh[..., 2 * H:] * r * (1 - r)
        ggi = m.cat([g_r, g_z, g_n])
        ggh = m.cat([g_r, g_z, g_n * r])  # gh_n enters a_n multiplied by r
        return ggi, ggh, [g * z]


class LSTMStep(CellStep):
    """LSTM step, gates in PyTorch's order i, f, g, o (each a quarter of ``gi + gh``)::

        i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o),  a = gi + gh
        c' = f * c + i * g
        h' = o * tanh(c')

    The state is ``(h, c)``; so is the output.
    """

    num_gates = 4

    @classmethod
    def gates(cls, m: Math, gi: Any, gh: Any, state: tuple[Any, ...]
              ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        h, c = state
        H = h.shape[-1]
        a = gi + gh  # (*, 4H)
        s = m.sigmoid(a)  # i, f, o in one pass (the g quarter is computed and not used)
        i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
        g = m.tanh(a[..., 2 * H:3 * H])
        c_new = f * c + i * g
        tanh_c = m.tanh(c_new)
        return (o * tanh_c, c_new), (i, f, g, o, tanh_c)

    @classmethod
    def gates_backward(cls, m: Math, grads: tuple[Any, ...], gi: Any, gh: Any,
                       state: tuple[Any, ...], cache: tuple[Any, ...]
                       ) -> tuple[Any, Any, list[Any]]:
        ((g_h, g_c), (_, c), (i, f, g, o, tanh_c)) = grads, state, cache
        g_c = g_c + g_h * o * (1 - tanh_c * tanh_c)  # c' reaches the loss directly and via h'
        g_a = m.cat([
            g_c * g * i * (1 - i),
            g_c * c * f * (1 - f),
            g_c * i * (1 - g * g),
            g_h * tanh_c * o * (1 - o),
        ])
        return g_a, g_a, [None, g_c * f]


STEPS: dict[str, type[CellStep]] = {
    "RNN_TANH": RNNTanhStep, "RNN_RELU": RNNReLUStep, "GRU": GRUStep, "LSTM": LSTMStep,
}


def input_projection(x: Tensor, w_ih: Tensor, b_ih: Tensor | None) -> Tensor:
    """``x W_ih^T + b_ih``: (*, I) @ (I, G*H) -> (*, G*H), one matrix product for all of ``*``."""
    gi = matmul(x, w_ih.T)
    return gi if b_ih is None else gi + b_ih


def cell_step(mode: str, gi: Tensor, state: tuple[Tensor, ...], w_hh: Tensor,
              b_hh: Tensor | None) -> tuple[Tensor, ...]:
    """One step of the cell named by ``mode`` ('RNN_TANH', 'RNN_RELU', 'GRU', 'LSTM') from
    the projected input ``gi``; returns the new state as a tuple (``(h',)`` or ``(h', c')``)."""
    new_state = STEPS[mode].apply(gi, w_hh, b_hh, *state)
    return new_state if isinstance(new_state, tuple) else (new_state,)


def check_cell_args(op: str, input: Tensor, state: Sequence[Tensor], w_ih: Tensor,
                    w_hh: Tensor, num_gates: int) -> None:
    """PyTorch's checks of a cell's arguments; ``op`` names the caller in the messages.

    Raises:
        ValueError: input or state not 1-D or 2-D, or weights of the wrong shapes.
        RuntimeError: sizes that disagree (input size, hidden size, batch size).
    """
    if input.ndim not in (1, 2):
        raise ValueError(
            f"{op}: Expected input to be 1D or 2D, got {input.ndim}D instead "
            f"(input of shape {input.shape})"
        )
    hidden_size = w_hh.shape[-1]
    if (w_ih.ndim != 2 or w_hh.ndim != 2 or w_hh.shape[0] != num_gates * hidden_size
            or w_ih.shape[0] != w_hh.shape[0]):
        raise ShapeError(
            f"{op}: expected w_ih of shape ({num_gates}*hidden_size, input_size) and w_hh of "
            f"shape ({num_gates}*hidden_size, hidden_size), got {w_ih.shape} and {w_hh.shape}"
        )
    if input.shape[-1] != w_ih.shape[1]:
        raise ShapeError(
            f"{op}: input has inconsistent input_size: got {input.shape[-1]} expected "
            f"{w_ih.shape[1]} (input of shape {input.shape})"
        )
    for k, s in enumerate(state):
        if s.ndim != input.ndim:
            raise ShapeError(
                f"{op}: for a {input.ndim}-D input, hidden{k} should also be {input.ndim}-D, "
                f"got shape {s.shape} (input of shape {input.shape})"
            )
        if s.shape[-1] != hidden_size:
            raise ShapeError(
                f"{op}: hidden{k} has inconsistent hidden_size: got {s.shape[-1]}, expected "
                f"{hidden_size} (hidden{k} of shape {s.shape})"
            )
        if input.ndim == 2 and s.shape[0] != input.shape[0]:
            raise ShapeError(
                f"{op}: Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                f"{s.shape[0]} (input {input.shape}, hidden{k} {s.shape})"
            )


def run_cell(op: str, mode: str, input: Tensor, state: Sequence[Tensor], w_ih: Tensor,
             w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> tuple[Tensor, ...]:
    """Check the arguments, then one step of the cell ``mode`` on ``input``."""
    check_cell_args(op, input, state, w_ih, w_hh, STEPS[mode].num_gates)
    return cell_step(mode, input_projection(input, w_ih, b_ih), tuple(state), w_hh, b_hh)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step, ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Shape:
        input ``(N, I)`` or ``(I,)``; hx ``(N, H)`` or ``(H,)``; w_ih ``(H, I)``;
        w_hh ``(H, H)``; b_ih, b_hh ``(H,)``; output like hx.
    """
    return run_cell("rnn_tanh_cell", "RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman RNN step, ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``; shapes as
    ``rnn_tanh_cell``."""
    return run_cell("rnn_relu_cell", "RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (equations in ``GRUStep``; gates r, z, n stacked in the weights' rows).

    Shape:
        input ``(N, I)`` or ``(I,)``; hx ``(N, H)`` or ``(H,)``; w_ih ``(3H, I)``;
        w_hh ``(3H, H)``; b_ih, b_hh ``(3H,)``; output like hx.
    """
    return run_cell("gru_cell", "GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step (equations in ``LSTMStep``; gates i, f, g, o stacked in the weights' rows).

    Shape:
        input ``(N, I)`` or ``(I,)``; hx a pair ``(h, c)``, each ``(N, H)`` or ``(H,)``;
        w_ih ``(4H, I)``; w_hh ``(4H, H)``; b_ih, b_hh ``(4H,)``; output ``(h', c')`` like hx.
    """
    if isinstance(hx, TensorBase) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be a pair of Tensors (h, c)")
    h_new, c_new = run_cell("lstm_cell", "LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)
    return h_new, c_new
