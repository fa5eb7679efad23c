"""Pooling speed against PyTorch on the CPU: forward + backward, same inputs, same run.

    python benchmarks/bench_pool.py [--repeat 30]

Cases, on a float32 batch (32, 64, 32, 32):

- max_pool2d 2x2, stride 2 (disjoint windows: the scatter assigns);
- avg_pool2d 2x2, stride 2;
- max_pool2d 3x3, stride 2, padding 1 (overlapping windows, -inf padding:
  the scatter accumulates), the pooling of ResNet's stem.

Each step is ``y = pool(x); y.backward(gy)`` with a fixed upstream gradient.
mytorch and PyTorch alternate, so load from other processes hits both alike;
the script prints each median and mytorch's time as a multiple of PyTorch's.
Target (issue 3): max_pool2d 2x2 at most 2.0x. The machine may be shared:
compare ratios within one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import mytorch

try:
    import torch
    import torch.nn.functional as torch_F
except ImportError:  # the mytorch column still prints
    torch = torch_F = None

SHAPE = (32, 64, 32, 32)
CASES = [  # (name, function name, keyword arguments)
    ("max_pool2d 2x2 s2", "max_pool2d", dict(kernel_size=2, stride=2)),
    ("avg_pool2d 2x2 s2", "avg_pool2d", dict(kernel_size=2, stride=2)),
    ("max_pool2d 3x3 s2 p1", "max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
]


def step_for(lib: Any, functional: Any, name: str, kwargs: dict[str, Any],
             x_np: np.ndarray) -> Callable[[], None]:
    """One forward + backward of ``functional.<name>`` on a leaf made from ``x_np``."""
    x = lib.tensor(x_np, requires_grad=True)
    gy = lib.ones(*getattr(functional, name)(x, **kwargs).shape)

    def step() -> None:
        x.grad = None
        getattr(functional, name)(x, **kwargs).backward(gy)

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
    args = parser.parse_args(argv)
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"numpy {np.__version__}")
    else:
        print("torch is not installed: mytorch's times only")
    x_np = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    print(f"{'forward + backward on ' + str(SHAPE) + ' (median)':44} "
          f"{'mytorch':>10} {'torch':>10} {'ratio':>6}")
    for name, fn, kwargs in CASES:
        mine = step_for(mytorch, mytorch, fn, kwargs, x_np)
        theirs = step_for(torch, torch_F, fn, kwargs, x_np) if torch is not None else None
        mine_s, theirs_s = measure(mine, theirs, args.repeat)
        ratio = f"{mine_s / theirs_s:6.2f}" if theirs_s else "     -"
        torch_ms = f"{theirs_s * 1e3:8.2f}ms" if theirs_s else "         -"
        print(f"{name:44} {mine_s * 1e3:8.2f}ms {torch_ms} {ratio}")


if __name__ == "__main__":
    main()
