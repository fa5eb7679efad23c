"""Autograd overhead (a 1,000-op chain on 16 elements) and an MLP 784-512-256-10 training step.

Targets (issue 2): the chain at most 3x PyTorch's time, the MLP step at most 1.5x.

    python benchmarks/bench_autograd.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("autograd")
