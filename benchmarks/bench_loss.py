"""Loss forward + backward: cross-entropy on (1024, 1000) logits, CTC (T=100, N=16, C=30,
S=20).

Targets (issue 10): cross-entropy at most 1.0x PyTorch's time, CTC at most 1.5x.

    python benchmarks/bench_loss.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("loss")
