"""Recurrent cells on arrays: one time step of an Elman RNN, a GRU or an LSTM, and its chain rule.

Every step takes the same inputs, with ``G`` gates of size ``H``:

* ``gi`` of shape (*, G*H): the input projection ``x_t W_ih^T + b_ih``;
* ``gh`` of shape (*, G*H): the hidden projection ``h W_hh^T + b_hh``, the one
  product that has to wait for the previous step;
* the state: ``h`` (*, H), and for the LSTM also the cell ``c`` (*, H).

Both projections come to a cell with each gate's columns multiplied by that gate's
``Cell.scale``: 1/2 for a sigmoid gate, 1 otherwise. ``sigmoid(a) = (1 + tanh(a/2)) / 2``,
so one ``tanh`` pass over all the gates activates them all (an LSTM's three sigmoids and
its tanh at once); the factor is folded into the weights and the input once per sequence
(``run_sequence``), never applied per step. Scaling by 1/2 is exact in floating point.

Each cell is a ``Cell``: its gate equations (``forward``) and their chain rule
(``backward``) side by side, on NumPy arrays only, writing into the arrays they are given
(``out=``: a step's small arrays cost more in calls than in arithmetic). ``forward``
returns a cache of gate values; ``backward`` reuses it (computing the gates is most of the
work of a step), so the first-order gradient costs no recomputation. ``mytorch.ops.rnn``
wraps the sequence loop in one autograd op; it writes the same chain rule once more as
composed Tensor ops for ``create_graph=True``, where the gradient must itself be
differentiable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

State = tuple[np.ndarray, ...]


class Cell(NamedTuple):
    """One recurrent cell on arrays.

    ``forward(gi, gh, state, new_state) -> cache``: ``gi`` and ``gh`` scaled by ``scale``
    (``gh`` is the cell's to overwrite), the new state written into ``new_state``.
    ``backward(grads, state, cache, ggi, ggh) -> gstate``: given the gradients of the new
    state, writes the gradients of ``gi`` and of ``gh`` (of the unscaled projections) into
    ``ggi`` and ``ggh`` and returns the gradient of each state through the paths that skip
    ``gh`` (None where there is none). ``same_grads``: the cell adds ``gi`` and ``gh``
    before anything else, so its ``ggi`` and ``ggh`` are one array.
    """

    num_gates: int
    scale: tuple[float, ...]  # per gate: 1/2 for a sigmoid gate (activated by tanh), else 1
    forward: Callable[[np.ndarray, np.ndarray, State, State], State]
    backward: Callable[[State, State, State, np.ndarray, np.ndarray], list[Any]]
    same_grads: bool


@functools.lru_cache(maxsize=64)
def per_gate(values: tuple[float, ...], H: int, dtype: np.dtype) -> np.ndarray:
    """``values[k]`` repeated over gate k's ``H`` columns: a (G*H,) row to multiply gates by
    (made once per size and dtype, read-only)."""
    row = np.repeat(np.asarray(values, dtype=dtype), H)
    row.flags.writeable = False
    return row


# -- Elman RNN: h' = f(gi + gh) ----------------------------------------------------------------
def rnn_tanh(gi: np.ndarray, gh: np.ndarray, state: State, new_state: State) -> State:
    """Elman RNN step ``h' = tanh(gi + gh)``; the cache is ``h'`` (tanh' = 1 - h'^2)."""
    (h_new,) = new_state
    np.add(gi, gh, out=h_new)
    np.tanh(h_new, out=h_new)
    return (h_new,)


def rnn_tanh_backward(grads: State, state: State, cache: State, ggi: np.ndarray,
                      ggh: np.ndarray) -> list[Any]:
    ((g,), (h_new,)) = grads, cache
    np.multiply(h_new, h_new, out=ggh)
    np.subtract(1, ggh, out=ggh)  # tanh' = 1 - tanh^2
    ggh *= g
    return [None]


def rnn_relu(gi: np.ndarray, gh: np.ndarray, state: State, new_state: State) -> State:
    """Elman RNN step ``h' = relu(gi + gh)``; the cache is ``h'`` (relu' = [h' > 0])."""
    (h_new,) = new_state
    np.add(gi, gh, out=h_new)
    np.maximum(h_new, 0, out=h_new)
    return (h_new,)


def rnn_relu_backward(grads: State, state: State, cache: State, ggi: np.ndarray,
                      ggh: np.ndarray) -> list[Any]:
    ((g,), (h_new,)) = grads, cache
    np.multiply(g, h_new > 0, out=ggh)  # relu' = 1 where the output is positive, else 0
    return [None]


# -- GRU ---------------------------------------------------------------------------------------
def gru(gi: np.ndarray, gh: np.ndarray, state: State, new_state: State) -> State:
    """GRU step, gates in PyTorch's order r, z, n (each a third of ``gi`` and ``gh``)::

        r = sigmoid(gi_r + gh_r)
        z = sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)        # gh_n = h W_hn^T + b_hn: the reset gate acts on it
        h' = (1 - z) * n + z * h

    (r and z come halved: ``scale`` is (1/2, 1/2, 1).) The cache is ``(r|z, n, gh)``, r and
    z side by side in one (*, 2H) array.
    """
    ((h,), (h_new,)) = state, new_state
    H = h.shape[-1]
    rz = gi[..., :2 * H] + gh[..., :2 * H]  # r and z in one pass: (*, 2H)
    np.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5  # sigmoid(a) = (1 + tanh(a/2)) / 2
    n = rz[..., :H] * gh[..., 2 * H:]
    n += gi[..., 2 * H:]
    np.tanh(n, out=n)
    np.subtract(h, n, out=h_new)
    h_new *= rz[..., H:]
    h_new += n  # = (1 - z) n + z h
    return (rz, n, gh)


def gru_backward(grads: State, state: State, cache: State, ggi: np.ndarray,
                 ggh: np.ndarray) -> list[Any]:
    ((g,), (h,), (rz, n, gh)) = grads, state, cache
    H = h.shape[-1]
    r, z = rz[..., :H], rz[..., H:]
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
    ggh[..., :2 * H] = ggi[..., :2 * H]
    np.multiply(g_n, r, out=ggh[..., 2 * H:])  # gh_n enters a_n multiplied by r
    return [g * z]


# -- LSTM --------------------------------------------------------------------------------------
def lstm(gi: np.ndarray, gh: np.ndarray, state: State, new_state: State) -> State:
    """LSTM step, gates in PyTorch's order i, f, g, o (each a quarter of ``gi + gh``)::

        i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o),  a = gi + gh
        c' = f * c + i * g
        h' = o * tanh(c')

    (a_i, a_f and a_o come halved: ``scale`` is (1/2, 1/2, 1, 1/2).) The state is
    ``(h, c)``; so is the new state. The cache is the gates ``i|f|g|o``, side by side in one
    (*, 4H) array (``gh``, activated in place), and ``tanh(c')``.
    """
    ((_, c), (h_new, c_new)) = state, new_state
    H = c.shape[-1]
    gates = gh
    gates += gi
    np.tanh(gates, out=gates)  # tanh(a_i / 2), tanh(a_f / 2), tanh(a_g), tanh(a_o / 2)
    gates *= per_gate((0.5, 0.5, 1.0, 0.5), H, gates.dtype)  # then (1 + t) / 2 for i, f, o
    gates += per_gate((0.5, 0.5, 0.0, 0.5), H, gates.dtype)
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    np.multiply(f, c, out=c_new)
    c_new += i * g
    tanh_c = np.tanh(c_new)
    np.multiply(o, tanh_c, out=h_new)
    return (gates, tanh_c)


def lstm_backward(grads: State, state: State, cache: State, ggi: np.ndarray,
                  ggh: np.ndarray) -> list[Any]:
    ((g_h, g_c), (_, c), (gates, tanh_c)) = grads, state, cache
    H = c.shape[-1]
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    # c' reaches the loss directly and through h' = o tanh(c'): dh'/dc' = o (1 - tanh(c')^2)
    through_h = tanh_c * tanh_c
    np.subtract(1, through_h, out=through_h)
    through_h *= o
    through_h *= g_h
    g_c = np.add(through_h, g_c, out=through_h)
    g_a = ggh  # the gradient of each gate's value, then of its pre-activation
    np.multiply(g_c, g, out=g_a[..., :H])
    np.multiply(g_c, c, out=g_a[..., H:2 * H])
    np.multiply(g_c, i, out=g_a[..., 2 * H:3 * H])
    np.multiply(g_h, tanh_c, out=g_a[..., 3 * H:])
    slope = gates * gates
    np.subtract(gates, slope, out=slope)  # sigmoid' = s (1 - s) for i, f, o ...
    slope_g = slope[..., 2 * H:3 * H]
    np.multiply(g, g, out=slope_g)
    np.subtract(1, slope_g, out=slope_g)  # ... tanh' = 1 - g^2
    g_a *= slope
    return [None, g_c * f]


CELLS: dict[str, Cell] = {
    "RNN_TANH": Cell(1, (1.0,), rnn_tanh, rnn_tanh_backward, True),
    "RNN_RELU": Cell(1, (1.0,), rnn_relu, rnn_relu_backward, True),
    "GRU": Cell(3, (0.5, 0.5, 1.0), gru, gru_backward, False),
    "LSTM": Cell(4, (0.5, 0.5, 1.0, 0.5), lstm, lstm_backward, True),
}


# -- a whole sequence: the loop over time and backpropagation through it ---------------------
Steps = list[State]  # the cache of every step, in the order run


def run_sequence(cell: Cell, gi: np.ndarray, W: np.ndarray, b_ih: np.ndarray | None,
                 b_hh: np.ndarray | None, state: State, reverse: bool = False
                 ) -> tuple[State, Steps]:
    """All T steps of ``cell`` over a sequence, last step first when ``reverse``.

    gi (T, *, G*H) is ``x W_ih^T`` of every step (one product before the loop),
    ``b_ih`` its bias (G*H,) or None; W (G*H, H) and ``b_hh`` the hidden
    projection's; ``state`` the initial state, each (*, H). Before the loop, once:
    the input side of every step gets its bias and the gates' scale (one pass), and
    W its scale and the layout the per-step product reads fastest (W^T contiguous).
    Returns the state after every step, each (T, *, H) in time order (with
    ``reverse``, step t follows step t + 1), and the cache of every step in the
    order run, which ``sequence_backward`` reuses.
    """
    GH, H = W.shape
    dtype = np.result_type(gi, W)
    if cell.same_grads and b_ih is not None:  # gi + gh is all the cell reads: one bias
        b_ih, b_hh = (b_ih if b_hh is None else b_ih + b_hh), None
    scale = None if set(cell.scale) == {1.0} else per_gate(cell.scale, H, dtype)
    if b_ih is not None:
        gi = gi + b_ih
    if scale is not None:
        gi = np.multiply(gi, scale, out=gi if b_ih is not None else None)
        W = W * scale[:, None]
        b_hh = None if b_hh is None else b_hh * scale
    W_t = np.ascontiguousarray(W.T)  # (H, G*H)
    T = gi.shape[0]
    states = tuple(np.empty((T,) + s.shape, dtype=np.result_type(gi, s)) for s in state)
    steps: Steps = []
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        gh = state[0] @ W_t
        if b_hh is not None:
            gh += b_hh
        new_state = tuple(s[t] for s in states)
        steps.append(cell.forward(gi[t], gh, state, new_state))
        state = new_state
    return states, steps


def sequence_backward(cell: Cell, grads: State, W: np.ndarray, initial: State, states: State,
                      steps: Steps, reverse: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Backpropagation through time: the gradients of ``run_sequence``'s inputs.

    ``grads`` are the gradients of the states after every step, each (T, *, H);
    ``initial``, ``states`` and ``steps`` what ``run_sequence`` took and gave. The
    loop runs the steps backwards, each step's gradient of ``gh`` written into one
    (T, *, G*H) buffer; W and the biases, shared by all steps, get theirs after the
    loop from one product and one sum over every step and batch row.

    Returns:
        ggi (T, *, G*H), gW (G*H, H), g b_ih and g b_hh (G*H,), and the gradients of
        the initial state.
    """
    T = grads[0].shape[0]
    GH, H = W.shape
    order = list(range(T - 1, -1, -1) if reverse else range(T))  # the order run
    ggh = np.empty(grads[0].shape[:-1] + (GH,), dtype=np.result_type(grads[0], W))
    ggi = ggh if cell.same_grads else np.empty_like(ggh)
    carry: list[Any] = [None] * len(states)  # the gradient of each state from later steps
    for n in range(T - 1, -1, -1):
        t = order[n]
        before = initial if n == 0 else tuple(s[order[n - 1]] for s in states)
        # the carried gradients are this loop's own arrays: add the state's own in place
        g_state = tuple(g[t] if c is None else np.add(c, g[t], out=c)
                        for g, c in zip(grads, carry))
        carry = cell.backward(g_state, before, steps[n], ggi[t], ggh[t])
        through_W = ggh[t] @ W
        carry[0] = through_W if carry[0] is None else np.add(through_W, carry[0], out=through_W)
    # gW sums ggh^T h over the steps, each with the h it read: the initial h for the step
    # run first, the state after the step run before it for the others (one product for
    # all of those, on views: T - 1 steps of N rows each)
    rest, read = ((slice(1, None), states[0][:-1]) if not reverse
                  else (slice(0, T - 1), states[0][1:]))  # read: (T - 1, *, H)
    gW = ggh[order[0]].reshape(-1, GH).T @ initial[0].reshape(-1, H)
    gW += ggh[rest].reshape(-1, GH).T @ read.reshape(-1, H)
    rows = ggh.reshape(-1, GH)  # (T N, G*H)
    gb_hh = rows.sum(0)
    gb_ih = gb_hh if cell.same_grads else ggi.reshape(rows.shape).sum(0)
    return ggi, gW, gb_ih, gb_hh, carry
