"""Normalization forward + backward: BatchNorm2d on (32, 64, 32, 32), LayerNorm.

Target (issue 4): BatchNorm2d at most 2x PyTorch's time.

    python benchmarks/bench_norm.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("norm")
