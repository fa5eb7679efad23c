"""The floor under a Winograd F(2x2, 3x3) convolution (kernels/winograd.py) against PyTorch.

For each 3x3 stride-1 shape of the speed suite, with NumPy alone: the 16 matrix products of
each of the three computations (forward, input gradient, weight gradient) on operands already
transformed, in cache-sized chunks as the kernel runs them; the three kernels whole
(transforms, products, chunking); against PyTorch's whole forward + backward and mytorch's
(ratio = time / PyTorch's step; best of 7 runs each).

    python benchmarks/floor_winograd.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_winograd.py
"""
from __future__ import annotations

import numpy as np
import torch

import mytorch
from mytorch import bench
from mytorch.bench import best_seconds as best
from mytorch.kernels import conv as K
from mytorch.kernels import winograd as Wg

rng = np.random.default_rng(0)


def case(N: int, C: int, O: int, H: int) -> dict[str, float]:
    """Seconds of each kind of work for (N, C, H, H) with a 3x3 kernel, padding 1."""
    th = tw = H // 2
    budget = K.get_conv_memory_budget()
    step = Wg._Chunks(N, Wg._sample_bytes(C, O, th, tw, 4), th * tw, budget).step
    T = step * th * tw                                       # tiles per chunk
    U, gU = (rng.standard_normal((16, O, C)).astype(np.float32) for _ in range(2))
    V, gV = rng.standard_normal((16, C, T)).astype(np.float32), np.empty((16, C, T), np.float32)
    M, gY = (rng.standard_normal((16, O, T)).astype(np.float32) for _ in range(2))
    U_T = np.ascontiguousarray(U.transpose(0, 2, 1))
    chunks = N / step

    def products() -> None:
        np.matmul(U, V, out=M)                               # forward      (O, C) @ (C, T)
        np.matmul(U_T, gY, out=gV)                           # input grad   (C, O) @ (O, T)
        np.matmul(gY, V.transpose(0, 2, 1), out=gU)          # weight grad  (O, T) @ (T, C)

    x = rng.standard_normal((N, C, H, H)).astype(np.float32)
    W = (rng.standard_normal((O, C, 3, 3)) * 0.1).astype(np.float32)
    gy = rng.standard_normal((N, O, H, H)).astype(np.float32)
    pads = ((1, 1), (1, 1))

    def kernels() -> None:
        Wg.forward(x, W, pads, budget)
        Wg.input_grad(gy, W, pads, budget)
        Wg.weight_grad(x, gy, pads, budget)

    return {"products": best(products) * chunks, "kernels": best(kernels),
            "torch": best(bench.conv(torch, N, C, O, H, 3, 1, 1)),
            "mytorch": best(bench.conv(mytorch, N, C, O, H, 3, 1, 1))}


def main() -> None:
    print(f"threads: torch {torch.get_num_threads()}, mytorch {mytorch.get_num_threads()}")
    print(f"{'shape (k3, s1, p1)':36}  Winograd's products | its 3 kernels | torch step | "
          "mytorch step (ms, / torch)")
    for name, args in [("conv2d 32x64->64 32x32", (32, 64, 64, 32)),
                       ("ResNet-20 stage 1 conv 128x16->16 32x32", (128, 16, 16, 32)),
                       ("ResNet-20 stage 2 conv 128x32->32 16x16", (128, 32, 32, 16)),
                       ("ResNet-20 stage 3 conv 128x64->64 8x8", (128, 64, 64, 8))]:
        t = case(*args)
        ratio = {k: v / t["torch"] for k, v in t.items()}
        print(f"{name:40} {t['products'] * 1e3:6.1f} {ratio['products']:4.2f} | "
              f"{t['kernels'] * 1e3:6.1f} {ratio['kernels']:4.2f} | {t['torch'] * 1e3:6.1f} | "
              f"{t['mytorch'] * 1e3:6.1f} {ratio['mytorch']:4.2f}")


if __name__ == "__main__":
    main()
