"""Recurrent cells on arrays: one time step of an Elman RNN, a GRU or an LSTM, and its chain rule.

Every step takes the same inputs, with ``G`` gates of size ``H``:

* ``gi`` of shape (*, G*H): the input projection ``x_t W_ih^T + b_ih``;
* ``gh`` of shape (*, G*H): the hidden projection ``h W_hh^T + b_hh``
  (``hidden_projection``, the one product that has to wait for the previous step);
* the state: ``h`` (*, H), and for the LSTM also the cell ``c`` (*, H).

Each cell is a ``Cell``: its gate equations (``forward``) and their chain rule
(``backward``) side by side, on NumPy arrays only. ``forward`` returns the new
state and a cache of gate values; ``backward`` reuses that cache (computing the
gates is most of the work of a step), so the first-order gradient costs no
recomputation. ``mytorch.ops.rnn`` wraps each cell in one autograd op; it writes
the same chain rule once more as composed Tensor ops for ``create_graph=True``,
where the gradient must itself be differentiable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

State = tuple[np.ndarray, ...]
Grads = tuple[np.ndarray, np.ndarray, list[Any]]  # (d gi, d gh, d state through other paths)


class Cell(NamedTuple):
    """One recurrent cell on arrays.

    ``forward(gi, gh, state) -> (new_state, cache)``; ``backward(grads, gh, state, cache)
    -> (ggi, ggh, gstate)``: the gradients of ``gi`` and of ``gh``, and of each state
    through the paths that skip ``gh`` (None where there is none), given the gradients
    of the new state. ``same_grads``: the cell adds ``gi`` and ``gh`` before anything
    else, so its ``ggi`` and ``ggh`` are one array.
    """

    num_gates: int
    forward: Callable[[np.ndarray, np.ndarray, State], tuple[State, State]]
    backward: Callable[[State, np.ndarray, State, State], Grads]
    same_grads: bool


def gate_sigmoid(a: np.ndarray) -> np.ndarray:
    """``a <- sigmoid(a) = (1 + tanh(a / 2)) / 2`` in place (no temporaries), and returned.

    One tanh per element, which cannot overflow (``1 / (1 + exp(-a))`` overflows for
    a < -88 in float32 and needs a guard) and is faster here than exp. A gate needs
    absolute accuracy, and the error here is about one rounding of 1/2 (3e-8 in float32).
    """
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


# -- the hidden projection, shared by every cell ----------------------------------------------
def hidden_projection(h: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``gh = h W^T + b``: (*, H) @ (H, G*H) -> (*, G*H)."""
    gh = h @ W.T
    return gh if b is None else gh + b


def hidden_projection_backward(ggh: np.ndarray, h: np.ndarray, W: np.ndarray,
                               needs: Sequence[bool]) -> tuple[Any, Any, Any]:
    """The gradients ``(gW, gb, gh)`` of ``W``, ``b`` and ``h`` from ``ggh``, None where not
    in ``needs``; every leading axis (time, batch) is folded into rows ``P``."""
    need_W, need_b, need_h = needs
    rows = ggh.reshape(-1, ggh.shape[-1])  # (P, G*H)
    gW = rows.T @ h.reshape(-1, h.shape[-1]) if need_W else None  # (G*H, P) @ (P, H)
    gb = rows.sum(0) if need_b else None  # (G*H,)
    gh = ggh @ W if need_h else None  # (*, G*H) @ (G*H, H) -> (*, H)
    return gW, gb, gh


# -- Elman RNN: h' = f(gi + gh) ----------------------------------------------------------------
def rnn_tanh(gi: np.ndarray, gh: np.ndarray, state: State) -> tuple[State, State]:
    """Elman RNN step ``h' = tanh(gi + gh)``; the cache is ``h'`` (tanh' = 1 - h'^2)."""
    h_new = np.tanh(gi + gh)
    return (h_new,), (h_new,)


def rnn_tanh_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g,), (h_new,)) = grads, cache
    g_pre = g * (1 - h_new * h_new)  # tanh' = 1 - tanh^2
    return g_pre, g_pre, [None]


def rnn_relu(gi: np.ndarray, gh: np.ndarray, state: State) -> tuple[State, State]:
    """Elman RNN step ``h' = relu(gi + gh)``; the cache is ``h'`` (relu' = [h' > 0])."""
    h_new = np.maximum(gi + gh, 0)
    return (h_new,), (h_new,)


