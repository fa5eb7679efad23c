"""One LeNet-5 training step (forward, cross-entropy, backward, SGD) on a (128, 1, 28, 28) batch.

Target (issue 4): at most 2x PyTorch's time.

    python benchmarks/bench_train.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("train")
