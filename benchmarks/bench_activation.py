"""Activation forward + backward: exact GELU (erf-based) on 256k float32 elements.

Target (issue 10): at most 1.5x PyTorch's time.

    python benchmarks/bench_activation.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("activation")
