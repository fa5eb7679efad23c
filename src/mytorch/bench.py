"""The speed suite: mytorch against PyTorch on the CPU, the same work in the same run.

Every case is written once, as ``build(lib)`` returning a step function, and
run with ``lib = mytorch`` and ``lib = torch``: mytorch speaks PyTorch's API,
so the two steps are the same code on the same data (the model steps build the
same architecture from ``lib.nn``). Runs alternate between the libraries, so
load from other processes hits both alike.

Thread counts must be fixed before NumPy or PyTorch is imported, so the suite
runs its cases in child processes: one with the default threads and one with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1`` for both
libraries. One table shows, per case and per thread setting, mytorch's time,
PyTorch's, their ratio (mytorch / PyTorch), the project's target and whether it
is met in every setting run. Below it: convolution GFLOP/s as a share of
NumPy's own float32 GEMM rate (target >= 50% on the first shape), and the peak
memory of conv2d forward + backward on one 1x64x768x768 sample, each library in
a fresh process (target: mytorch below PyTorch).

    mytorch bench [--only conv] [--repeat 10] [--threads both|default|1] [--stat median|best]
    python benchmarks/bench_all.py           # the whole suite, the same options
    python benchmarks/bench_conv.py          # one group, the same table

Without PyTorch installed, mytorch's columns alone are printed. On a busy
machine the figures are noisy: use ``--stat best`` and many repeats. The
end-to-end comparison (``mytorch train`` on MNIST-1D against the same run
written in PyTorch) is ``python benchmarks/bench_end_to_end.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import importlib.util
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import mytorch

Step = Callable[[], object]


@dataclass(frozen=True)
class Case:
    """One benchmark.

    Attributes:
        group: the family ('autograd', 'linear', 'conv', 'pool', 'norm', 'activation', 'loss',
            'rnn', 'train').
        name: what is timed.
        build: ``build(lib)`` -> a step doing the work once with library ``lib``.
        target: the project's limit on the ratio mytorch / PyTorch (None: none set).
        flops: floating-point operations of one step, for the GFLOP/s lines.
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


# -- autograd and linear layers ------------------------------------------------------------------
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


def linear(lib: Any, batch: int = 256, n_in: int = 1024, n_out: int = 1024) -> Step:
    """``F.linear`` forward + backward: the input, weight and bias gradients."""
    x, W, b = (_leaf(lib, a) for a in _data((batch, n_in), (n_out, n_in), (n_out,), scale=0.1))

    def step() -> None:
        x.grad = W.grad = b.grad = None
        lib.nn.functional.linear(x, W, b).sum().backward()

    return step


def mlp_step(lib: Any, sizes: Sequence[int] = (784, 512, 256, 10), batch: int = 128) -> Step:
    """A training step of an MLP: forward, cross-entropy, backward, SGD update."""
    layers = [lib.nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:])]
    model = lib.nn.Sequential(*[m for layer in layers for m in (layer, lib.nn.ReLU())][:-1])
    return _train_step(lib, model, _data((batch, sizes[0]))[0], sizes[-1])


