"""Convolution forward + backward: three conv2d shapes, conv1d, depthwise; GFLOP/s and peak memory.

Targets (issue 3): each conv2d and conv1d at most 2x PyTorch's time; peak memory of the first
shape at most 3x its unfolded input.

    python benchmarks/bench_conv.py [--repeat 10]

The cases live in ``mytorch.bench`` (also run by ``mytorch bench``), written once and run
with mytorch and with PyTorch on the same data in the same run.
"""

from mytorch.bench import main

if __name__ == "__main__":
    main("conv")
