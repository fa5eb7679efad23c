"""The whole speed suite of issue 10: every case, mytorch against PyTorch, in one table.

Each case runs with default threads and with one thread (OMP/OpenBLAS/MKL pinned for both
libraries), each setting in a child process; the table gives both libraries' times, the
ratio mytorch / PyTorch, the issue's target and whether it is met in both settings. Below
it: convolution GFLOP/s as a share of NumPy's float32 GEMM rate, and the peak memory of
conv2d forward + backward on one 1x64x768x768 sample, mytorch against PyTorch.

    python benchmarks/bench_all.py [--repeat 10] [--threads both|default|1]
                                   [--stat median|best] [--only GROUP]

The same as ``mytorch bench`` (which defaults to 5 repeats). The end-to-end comparison
(`mytorch train` against the same loop in PyTorch) is ``benchmarks/bench_end_to_end.py``.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main()
