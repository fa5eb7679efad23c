"""The floor under an LSTM layer in NumPy: the least work any NumPy implementation must do.

The speed suite's LSTM case (``LSTM(8, 64)``, batch 64, sequence 40, forward + backward of
``output.sum()``), three ways, best of 15 runs each:

1. NumPy's matrix products alone: the input projection for all steps and its two
   gradients, then per step the hidden projection (forward) and the state's gradient
   through it (backward), and the hidden weight's gradient as one product over all steps.
   No gate arithmetic at all.
2. A bare NumPy LSTM: those products plus the fewest elementwise calls we found per step
   (one tanh pass for all four gates, their weights pre-halved; every result written with
   ``out=``), forward and backpropagation through time, no autograd, no checks.
3. PyTorch's whole step, and mytorch's.

Where (2) is above PyTorch, no NumPy implementation reaches 1.0x; the gap between (2) and
mytorch is what mytorch's own structure costs. A cProfile of mytorch's step follows.

    python benchmarks/floor_rnn.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_rnn.py
"""
from __future__ import annotations

import numpy as np
import torch

import mytorch
from mytorch.bench import CASES, profile_top
from mytorch.bench import best_seconds as best

T, N, I, H = 40, 64, 8, 64
rng = np.random.default_rng(0)
x = rng.standard_normal((T, N, I)).astype(np.float32)
W_ih = (rng.standard_normal((4 * H, I)) * 0.1).astype(np.float32)
W_hh = (rng.standard_normal((4 * H, H)) * 0.1).astype(np.float32)
b = (rng.standard_normal(4 * H) * 0.1).astype(np.float32)
HALVED = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], np.float32), H)  # sigmoid(a) = (1 + tanh(a/2))/2
SHIFT = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], np.float32), H)


def products() -> None:
    """The matrix products alone (on placeholder operands of the right shapes)."""
    gi = x.reshape(T * N, I) @ W_ih.T
    W_t = np.ascontiguousarray(W_hh.T)
    h = np.zeros((N, H), np.float32)
    for _ in range(T):
        h @ W_t  # forward: (N, H) @ (H, 4H)
    for t in range(T):
        gi[t * N:(t + 1) * N] @ W_hh  # backward: (N, 4H) @ (4H, H)
    gi[N:].T @ np.zeros(((T - 1) * N, H), np.float32)  # the hidden weight's gradient
    gi @ W_ih  # the input's gradient
    gi.T @ x.reshape(T * N, I)  # the input weight's gradient


def bare_lstm() -> None:
    """Forward and backpropagation through time with the fewest NumPy calls we found."""
    gi = x.reshape(T * N, I) @ (W_ih * HALVED[:, None]).T
    gi += b * HALVED
    gi = gi.reshape(T, N, 4 * H)
    W_t = np.ascontiguousarray((W_hh * HALVED[:, None]).T)
    gates = np.empty((T, N, 4 * H), np.float32)
    hs, cs, tcs = (np.empty((T, N, H), np.float32) for _ in range(3))
    h = c = np.zeros((N, H), np.float32)
    for t in range(T):
        a = gates[t]
        np.matmul(h, W_t, out=a)
        a += gi[t]
        np.tanh(a, out=a)
        a *= HALVED
        a += SHIFT
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, c, out=cs[t])
        cs[t] += i * g
        np.tanh(cs[t], out=tcs[t])
        np.multiply(o, tcs[t], out=hs[t])
        h, c = hs[t], cs[t]
    ga = np.empty((T, N, 4 * H), np.float32)
    g_h = np.ones((N, H), np.float32)  # d sum / d h_t, plus what flows back through W_hh
    g_c = np.zeros((N, H), np.float32)
    for t in range(T - 1, -1, -1):
        a, tc = gates[t], tcs[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        d = tc * tc
        np.subtract(1, d, out=d)
        d *= o
        d *= g_h
        g_c += d
        c_prev = cs[t - 1] if t else np.zeros((N, H), np.float32)
        np.multiply(g_c, g, out=ga[t][:, :H])
        np.multiply(g_c, c_prev, out=ga[t][:, H:2 * H])
        np.multiply(g_c, i, out=ga[t][:, 2 * H:3 * H])
        np.multiply(g_h, tc, out=ga[t][:, 3 * H:])
        slope = a * a
        np.subtract(a, slope, out=slope)
        np.multiply(g, g, out=slope[:, 2 * H:3 * H])
        np.subtract(1, slope[:, 2 * H:3 * H], out=slope[:, 2 * H:3 * H])
        ga[t] *= slope
        g_c *= f
        g_h = ga[t] @ W_hh
        g_h += 1
    rows = ga.reshape(T * N, 4 * H)
    rows[N:].T @ hs[:-1].reshape(-1, H)  # gW_hh (h_0 = 0 adds nothing)
    rows.sum(0)  # the biases' gradient
    rows @ W_ih  # the input's gradient
    rows.T @ x.reshape(T * N, I)  # gW_ih


def main() -> None:
    case = next(c for c in CASES if c.name.startswith("LSTM"))
    mine, theirs = case.build(mytorch), case.build(torch)
    print(f"threads: torch {torch.get_num_threads()}; {case.name}, forward + backward")
    for _ in range(2):
        p, bare = best(products, 15), best(bare_lstm, 15)
        t, m = best(theirs, 15), best(mine, 15)
        print(f"products alone {p * 1e3:6.2f} ms   bare NumPy LSTM {bare * 1e3:6.2f} ms   "
              f"torch {t * 1e3:6.2f} ms   mytorch {m * 1e3:6.2f} ms   "
              f"bare / torch {bare / t:4.2f}   mytorch / torch {m / t:4.2f}")
    print("\nmytorch's step, 10 runs (cProfile; NumPy's products count in their caller):")
    print(profile_top(mine, runs=10, lines=12))


if __name__ == "__main__":
    main()
