"""Chapter 6: zero insertion and decimation are each other's adjoint; a strided convolution
is a stride-1 convolution followed by decimation; a transposed convolution is zero insertion
followed by a stride-1 convolution with the flipped kernel.

    python examples/ch06_resampling.py

Every claim printed here is also asserted:

1. upsample1d (zero insertion) and downsample1d (decimation): <U x, y> == <x, D y>, D U = I,
   and autograd's backward of one is the other;
2. conv1d(x, W, stride=s) == downsample1d(conv1d(x, W), s), in 1-D and 2-D;
3. conv_transpose1d(x, W, stride=s, padding=p, output_padding=q) ==
   conv1d(upsample1d(x, s) padded by K-1-p zeros (plus q on the right), W flipped and with
   its channel axes swapped); the same in 2-D;
4. the input gradient of a strided convolution is that transposed convolution.
"""

from __future__ import annotations

import numpy as np

import mytorch
import mytorch.nn.functional as F

rng = np.random.default_rng(0)


def t(a: np.ndarray, grad: bool = False) -> mytorch.Tensor:
    return mytorch.tensor(a, requires_grad=grad)


# 1. zero insertion and decimation, and their adjoints
x = rng.standard_normal((2, 3, 5))
up = F.upsample1d(t(x), 3).numpy()                        # (2, 3, 13)
y = rng.standard_normal(up.shape)
down = F.downsample1d(t(y), 3).numpy()                    # (2, 3, 5)
assert up.shape == (2, 3, 13) and down.shape == x.shape
np.testing.assert_allclose(np.sum(up * y), np.sum(x * down), rtol=1e-12)
np.testing.assert_array_equal(F.downsample1d(t(up), 3).numpy(), x)
xt = t(x, grad=True)
(F.upsample1d(xt, 3) * t(y)).sum().backward()
np.testing.assert_array_equal(xt.grad.numpy(), down)
print(f"upsample1d: {x.shape} -> {up.shape}; downsample1d: {y.shape} -> {down.shape}")
print("<U x, y> == <x, D y>, D U == I, and U's backward is D")

# 2. a strided convolution is a stride-1 convolution, then decimation
for s in (2, 3):
    x1 = rng.standard_normal((2, 3, 17))
    W1 = rng.standard_normal((4, 3, 5))
    strided = F.conv1d(t(x1), t(W1), stride=s, padding=2).numpy()
    decimated = F.downsample1d(F.conv1d(t(x1), t(W1), padding=2), s).numpy()
    np.testing.assert_allclose(strided, decimated, atol=1e-12)
x2 = rng.standard_normal((2, 3, 11, 9))
W2 = rng.standard_normal((4, 3, 3, 3))
np.testing.assert_allclose(F.conv2d(t(x2), t(W2), stride=2, padding=1).numpy(),
                           F.downsample2d(F.conv2d(t(x2), t(W2), padding=1), 2).numpy(),
                           atol=1e-12)
print("conv(stride=s) == downsample(conv(stride=1), s), in 1-D (s=2, 3) and 2-D")


# 3. a transposed convolution is zero insertion, then a stride-1 convolution
def transposed_by_upsampling(x: np.ndarray, W: np.ndarray, s: int, p: int, q: int
                             ) -> np.ndarray:
    """conv_transpose1d(x, W, stride=s, padding=p, output_padding=q), W (C_in, C_out, K),
    as upsample, zero-pad, and conv1d with the flipped, channel-swapped kernel."""
    K = W.shape[-1]
    z = F.upsample1d(t(x), s).numpy()
    z = np.pad(z, ((0, 0), (0, 0), (K - 1 - p, K - 1 - p + q)))
    W_conv = W.swapaxes(0, 1)[:, :, ::-1].copy()          # (C_out, C_in, K), flipped
    return F.conv1d(t(z), t(W_conv)).numpy()


for s, p, q in ((1, 0, 0), (2, 0, 0), (2, 1, 1), (3, 2, 1)):
    x3 = rng.standard_normal((2, 3, 6))
    W3 = rng.standard_normal((3, 4, 4))                   # (C_in, C_out, K)
    expected = F.conv_transpose1d(t(x3), t(W3), stride=s, padding=p, output_padding=q).numpy()
    np.testing.assert_allclose(transposed_by_upsampling(x3, W3, s, p, q), expected, atol=1e-12)
print("conv_transpose1d == conv1d(pad(upsample1d(x)), flipped W), for (s, p, q) in "
      "(1,0,0) (2,0,0) (2,1,1) (3,2,1)")

x4 = rng.standard_normal((1, 2, 4, 5))
W4 = rng.standard_normal((2, 3, 3, 3))
z4 = np.pad(F.upsample2d(t(x4), 2).numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)))
np.testing.assert_allclose(
    F.conv2d(t(z4), t(W4.swapaxes(0, 1)[:, :, ::-1, ::-1].copy())).numpy(),
    F.conv_transpose2d(t(x4), t(W4), stride=2).numpy(), atol=1e-12)
print("conv_transpose2d(stride=2) == conv2d(pad(upsample2d(x, 2)), flipped W)")

# 4. the input gradient of a strided convolution is the transposed convolution
x5 = t(rng.standard_normal((2, 3, 16)), grad=True)
W5 = rng.standard_normal((4, 3, 3))
y5 = F.conv1d(x5, t(W5), stride=2, padding=1)
g5 = rng.standard_normal(y5.shape)
(y5 * t(g5)).sum().backward()
np.testing.assert_allclose(
    x5.grad.numpy(),
    F.conv_transpose1d(t(g5), t(W5), stride=2, padding=1, output_padding=1).numpy(),
    atol=1e-12)
print("the input gradient of conv1d(stride=2, padding=1) == conv_transpose1d of the gradient")
