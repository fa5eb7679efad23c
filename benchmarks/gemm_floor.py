"""The floor under an im2col convolution: NumPy's bare matrix products against PyTorch.

For each shape, the three products an im2col convolution needs (forward, input gradient,
weight gradient) on operands already unfolded, each in the orientation BLAS runs fastest
here: the positions as columns, ``(O, CK) @ (CK, nP)``, or as rows, ``(nP, CK) @ (CK, O)``,
on the whole batch or in the chunks of samples the fast path uses (``_WORKING_SET``). Their
sum is the least time a GEMM-based convolution could take with NumPy: no unfolding, no
transposes, no bookkeeping. Against PyTorch's whole forward + backward of the same convolution
(bias included), a ratio above 1 means that floor alone is slower than PyTorch's complete step
(best of 7 runs each).

    python benchmarks/gemm_floor.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/gemm_floor.py
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from mytorch.bench import best_seconds as best
from mytorch.kernels.conv import _chunk_size

rng = np.random.default_rng(0)


def products(O: int, CK: int, P: int, C: int, s: int
             ) -> dict[str, dict[str, Callable[[], object]]]:
    """Each product of a convolution, in both orientations, on operands of P positions; at
    stride ``s`` 1 the input gradient also as the forward of gy with the flipped kernel (same
    size, ``kernels.conv.conv_input_grad``), ``(C, O*prod(K)) @ (O*prod(K), nP)``."""
    W, X, G = (rng.standard_normal(s).astype(np.float32) for s in ((O, CK), (CK, P), (O, P)))
    Wt, Xt, Gt = (np.ascontiguousarray(a.T) for a in (W, X, G))
    Wf = rng.standard_normal((C, O * CK // C)).astype(np.float32)
    Gcols = rng.standard_normal((O * CK // C, P)).astype(np.float32)
    input_grad = {"W.T @ G": lambda: W.T @ G, "Gt @ W": lambda: Gt @ W}
    if s == 1:
        input_grad["Wf @ Gcols"] = lambda: Wf @ Gcols
    return {"forward": {"W @ X": lambda: W @ X, "Xt @ Wt": lambda: Xt @ Wt},
            "input grad": input_grad,
            "weight grad": {"G @ Xt": lambda: G @ Xt, "X @ Gt": lambda: X @ Gt}}


def case(N: int, C: int, O: int, H: int, k: int, s: int, p: int,
         d: int = 2) -> tuple[float, list[str], float, float]:
    """(the best products' seconds, which ones, torch's whole step, the flops) for one shape."""
    out = (H + 2 * p - k) // s + 1
    CK, P = C * k ** d, out ** d
    n = _chunk_size(N, (CK + O) * P * 4)      # samples per chunk in the fast path
    whole, chunk = products(O, CK, N * P, C, s), products(O, CK, n * P, C, s)
    floor, chosen = 0.0, []
    for product in whole:
        options = {f"{name} (whole)": best(fn) for name, fn in whole[product].items()}
        options |= {f"{name} (chunks of {n})": best(fn) * N / n
                    for name, fn in chunk[product].items()}
        fastest = min(options, key=options.__getitem__)
        floor += options[fastest]
        chosen.append(f"{product}: {fastest}")
    x = torch.randn((N, C) + (H,) * d, requires_grad=True)
    w = torch.randn((O, C) + (k,) * d, requires_grad=True)
    b = torch.randn(O, requires_grad=True)
    conv = F.conv2d if d == 2 else F.conv1d

    def step() -> None:
        x.grad = w.grad = b.grad = None
        conv(x, w, b, stride=s, padding=p).sum().backward()
    return floor, chosen, best(step), 3 * 2 * N * O * CK * P


def main() -> None:
    print(f"threads: torch {torch.get_num_threads()}")
    for name, args in [("conv2d 32x64->64 32x32 k3 p1", (32, 64, 64, 32, 3, 1, 1)),
                       ("conv2d 32x32->64 32x32 k3 s2 p1", (32, 32, 64, 32, 3, 2, 1)),
                       ("conv1d 256x32->32 L40 k5 p2", (256, 32, 32, 40, 5, 1, 2, 1)),
                       ("ResNet-20 stage 1 conv 128x16->16 32x32 k3", (128, 16, 16, 32, 3, 1, 1)),
                       ("ResNet-20 stage 2 conv 128x32->32 16x16 k3", (128, 32, 32, 16, 3, 1, 1)),
                       ("ResNet-20 stage 3 conv 128x64->64 8x8 k3", (128, 64, 64, 8, 3, 1, 1))]:
        floor, chosen, t, flops = case(*args)
        print(f"{name:45} best GEMMs {floor * 1e3:7.2f} ms ({flops / floor / 1e9:4.0f} GFLOP/s)"
              f"   torch whole step {t * 1e3:7.2f} ms ({flops / t / 1e9:4.0f} GFLOP/s)"
              f"   GEMMs / torch {floor / t:5.2f}\n    {'; '.join(chosen)}")


if __name__ == "__main__":
    main()