def _train_step(lib: Any, model: Any, x_np: np.ndarray, classes: int,
                optimizer: str = "sgd") -> Step:
    """Forward, cross-entropy, backward and an optimizer update of ``model`` in training mode.

    ``optimizer``: 'sgd' (lr 0.01, momentum 0.9) or 'adam' (lr 2e-3, as ``mytorch train``).
    """
    x = lib.tensor(x_np)
    y = lib.tensor(np.random.default_rng(1).integers(0, classes, len(x_np)))
    model.train()
    update = (lib.optim.Adam(model.parameters(), lr=2e-3) if optimizer == "adam"
              else lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    loss_fn = lib.nn.CrossEntropyLoss()

    def step() -> None:
        update.zero_grad()
        loss_fn(model(x), y).backward()
        update.step()

    return step


# -- convolution and pooling ---------------------------------------------------------------------
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


def conv_transpose(lib: Any, N: int, C: int, O: int, size: int, k: int, stride: int,
                   pad: int) -> Step:
    """conv_transpose2d forward + backward on (N, C, size, size), weight (C, O, k, k)."""
    x_np, W_np, b_np = _data((N, C, size, size), (C, O, k, k), (O,), scale=0.1)
    x, W, b = _leaf(lib, x_np), _leaf(lib, W_np), _leaf(lib, b_np)

    def step() -> None:
        x.grad = W.grad = b.grad = None
        lib.nn.functional.conv_transpose2d(x, W, b, stride=stride, padding=pad).sum().backward()

    return step


def pool(lib: Any, kind: str, k: int, stride: int, pad: int = 0) -> Step:
    """max_pool2d / avg_pool2d forward + backward on (32, 64, 32, 32)."""
    x = _leaf(lib, _data((32, 64, 32, 32))[0])
    fn = getattr(lib.nn.functional, f"{kind}_pool2d")

    def step() -> None:
        x.grad = None
        fn(x, k, stride, pad).sum().backward()

    return step


# -- layers and losses ---------------------------------------------------------------------------
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


# -- whole models, written once for both libraries -------------------------------------------------
def lenet5(lib: Any) -> Any:
    """LeNet-5 with ReLU and max pooling, for (N, 1, 28, 28) inputs."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def mnist1d_cnn(lib: Any) -> Any:
    """``mytorch.models.MNIST1DCNN``'s layers: (N, 1, 40) -> three Conv1d + BatchNorm1d + ReLU
    (channels 32, 64, 64; kernels 5, 3, 3; strides 1, 2, 2) -> (N, 64, 10) -> Linear -> (N, 10)."""
    nn = lib.nn
    layers: list[Any] = []
    for c_in, c_out, k, s in ((1, 32, 5, 1), (32, 64, 3, 2), (64, 64, 3, 2)):
        layers += [nn.Conv1d(c_in, c_out, k, s, padding=k // 2), nn.BatchNorm1d(c_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 10, 10))


def resnet20(lib: Any) -> Any:
    """``mytorch.models.ResNet20``'s layers (option A shortcuts), for (N, 3, 32, 32) inputs.

    A 3x3 convolution to 16 channels, three stages of three basic blocks (16, 32,
    64 channels; the first block of stages 2 and 3 has stride 2), global average
    pooling and ``Linear(64, 10)``; convolutions without bias, each followed by
    batch norm. (The initialization differs; the work does not.)
    """
    nn, F = lib.nn, lib.nn.functional

    class BasicBlock(nn.Module):  # type: ignore[misc, name-defined]
        """``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``."""

        def __init__(self, c_in: int, c_out: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.stride, self.extra = stride, c_out - c_in

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            shortcut = x
            if self.stride > 1 or self.extra:  # subsample, zero-pad the new channels
                shortcut = F.pad(x[:, :, ::self.stride, ::self.stride],
                                 (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
            return F.relu(out + shortcut)

    blocks, channels = [], 16
    for width, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            blocks.append(BasicBlock(channels, width, stride if i == 0 else 1))
            channels = width
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), *blocks,
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )


def model_step(lib: Any, make: Callable[[Any], Any], shape: tuple[int, ...],
               optimizer: str = "sgd") -> Step:
    """One training step of the model ``make(lib)`` on a random batch of ``shape``."""
    return _train_step(lib, make(lib), _data(shape)[0], 10, optimizer)


CONV_SHAPES = {  # (N, C, O, size, k, stride, pad, groups, nd)
    "conv2d (32, 64->64, 32x32, k3, s1, p1)": (32, 64, 64, 32, 3, 1, 1, 1, 2),
    "conv2d (64, 1->6, 28x28, k5, s1, p0)": (64, 1, 6, 28, 5, 1, 0, 1, 2),
    "conv2d (32, 32->64, 32x32, k3, s2, p1)": (32, 32, 64, 32, 3, 2, 1, 1, 2),
    "conv1d (256, 32->32, L=40, k5, s1, p2)": (256, 32, 32, 40, 5, 1, 2, 1, 1),
    "depthwise conv2d (32, 64, 32x32, k3, g64)": (32, 64, 64, 32, 3, 1, 1, 64, 2),
}
CONV_TRANSPOSE = (32, 64, 32, 16, 4, 2, 1)  # (N, C, O, size, k, stride, pad): 16x16 -> 32x32
FIRST_CONV = next(iter(CONV_SHAPES))  # the shape whose GEMM share has a target

CASES: list[Case] = [
    Case("autograd", "chain of 1,000 elementwise ops, 16 elements", chain, 1.5, ops=1000),
    Case("autograd", "MLP 784-512-256-10 train step, batch 128", mlp_step),
    Case("linear", "linear (256, 1024) @ (1024, 1024)^T + bias", linear, 1.0,
         flops=3 * 2 * 256 * 1024 * 1024),
    *(Case("conv", name, functools.partial(conv_case, args=args), 1.5 if args[7] > 1 else 1.0,
           flops=conv_flops(*args)) for name, args in CONV_SHAPES.items()),
    Case("conv", "conv_transpose2d (32, 64->32, 16x16, k4, s2, p1)",
         lambda lib: conv_transpose(lib, *CONV_TRANSPOSE), 1.0,
         flops=conv_flops(*CONV_TRANSPOSE[:5])),  # the same products as the conv it reverses
    Case("pool", "max_pool2d 2x2 s2 (32, 64, 32, 32)", lambda lib: pool(lib, "max", 2, 2), 1.0),
    Case("pool", "max_pool2d 3x3 s2 p1 (32, 64, 32, 32)",
         lambda lib: pool(lib, "max", 3, 2, 1), 1.0),
    Case("pool", "avg_pool2d 2x2 s2 (32, 64, 32, 32)", lambda lib: pool(lib, "avg", 2, 2), 1.0),
    Case("pool", "avg_pool2d 3x3 s2 p1 (32, 64, 32, 32)",
         lambda lib: pool(lib, "avg", 3, 2, 1), 1.0),
    Case("norm", "BatchNorm2d(64) on (32, 64, 32, 32)",
         lambda lib: layer(lib, lambda L: L.nn.BatchNorm2d(64), (32, 64, 32, 32)), 1.0),
    Case("norm", "LayerNorm(512) on (64, 128, 512)",
         lambda lib: layer(lib, lambda L: L.nn.LayerNorm(512), (64, 128, 512)), 1.0),
    Case("activation", "exact GELU on (256, 1024)",
         lambda lib: layer(lib, lambda L: L.nn.GELU(), (256, 1024)), 1.5),
    Case("loss", "cross_entropy (1024, 1000)", lambda lib: loss(lib, "ce"), 1.0),
    Case("loss", "ctc_loss T=100 N=16 C=30 S=20", lambda lib: loss(lib, "ctc"), 1.5),
    Case("rnn", "GRU(8, 64), batch 64, sequence 40",
         lambda lib: layer(lib, lambda L: L.nn.GRU(8, 64), (40, 64, 8)), 1.0),
    Case("rnn", "LSTM(8, 64), batch 64, sequence 40",
         lambda lib: layer(lib, lambda L: L.nn.LSTM(8, 64), (40, 64, 8)), 1.0),
    Case("train", "LeNet-5 train step (SGD), batch 128",
         lambda lib: model_step(lib, lenet5, (128, 1, 28, 28)), 1.0),
    Case("train", "MNIST-1D CNN train step (Adam), batch 32",
         lambda lib: model_step(lib, mnist1d_cnn, (32, 1, 40), "adam"), 1.0),
    Case("train", "ResNet-20 train step (SGD), batch 128, 32x32",
         lambda lib: model_step(lib, resnet20, (128, 3, 32, 32)), 1.0),
]


def select(only: str | None) -> list[Case]:
    """The cases whose group or name contains ``only`` (all of them for None)."""
    return [c for c in CASES if only is None or only in c.group or only in c.name]


# -- timing, in one process with whatever threads it was started with ----------------------------
# PyTorch's OpenMP workers spin after each parallel region before they sleep (libgomp's
# default spin: ~11 ms of CPU measured here after a pooling step, 0.2 ms with
# GOMP_SPINCOUNT=0). Timed at once, the next step shares the 2 cores with that spinning:
# mytorch's single-threaded max pool 2x2 step took 19-24 ms (best of 10, wall, under load)
# right after a torch step, 11-15 ms after a 30 ms pause. So every timed step first waits
# for the workers to go idle, then runs once untimed: the pause leaves the caches cold
# (mytorch's pooling steps 15-25% slower right after a 20 ms sleep), and the timed run
# then sees what a loop of steps sees, each library undisturbed by the other.
# NumPy's OpenBLAS workers spin longer still after each multithreaded product (about
# 2^28 cycles, ~0.1 s, by default): torch's conv1d step (256, 32->32, L40), median of 15
# wall, took 2.8-3.2 ms after a pause alone, 6.4-7.1 ms when a NumPy product (512x512) had
# run 20 ms before, 4.7 ms 0.1 s before and 4.3 ms 0.15 s before (the same as no product
# at all in that run). A 20 ms pause left every default-thread torch figure after a
# mytorch step that used BLAS up to 2x too slow, so the pause is 0.15 s.
_SETTLE_SECONDS = 0.15


def _timed(step: Step) -> float:
    """Wall seconds of one run of ``step``, after a pause for other threads to go idle and
    an untimed run to warm the caches again."""
    time.sleep(_SETTLE_SECONDS)
    step()
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def best_seconds(step: Callable[[], object], repeat: int = 7) -> float:
    """Seconds of the fastest of ``repeat`` runs of ``step`` after one warm-up (the floor
    scripts in ``benchmarks/``: what the least work takes, not what a step usually takes)."""
    step()
    return min(_timed(step) for _ in range(repeat))


def best_cpu_seconds(step: Callable[[], object], repeat: int = 7) -> float:
    """CPU seconds of the fastest of ``repeat`` runs of ``step`` after one warm-up: steadier
    than wall time on a busy machine, and meant for one thread (other threads' CPU time
    would count too)."""
    step()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        step()
        times.append(time.process_time() - start)
    return min(times)


def profile_top(step: Callable[[], object], runs: int = 10, lines: int = 8) -> str:
    """The ``lines`` functions with the most own time in a cProfile of ``runs`` runs of
    ``step`` after one warm-up: the table from its header row on."""
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        step()
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(lines)
    body = text.getvalue().splitlines()
    header = next(i for i, line in enumerate(body) if line.strip().startswith("ncalls"))
    return "\n".join(line for line in body[header:] if line.strip())


def measure(case: Case, torch: Any, repeat: int,
            warmup: int = 1) -> tuple[list[float], list[float]]:
    """Seconds of ``repeat`` mytorch steps and (if torch is given) torch steps, alternating."""
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
    return mine_s, theirs_s


def numpy_gemm_gflops(n: int = 1024, repeat: int = 5) -> float:
    """The float32 matrix-product rate NumPy's BLAS reaches here, now (best of ``repeat``)."""
    a, b = _data((n, n), (n, n))
    return 2 * n**3 / min(_timed(lambda: a @ b) for _ in range(repeat)) / 1e9


def run_cases(repeat: int, only: str | None) -> dict[str, Any]:
    """Time the selected cases in this process: a JSON-ready record of every run.

    Returns ``{"numpy", "torch" (version or None), "threads" (PyTorch's, or None),
    "gemm_gflops", "times": {case name: [mytorch seconds, torch seconds]}}``.
    """
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    times = {case.name: measure(case, torch, repeat) for case in select(only)}
    return {
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "threads": None if torch is None else torch.get_num_threads(),
        "gemm_gflops": numpy_gemm_gflops(),
        "times": times,
    }


# -- thread settings: one child process each -----------------------------------------------------
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
THREAD_SETTINGS = {"default": "default threads", "1": "1 thread"}


def child_env(threads: str) -> dict[str, str]:
    """This process's environment, mytorch importable, pinned to one thread for ``threads='1'``."""
    env = dict(os.environ)
    src = str(Path(mytorch.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    if threads == "1":
        env.update(ONE_THREAD)
    else:  # what the libraries choose by themselves
        for name in ONE_THREAD:
            env.pop(name, None)
    return env


def _run_child(code: str, threads: str) -> Any:
    """Run ``code`` in a fresh Python under the thread setting; it prints one JSON value last."""
    done = subprocess.run([sys.executable, "-c", code], env=child_env(threads),
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"bench: a child process failed ({threads} threads): {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_threads(threads: str, repeat: int, only: str | None) -> dict[str, Any]:
    """``run_cases`` in a child process started with the thread setting ``threads``."""
    return _run_child(
        f"import json; from mytorch.bench import run_cases; "
        f"print(json.dumps(run_cases({repeat!r}, {only!r})))", threads)


# -- memory: peak of one large conv2d step, each library in a fresh process ----------------------
MEMORY_NAME = "conv2d (1, 64->64, 768x768, k3, p1) forward + backward"


def _resident_bytes() -> int:
    """The resident set size now (Linux: /proc/self/statm); elsewhere, the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return _peak_resident_bytes()


def _peak_resident_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def conv_peak_growth(lib_name: str, size: int = 768, channels: int = 64) -> int:
    """Bytes the peak resident memory grows by in one conv2d forward + backward.

    Input ``(1, channels, size, size)``, weight ``(channels, channels, 3, 3)``, padding 1.
    The tensors exist before the baseline is read; the baseline is the resident size
    then (not the peak so far, which creating the inputs may have raised), the result
    ``ru_maxrss`` after the step minus it. Call it in a fresh process: a process's peak
    only grows.
    """
    lib = importlib.import_module(lib_name)
    x = lib.randn(1, channels, size, size, requires_grad=True)
    W = lib.randn(channels, channels, 3, 3, requires_grad=True)
    b = lib.randn(channels, requires_grad=True)
    before = _resident_bytes()
    lib.nn.functional.conv2d(x, W, b, padding=1).sum().backward()
    return _peak_resident_bytes() - before


def memory_report(size: int = 768, torch_installed: bool = True, threads: str = "default") -> str:
    """The memory line: mytorch's and PyTorch's peak growth, each from a fresh process."""
    code = "from mytorch.bench import conv_peak_growth; print(conv_peak_growth({!r}, {!r}))"
    mine = _run_child(code.format("mytorch", size), threads)
    name = MEMORY_NAME.replace("768x768", f"{size}x{size}")
    if not torch_installed:
        return f"peak memory of {name}: mytorch {mine / 2**20:.0f} MiB"
    theirs = _run_child(code.format("torch", size), threads)
    met = "yes" if mine < theirs else "no"
    return (f"peak memory of {name}, growth of peak RSS in a fresh process: mytorch "
            f"{mine / 2**20:.0f} MiB, torch {theirs / 2**20:.0f} MiB, ratio {mine / theirs:.2f} "
            f"(target: below torch's: {met})")


# -- the report ------------------------------------------------------------------------------
STATS: dict[str, Callable[[list[float]], float]] = {
    "median": lambda seconds: float(np.median(seconds)),
    "best": min,
}


def _setting_label(setting: str, run: dict[str, Any]) -> str:
    """'1 thread', or 'default threads (torch: N)' with PyTorch's count when known."""
    known = setting == "default" and run["threads"]
    return THREAD_SETTINGS[setting] + (f" (torch: {run['threads']})" if known else "")


def format_table(runs: dict[str, dict[str, Any]], cases: Sequence[Case],
                 stat: str = "median") -> str:
    """The table of ``runs`` (thread setting -> a ``run_cases`` record) over ``cases``.

    One row per case: for each setting mytorch's and torch's time and the ratio, then
    the target and whether every ratio meets it; below, the convolution rates as a
    share of NumPy's GEMM rate measured in the same process.
    """
    summarize = STATS[stat]
    settings = list(runs)
    first = runs[settings[0]]
    repeat = len(first["times"][cases[0].name][0])
    head = [
        f"numpy {first['numpy']}; " + (f"torch {first['torch']}" if first["torch"]
                                       else "torch not installed: mytorch's times only"),
        f"time of one step (forward + backward; train steps with the update), {stat} of "
        f"{repeat} runs after a warm-up, the libraries alternating; ratio = mytorch / torch; "
        "1 thread = OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1",
        "",
    ]
    width = 2 + max(len(case.name) for case in cases)
    labels = "".join(f"{_setting_label(s, runs[s]):^30}" for s in settings)
    columns = f"{'mytorch':>11}{'torch':>12}{'ratio':>7}" * len(settings)
    lines = head + [f"{'':{width}}{labels}", f"{'case':{width}}{columns}{'target':>8}{'met':>5}"]
    for case in cases:
        row, ratios = f"{case.name:{width}}", []
        per_op = f"{'  per op (us)':{width}}"
        for s in settings:
            mine_s, theirs_s = runs[s]["times"][case.name]
            mine = summarize(mine_s)
            theirs = summarize(theirs_s) if theirs_s else None
            ratios.append(mine / theirs if theirs else None)
            row += f"{mine * 1e3:9.2f}ms" + (f"{theirs * 1e3:10.2f}ms{mine / theirs:7.2f}"
                                             if theirs else f"{'-':>12}{'-':>7}")
            if case.ops:
                per_op += f"{mine / case.ops * 1e6:11.1f}" + (
                    f"{theirs / case.ops * 1e6:12.1f}{'':7}" if theirs else f"{'-':>12}{'':7}")
        if case.target is None:
            row += f"{'':8}{'':5}"
        else:
            known = [r for r in ratios if r is not None]
            met = ("-" if len(known) < len(ratios)
                   else "yes" if all(r <= case.target for r in known) else "no")
            row += f"{'<=' + format(case.target, '.1f'):>8}{met:>5}"
        lines.append(row)
        if case.ops:
            lines.append(per_op)
    rated = [(c.name, c.flops) for c in cases if c.flops]
    if rated:
        lines += ["", "GFLOP/s of mytorch's forward + backward, and its share of NumPy's float32 "
                      "GEMM rate (target >= 50% on the first conv2d shape):"]
        for s in settings:
            gemm = runs[s]["gemm_gflops"]
            lines.append(f"  {THREAD_SETTINGS[s]}: NumPy GEMM {gemm:.1f} GFLOP/s")
            for name, flops in rated:
                rate = flops / summarize(runs[s]["times"][name][0]) / 1e9
                target = f"  (target >= 50%: {'yes' if rate >= gemm / 2 else 'no'})" if (
                    name == FIRST_CONV) else ""
                lines.append(f"    {name:{width}}{rate:6.1f} GFLOP/s "
                             f"{100 * rate / gemm:5.0f}%{target}")
    return "\n".join(line.rstrip() for line in lines)


def records(runs: dict[str, dict[str, Any]], cases: Sequence[Case], stat: str,
            note: str, memory: str | None) -> dict[str, Any]:
    """The figures of ``runs`` as one JSON-ready record (the book's chapter 13 reads it).

    ``{"note", "stat", "numpy", "torch", "gemm_gflops" (the first setting's), "memory"
    (the memory line or None), "rows": [{"group", "case", "threads", "mytorch_ms",
    "torch_ms", "ratio", "target"}]}``, one row per case and thread setting; torch_ms and
    ratio are None without PyTorch.
    """
    summarize = STATS[stat]
    first = next(iter(runs.values()))
    rows = []
    for case in cases:
        for setting, run in runs.items():
            mine_s, theirs_s = run["times"][case.name]
            mine, theirs = summarize(mine_s), (summarize(theirs_s) if theirs_s else None)
            rows.append({"group": case.group, "case": case.name, "threads": setting,
                         "mytorch_ms": round(mine * 1e3, 3),
                         "torch_ms": None if theirs is None else round(theirs * 1e3, 3),
                         "ratio": None if theirs is None else round(mine / theirs, 3),
                         "target": case.target})
    return {"note": note, "stat": stat, "numpy": first["numpy"], "torch": first["torch"],
            "gemm_gflops": round(first["gemm_gflops"], 1), "memory": memory, "rows": rows}


def run_suite(repeat: int = 5, only: str | None = None, threads: str = "both",
              stat: str = "median", json_path: str | None = None, note: str = "") -> str:
    """Time every case whose group or name contains ``only`` under the thread settings
    ``threads`` ('both', 'default' or '1'), each in a child process; returns the report.

    The memory case runs when ``only`` is None or picks it ('memory', 'conv', ...), once
    per library, under the first setting. With ``json_path``, the figures are also written
    there (atomically) as ``records`` describes, with ``note`` saying where and how they were
    measured.

    Raises:
        ValueError: ``only`` picks no case, or ``threads`` / ``stat`` is unknown.
    """
    if threads not in ("both", *THREAD_SETTINGS):
        raise ValueError(f"bench: threads must be 'both', 'default' or '1', got {threads!r}")
    if stat not in STATS:
        raise ValueError(f"bench: stat must be one of {', '.join(STATS)}, got {stat!r}")
    cases = select(only)
    with_memory = only is None or only in "memory" or only in MEMORY_NAME
    if not cases and not with_memory:
        raise ValueError(f"bench: no case matches {only!r}")
    if json_path is not None:  # a folder that cannot take the file fails now, not after the runs
        try:
            folder = Path(json_path).resolve().parent
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as err:  # named by the file asked for, not by the probe
            raise OSError(err.errno, err.strerror, json_path) from err
    settings = list(THREAD_SETTINGS) if threads == "both" else [threads]
    sections = []
    runs: dict[str, dict[str, Any]] = {}
    if cases:
        runs = {s: run_threads(s, repeat, only) for s in settings}
        sections.append(format_table(runs, cases, stat))
        torch_installed = runs[settings[0]]["torch"] is not None
    else:
        torch_installed = importlib.util.find_spec("torch") is not None
    memory = None
    if with_memory:
        memory = memory_report(torch_installed=torch_installed, threads=settings[0])
        sections.append(memory)
    if json_path is not None and runs:
        from mytorch.serialization.atomic import atomic_write

        text = json.dumps(records(runs, cases, stat, note, memory), indent=1) + "\n"
        atomic_write(json_path, lambda file: file.write(text.encode()))
    return "\n\n".join(sections)


def add_arguments(parser: argparse.ArgumentParser, repeat: int) -> None:
    """The options of ``mytorch bench`` and of the scripts in benchmarks/."""
    parser.add_argument("--repeat", type=_positive_int, default=repeat,
                        help=f"timed runs per case and library (default {repeat})")
    parser.add_argument("--threads", choices=("both", *THREAD_SETTINGS), default="both",
                        help="'default' threads, '1' (OMP/OpenBLAS/MKL pinned to one for both "
                             "libraries), or 'both' in one table (default)")
    parser.add_argument("--stat", choices=tuple(STATS), default="median",
                        help="summary of the runs: median (default) or best")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the figures there as JSON (docs/data/benchmarks.json "
                             "is the book's copy)")
    parser.add_argument("--note", default="",
                        help="with --json: where and how the figures were measured")


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def main(group: str | None = None, argv: Sequence[str] | None = None) -> None:
    """The command line of the scripts in benchmarks/: one group of the suite (None: all)."""
    parser = argparse.ArgumentParser(description=f"mytorch vs PyTorch: {group or 'all'} cases")
    add_arguments(parser, repeat=10)
    if group is None:
        parser.add_argument("--only", default=None,
                            help="run only cases whose group or name contains this text")
    args = parser.parse_args(argv)
    only = group if group is not None else args.only
    try:
        print(run_suite(args.repeat, only, args.threads, args.stat, args.json, args.note))
    except (ValueError, RuntimeError, OSError) as err:
        parser.exit(2 if isinstance(err, ValueError) else 1, f"{parser.prog}: error: {err}\n")
