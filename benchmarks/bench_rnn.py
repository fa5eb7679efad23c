"""Recurrent-layer speed against PyTorch on the CPU: forward + backward, same run.

    python benchmarks/bench_rnn.py [--repeat 15]

For each case (GRU and LSTM, batch 64, sequence 40, input 8, hidden 64, float32)
it prints mytorch's median time for one forward + backward (output and final
state into the loss), PyTorch's median measured in the same run (the two
alternate, so load from other processes hits both) and the ratio.

Target (issue 4): GRU ratio <= 3.

On a machine shared with other work, thread pools that spin (PyTorch's, and
OpenBLAS's) make both columns erratic; ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``
gives steady figures for both libraries.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import mytorch
from mytorch.nn.modules import rnn as mt_rnn

try:
    import torch
except ImportError:  # the mytorch column still prints
    torch = None


@dataclass
class Case:
    """One benchmark: a forward + backward step for mytorch and for torch."""

    name: str
    mytorch_step: Callable[[], None]
    torch_step: Callable[[], None] | None


def rnn_case(kind: str, N: int = 64, L: int = 40, I: int = 8, H: int = 64,
             num_layers: int = 1, bidirectional: bool = False) -> Case:
    """``kind`` ('RNN', 'GRU' or 'LSTM') forward + backward with the same weights in both."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((L, N, I)).astype(np.float32)
    mt_layer = getattr(mt_rnn, kind)(I, H, num_layers, bidirectional=bidirectional)
    mx = mytorch.tensor(x, requires_grad=True)

    def mytorch_step() -> None:
        mx.grad = None
        mt_layer.zero_grad()
        output, _ = mt_layer(mx)
        output.sum().backward()

    torch_step = None
    if torch is not None:
        th_layer = getattr(torch.nn, kind)(I, H, num_layers, bidirectional=bidirectional)
        th_layer.load_state_dict({k: torch.tensor(v.numpy())
                                  for k, v in mt_layer.state_dict().items()})
        tx = torch.tensor(x, requires_grad=True)

        def torch_step() -> None:
            tx.grad = None
            th_layer.zero_grad()
            output, _ = th_layer(tx)
            output.sum().backward()

    name = (f"{kind} (N={N}, L={L}, I={I}, H={H}"
            + (f", layers={num_layers}" if num_layers > 1 else "")
            + (", bidirectional" if bidirectional else "") + ")")
    return Case(name, mytorch_step, torch_step)


CASES = [
    lambda: rnn_case("GRU"),
    lambda: rnn_case("LSTM"),
    lambda: rnn_case("RNN"),
    lambda: rnn_case("GRU", num_layers=2, bidirectional=True),
]


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(case: Case, repeat: int) -> tuple[float, float | None]:
    """Median seconds of mytorch and torch, alternating runs after one warm-up of each."""
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
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per case")
    args = parser.parse_args(argv)
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'forward + backward':52} {'mytorch':>9} {'torch':>9} {'ratio':>6}")
    for make in CASES:
        case = make()
        mine, theirs = measure(case, args.repeat)
        ratio = f"{mine / theirs:6.2f}" if theirs else "     -"
        torch_ms = f"{theirs * 1e3:7.1f}ms" if theirs else "        -"
        print(f"{case.name:52} {mine * 1e3:7.1f}ms {torch_ms} {ratio}")


if __name__ == "__main__":
    main()