def rnn_relu_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g,), (h_new,)) = grads, cache
    g_pre = g * (h_new > 0)  # relu' = 1 where the output is positive, else 0
    return g_pre, g_pre, [None]


# -- GRU ---------------------------------------------------------------------------------------
def gru(gi: np.ndarray, gh: np.ndarray, state: State) -> tuple[State, State]:
    """GRU step, gates in PyTorch's order r, z, n (each a third of ``gi`` and ``gh``)::

        r = sigmoid(gi_r + gh_r)
        z = sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)        # gh_n = h W_hn^T + b_hn: the reset gate acts on it
        h' = (1 - z) * n + z * h

    The cache is ``(r|z, n)``, r and z side by side in one (*, 2H) array.
    """
    (h,) = state
    H = h.shape[-1]
    rz = gate_sigmoid(gi[..., :2 * H] + gh[..., :2 * H])  # r and z in one pass: (*, 2H)
    n = rz[..., :H] * gh[..., 2 * H:]
    n += gi[..., 2 * H:]
    np.tanh(n, out=n)
    h_new = h - n
    h_new *= rz[..., H:]
    h_new += n  # = (1 - z) n + z h
    return (h_new,), (rz, n)


def gru_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g,), (h,), (rz, n)) = grads, state, cache
    H = h.shape[-1]
    r, z = rz[..., :H], rz[..., H:]
    ggi = np.empty(g.shape[:-1] + (3 * H,), dtype=np.result_type(g, rz))
    g_r, g_z, g_n = ggi[..., :H], ggi[..., H:2 * H], ggi[..., 2 * H:]
    # the slope of each gate: sigmoid' = s (1 - s) for r and z, tanh' = 1 - n^2 for n
    slope = rz * (1 - rz)
    np.multiply(g, 1 - n * n, out=g_n)
    g_n *= 1 - z  # h' = (1 - z) n + z h
    np.multiply(g_n, gh[..., 2 * H:], out=g_r)
    g_r *= slope[..., :H]
    np.subtract(h, n, out=g_z)
    g_z *= g
    g_z *= slope[..., H:]
    ggh = ggi.copy()
    ggh[..., 2 * H:] *= r  # gh_n enters a_n multiplied by r
    return ggi, ggh, [g * z]


# -- LSTM --------------------------------------------------------------------------------------
def lstm(gi: np.ndarray, gh: np.ndarray, state: State) -> tuple[State, State]:
    """LSTM step, gates in PyTorch's order i, f, g, o (each a quarter of ``gi + gh``)::

        i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o),  a = gi + gh
        c' = f * c + i * g
        h' = o * tanh(c')

    The state is ``(h, c)``; so is the new state. The cache is the gates ``i|f|g|o``,
    side by side in one (*, 4H) array, and ``tanh(c')``.
    """
    h, c = state
    H = h.shape[-1]
    gates = gi + gh  # (*, 4H), activated in place
    g = np.tanh(gates[..., 2 * H:3 * H])
    gate_sigmoid(gates)  # i, f, o in one pass (the g quarter is computed and not used)
    gates[..., 2 * H:3 * H] = g
    i, f, o = gates[..., :H], gates[..., H:2 * H], gates[..., 3 * H:]
    c_new = f * c
    c_new += i * g
    tanh_c = np.tanh(c_new)
    return (o * tanh_c, c_new), (gates, tanh_c)


def lstm_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g_h, g_c), (_, c), (gates, tanh_c)) = grads, state, cache
    H = c.shape[-1]
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    g_c = g_c + g_h * o * (1 - tanh_c * tanh_c)  # c' reaches the loss directly and via h'
    g_a = np.empty_like(gates)  # the gradient of each gate's value, then of its input
    np.multiply(g_c, g, out=g_a[..., :H])
    np.multiply(g_c, c, out=g_a[..., H:2 * H])
    np.multiply(g_c, i, out=g_a[..., 2 * H:3 * H])
    np.multiply(g_h, tanh_c, out=g_a[..., 3 * H:])
    slope = gates * (1 - gates)  # sigmoid' = s (1 - s) for i, f, o ...
    np.multiply(g, g, out=slope[..., 2 * H:3 * H])
    np.subtract(1, slope[..., 2 * H:3 * H], out=slope[..., 2 * H:3 * H])  # ... tanh' = 1 - g^2
    g_a *= slope
    return g_a, g_a, [None, g_c * f]


