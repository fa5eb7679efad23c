"""Autograd speed against PyTorch on the CPU: per-op overhead, and an MLP training step.

    python benchmarks/bench_autograd.py [--repeat 20]

Two cases, each run by mytorch and by PyTorch on the same data in the same
run (alternating, so load from other processes hits both alike):

(a) a chain of 1,000 elementwise ops (mul, add, tanh, sin, repeated) on
    16-element float32 tensors, forward + backward: almost pure per-op
    overhead, since the arithmetic on 16 numbers is nothing;
(b) one training step of an MLP 784-512-256-10 (ReLU) on a batch of 128:
    forward, softmax cross-entropy written as log_softmax + indexing,
    backward, and a hand-written SGD update under no_grad.

It prints the median time of each, and mytorch's time as a multiple of
PyTorch's. Targets (issue 2): (a) at most 3x, (b) at most 1.5x. Without
PyTorch installed it prints mytorch's column only. The machine may be shared:
expect the figures to move by tens of percent from run to run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import mytorch

try:
    import torch
except ImportError:  # the mytorch column still prints
    torch = None

CHAIN_OPS = 1000  # mul, add, tanh, sin: 4 ops per round
BATCH, SIZES = 128, (784, 512, 256, 10)


@dataclass
class Case:
    """One benchmark: the same step for mytorch and for torch (None without torch)."""

    name: str
    ops: int  # how many recorded ops one step holds (for the per-op figure), 0 if not meaningful
    mytorch_step: Callable[[], None]
    torch_step: Callable[[], None] | None


def _leaves(lib: Any, arrays: list[np.ndarray]) -> list[Any]:
    """The arrays as leaf tensors of ``lib`` (mytorch or torch) that require grad."""
    return [lib.tensor(a, requires_grad=True) for a in arrays]


def chain_case() -> Case:
    """(a): 1,000 elementwise ops on 16 elements, then backward."""
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-1, 1, 16).astype(np.float32) for _ in range(3)]

    def step_for(lib: Any) -> Callable[[], None]:
        x, w, b = _leaves(lib, arrays)

        def step() -> None:
            x.grad = w.grad = b.grad = None
            y = x
            for _ in range(CHAIN_OPS // 4):
                y = (y * w + b).tanh().sin()  # 4 recorded ops; values stay in [-1, 1]
            y.sum().backward()

        return step

    return Case(f"chain of {CHAIN_OPS} elementwise ops, 16 elements", CHAIN_OPS,
                step_for(mytorch), step_for(torch) if torch is not None else None)


def mlp_case(lr: float = 0.01) -> Case:
    """(b): an MLP 784-512-256-10 training step on a batch of 128."""
    rng = np.random.default_rng(0)
    arrays = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        bound = 1 / np.sqrt(n_in)  # PyTorch's Linear initialization range
        arrays += [rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32),
                   rng.uniform(-bound, bound, n_out).astype(np.float32)]
    x_np = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y_np = rng.integers(0, SIZES[-1], BATCH)

    def step_for(lib: Any) -> Callable[[], None]:
        params = _leaves(lib, arrays)
        W1, b1, W2, b2, W3, b3 = params
        x, y, rows = lib.tensor(x_np), lib.tensor(y_np), lib.arange(BATCH)

        def step() -> None:
            h = (x @ W1 + b1).relu()  # (128, 784) @ (784, 512) -> (128, 512)
            h = (h @ W2 + b2).relu()  # (128, 512) @ (512, 256) -> (128, 256)
            logits = h @ W3 + b3  # (128, 256) @ (256, 10) -> (128, 10)
            loss = -logits.log_softmax(dim=1)[rows, y].mean()  # cross-entropy
            for p in params:
                p.grad = None
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= lr * p.grad

        return step

    name = f"MLP {'-'.join(map(str, SIZES))} train step, batch {BATCH}"
    return Case(name, 0, step_for(mytorch), step_for(torch) if torch is not None else None)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(case: Case, repeat: int, warmup: int = 3) -> tuple[float, float | None]:
    """Median seconds of mytorch and torch, alternating runs after a few warm-ups of each."""
    for _ in range(warmup):
        case.mytorch_step()
        if case.torch_step is not None:
            case.torch_step()
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(_timed(case.mytorch_step))
        if case.torch_step is not None:
            theirs.append(_timed(case.torch_step))
    return float(np.median(mine)), (float(np.median(theirs)) if theirs else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per case")
    args = parser.parse_args(argv)
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"numpy {np.__version__}")
    else:
        print("torch is not installed: mytorch's times only")
    print(f"{'forward + backward (median)':48} {'mytorch':>10} {'torch':>10} {'ratio':>6}")
    for make in (chain_case, mlp_case):
        case = make()
        mine, theirs = measure(case, args.repeat)
        ratio = f"{mine / theirs:6.2f}" if theirs else "     -"
        torch_ms = f"{theirs * 1e3:8.2f}ms" if theirs else "         -"
        print(f"{case.name:48} {mine * 1e3:8.2f}ms {torch_ms} {ratio}")
        if case.ops:
            per_op = f"{theirs / case.ops * 1e6:8.1f}us" if theirs else "         -"
            print(f"{'  per op':48} {mine / case.ops * 1e6:8.1f}us {per_op}")


if __name__ == "__main__":
    main()
