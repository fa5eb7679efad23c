"""Loss speed against PyTorch on the CPU: forward + backward, same inputs, same run.

    python benchmarks/bench_losses.py [--repeat 30]

Cases, float32:

- cross_entropy on (1024, 1000) logits with class-index targets: the target
  (issue 4: at most 2.0x);
- the same with label_smoothing=0.1 and class weights (a dense part in the target);
- ctc_loss of log_softmax on (T=100, N=16, C=30) log-probabilities, targets of 20
  labels (the forward-backward's frame loop is the one Python loop).

Each step is ``loss = f(x); loss.backward()`` on a leaf ``x``. mytorch and
PyTorch alternate, so load from other processes hits both alike; the script
prints each median and mytorch's time as a multiple of PyTorch's. The machine
may be shared: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import mytorch
from mytorch.ops import loss as mt_loss

try:
    import torch
    import torch.nn.functional as torch_F
except ImportError:  # the mytorch column still prints
    torch = torch_F = None

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((1024, 1000)).astype(np.float32)
CLASSES = RNG.integers(0, 1000, 1024)
WEIGHT = RNG.uniform(0.5, 2.0, 1000).astype(np.float32)
CTC_LOGITS = RNG.standard_normal((100, 16, 30)).astype(np.float32)
CTC_TARGETS = RNG.integers(1, 30, (16, 20))
CTC_LENGTHS = (np.full(16, 100), np.full(16, 20))


def cases(lib: Any, functional: Any) -> list[tuple[str, np.ndarray, Callable[[Any], Any]]]:
    """(name, input array, loss of the input leaf) for one library."""
    target = lib.tensor(CLASSES)
    weight = lib.tensor(WEIGHT)
    ctc_targets = lib.tensor(CTC_TARGETS)
    lengths = tuple(lib.tensor(a) for a in CTC_LENGTHS)
    return [
        ("cross_entropy (1024, 1000)", LOGITS,
         lambda x: functional.cross_entropy(x, target)),
        ("cross_entropy + smoothing + weight", LOGITS,
         lambda x: functional.cross_entropy(x, target, weight=weight, label_smoothing=0.1)),
        ("ctc_loss T=100 N=16 C=30 S=20", CTC_LOGITS,
         lambda x: functional.ctc_loss(x.log_softmax(2), ctc_targets, *lengths)),
    ]


def step_for(lib: Any, x_np: np.ndarray, loss: Callable[[Any], Any]) -> Callable[[], None]:
    x = lib.tensor(x_np, requires_grad=True)

    def step() -> None:
        x.grad = None
        loss(x).backward()

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
    print(f"{'forward + backward (median)':44} {'mytorch':>10} {'torch':>10} {'ratio':>6}")
    theirs_cases = cases(torch, torch_F) if torch is not None else None
    for k, (name, x_np, loss) in enumerate(cases(mytorch, mt_loss)):
        mine = step_for(mytorch, x_np, loss)
        theirs = step_for(torch, x_np, theirs_cases[k][2]) if theirs_cases else None
        mine_s, theirs_s = measure(mine, theirs, args.repeat)
        ratio = f"{mine_s / theirs_s:6.2f}" if theirs_s else "     -"
        torch_ms = f"{theirs_s * 1e3:8.2f}ms" if theirs_s else "         -"
        print(f"{name:44} {mine_s * 1e3:8.2f}ms {torch_ms} {ratio}")


if __name__ == "__main__":
    main()
