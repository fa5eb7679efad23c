"""End to end: `mytorch train --dataset mnist1d --model mnist1d_cnn` against PyTorch.

Target (issue 10): mytorch's whole run faster than ``benchmarks/mnist1d_torch.py`` (the same
data, model, batches, optimizer, schedule, per-epoch evaluation, checkpoints and plot).

    python benchmarks/bench_end_to_end.py [--epochs 20] [--threads both|default|1]

Each run is a fresh process, timed by wall clock from start to exit (interpreter start,
imports and data loading included), under the same thread setting for both: the libraries'
default, or ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``. Printed per
setting: both times, the ratio mytorch / PyTorch, and both final test accuracies.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mytorch.bench import THREAD_SETTINGS, child_env

TORCH_SCRIPT = Path(__file__).resolve().parent / "mnist1d_torch.py"


def timed_run(command: list[str], threads: str) -> tuple[float, str]:
    """Wall seconds of ``command`` under the thread setting, and its final test accuracy."""
    start = time.perf_counter()
    done = subprocess.run(command, env=child_env(threads), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"bench_end_to_end: {' '.join(command[1:4])} failed: {tail}")
    found = re.findall(r"test accuracy: ([\d.]+%)", done.stdout)
    return seconds, found[-1] if found else "?"


def compare(epochs: int, threads: str) -> str:
    """Run both trainings under ``threads``; one line with the times, ratio and accuracies."""
    with tempfile.TemporaryDirectory() as scratch:
        mine, mine_acc = timed_run(
            [sys.executable, "-m", "mytorch", "train", "--dataset", "mnist1d", "--model",
             "mnist1d_cnn", "--epochs", str(epochs), "--no-progress", "--out", scratch],
            threads)
    theirs, theirs_acc = timed_run(
        [sys.executable, str(TORCH_SCRIPT), "--epochs", str(epochs)], threads)
    met = "yes" if mine < theirs else "no"
    return (f"{THREAD_SETTINGS[threads]:16} mytorch {mine:7.1f}s  torch {theirs:7.1f}s  "
            f"ratio {mine / theirs:5.2f} (target < 1: {met})  "
            f"test accuracy mytorch {mine_acc}, torch {theirs_acc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs of both runs (default 20)")
    parser.add_argument("--threads", choices=("both", *THREAD_SETTINGS), default="both",
                        help="'default' threads, '1' pinned, or 'both' (default)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be a positive integer, got {args.epochs}")
    print(f"MNIST-1D CNN, {args.epochs} epochs, wall time of each whole run (fresh process)")
    for threads in (THREAD_SETTINGS if args.threads == "both" else [args.threads]):
        print(compare(args.epochs, threads))


if __name__ == "__main__":
    main()
