"""Recurrent cells: one time step of an Elman RNN, a GRU or an LSTM, each one fused op.

Composed of small ops, one GRU step would record about fifteen graph nodes; here
a step is a single ``Function`` (``CellStep``, what the ``*Cell`` layers record).
A recurrent layer records its whole sequence as one ``Recurrence`` node, whose
backward is backpropagation through time: the steps' chain rules run last step
first (``kernels.rnn.sequence_backward``).

Every step takes the same inputs, with ``G`` gates of size ``H``:

* ``gi`` of shape (*, G*H): the input projection ``x_t W_ih^T + b_ih``. A layer
  computes it for all time steps at once, one matrix product, before its loop;
* ``W_hh`` (G*H, H) and ``b_hh`` (G*H,) or None: the hidden projection
  ``gh = h W_hh^T + b_hh``, the one product that has to wait for the previous step;
* the state: ``h`` (*, H), and for the LSTM also the cell ``c`` (*, H).

The gate equations and their chain rule live in ``mytorch.kernels.rnn``, on
arrays: forward runs them, and backward, when no graph is being recorded (the
usual case, and fast), reuses the gate values forward cached. Under
``create_graph=True`` the gradient must itself be differentiable, so each cell
class here writes its chain rule once more as composed Tensor ops
(``chain_rule``), the gates recomputed from the saved inputs: that backward
is then a recorded graph, and second derivatives are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from mytorch.autograd import grad_mode
from mytorch.autograd.function import Function, Node
from mytorch.autograd.tensor import TensorBase
from mytorch.kernels import rnn as kernels
from mytorch.kernels.errors import ShapeError
from mytorch.ops.activation import relu, sigmoid
from mytorch.ops.elementwise import tanh
from mytorch.ops.linalg import matmul
from mytorch.ops.shape import cat

if TYPE_CHECKING:  # annotations only: the class of every tensor, defined above the ops
    from mytorch._tensor import Tensor

    RecordedGrads = tuple[Tensor, Tensor, list[Tensor | None]]

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell", "recurrence"]


class CellStep(Function):
    """One time step: ``gh = h W_hh^T + b_hh``, then the gate equations of a cell.

    ``apply(gi, W_hh, b_hh, *state)`` returns the new state: ``h'`` (one Tensor) or,
    for the LSTM, ``(h', c')``. Subclasses name their array ``kernel`` and write its
    chain rule on Tensors (``chain_rule``); ``state[0]`` is always the hidden state
    ``h`` that ``W_hh`` reads.
    """

    kernel: kernels.Cell

    @staticmethod
    def chain_rule(grads: tuple[Tensor, ...], gi: Tensor, gh: Tensor,
                   state: tuple[Tensor, ...]) -> RecordedGrads:
        """``kernel.backward`` as recorded Tensor ops, the gates recomputed from the inputs:
        the gradients of ``gi`` and ``gh``, and of each state through paths that skip ``gh``."""
        raise NotImplementedError

    @staticmethod
    def forward(ctx: Node, gi: Tensor, W_hh: Tensor, b_hh: Tensor | None,
                *state: Tensor) -> Any:
        cell = cast("type[CellStep]", ctx.function)
        # a sequence of one step: the same loop and chain rule as a layer's ``Recurrence``
        states, ctx.steps = kernels.run_sequence(
            cell.kernel, gi._data[None], W_hh._data, None, None if b_hh is None else b_hh._data,
            tuple(s._data for s in state))
        new_state = tuple(TensorBase._make(s[0]) for s in states)
        # the chain rule reuses the step's gate values (computing them is most of the work
        # of a step), unless it must be recorded as a graph: then it recomputes
        ctx.save_for_backward(gi, W_hh, b_hh, *state, *new_state)
        return new_state if len(new_state) > 1 else new_state[0]

    @staticmethod
    def backward(ctx: Node, *grads: Tensor) -> tuple[Any, ...]:
        gi, W, b, *saved = ctx.saved_tensors
        state, new_state = tuple(saved[:len(grads)]), saved[len(grads):]
        cell = cast("type[CellStep]", ctx.function)
        needs = ctx.needs_input_grad
        if grad_mode.is_grad_enabled():
            return _recorded_backward(cell, grads, gi, W, b, state, needs)
        ggi, gW, _, gb, gstate = kernels.sequence_backward(
            cell.kernel, tuple(g._data[None] for g in grads), W._data,
            tuple(s._data for s in state), tuple(s._data[None] for s in new_state), ctx.steps)
        return tuple(TensorBase._make(g) if need else None
                     for g, need in zip((ggi[0], gW, gb, *gstate), needs))


def _recorded_backward(cell: type[CellStep], grads: tuple[Tensor, ...], gi: Tensor, W: Tensor,
                       b: Tensor | None, state: tuple[Tensor, ...], needs: Sequence[bool]
                       ) -> tuple[Tensor | None, ...]:
    """``CellStep.backward`` under ``create_graph``: the gradients as composed Tensor ops,
    which the autograd can differentiate again."""
    h = state[0]
    gh = input_projection(h, W, b)  # h W^T + b: the same product as x W_ih^T + b_ih
    ggi, ggh, gstate = cell.chain_rule(grads, gi, gh, state)
    # through gh = h W^T + b, with every leading axis (time, batch) folded into rows
    rows = ggh.reshape(-1, ggh.shape[-1])
    gW = rows.T @ h.reshape(-1, h.shape[-1]) if needs[1] else None
    gb = rows.sum(0) if needs[2] else None
    if needs[3]:
        through_W = ggh @ W
        gstate[0] = through_W if gstate[0] is None else gstate[0] + through_W
    return (ggi if needs[0] else None, gW, gb, *gstate)


class RNNTanhStep(CellStep):
    """Elman RNN step: ``h' = tanh(gi + gh)``."""

    kernel = kernels.CELLS["RNN_TANH"]

    @staticmethod
    def chain_rule(grads: tuple[Tensor, ...], gi: Tensor, gh: Tensor,
                   state: tuple[Tensor, ...]) -> RecordedGrads:
        (g,) = grads
        h_new = tanh(gi + gh)
        g_pre = g * (1 - h_new * h_new)
        return g_pre, g_pre, [None]


