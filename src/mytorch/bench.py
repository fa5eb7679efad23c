"""The speed suite: mytorch against PyTorch on the CPU, the same work in the same run.

Every case is written once, as ``build(lib)`` returning a step function, and
run with ``lib = mytorch`` and ``lib = torch``: mytorch speaks PyTorch's API,
so the two steps are the same code on the same data. Runs alternate between
the libraries, so load from other processes hits both alike; the table shows
each median, their ratio (mytorch / PyTorch) and the issue's target.

    mytorch bench [--only conv] [--repeat 10]
    python benchmarks/bench_conv.py          # one group, the same table

Without PyTorch installed, mytorch's column alone is printed. For steady
figures on a busy machine, pin both libraries to one thread:
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``.
"""

from __future__ import annotations

import argparse
import functools
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import mytorch

Step = Callable[[], object]


@dataclass(frozen=True)
class Case:
    """One benchmark.

    Attributes:
        group: the family ('autograd', 'conv', 'pool', 'norm', 'activation', 'loss', 'rnn',
            'train').
        name: what is timed.
        build: ``build(lib)`` -> a step doing the work once with library ``lib``.
        target: the issue's limit on the ratio mytorch / PyTorch (None: none set).
        flops: floating-point operations of one step, for a GFLOP/s column.
        ops: recorded ops in one step, for a per-op line.
    """

    group: str
    name: str
    build: Callable[[Any], Step]
    target: float | None = None
    flops: float | None = None
    ops: int | None = None


def _data(*shapes: tuple[int, ...], scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in shapes]


def _leaf(lib: Any, array: np.ndarray) -> Any:
    return lib.tensor(array, requires_grad=True)


# -- autograd (issue 2) --------------------------------------------------------------------
def chain(lib: Any, n_ops: int = 1000) -> Step:
    """``n_ops`` elementwise ops on 16 elements, then backward: almost pure per-op overhead."""
    x, w, b = (_leaf(lib, a) for a in _data((16,), (16,), (16,), scale=0.5))

    def step() -> None:
        x.grad = w.grad = b.grad = None
        y = x
        for _ in range(n_ops // 4):
            y = (y * w + b).tanh().sin()  # 4 recorded ops; values stay in [-1, 1]
        y.sum().backward()

    return step


def mlp_step(lib: Any, sizes: Sequence[int] = (784, 512, 256, 10), batch: int = 128) -> Step:
    """A training step of an MLP: forward, cross-entropy, backward, SGD update."""
    layers = [lib.nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:])]
    model = lib.nn.Sequential(*[m for layer in layers for m in (layer, lib.nn.ReLU())][:-1])
    return _train_step(lib, model, _data((batch, sizes[0]))[0], sizes[-1])


def _train_step(lib: Any, model: Any, x_np: np.ndarray, classes: int) -> Step:
    """Forward, cross-entropy, backward and an SGD-with-momentum update of ``model``."""
    x = lib.tensor(x_np)
    y = lib.tensor(np.random.default_rng(1).integers(0, classes, len(x_np)))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


