"""Convolution speed against PyTorch on the CPU: forward + backward, same inputs, same run.

    python benchmarks/bench_conv.py [--repeat 15] [--cpu-time]

For each case it prints mytorch's median time, PyTorch's median measured in
the same run (the two alternate, so load from other processes hits both), the
ratio of the medians and of the fastest runs, and the GFLOP/s mytorch achieves
next to the rate of NumPy's own float32 matrix product measured at the start.
Then the peak extra memory of the first case's forward + backward against the
size of its unfolded input.

On a machine shared with other work, wall times swing with the load (and
multithreaded BLAS calls stall when their threads are not scheduled). For
figures that hold still, time one thread by the CPU time it uses:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_conv.py --cpu-time

Targets (issue 3): ratio <= 2.0 for every conv2d and conv1d case; peak memory
<= 3x the unfolded input.
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import mytorch
from mytorch.kernels.conv import get_conv_memory_budget
from mytorch.ops import conv as mt_conv

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the mytorch column still prints
    torch = None


@dataclass
class Case:
    """One benchmark: a forward + backward step for mytorch and for torch."""

    name: str
    mytorch_step: Callable[[], None]
    torch_step: Callable[[], None] | None
    flops: float  # multiply-adds x 2 of the forward + backward


def conv_case(name: str, N: int, Cin: int, Cout: int, size: int, k: int, stride: int = 1,
              pad: int = 0, groups: int = 1, nd: int = 2) -> Case:
    """conv{nd}d forward + backward (input, weight and bias gradients) on float32 data."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, Cin) + (size,) * nd).astype(np.float32)
    W = (rng.standard_normal((Cout, Cin // groups) + (k,) * nd) * 0.1).astype(np.float32)
    b = np.zeros(Cout, np.float32)
    out = (size + 2 * pad - k) // stride + 1
    gy = rng.standard_normal((N, Cout) + (out,) * nd).astype(np.float32)
    mt_fn = mt_conv.conv2d if nd == 2 else mt_conv.conv1d
    mx, mW, mb = (mytorch.tensor(a, requires_grad=True) for a in (x, W, b))
    mgy = mytorch.tensor(gy)

    def mytorch_step() -> None:
        mx.grad = mW.grad = mb.grad = None
        mt_fn(mx, mW, mb, stride=stride, padding=pad, groups=groups).backward(mgy)

    torch_step = None
    if torch is not None:
        th_fn = F.conv2d if nd == 2 else F.conv1d
        tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
        tgy = torch.tensor(gy)

        def torch_step() -> None:
            tx.grad = tW.grad = tb.grad = None
            th_fn(tx, tW, tb, stride=stride, padding=pad, groups=groups).backward(tgy)

    # forward, input gradient and weight gradient: one multiply-add per (output, tap, channel)
    flops = 3 * 2 * N * Cout * out**nd * (Cin // groups) * k**nd
    return Case(name, mytorch_step, torch_step, flops)


CASES = [
    lambda: conv_case("conv2d (32, 64->64, 32x32, k3, s1, p1)", 32, 64, 64, 32, 3, 1, 1),
    lambda: conv_case("conv2d (64, 1->6, 28x28, k5, s1, p0)", 64, 1, 6, 28, 5, 1, 0),
    lambda: conv_case("conv2d (32, 32->64, 32x32, k3, s2, p1)", 32, 32, 64, 32, 3, 2, 1),
    lambda: conv_case("conv1d (256, 32->32, L=40, k5, s1, p2)", 256, 32, 32, 40, 5, 1, 2, nd=1),
    lambda: conv_case("depthwise conv2d (32, 64->64, 32x32, k3, g64)", 32, 64, 64, 32, 3, 1, 1,
                      groups=64),
    # max_pool2d 2x2 on (32, 64, 32, 32) goes here, as a Case built by a pool_case() helper
    # next to conv_case(), once mytorch.ops.pool exists.
]


def numpy_gemm_gflops(n: int = 1024, repeat: int = 10) -> float:
    """The float32 matrix-product rate NumPy's BLAS reaches on this machine, now."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    return 2 * n**3 / min(_timed(lambda: a @ b) for _ in range(repeat)) / 1e9


CLOCK = time.perf_counter


def _timed(fn: Callable[[], object]) -> float:
    start = CLOCK()
    fn()
    return CLOCK() - start


def measure(case: Case, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of each mytorch and torch run, alternating, after one warm-up of each."""
    case.mytorch_step()
    if case.torch_step is not None:
        case.torch_step()
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(_timed(case.mytorch_step))
        if case.torch_step is not None:
            theirs.append(_timed(case.torch_step))
    return mine, theirs


def peak_memory(case: Case) -> int:
    """Peak bytes allocated (NumPy arrays included) during one forward + backward."""
    case.mytorch_step()  # warm up: caches, lazily built objects
    tracemalloc.start()
    try:
        case.mytorch_step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per case")
    parser.add_argument("--cpu-time", action="store_true",
                        help="measure process CPU time, not wall time (for one thread)")
    args = parser.parse_args(argv)
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"{'CPU' if args.cpu_time else 'wall'} time")
    gemm = numpy_gemm_gflops()
    print(f"NumPy float32 GEMM: {gemm:.0f} GFLOP/s\n")
    print(f"{'forward + backward (medians)':48} {'mytorch':>9} {'torch':>9} {'ratio':>6} "
          f"{'best':>6} {'GFLOP/s':>8}")
    for make in CASES:
        case = make()
        mine, theirs = measure(case, args.repeat)
        median = float(np.median(mine))
        if theirs:
            torch_ms = f"{np.median(theirs) * 1e3:7.1f}ms"
            ratios = f"{median / np.median(theirs):6.2f} {min(mine) / min(theirs):6.2f}"
        else:
            torch_ms, ratios = f"{'-':>9}", f"{'-':>6} {'-':>6}"
        print(f"{case.name:48} {median * 1e3:7.1f}ms {torch_ms} {ratios} "
              f"{case.flops / median / 1e9:8.1f}")
    print("(ratio: of the medians; best: of the fastest runs, less sensitive to other load)")

    N, C, k, size = 32, 64, 3, 32  # the first case; stride 1 and padding 1 keep 32x32 outputs
    unfolded = N * C * k * k * size * size * np.dtype(np.float32).itemsize
    first = CASES[0]()
    peak = peak_memory(first)
    print(f"\npeak extra memory of {first.name} forward + backward: {peak / 2**20:.1f} MiB "
          f"= {peak / unfolded:.2f}x its unfolded input ({unfolded / 2**20:.1f} MiB); "
          f"target <= 3x")
    print(f"memory budget of an unfolded chunk: {math.ceil(get_conv_memory_budget() / 2**20)} MiB")


if __name__ == "__main__":
    main()
