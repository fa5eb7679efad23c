"""Normalization speed against PyTorch on the CPU: forward + backward, same inputs, same run.

    python benchmarks/bench_norm.py [--repeat 30] [--torch-threads 1]

Cases, float32, layers in training mode:

- BatchNorm2d(64) on (32, 64, 32, 32): the target (issue 4: at most 2.0x);
- LayerNorm(512) on (64, 128, 512), as in a transformer block;
- GroupNorm(8, 64) on (32, 64, 32, 32).

Each step is ``y = layer(x); y.backward(gy)`` with a fixed upstream gradient,
so the weight and bias gradients are computed too. mytorch and PyTorch
alternate, so load from other processes hits both alike; the script prints
each median and mytorch's time as a multiple of PyTorch's. The machine may be
shared: compare ratios within one run. NumPy runs these elementwise passes on
one core; ``--torch-threads 1`` gives PyTorch the same.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import mytorch
from mytorch.nn.modules import normalization as mt_norm

try:
    import torch
except ImportError:  # the mytorch column still prints
    torch = None

CASES = [  # (name, layer class name, constructor arguments, input shape)
    ("BatchNorm2d(64)", "BatchNorm2d", (64,), (32, 64, 32, 32)),
    ("LayerNorm(512)", "LayerNorm", (512,), (64, 128, 512)),
    ("GroupNorm(8, 64)", "GroupNorm", (8, 64), (32, 64, 32, 32)),
]


def step_for(lib: Any, layer: Any, x_np: np.ndarray, gy_np: np.ndarray) -> Callable[[], None]:
    """One forward + backward through ``layer`` on a leaf made from ``x_np``."""
    x = lib.tensor(x_np, requires_grad=True)
    gy = lib.tensor(gy_np)

    def step() -> None:
        x.grad = None
        for p in layer.parameters():
            p.grad = None
        layer(x).backward(gy)

    return step


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(mine: Callable[[], None], theirs: Callable[[], None] | None, repeat: int,
            warmup: int = 3) -> tuple[float, float | None]:
    """Median seconds of mytorch and torch, alternating runs after a few warm-ups of each."""
    for _ in range(warmup):
        mine()
        if theirs is not None:
            theirs()
    mine_t, theirs_t = [], []
    for _ in range(repeat):
        mine_t.append(_timed(mine))
        if theirs is not None:
            theirs_t.append(_timed(theirs))
    return float(np.median(mine_t)), (float(np.median(theirs_t)) if theirs_t else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch's intra-op threads (default: its own choice)")
    args = parser.parse_args(argv)
    if torch is not None and args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"numpy {np.__version__}")
    else:
        print("torch is not installed: mytorch's times only")
    rng = np.random.default_rng(0)
    print(f"{'forward + backward, float32 (median)':44} {'mytorch':>10} {'torch':>10} {'ratio':>6}")
    for name, cls, ctor_args, shape in CASES:
        x_np = rng.standard_normal(shape).astype(np.float32)
        gy_np = rng.standard_normal(shape).astype(np.float32)
        mine = step_for(mytorch, getattr(mt_norm, cls)(*ctor_args), x_np, gy_np)
        theirs = None
        if torch is not None:
            theirs = step_for(torch, getattr(torch.nn, cls)(*ctor_args), x_np, gy_np)
        mine_s, theirs_s = measure(mine, theirs, args.repeat)
        ratio = f"{mine_s / theirs_s:6.2f}" if theirs_s else "     -"
        torch_ms = f"{theirs_s * 1e3:8.2f}ms" if theirs_s else "         -"
        label = f"{name} on {shape}"
        print(f"{label:44} {mine_s * 1e3:8.2f}ms {torch_ms} {ratio}")


if __name__ == "__main__":
    main()