class RNNReLUStep(CellStep):
    """Elman RNN step: ``h' = relu(gi + gh)``."""

    kernel = kernels.CELLS["RNN_RELU"]

    @staticmethod
    def chain_rule(grads: tuple[Tensor, ...], gi: Tensor, gh: Tensor,
                   state: tuple[Tensor, ...]) -> RecordedGrads:
        (g,) = grads
        g_pre = g * (relu(gi + gh) > 0)
        return g_pre, g_pre, [None]


class GRUStep(CellStep):
    """GRU step (equations in ``kernels.rnn.gru``; gates r, z, n)."""

    kernel = kernels.CELLS["GRU"]

    @staticmethod
    def chain_rule(grads: tuple[Tensor, ...], gi: Tensor, gh: Tensor,
                   state: tuple[Tensor, ...]) -> RecordedGrads:
        ((g,), (h,)) = grads, state
        H = h.shape[-1]
        rz = sigmoid(gi[..., :2 * H] + gh[..., :2 * H])
        r, z = rz[..., :H], rz[..., H:]
        n = tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
        g_n = g * (1 - z) * (1 - n * n)
        g_z = g * (h - n) * z * (1 - z)
        g_r = g_n * gh[..., 2 * H:] * r * (1 - r)
        return cat([g_r, g_z, g_n], -1), cat([g_r, g_z, g_n * r], -1), [g * z]


class LSTMStep(CellStep):
    """LSTM step (equations in ``kernels.rnn.lstm``; gates i, f, g, o; state ``(h, c)``)."""

    kernel = kernels.CELLS["LSTM"]

    @staticmethod
    def chain_rule(grads: tuple[Tensor, ...], gi: Tensor, gh: Tensor,
                   state: tuple[Tensor, ...]) -> RecordedGrads:
        ((g_h, g_c), (h, c)) = grads, state
        H = h.shape[-1]
        a = gi + gh
        s = sigmoid(a)
        i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
        g = tanh(a[..., 2 * H:3 * H])
        tanh_c = tanh(f * c + i * g)
        g_c = g_c + g_h * o * (1 - tanh_c * tanh_c)
        g_a = cat([
            g_c * g * i * (1 - i),
            g_c * c * f * (1 - f),
            g_c * i * (1 - g * g),
            g_h * tanh_c * o * (1 - o),
        ], -1)
        return g_a, g_a, [None, g_c * f]


STEPS: dict[str, type[CellStep]] = {
    "RNN_TANH": RNNTanhStep, "RNN_RELU": RNNReLUStep, "GRU": GRUStep, "LSTM": LSTMStep,
}


