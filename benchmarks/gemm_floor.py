"""The floor under an im2col convolution: NumPy's three bare matrix products against PyTorch.

For each shape, the three GEMMs an im2col convolution needs (forward, input gradient, weight
gradient) on operands already unfolded, timed with NumPy alone, against PyTorch's whole
forward + backward of the same convolution. A ratio above 1 means NumPy's BLAS alone, with no
unfolding and no bookkeeping, is slower on that shape than PyTorch's complete step: the reason
the conv cases of the speed suite cannot reach 1.0x by im2col + GEMM (best of 7 runs each).

    python benchmarks/gemm_floor.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/gemm_floor.py
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mytorch.bench import best_seconds as best

rng = np.random.default_rng(0)


def case(N: int, C: int, O: int, H: int, k: int, s: int, p: int,
         d: int = 2) -> tuple[float, float]:
    """(NumPy's three GEMMs, torch's whole step) in seconds, for one convolution shape."""
    out = (H + 2 * p - k) // s + 1
    K = C * k ** d
    P = N * out ** d
    W = rng.standard_normal((O, K)).astype(np.float32)
    X = rng.standard_normal((K, P)).astype(np.float32)
    G = rng.standard_normal((O, P)).astype(np.float32)
    gemms = best(lambda: (W @ X, W.T @ G, G @ X.T))
    shape = (N, C) + (H,) * d
    x = torch.randn(shape, requires_grad=True)
    w = torch.randn((O, C) + (k,) * d, requires_grad=True)
    b = torch.randn(O, requires_grad=True)
    conv = F.conv2d if d == 2 else F.conv1d

    def step() -> None:
        x.grad = w.grad = b.grad = None
        conv(x, w, b, stride=s, padding=p).sum().backward()
    t = best(step)
    return gemms, t


def main() -> None:
    print(f"threads: torch {torch.get_num_threads()}")
    for name, args in [("conv2d 32x64->64 32x32 k3 p1", (32, 64, 64, 32, 3, 1, 1)),
                       ("conv2d 32x32->64 32x32 k3 s2 p1", (32, 32, 64, 32, 3, 2, 1)),
                       ("conv1d 256x32->32 L40 k5 p2", (256, 32, 32, 40, 5, 1, 2, 1)),
                       ("ResNet-20 stage 1 conv 128x16->16 32x32 k3", (128, 16, 16, 32, 3, 1, 1)),
                       ("ResNet-20 stage 2 conv 128x32->32 16x16 k3", (128, 32, 32, 16, 3, 1, 1)),
                       ("ResNet-20 stage 3 conv 128x64->64 8x8 k3", (128, 64, 64, 8, 3, 1, 1))]:
        g, t = case(*args)
        print(f"{name:45} NumPy's three GEMMs {g * 1e3:7.2f} ms   "
              f"torch whole step {t * 1e3:7.2f} ms   GEMMs / torch {g / t:5.2f}")


if __name__ == "__main__":
    main()
