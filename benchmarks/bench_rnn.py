"""Recurrent layers forward + backward: GRU and LSTM, batch 64, sequence 40, input 8, hidden 64.

Target (issue 4): GRU at most 3x PyTorch's time.

    python benchmarks/bench_rnn.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("rnn")
