"""Loss forward + backward: cross-entropy on (1024, 1000) logits, CTC.

Target (issue 4): cross-entropy at most 2x PyTorch's time.

    python benchmarks/bench_loss.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("loss")
