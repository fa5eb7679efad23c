"""Chapter 9: batch, layer and group norm are one normalization over different axes.

Checks, on small random inputs:
1. BatchNorm2d in training normalizes each channel over (N, H, W) and updates its running
   statistics (mean, and the *unbiased* variance) with momentum 0.1;
2. in evaluation it applies the running statistics instead: a fixed affine map per channel;
3. the backward formula gx = invstd * (g - mean(g) - xhat * mean(g * xhat)) is what autograd
   gives, and gradcheck agrees in float64;
4. layer norm and group norm are the same kernel (mytorch.kernels.normalization.normalize)
   over other axes: GroupNorm(1, C) = LayerNorm((C, H, W)) without affine parameters, and
   GroupNorm(C, C) normalizes each (sample, channel) over H, W (instance norm).
(The comparison with PyTorch's BatchNorm2d, forward, backward and running statistics, is in
the test suite: tests import torch, which alone takes seconds.)
"""

from __future__ import annotations

import numpy as np

import mytorch
from mytorch import nn
from mytorch.kernels.normalization import normalize

mytorch.manual_seed(0)
rng = np.random.default_rng(0)
N, C, H, W = 4, 3, 5, 5
x_np = (rng.standard_normal((N, C, H, W)) * 2 + 3).astype(np.float32)
x = mytorch.tensor(x_np)

# 1. training: statistics per channel over N, H, W
bn = nn.BatchNorm2d(C)
y = bn(x).numpy()
print("per-channel mean of y:", y.mean(axis=(0, 2, 3)).round(6))
print("per-channel var  of y:", y.var(axis=(0, 2, 3)).round(4))
np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)  # var / (var + eps)
mean, var = x_np.mean(axis=(0, 2, 3)), x_np.var(axis=(0, 2, 3))
M = N * H * W
np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5)
np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var * M / (M - 1), rtol=1e-5)
print("running_mean:", bn.running_mean.numpy().round(4), "= 0.1 * batch mean")

# 2. evaluation: the running statistics, one affine map per channel
bn.eval()
y_eval = bn(x).numpy()
rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
expected = (x_np - rm[:, None, None]) / np.sqrt(rv[:, None, None] + bn.eps)
np.testing.assert_allclose(y_eval, expected, rtol=1e-5, atol=1e-5)
print(f"eval output uses running statistics: max |y| = {np.abs(y_eval).max():.3f}")
bn.train()

# 3. the backward formula against autograd, and gradcheck in float64
xg = mytorch.tensor(x_np, requires_grad=True)
gy = rng.standard_normal(x_np.shape).astype(np.float32)
out = nn.functional.batch_norm(xg, None, None, training=True)
out.backward(mytorch.tensor(gy))
axes = (0, 2, 3)
_, xhat, _, var_k, invstd = normalize(x_np.copy(), axes, 1e-5)
gx = invstd * (gy - gy.mean(axes, keepdims=True)
               - xhat * (gy * xhat).mean(axes, keepdims=True))
np.testing.assert_allclose(xg.grad.numpy(), gx, rtol=1e-4, atol=1e-5)
print("backward formula == autograd: max diff",
      float(np.abs(xg.grad.numpy() - gx).max()))
small = mytorch.tensor(rng.standard_normal((3, 2, 2, 2)), dtype=mytorch.float64,
                       requires_grad=True)
weight = mytorch.tensor(rng.standard_normal(2), dtype=mytorch.float64, requires_grad=True)
assert mytorch.autograd.gradcheck(
    lambda t, w: nn.functional.batch_norm(t, None, None, weight=w, training=True),
    (small, weight))
print("gradcheck (float64) passes")

# 4. layer and group norm: the same kernel over other axes
ln = nn.functional.layer_norm(x, (C, H, W)).numpy()
g1 = nn.functional.group_norm(x, 1).numpy()
np.testing.assert_allclose(g1, ln, rtol=1e-5, atol=1e-5)
np.testing.assert_allclose(ln, normalize(x_np.copy(), (1, 2, 3), 1e-5)[1], rtol=1e-5,
                           atol=1e-5)
inst = nn.functional.group_norm(x, C).numpy()
np.testing.assert_allclose(inst, normalize(x_np.copy(), (2, 3), 1e-5)[1], rtol=1e-5,
                           atol=1e-5)
print("GroupNorm(1, C) == LayerNorm((C, H, W)); GroupNorm(C, C) normalizes over (H, W)")

