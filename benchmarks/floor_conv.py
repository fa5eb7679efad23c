"""The floor under conv1d, strided conv2d and conv_transpose2d: NumPy's least work against PyTorch.

For the three im2col-based cases of the speed suite whose ratio is above target, with NumPy
alone, on data already in place (no autograd, no argument checks), against PyTorch's whole
forward + backward (bias included) and mytorch's whole step (best of 7 runs each):

    products  the three matrix products of the direct method (forward, input gradient,
              weight gradient) on operands already unfolded, each in the orientation BLAS
              runs fastest here (positions as columns, ``(O, CK) @ (CK, nP)``, or as rows,
              ``(nP, CK) @ (CK, O)``), on the whole batch or in the cache-sized chunks of
              samples the fast path uses with one thread (``kernels.conv._WORKING_SET``),
              the chunk's operands reused, so they are always in cache: less than any
              implementation that has to write them first.
    copies    the unfoldings the direct method cannot do without, once each, by the fast
              path's own kernels on one chunk, times the chunks: the forward's and the
              weight gradient's columns (two ``im2col``), and the input gradient's fold
              (``col2im`` or the fast path's ``_PhaseFold``, whichever is less; at stride 1
              an ``im2col`` of gy instead, the stride-1 input gradient being a convolution
              of gy; where the stride divides the kernel, the ``im2col`` of gy for the
              phases' convolution and their interleaving, if less). The transposed
              convolution has the same three (its forward is the input gradient of the
              convolution it reverses).
    floor     products + copies: what a GEMM-based step costs at least with NumPy.

A floor above PyTorch's step means the im2col + GEMM method cannot reach 1.0x with NumPy;
below it, the rest (mytorch step - floor) is what there is to win, shown by the cProfile of
mytorch's step. With more than one thread (T) the floor may use every core: the products
also run whole-batch on BLAS's own threads, or in chunks on one BLAS thread each, counted
as if T threads shared them out perfectly (a chunk's time x chunks / T), whichever is
least, and the copies count 1/T of their one-thread time: a floor no two-core
implementation can go under.

    python benchmarks/floor_conv.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_conv.py
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from gemm_floor import products  # (this folder: each product in both orientations)

import mytorch
from mytorch import bench
from mytorch.bench import best_seconds as best
from mytorch.bench import profile_top
from mytorch.kernels import conv as K
from mytorch.kernels import parallel

rng = np.random.default_rng(0)


@parallel.holds_blas
def _on_one_blas_thread(calls: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The best seconds of each call, NumPy's BLAS held to one thread."""
    return {name: best(call) for name, call in calls.items()}


def case(N: int, C: int, O: int, L: int, k: int, s: int, p: int, nd: int
         ) -> tuple[float, float, list[str]]:
    """(products' seconds, copies' seconds, which products) of the convolution of x
    (N, C, *L) with W (O, C, *K), the one a transposed convolution reverses included."""
    out = (L + 2 * p - k) // s + 1
    CK, P = C * k ** nd, out ** nd
    n = K._chunk_size(N, (CK + O) * P * 4)   # samples per chunk in the fast path
    whole, chunk = products(O, CK, N * P, C, s), products(O, CK, n * P, C, s)
    floor, chosen, threads = 0.0, [], mytorch.get_num_threads()
    for product in whole:
        options = {f"{name} (chunks of {n})": best(fn) * N / n
                   for name, fn in chunk[product].items()}
        if threads > 1:
            options |= {f"{name} (whole)": best(fn) for name, fn in whole[product].items()}
            # or the chunks on the intra-op threads, one BLAS thread each, shared out perfectly
            options |= {f"{name} (chunks of {n}, 1 BLAS thread, on {threads})": t * N / n / threads
                        for name, t in _on_one_blas_thread(chunk[product]).items()}
        fastest = min(options, key=options.__getitem__)
        floor += options[fastest]
        chosen.append(f"{product}: {fastest}")
    x = rng.standard_normal((n, C) + (L,) * nd).astype(np.float32)
    cols = K.im2col(x, k, s, p)
    unfold = best(lambda: K.im2col(x, k, s, p, buffer=cols.ravel())) * N / n
    fold = best(lambda: K.col2im(cols, (L,) * nd, s, p)) * N / n
    # or the fast path's col2im by phases over wide rows: fold, then into gx
    size, kernel, stride = (L,) * nd, (k,) * nd, (s,) * nd
    plan = K._Plan((n, C, *size), kernel, (out,) * nd, stride, ((p, p),) * nd, (1,) * nd, 1)
    phased = K._PhaseFold(plan.largest, kernel, stride, (1,) * nd)
    gcols = rng.standard_normal((C, *kernel, n * phased.positions)).astype(np.float32)
    buffer = np.empty(n * C * phased.phase_size + phased.slack, np.float32)
    gx = np.empty((n, C, *size), np.float32)
    fold = min(fold, best(lambda: phased.unphase(phased.fold(gcols, buffer), gx, add=False))
               * N / n)
    if s > 1 and k % s == 0:  # or the phases' convolution: gy unfolded, its outputs interleaved
        gy = rng.standard_normal((n, O) + (out,) * nd).astype(np.float32)
        phases = K._phases((out,) * nd, (L,) * nd, (k,) * nd, (s,) * nd, ((p, p),) * nd,
                           (1,) * nd)
        assert phases is not None
        gy_cols = K.im2col(gy, k // s, 1, phases.padding).ravel()
        Z = rng.standard_normal((n, s ** nd * C, *phases.size)).astype(np.float32)
        fold = min(fold, (best(lambda: K.im2col(gy, k // s, 1, phases.padding, buffer=gy_cols))
                          + best(lambda: K._interleave(Z, 1, (s,) * nd, phases.first,
                                                       (L,) * nd))) * N / n)
    # the copies too go in chunks, which the threads could share out perfectly
    return floor, (3 * unfold if s == 1 else 2 * unfold + fold) / threads, chosen


def main() -> None:
    print(f"threads: torch {torch.get_num_threads()}, mytorch {mytorch.get_num_threads()}; "
          "ms, best of 7, ratio to torch's step")
    N, C, O, L, k, s, p = bench.CONV_TRANSPOSE
    cases = [(name, args[:7] + args[8:], bench.conv_case, args)  # (N, C, O, L, k, s, p, nd)
             for name, args in bench.CONV_SHAPES.items()
             if name.startswith(("conv1d (256", "conv2d (32, 32->64"))]
    # the convolution a transposed one reverses: (N, O, L * s) -> (N, C, L)
    cases.append(("conv_transpose2d (32, 64->32, 16x16, k4, s2, p1)", (N, O, C, L * s, k, s, p, 2),
                  lambda lib, args: bench.conv_transpose(lib, *args), bench.CONV_TRANSPOSE))
    for name, geometry, build, args in cases:
        products_s, copies_s, chosen = case(*geometry)
        theirs, mine = best(build(torch, args)), best(build(mytorch, args))
        floor = products_s + copies_s
        print(f"\n{name}\n  products {products_s * 1e3:6.2f} ({products_s / theirs:4.2f})"
              f" + copies {copies_s * 1e3:6.2f} = floor {floor * 1e3:6.2f} ({floor / theirs:4.2f})"
              f" | torch {theirs * 1e3:6.2f} | mytorch {mine * 1e3:6.2f} ({mine / theirs:4.2f})"
              f"\n  {'; '.join(chosen)}")
        print(profile_top(build(mytorch, args)))


if __name__ == "__main__":
    main()
