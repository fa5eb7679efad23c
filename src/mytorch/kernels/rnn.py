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
    of the new state.
    """

    num_gates: int
    forward: Callable[[np.ndarray, np.ndarray, State], tuple[State, State]]
    backward: Callable[[State, np.ndarray, State, State], Grads]


def gate_sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))``, one exp per element: twice as fast here as the two-sided
    stable form in ``kernels.special``. A gate needs absolute accuracy, and where exp(-a)
    overflows (a < -88 in float32) the result 0 is within 1e-38 of the true value."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


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
    """
    (h,) = state
    H = h.shape[-1]
    rz = gate_sigmoid(gi[..., :2 * H] + gh[..., :2 * H])  # r and z in one pass: (*, 2H)
    r, z = rz[..., :H], rz[..., H:]
    n = np.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
    h_new = n + z * (h - n)  # = (1 - z) n + z h
    return (h_new,), (r, z, n)


def gru_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g,), (h,), (r, z, n)) = grads, state, cache
    H = h.shape[-1]
    g_n = g * (1 - z) * (1 - n * n)  # through n = tanh(a_n): tanh' = 1 - n^2
    g_z = g * (h - n) * z * (1 - z)  # sigmoid' = z (1 - z)
    g_r = g_n * gh[..., 2 * H:] * r * (1 - r)
    ggi = np.concatenate([g_r, g_z, g_n], axis=-1)
    ggh = np.concatenate([g_r, g_z, g_n * r], axis=-1)  # gh_n enters a_n multiplied by r
    return ggi, ggh, [g * z]


# -- LSTM --------------------------------------------------------------------------------------
def lstm(gi: np.ndarray, gh: np.ndarray, state: State) -> tuple[State, State]:
    """LSTM step, gates in PyTorch's order i, f, g, o (each a quarter of ``gi + gh``)::

        i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o),  a = gi + gh
        c' = f * c + i * g
        h' = o * tanh(c')

    The state is ``(h, c)``; so is the new state.
    """
    h, c = state
    H = h.shape[-1]
    a = gi + gh  # (*, 4H)
    s = gate_sigmoid(a)  # i, f, o in one pass (the g quarter is computed and not used)
    i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
    g = np.tanh(a[..., 2 * H:3 * H])
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return (o * tanh_c, c_new), (i, f, g, o, tanh_c)


def lstm_backward(grads: State, gh: np.ndarray, state: State, cache: State) -> Grads:
    ((g_h, g_c), (_, c), (i, f, g, o, tanh_c)) = grads, state, cache
    g_c = g_c + g_h * o * (1 - tanh_c * tanh_c)  # c' reaches the loss directly and via h'
    g_a = np.concatenate([
        g_c * g * i * (1 - i),
        g_c * c * f * (1 - f),
        g_c * i * (1 - g * g),
        g_h * tanh_c * o * (1 - o),
    ], axis=-1)
    return g_a, g_a, [None, g_c * f]


CELLS: dict[str, Cell] = {
    "RNN_TANH": Cell(1, rnn_tanh, rnn_tanh_backward),
    "RNN_RELU": Cell(1, rnn_relu, rnn_relu_backward),
    "GRU": Cell(3, gru, gru_backward),
    "LSTM": Cell(4, lstm, lstm_backward),
}
