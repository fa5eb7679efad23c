"""The floor under the 1,000-op autograd chain: NumPy's calls alone, then the least autograd.

The speed suite's chain case (``y = (y * w + b).tanh().sin()`` 250 times on 16 elements,
then ``y.sum().backward()``), four ways, best of 30 runs each:

1. NumPy's ufunc calls alone: the 1,000 forward ops and the calls of their chain rule
   (about 1,750), in a plain loop, no autograd.
2. (1) plus the least an autograd must do per op: one small object per op recording what
   it saved and where its input came from, and a backward walk over those records.
3. PyTorch's whole step, and mytorch's.

(1) and (2) are far below PyTorch: the NumPy arithmetic is not what limits this case.
What mytorch adds on top of (2) is its Python per op: a graph node, an output Tensor,
edges, saved-value versions, the dispatch through ``Function.apply`` and the engine's
bookkeeping, which the cProfile of mytorch's step below lists. A second table splits each
step into its forward (the ops, recorded) and its backward, in microseconds per op, so it
shows which half of mytorch's time is above PyTorch's.

    python benchmarks/floor_autograd.py                               # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_autograd.py
"""
from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import mytorch
from mytorch.bench import best_seconds as best
from mytorch.bench import chain

ROUNDS = 250  # four ops each
rng = np.random.default_rng(0)
x, w, b = ((rng.standard_normal(16) * 0.5).astype(np.float32) for _ in range(3))


def ufuncs_alone() -> None:
    """The forward's 1,000 ufunc calls and the chain rule's, without any record of the graph."""
    kept = []
    y = x
    for _ in range(ROUNDS):
        t = np.tanh(y * w + b)
        kept.append((y, t))
        y = np.sin(t)
    g, gw, gb = np.ones_like(y), np.zeros_like(w), np.zeros_like(b)
    for y_in, t in reversed(kept):
        g = g * np.cos(t)  # sin'
        g = g * (1 - t * t)  # tanh'
        gb = gb + g
        gw = gw + g * y_in
        g = g * w


class Record:
    """The least an autograd keeps per op: which op, what it saved, the record before it."""

    __slots__ = ("op", "saved", "previous")

    def __init__(self, op: int, saved: Any, previous: Record | None) -> None:
        self.op, self.saved, self.previous = op, saved, previous


def least_autograd() -> None:
    """(1) with one record per op, and backward walking the records."""
    least_backward(least_forward())


def least_forward() -> Record | None:
    """(2)'s forward: the ufuncs and one record per op."""
    y, record = x, None
    for _ in range(ROUNDS):
        m = y * w
        record = Record(0, y, record)
        a = m + b
        record = Record(1, None, record)
        t = np.tanh(a)
        record = Record(2, t, record)
        y = np.sin(t)
        record = Record(3, t, record)
    return record


def least_backward(record: Record | None) -> None:
    """(2)'s backward: the walk over the records, the chain rule's ufuncs."""
    g, gw, gb = np.ones_like(x), np.zeros_like(w), np.zeros_like(b)
    while record is not None:
        if record.op == 3:
            g = g * np.cos(record.saved)
        elif record.op == 2:
            g = g * (1 - record.saved * record.saved)
        elif record.op == 1:
            gb = gb + g
        else:
            gw = gw + g * record.saved
            g = g * w
        record = record.previous


def library_phases(lib: Any) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    """The chain's forward (returning the loss) and backward with ``lib``, to time apart."""
    xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))

    def forward() -> Any:
        xt.grad = wt.grad = bt.grad = None
        y = xt
        for _ in range(ROUNDS):
            y = (y * wt + bt).tanh().sin()
        return y.sum()

    return forward, lambda loss: loss.backward()


def phases(forward: Callable[[], Any], backward: Callable[[Any], None],
           repeat: int = 30) -> tuple[float, float]:
    """Best seconds of ``forward()`` and of ``backward(its result)``, timed apart."""
    best_forward = best_backward = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        made = forward()
        middle = time.perf_counter()
        backward(made)
        made = None  # the graph freed in the backward's time, as when a step returns
        end = time.perf_counter()
        best_forward = min(best_forward, middle - start)
        best_backward = min(best_backward, end - middle)
    return best_forward, best_backward


def main() -> None:
    mine, theirs = chain(mytorch), chain(torch)
    print(f"threads: torch {torch.get_num_threads()}; {ROUNDS * 4} ops on 16 elements, "
          "forward + backward")
    for _ in range(2):
        u, least = best(ufuncs_alone, 30), best(least_autograd, 30)
        t, m = best(theirs, 30), best(mine, 30)
        print(f"ufuncs alone {u * 1e3:6.2f} ms   + least autograd {least * 1e3:6.2f} ms   "
              f"torch {t * 1e3:6.2f} ms   mytorch {m * 1e3:6.2f} ms   "
              f"least / torch {least / t:4.2f}   mytorch / torch {m / t:4.2f}")
    print("\nper op (us), forward (recorded) | backward:")
    rows = {"least autograd": (least_forward, least_backward),
            "torch": library_phases(torch), "mytorch": library_phases(mytorch)}
    for name, (forward, backward) in rows.items():
        f, b = phases(forward, backward)
        ops = ROUNDS * 4
        print(f"  {name:15s} {f / ops * 1e6:5.2f} | {b / ops * 1e6:5.2f}")
    collections = [0, 0, 0]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections[info["generation"]] += 1

    gc.callbacks.append(count)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(10):
        mine()
    profile.disable()
    gc.callbacks.remove(count)
    print(f"\nmytorch's step, 10 runs: garbage collections by generation {collections}; "
          "cProfile:")
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
