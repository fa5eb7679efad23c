"""Convolution forward + backward: three conv2d shapes, conv1d, depthwise conv2d and
conv_transpose2d (stride 2); GFLOP/s against NumPy's GEMM; the peak memory of conv2d
on one 1x64x768x768 sample.

Targets (issue 10): conv2d, conv1d and conv_transpose2d at most 1.0x PyTorch's time,
depthwise at most 1.5x; the first conv2d shape at >= 50% of NumPy's float32 GEMM rate;
the 768x768 step's peak memory below PyTorch's.

    python benchmarks/bench_conv.py [--repeat 10] [--threads both|default|1]
        [--stat median|best]

The cases live in ``mytorch.bench`` (the whole suite: ``mytorch bench`` or
``python benchmarks/bench_all.py``), written once and run with mytorch and with PyTorch on
the same data, with default threads and with one thread, in one table.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("conv")