class Recurrence(Function):
    """A cell run over a whole sequence, one node: backpropagation through time in one call.

    ``apply(gi, W_hh, b_ih, b_hh, mode, reverse, *state)``: gi (T, N, G*H) is
    ``x W_ih^T`` of every step, ``b_ih`` its bias (added one step at a time),
    ``state`` the initial state (``h``, and ``c`` for the LSTM), each (N, H). Returns
    the state after every step, each (T, N, H) in time order; with ``reverse`` the
    steps run from the last to the first. The steps are ``kernels.rnn.run_sequence``;
    the first-order backward is ``kernels.rnn.sequence_backward`` (one product for
    W_hh's gradient over all steps). Under ``create_graph`` the backward walks the
    steps back through each step's composed chain rule (``_recorded_backward``),
    reading the states from the saved outputs, so that gradient is itself
    differentiable.
    """

    @staticmethod
    def forward(ctx: Node, gi: Tensor, W_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
                mode: str, reverse: bool, *state: Tensor) -> tuple[Tensor, ...]:
        step = STEPS[mode]
        states, steps = kernels.run_sequence(
            step.kernel, gi._data, W_hh._data, None if b_ih is None else b_ih._data,
            None if b_hh is None else b_hh._data, tuple(s._data for s in state), reverse)
        outputs = tuple(TensorBase._make(s) for s in states)
        ctx.step, ctx.reverse, ctx.steps = step, reverse, steps
        ctx.save_for_backward(gi, W_hh, b_ih, b_hh, *state, *outputs)
        return outputs

    @staticmethod
    def backward(ctx: Node, *grads: Tensor) -> tuple[Any, ...]:
        gi, W, b_ih, b_hh, *saved = ctx.saved_tensors
        initial, states = tuple(saved[:len(grads)]), tuple(saved[len(grads):])
        needs = ctx.needs_input_grad
        if grad_mode.is_grad_enabled():
            gi_in = gi if b_ih is None else gi + b_ih  # the cell reads x W_ih^T + b_ih
            ggi, gW, gb_hh, g_initial = _recorded_sequence_backward(
                ctx.step, grads, gi_in, W, b_hh, initial, states, ctx.reverse,
                (needs[1], needs[3]))
            gb_ih = ggi.sum((0, 1)) if needs[2] else None
        else:
            arrays = kernels.sequence_backward(
                ctx.step.kernel, tuple(g._data for g in grads), W._data,
                tuple(s._data for s in initial), tuple(s._data for s in states), ctx.steps,
                ctx.reverse)
            ggi, gW, gb_ih, gb_hh = (TensorBase._make(a) for a in arrays[:4])
            g_initial = [TensorBase._make(g) for g in arrays[4]]
        return (ggi if needs[0] else None, gW if needs[1] else None,
                gb_ih if needs[2] else None, gb_hh if needs[3] else None, None, None,
                *(g if need else None for g, need in zip(g_initial, needs[6:])))


def _recorded_sequence_backward(step: type[CellStep], grads: tuple[Tensor, ...], gi: Tensor,
                                W: Tensor, b: Tensor | None, initial: tuple[Tensor, ...],
                                states: tuple[Tensor, ...], reverse: bool,
                                needs: Sequence[bool]) -> tuple[Any, Any, Any, list[Any]]:
    """``Recurrence.backward`` under ``create_graph``: each step's ``_recorded_backward``,
    last step first, the state gradients carried from step to step. ``needs``: whether
    W and b need their gradients."""
    T = gi.shape[0]
    order = list(range(T - 1, -1, -1) if reverse else range(T))  # the order run
    carry: list[Any] = [None] * len(states)
    ggi: list[Any] = [None] * T
    gW = gb = None
    for n in range(T - 1, -1, -1):
        t = order[n]
        before = initial if n == 0 else tuple(s[order[n - 1]] for s in states)
        g_state = tuple(g[t] if c is None else g[t] + c for g, c in zip(grads, carry))
        ggi[t], gW_t, gb_t, *carry = _recorded_backward(
            step, g_state, gi[t], W, b, before, (True, needs[0], needs[1], True))
        gW = gW_t if gW is None else gW + gW_t
        gb = gb_t if gb is None else gb + gb_t
    return cat([g.unsqueeze(0) for g in ggi], 0), gW, gb, carry


def recurrence(mode: str, gi: Tensor, state: Sequence[Tensor], w_hh: Tensor,
               b_ih: Tensor | None, b_hh: Tensor | None, reverse: bool = False
               ) -> tuple[Tensor, ...]:
    """The cell ``mode`` over a sequence from ``gi = x W_ih^T`` (T, N, G*H), its bias
    ``b_ih``, and the initial state (each (N, H)); returns the state after every step,
    each (T, N, H), in time order (``reverse``: the steps run from the last to the first)."""
    return Recurrence.apply(gi, w_hh, b_ih, b_hh, mode, reverse, *state)


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
    check_cell_args(op, input, state, w_ih, w_hh, STEPS[mode].kernel.num_gates)
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
