"""Chapter 8: a scanning MLP is a 1-D CNN. The simple and the distributed (shared-weight)
scanning MLPs of the courses, converted to Conv1d layers by reshaping their weights.

    python examples/ch08_scanning_mlp.py

The data: 24 channels (e.g. the filter-bank energies of a spoken utterance) over 128 time steps.
The MLP looks at windows of 8 time steps, 4 steps apart: 31 windows. Every claim printed here
is also asserted:

1. the simple scanning MLP (192 -> 8 -> 16 -> 4 on each window, by a loop over windows) equals
   Conv1d(24, 8, 8, stride=4) -> Conv1d(8, 16, 1) -> Conv1d(16, 4, 1), the Linear weights
   (O, K*C) reshaped to (O, K, C) and transposed to (O, C, K), by hand and by
   ``scanning_mlp_to_conv1d``;
2. the distributed scanning MLP (shared weights: 2 steps -> 2 neurons, 2 positions -> 8,
   2 positions -> 4) equals Conv1d(24, 2, 2, 2) -> Conv1d(2, 8, 2, 2) -> Conv1d(8, 4, 2, 1);
3. it is also the simple scanning MLP whose weights are block-diagonal copies of the shared ones
   (1728 weights instead of 192).
"""

from __future__ import annotations

import numpy as np

import mytorch
import mytorch.nn as nn
from mytorch.models.scanning import scanning_mlp_to_conv1d

mytorch.manual_seed(0)
rng = np.random.default_rng(0)
N, C, T = 2, 24, 128                       # batch, channels, time steps
K, S = 8, 4                                # window and stride of the scan
x = rng.standard_normal((N, C, T))
n_windows = (T - K) // S + 1


def windows_of(x: np.ndarray, K: int, S: int) -> np.ndarray:
    """(N, C, T) -> (N, T', K*C): each window of K steps flattened time-major."""
    starts = range(0, x.shape[2] - K + 1, S)
    return np.stack([x[:, :, t:t + K].transpose(0, 2, 1).reshape(len(x), -1) for t in starts], 1)


def relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0)


# 1. the simple scanning MLP
mlp = nn.Sequential(nn.Linear(K * C, 8, dtype=mytorch.float64), nn.ReLU(),
                    nn.Linear(8, 16, dtype=mytorch.float64), nn.ReLU(),
                    nn.Linear(16, 4, dtype=mytorch.float64))
scanned = mlp(mytorch.tensor(windows_of(x, K, S))).numpy().transpose(0, 2, 1)   # (N, 4, 31)

convs = []
for i, (linear, kernel, stride) in enumerate(zip(mlp[::2], (K, 1, 1), (S, 1, 1))):
    O, I = linear.weight.shape
    conv = nn.Conv1d(I // kernel, O, kernel, stride, dtype=mytorch.float64)
    W = linear.weight.numpy()                          # (O, K*C), time-major columns
    conv.weight = nn.Parameter(W.reshape(O, kernel, I // kernel).transpose(0, 2, 1).copy())
    conv.bias = nn.Parameter(linear.bias.numpy().copy())
    convs += [conv, nn.ReLU()] if i < 2 else [conv]
by_hand = nn.Sequential(*convs)(mytorch.tensor(x)).numpy()
converted = scanning_mlp_to_conv1d(mlp, K, S)(mytorch.tensor(x)).numpy()
assert scanned.shape == (N, 4, n_windows)
np.testing.assert_allclose(by_hand, scanned, atol=1e-12)
np.testing.assert_allclose(converted, scanned, atol=1e-12)
print(f"simple scanning MLP on {n_windows} windows == Conv1d(24, 8, 8, stride=4) + two 1x1 "
      f"convolutions (by hand and by scanning_mlp_to_conv1d): output {scanned.shape}")

# 2. the distributed scanning MLP: shared weights, in the course's x @ W orientation
kernels, strides, widths = (2, 2, 2), (2, 2, 1), (C, 2, 8, 4)
shared = [rng.standard_normal((k * a, b)) / np.sqrt(k * a)
          for k, a, b in zip(kernels, widths[:-1], widths[1:])]   # (48, 2), (4, 8), (16, 4)


def scan_distributed(x: np.ndarray) -> np.ndarray:
    """Loop over the 31 windows of R=8 steps; inside a window, layer l applies its shared
    weights to every group of k_l neighbouring positions of the layer below, s_l apart."""
    out = np.zeros((len(x), widths[-1], n_windows))
    for w in range(n_windows):
        h = x[:, :, w * S:w * S + K].transpose(0, 2, 1)          # (N, R, C): positions x channels
        for layer, (W, k, s) in enumerate(zip(shared, kernels, strides)):
            groups = [h[:, p * s:p * s + k].reshape(len(x), -1) @ W
                      for p in range((h.shape[1] - k) // s + 1)]
            h = np.stack(groups, axis=1)                           # (N, positions, width)
            h = relu(h) if layer < 2 else h
        out[:, :, w] = h[:, 0]                                     # one position is left
    return out


distributed = scan_distributed(x)
cnn = scanning_mlp_to_conv1d(shared, kernels, strides, shared=True)
assert (cnn.receptive_field, cnn.scan_stride) == (K, S)
np.testing.assert_allclose(cnn(mytorch.tensor(x)).numpy(), distributed, atol=1e-12)
print(f"distributed scanning MLP == {[str(m) for m in cnn if isinstance(m, nn.Conv1d)]}")

# 3. ... which is a simple scanning MLP with block-diagonal (shared) weights
full = [np.kron(np.eye(4), shared[0]), np.kron(np.eye(2), shared[1]), shared[2]]
assert [W.shape for W in full] == [(192, 8), (8, 16), (16, 4)]
plain = scanning_mlp_to_conv1d(full, K, S)(mytorch.tensor(x)).numpy()
np.testing.assert_allclose(plain, distributed, atol=1e-12)
print(f"distributed == simple scanning MLP with block-diagonal weights: "
      f"{sum(W.size for W in shared)} shared weights stand for {sum(W.size for W in full)}")