# -- convolutional networks (issue 3) ---------------------------------------------------------
def conv(lib: Any, N: int, C: int, O: int, size: int, k: int, stride: int = 1, pad: int = 0,
         groups: int = 1, nd: int = 2) -> Step:
    """conv1d/conv2d forward + backward (input, weight and bias gradients)."""
    x_np, W_np, b_np = _data((N, C) + (size,) * nd, (O, C // groups) + (k,) * nd, (O,), scale=0.1)
    x, W, b = _leaf(lib, x_np), _leaf(lib, W_np), _leaf(lib, b_np)
    fn = lib.nn.functional.conv2d if nd == 2 else lib.nn.functional.conv1d

    def step() -> None:
        x.grad = W.grad = b.grad = None
        fn(x, W, b, stride=stride, padding=pad, groups=groups).sum().backward()

    return step


def conv_case(lib: Any, args: tuple[int, ...]) -> Step:
    """``conv`` with one of CONV_SHAPES' argument tuples."""
    return conv(lib, *args)


def conv_flops(N: int, C: int, O: int, size: int, k: int, stride: int = 1, pad: int = 0,
               groups: int = 1, nd: int = 2) -> float:
    """Forward, input gradient and weight gradient: 2 flops per (output, tap, channel) each."""
    out = (size + 2 * pad - k) // stride + 1
    return 3 * 2 * N * O * out**nd * (C // groups) * k**nd


def pool(lib: Any, kind: str, k: int, stride: int, pad: int = 0) -> Step:
    """max_pool2d / avg_pool2d forward + backward on (32, 64, 32, 32)."""
    x = _leaf(lib, _data((32, 64, 32, 32))[0])
    fn = getattr(lib.nn.functional, f"{kind}_pool2d")

    def step() -> None:
        x.grad = None
        fn(x, k, stride, pad).sum().backward()

    return step


# -- training building blocks (issue 4) --------------------------------------------------------
def layer(lib: Any, make: Callable[[Any], Any], shape: tuple[int, ...]) -> Step:
    """A layer's forward + backward (input and parameter gradients) on random input."""
    module = make(lib)
    x = _leaf(lib, _data(shape)[0])

    def step() -> None:
        x.grad = None
        module.zero_grad()
        out = module(x)
        (out[0] if isinstance(out, tuple) else out).sum().backward()

    return step


def loss(lib: Any, kind: str) -> Step:
    """A loss forward + backward w.r.t. its input."""
    rng = np.random.default_rng(0)
    F = lib.nn.functional
    if kind == "ctc":  # T=100, N=16, C=30, S=20
        x = _leaf(lib, _data((100, 16, 30))[0])
        targets = lib.tensor(rng.integers(1, 30, (16, 20)))
        lengths = lib.tensor(np.full(16, 100)), lib.tensor(np.full(16, 20))
        compute = lambda: F.ctc_loss(x.log_softmax(2), targets, *lengths)  # noqa: E731
    else:  # cross-entropy on (1024, 1000) logits
        x = _leaf(lib, _data((1024, 1000))[0])
        y = lib.tensor(rng.integers(0, 1000, 1024))
        compute = lambda: F.cross_entropy(x, y)  # noqa: E731

    def step() -> None:
        x.grad = None
        compute().backward()

    return step


def lenet_step(lib: Any) -> Step:
    """One LeNet-5 training step on a (128, 1, 28, 28) batch."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    return _train_step(lib, model, _data((128, 1, 28, 28))[0], 10)


CONV_SHAPES = {  # (N, C, O, size, k, stride, pad, groups, nd)
    "conv2d (32, 64->64, 32x32, k3, s1, p1)": (32, 64, 64, 32, 3, 1, 1, 1, 2),
    "conv2d (64, 1->6, 28x28, k5, s1, p0)": (64, 1, 6, 28, 5, 1, 0, 1, 2),
    "conv2d (32, 32->64, 32x32, k3, s2, p1)": (32, 32, 64, 32, 3, 2, 1, 1, 2),
    "conv1d (256, 32->32, L=40, k5, s1, p2)": (256, 32, 32, 40, 5, 1, 2, 1, 1),
    "depthwise conv2d (32, 64, 32x32, k3, g64)": (32, 64, 64, 32, 3, 1, 1, 64, 2),
}

CASES: list[Case] = [
    Case("autograd", "chain of 1,000 elementwise ops, 16 elements", chain, 3.0, ops=1000),
    Case("autograd", "MLP 784-512-256-10 train step, batch 128", mlp_step, 1.5),
    *(Case("conv", name, functools.partial(conv_case, args=args), None if args[7] > 1 else 2.0,
           flops=conv_flops(*args)) for name, args in CONV_SHAPES.items()),
    Case("pool", "max_pool2d 2x2 s2 (32, 64, 32, 32)", lambda lib: pool(lib, "max", 2, 2), 2.0),
    Case("pool", "max_pool2d 3x3 s2 p1 (32, 64, 32, 32)", lambda lib: pool(lib, "max", 3, 2, 1)),
    Case("pool", "avg_pool2d 2x2 s2 (32, 64, 32, 32)", lambda lib: pool(lib, "avg", 2, 2)),
    Case("norm", "BatchNorm2d(64) on (32, 64, 32, 32)",
         lambda lib: layer(lib, lambda L: L.nn.BatchNorm2d(64), (32, 64, 32, 32)), 2.0),
    Case("norm", "LayerNorm(512) on (64, 128, 512)",
         lambda lib: layer(lib, lambda L: L.nn.LayerNorm(512), (64, 128, 512))),
    Case("activation", "exact GELU on (256, 1024)",
         lambda lib: layer(lib, lambda L: L.nn.GELU(), (256, 1024)), 1.5),
    Case("loss", "cross_entropy (1024, 1000)", lambda lib: loss(lib, "ce"), 2.0),
    Case("loss", "ctc_loss T=100 N=16 C=30 S=20", lambda lib: loss(lib, "ctc")),
    Case("rnn", "GRU(8, 64), batch 64, sequence 40",
         lambda lib: layer(lib, lambda L: L.nn.GRU(8, 64), (40, 64, 8)), 3.0),
    Case("rnn", "LSTM(8, 64), batch 64, sequence 40",
         lambda lib: layer(lib, lambda L: L.nn.LSTM(8, 64), (40, 64, 8))),
    Case("train", "LeNet-5 train step, batch 128", lenet_step, 2.0),
]


# -- measuring and reporting -----------------------------------------------------------------------
def _timed(step: Step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(case: Case, torch: Any, repeat: int, warmup: int = 2) -> tuple[float, float | None]:
    """Median seconds of a mytorch step and (if torch is given) a torch step, alternating."""
    mine = case.build(mytorch)
    theirs = case.build(torch) if torch is not None else None
    for _ in range(warmup):
        mine()
        if theirs is not None:
            theirs()
    mine_s, theirs_s = [], []
    for _ in range(repeat):
        mine_s.append(_timed(mine))
        if theirs is not None:
            theirs_s.append(_timed(theirs))
    return float(np.median(mine_s)), (float(np.median(theirs_s)) if theirs_s else None)


def numpy_gemm_gflops(n: int = 1024, repeat: int = 5) -> float:
    """The float32 matrix-product rate NumPy's BLAS reaches here, now."""
    a, b = _data((n, n), (n, n))
    return 2 * n**3 / min(_timed(lambda: a @ b) for _ in range(repeat)) / 1e9


def conv_peak_memory() -> str:
    """Peak memory of the first conv case's forward + backward against its unfolded input."""
    N, C, O, size, k, *_ = CONV_SHAPES["conv2d (32, 64->64, 32x32, k3, s1, p1)"]
    step = conv(mytorch, N, C, O, size, k, 1, 1)
    step()  # warm up
    tracemalloc.start()
    try:
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    unfolded = N * C * k * k * size * size * 4
    return (f"peak memory of conv2d (32, 64->64, 32x32) forward + backward: "
            f"{peak / 2**20:.1f} MiB = {peak / unfolded:.2f}x its unfolded input "
            f"({unfolded / 2**20:.0f} MiB); target <= 3x")


def run_suite(repeat: int = 5, only: str | None = None) -> str:
    """Time every case whose group or name contains ``only``; returns the report table."""
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    cases = [c for c in CASES if only is None or only in c.group or only in c.name]
    head = f"numpy {np.__version__}, float32 GEMM {numpy_gemm_gflops():.0f} GFLOP/s; " + (
        f"torch {torch.__version__}, {torch.get_num_threads()} threads" if torch is not None
        else "torch not installed: mytorch's times only")
    lines = [head, "", f"{'forward + backward (median)':46} {'mytorch':>10} {'torch':>10} "
             f"{'ratio':>6} {'target':>6} {'GFLOP/s':>8}"]
    for case in cases:
        mine, theirs = measure(case, torch, repeat)
        ratio = f"{mine / theirs:6.2f}" if theirs else f"{'-':>6}"
        target = f"{case.target:6.1f}" if case.target else f"{'':6}"
        theirs_ms = f"{theirs * 1e3:8.2f}ms" if theirs else f"{'-':>10}"
        gflops = f"{case.flops / mine / 1e9:8.1f}" if case.flops else ""
        lines.append(f"{case.name:46} {mine * 1e3:8.2f}ms {theirs_ms} {ratio} {target} {gflops}")
        if case.ops:
            per_op = f"{theirs / case.ops * 1e6:8.1f}us" if theirs else f"{'-':>10}"
            lines.append(f"{'  per op':46} {mine / case.ops * 1e6:8.1f}us {per_op}")
    if any(c.group == "conv" for c in cases):
        lines += ["", conv_peak_memory()]
    return "\n".join(lines)


def main(group: str | None = None, argv: Sequence[str] | None = None) -> None:
    """The command line of the scripts in benchmarks/: one group of the suite."""
    parser = argparse.ArgumentParser(description=f"mytorch vs PyTorch: {group or 'all'} cases")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per case")
    args = parser.parse_args(argv)
    print(run_suite(args.repeat, group))
