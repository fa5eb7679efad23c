"""Whole training steps (forward, cross-entropy, backward, optimizer update): LeNet-5 at
batch 128, the MNIST-1D CNN at batch 32 (Adam, as `mytorch train`), ResNet-20 at batch 128
on 32x32 inputs. Each model is written once with ``lib.nn``, the same layers as
``mytorch.models``.

Target (issue 10): each at most 1.0x PyTorch's time.

    python benchmarks/bench_train.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("train")
