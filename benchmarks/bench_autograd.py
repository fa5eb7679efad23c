"""Autograd overhead: a 1,000-op elementwise chain on 16 elements, and an MLP
784-512-256-10 training step.

Target (issue 10): the chain at most 1.5x PyTorch's time (the MLP step is shown
without a target).

    python benchmarks/bench_autograd.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("autograd")
