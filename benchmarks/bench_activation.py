"""Activation forward + backward: exact GELU (erf-based) on 256k float32 elements.

Target (issue 10): at most 1.5x PyTorch's time.

    python benchmarks/bench_activation.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("activation")
