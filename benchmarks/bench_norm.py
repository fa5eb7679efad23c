"""Normalization forward + backward: BatchNorm2d on (32, 64, 32, 32), LayerNorm(512) on
(64, 128, 512).

Target (issue 10): each at most 1.0x PyTorch's time.

    python benchmarks/bench_norm.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("norm")
