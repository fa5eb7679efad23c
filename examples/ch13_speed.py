"""Chapter 13: the design rules that make mytorch fast on NumPy, checked.

1. A window view moves no data: it shares memory with the padded input, and im2col's layout
   makes the (C*K, N*P) matrix a free reshape, so a convolution is one matrix product.
2. One vectorized call beats a Python loop over the batch (timed, CPU time, best of 5).
3. einsum sums a product without storing it: less peak memory than (a * b).sum(...).
4. A recurrent layer's whole sequence is one recorded op: the graph of a GRU is as small
   for 400 steps as for 40.
Timings are printed, and asserted only with a wide margin: they vary with the machine's load.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np

import mytorch
from mytorch import nn
from mytorch.bench import best_cpu_seconds
from mytorch.kernels.conv import im2col, reference_conv_forward
from mytorch.kernels.normalization import sum_product
from mytorch.kernels.windows import window_view

rng = np.random.default_rng(0)


# 1. views, not copies
x = rng.standard_normal((8, 3, 16, 16)).astype(np.float32)
view = window_view(x, (3, 3), (14, 14), (1, 1), (1, 1))          # (3, 3, 8, 3, 14, 14)
assert np.shares_memory(view, x)
print(f"window view {view.shape}: {view.size} elements seen, {x.size} stored, no copy")
cols = im2col(x, 3)                                             # (C, KH, KW, N, OH, OW)
matrix = cols.reshape(3 * 9, 8 * 14 * 14)
assert np.shares_memory(matrix, cols)
W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
y = (W.reshape(4, 27) @ matrix).reshape(4, 8, 14, 14).transpose(1, 0, 2, 3)
np.testing.assert_allclose(y, reference_conv_forward(x, W), rtol=1e-4, atol=1e-4)
print("im2col columns reshape to a matrix for free; one product == the convolution")

# 2. one vectorized call against a Python loop over the batch
logits = rng.standard_normal((1024, 10)).astype(np.float32)


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


looped = best_cpu_seconds(lambda: np.stack([softmax_rows(row) for row in logits]))
vectorized = best_cpu_seconds(lambda: softmax_rows(logits))
np.testing.assert_allclose(np.stack([softmax_rows(row) for row in logits]), softmax_rows(logits),
                           rtol=1e-6)
print(f"softmax of 1024 rows of 10: a loop over rows {looped * 1e3:.2f} ms CPU, "
      f"one call on the whole batch {vectorized * 1e3:.3f} ms CPU")
assert vectorized * 5 < looped, (vectorized, looped)

# 3. no temporary for a sum of products
g = rng.standard_normal((32, 64, 16, 16)).astype(np.float32)
h = rng.standard_normal((32, 64, 16, 16)).astype(np.float32)


def peak_bytes(step: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


naive = peak_bytes(lambda: (g * h).sum(axis=(0, 2, 3), keepdims=True))
fused = peak_bytes(lambda: sum_product(g, h, (0, 2, 3)))
np.testing.assert_allclose(sum_product(g, h, (0, 2, 3)),
                           (g * h).sum(axis=(0, 2, 3), keepdims=True), rtol=1e-3, atol=1e-2)
print(f"peak memory: (g * h).sum() {naive / 2**20:.2f} MiB, einsum {fused / 2**20:.3f} MiB "
      f"(g is {g.nbytes / 2**20:.0f} MiB)")
assert fused < naive / 10, (fused, naive)

# 4. one graph node for a recurrent layer's whole sequence, however long
def count_nodes(output: mytorch.Tensor) -> int:
    """The number of graph nodes behind ``output``."""
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(edge[0] for edge in node.next_functions if edge is not None)
    return len(seen)


gru = nn.GRU(8, 16)
nodes = {steps: count_nodes(gru(mytorch.randn(steps, 4, 8))[0]) for steps in (40, 400)}
print(f"GRU graph nodes: {nodes[40]} over 40 steps, {nodes[400]} over 400 steps")
assert nodes[40] == nodes[400] < 20, nodes