CELLS: dict[str, Cell] = {
    "RNN_TANH": Cell(1, rnn_tanh, rnn_tanh_backward, True),
    "RNN_RELU": Cell(1, rnn_relu, rnn_relu_backward, True),
    "GRU": Cell(3, gru, gru_backward, False),
    "LSTM": Cell(4, lstm, lstm_backward, True),
}


# -- a whole sequence: the loop over time and backpropagation through it ---------------------
Steps = list[tuple[np.ndarray, State]]  # per step in the order run: (gh, cache)


def run_sequence(cell: Cell, gi: np.ndarray, W: np.ndarray, b_ih: np.ndarray | None,
                 b_hh: np.ndarray | None, state: State, reverse: bool = False
                 ) -> tuple[State, Steps]:
    """All T steps of ``cell`` over a sequence, last step first when ``reverse``.

    gi (T, N, G*H) is ``x W_ih^T`` of every step (one product before the loop),
    ``b_ih`` its bias (G*H,) or None, added here one step at a time rather than
    to the whole (T, N, G*H) array; W (G*H, H) and ``b_hh`` the hidden
    projection's; ``state`` the initial state, each (N, H). Returns the state
    after every step, each (T, N, H) in time order (with ``reverse``, step t
    follows step t + 1), and the ``(gh, cache)`` of every step in the order run,
    which ``sequence_backward`` reuses.
    """
    if cell.same_grads and b_ih is not None:  # gi + gh is all the cell reads: one bias
        b_ih, b_hh = None, b_ih if b_hh is None else b_ih + b_hh
    T = gi.shape[0]
    states = tuple(np.empty((T,) + s.shape, dtype=np.result_type(gi, s)) for s in state)
    steps: Steps = []
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        gh = hidden_projection(state[0], W, b_hh)
        state, cache = cell.forward(gi[t] if b_ih is None else gi[t] + b_ih, gh, state)
        for sequence, s in zip(states, state):
            sequence[t] = s
        steps.append((gh, cache))
    return states, steps


def sequence_backward(cell: Cell, grads: State, W: np.ndarray, initial: State, states: State,
                      steps: Steps, reverse: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Backpropagation through time: the gradients of ``run_sequence``'s inputs.

    ``grads`` are the gradients of the states after every step, each (T, N, H);
    ``initial``, ``states`` and ``steps`` what ``run_sequence`` took and gave. The
    loop runs the steps backwards, keeping each step's gradient of ``gh`` in one
    (T, N, G*H) buffer; W and the biases, shared by all steps, get theirs after
    the loop from one product and one sum over every step and batch row.

    Returns:
        ggi (T, N, G*H), gW (G*H, H), g b_ih and g b_hh (G*H,), and the gradients of
        the initial state.
    """
    T = grads[0].shape[0]
    order = list(range(T - 1, -1, -1) if reverse else range(T))  # the order run
    ggh = np.empty(grads[0].shape[:2] + (W.shape[0],), dtype=np.result_type(grads[0], W))
    ggi = ggh if cell.same_grads else np.empty_like(ggh)
    carry: list[Any] = [None] * len(states)  # the gradient of each state from later steps
    for n in range(T - 1, -1, -1):
        t = order[n]
        before = initial if n == 0 else tuple(s[order[n - 1]] for s in states)
        g_state = tuple(g[t] if c is None else g[t] + c for g, c in zip(grads, carry))
        gh, cache = steps[n]
        ggi_t, ggh[t], carry = cell.backward(g_state, gh, before, cache)
        if not cell.same_grads:
            ggi[t] = ggi_t
        through_W = ggh[t] @ W
        carry[0] = through_W if carry[0] is None else carry[0] + through_W
    # gW sums ggh^T h over the steps, each with the h it read: the initial h for the step
    # run first, the state after the step run before it for the others (one product for
    # all of those, on views: T - 1 steps of N rows each)
    rest, read = ((slice(1, None), states[0][:-1]) if not reverse
                  else (slice(0, T - 1), states[0][1:]))  # read: (T - 1, N, H)
    gW = ggh[order[0]].T @ initial[0]
    gW += ggh[rest].reshape(-1, ggh.shape[-1]).T @ read.reshape(-1, read.shape[-1])
    rows = ggh.reshape(-1, ggh.shape[-1])  # (T N, G*H)
    gb_hh = rows.sum(0)
    gb_ih = gb_hh if cell.same_grads else ggi.reshape(rows.shape).sum(0)
    return ggi, gW, gb_ih, gb_hh, carry
