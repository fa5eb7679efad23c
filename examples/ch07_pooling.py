"""Chapter 7: max and average pooling, where their gradients go, -inf padding and ceil mode.

    python examples/ch07_pooling.py

Every claim printed here is also asserted:

1. max_pool2d and avg_pool2d equal a reduction over the unfolded windows (im2col);
2. the max-pool gradient goes to each window's winner (the first maximum), summed where a pixel
   wins several overlapping windows; every other pixel gets zero;
3. the average-pool gradient spreads g / (window size) over each window;
4. max pooling pads with -inf: an all-negative input keeps its true maxima, where zero padding
   would invent zeros;
5. ceil_mode keeps a last partial window, but never one that starts in the right padding.
"""

from __future__ import annotations

import numpy as np

import mytorch
import mytorch.nn.functional as F
from mytorch.kernels.windows import output_size

rng = np.random.default_rng(0)


def t(a: np.ndarray, grad: bool = False) -> mytorch.Tensor:
    return mytorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# 1. pooling is a reduction over the windows that im2col unfolds
x = rng.standard_normal((2, 3, 6, 6))
cols = F.unfold(t(x), 3, stride=2, padding=1).numpy().reshape(2, 3, 9, 3, 3)
padded = F.pad(t(x), (1, 1, 1, 1), value=-np.inf)
cols_inf = F.unfold(padded, 3, stride=2).numpy().reshape(2, 3, 9, 3, 3)
np.testing.assert_array_equal(F.max_pool2d(t(x), 3, stride=2, padding=1).numpy(),
                              cols_inf.max(axis=2))
np.testing.assert_allclose(F.avg_pool2d(t(x), 3, stride=2, padding=1).numpy(),
                           cols.mean(axis=2), atol=1e-12)
print("max_pool2d == max over the -inf-padded unfolded windows; avg_pool2d == their mean")


# 2. the max-pool gradient is routed to the winners
def routed_by_hand(x: np.ndarray, g: np.ndarray, k: int, s: int) -> np.ndarray:
    """The max-pool input gradient with loops: g[o] added at the first maximum of window o."""
    gx = np.zeros_like(x)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            window = x[i * s:i * s + k, j * s:j * s + k]
            a, b = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
            gx[i * s + a, j * s + b] += g[i, j]
    return gx


for k, s in ((2, 2), (3, 1), (3, 2)):
    image = rng.standard_normal((7, 7))
    xt = t(image[None, None], grad=True)
    y = F.max_pool2d(xt, k, stride=s)
    g = rng.standard_normal(y.shape)
    (y * t(g)).sum().backward()
    expected = routed_by_hand(image, g[0, 0], k, s)
    np.testing.assert_allclose(xt.grad.numpy()[0, 0], expected, atol=1e-12)
    winners = int((expected != 0).sum())
    print(f"max_pool2d k={k} s={s}: {g.size} gradients routed to {winners} winning pixels; "
          f"{image.size - winners} pixels get 0")
ties = t([[[1.0, 3.0, 3.0, 2.0]]], grad=True)
F.max_pool1d(ties, 4).sum().backward()
np.testing.assert_array_equal(ties.grad.numpy(), [[[0.0, 1.0, 0.0, 0.0]]])
print("a tie: the first maximum takes the whole gradient:", ties.grad.numpy()[0, 0])

# 3. the average-pool gradient is spread evenly
xt = t(rng.standard_normal((1, 1, 4, 4)), grad=True)
y = F.avg_pool2d(xt, 2)
g = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
(y * t(g)).sum().backward()
np.testing.assert_allclose(xt.grad.numpy(), np.kron(g, np.ones((2, 2))) / 4)
print("avg_pool2d k=2: each pixel gets g / 4 of its window:\n", xt.grad.numpy()[0, 0])

# 4. -inf padding
negative = -1.0 - rng.random((1, 1, 4, 4))
pooled = F.max_pool2d(t(negative), 3, stride=1, padding=1).numpy()
zero_padded = F.max_pool2d(F.pad(t(negative), (1, 1, 1, 1)), 3, stride=1).numpy()
border = np.ones((4, 4), dtype=bool)
border[1:3, 1:3] = False                                 # the outputs whose window reads padding
assert (pooled < 0).all() and (zero_padded[0, 0][border] == 0).all()
np.testing.assert_array_equal(zero_padded[0, 0][~border], pooled[0, 0][~border])
print(f"all-negative input, 3x3 windows, padding 1: with -inf padding every maximum is a real "
      f"pixel (all < 0); zero padding would turn the {border.sum()} border maxima into 0")

# 5. ceil mode
for L, k, s, p in ((5, 2, 2, 0), (6, 3, 2, 0), (5, 2, 2, 1)):
    floor_size = output_size(L, k, s, p)
    ceil_size = output_size(L, k, s, p, ceil_mode=True)
    xs = t(rng.standard_normal((1, 1, L)))
    assert F.max_pool1d(xs, k, s, p).shape[-1] == floor_size
    assert F.max_pool1d(xs, k, s, p, ceil_mode=True).shape[-1] == ceil_size
    print(f"L={L} k={k} s={s} p={p}: floor mode {floor_size} windows, ceil mode {ceil_size}")
assert output_size(5, 2, 2, 1, ceil_mode=True) == 3  # a 4th would start in the right padding
