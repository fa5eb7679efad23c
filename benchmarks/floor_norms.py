"""The floor under the norm, activation and loss cases: the least NumPy work each needs, against
PyTorch's whole step.

For each case of the speed suite's groups "norm", "activation" and "loss", the passes that a
NumPy implementation must make over the case's arrays are timed one by one as bare ufunc or
BLAS calls (outputs preallocated, no autograd, no Python around them; each the fastest form
measured: a contiguous operand where one can be had, einsum for the sums (BLAS products with
ones are a little faster on one thread but not with OpenBLAS's threads); for the two norms
on one cache-sized block of rows, times the number of blocks: the best case of the blocked
kernels), summed, and set against PyTorch's whole forward + backward of the same case (the
suite's own ``build``). A
floor above the case's target is why mytorch cannot reach the target with NumPy alone: PyTorch
fuses each formula into one or two sweeps over memory, while each NumPy call is one more sweep.
Best of 7 runs each; ``--profile`` adds a cProfile of each mytorch step (where its time goes).

    python benchmarks/floor_norms.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_norms.py --profile
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Callable

import numpy as np
import torch

import mytorch
from mytorch import bench
from mytorch.bench import best_seconds


def best(step: Callable[[], object]) -> float:
    return best_seconds(step, repeat=15)

rng = np.random.default_rng(0)
Passes = dict[str, Callable[[], object]]


def arrays(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def blocks(passes: Passes, count: int) -> Passes:
    """Each pass repeated ``count`` times: one per block of rows."""
    return {name: (lambda call=call: [call() for _ in range(count)])
            for name, call in passes.items()}


def layer_norm() -> Passes:
    """LayerNorm(512) on (64, 128, 512): 16 blocks of (512, 512) rows (1 MiB, within the L2
    cache); gy the ones of ``.sum()``."""
    x, xc, y, gx, t = arrays(*[(512, 512)] * 5)
    w, b = arrays((512,), (512,))
    W, B = np.broadcast_to(w, x.shape).copy(), np.broadcast_to(b, x.shape).copy()
    col = arrays((512, 1))[0]
    gy = np.broadcast_to(np.float32(1), x.shape)
    return blocks({
        "fwd: row sums": lambda: np.einsum("ij->i", x),
        "fwd: centre (x - mean)": lambda: np.subtract(x, col, out=xc),
        "fwd: sums of squares (row dots)": lambda: np.matmul(xc[:, None, :], xc[:, :, None]),
        "fwd: scale (* invstd)": lambda: np.multiply(xc, col, out=t),
        "fwd: affine (* w, expanded)": lambda: np.multiply(xc, W, out=y),
        "fwd: affine (+ b, expanded)": lambda: np.add(y, B, out=y),
        "bwd: g = gy * w": lambda: np.multiply(gy, W, out=t),
        "bwd: row sums of g": lambda: np.einsum("ij->i", y),
        "bwd: row dots g . xhat": lambda: np.matmul(y[:, None, :], xc[:, :, None]),
        "bwd: weight grad, column dots gy . xhat": lambda: np.einsum("ij,ij->j", gy, xc),
        "bwd: bias grad, column sums of gy": lambda: gy.sum(0),
        "bwd: gx = g * invstd": lambda: np.multiply(y, col, out=gx),
        "bwd: xhat * k1": lambda: np.multiply(xc, col, out=t),
        "bwd: gx -= xhat k1": lambda: np.subtract(y, xc, out=gx),
        "bwd: gx -= k0": lambda: np.subtract(y, col, out=gx),
    }, 16)


def batch_norm() -> Passes:
    """BatchNorm2d(64) on (32, 64, 32, 32): per-channel statistics over (N, H, W), in 8
    blocks of 4 samples (1 MiB)."""
    shape = (4, 64, 32, 32)
    x, xc, y, gx, t = arrays(*[shape] * 5)
    ch = arrays((1, 64, 1, 1))[0]
    B = np.broadcast_to(ch, shape).copy()
    gy = np.broadcast_to(np.float32(1), shape)
    return blocks({
        "fwd: channel sums": lambda: np.einsum("nchw->c", x),
        "fwd: centre (x - mean)": lambda: np.subtract(x, ch, out=xc),
        "fwd: sums of squares": lambda: np.einsum("nchw,nchw->c", xc, xc),
        "fwd: scale (* invstd)": lambda: np.multiply(xc, ch, out=t),
        "fwd: affine (* w)": lambda: np.multiply(xc, ch, out=y),
        "fwd: affine (+ b, expanded)": lambda: np.add(y, B, out=y),
        "bwd: channel sums of gy": lambda: gy.sum((0, 2, 3)),
        "bwd: channel dots gy . xhat": lambda: np.einsum("nchw,nchw->c", gy, xc),
        "bwd: gx = gy * scale": lambda: np.multiply(gy, ch, out=gx),
        "bwd: xhat * k1": lambda: np.multiply(xc, ch, out=t),
        "bwd: gx -= xhat k1": lambda: np.subtract(y, xc, out=gx),
        "bwd: gx -= k0": lambda: np.subtract(y, ch, out=gx),
    }, 8)


def gelu() -> Passes:
    """Exact GELU on (256, 1024) float32: exp for the Gaussian, a degree-8 polynomial in
    t = 3 / (3 + |x|) for the Mills ratio (mytorch.kernels.special), the assembly of
    y = x Phi and the slope Phi + x phi, and the backward's gx = gy * slope."""
    x, t, p, e, y, s = arrays(*[(256 * 1024,)] * 6)
    gy = np.broadcast_to(np.float32(1), x.shape)
    passes: Passes = {"|x|, + 3, 3 / (3 + |x|)": lambda: (np.abs(x, out=t), np.add(t, 3, out=t),
                                                          np.divide(3, t, out=t))}
    passes["polynomial: 8 multiply-adds (Horner)"] = lambda: [
        (np.multiply(p, t, out=p), np.add(p, 0.1, out=p)) for _ in range(8)]
    passes["x * x, * -0.5, exp"] = lambda: (np.square(x, out=e), np.multiply(e, -0.5, out=e),
                                           np.exp(e, out=e))
    passes["q = p t exp(...)"] = lambda: (np.multiply(t, t, out=p), np.multiply(p, e, out=p))
    passes["Phi = [x >= 0] - copysign(q, x)"] = lambda: (
        np.copysign(p, x, out=p), np.signbit(x, out=t), np.subtract(1, t, out=t),
        np.subtract(t, p, out=y))
    passes["slope = Phi + x phi; y = x Phi"] = lambda: (
        np.multiply(x, 0.4, out=s), np.multiply(s, e, out=s), np.add(s, y, out=s),
        np.multiply(y, x, out=y))
    passes["bwd: gx = gy * slope"] = lambda: np.multiply(gy, s, out=t)
    return passes


def cross_entropy() -> Passes:
    """cross_entropy on (1024, 1000) logits and class-index targets, mean reduction."""
    x, e, g = arrays(*[(1024, 1000)] * 3)
    target = rng.integers(0, 1000, (1024, 1))
    col = arrays((1024, 1))[0]
    return {
        "fwd: row maxima": lambda: x.max(axis=1, keepdims=True),
        "fwd: x - max": lambda: np.subtract(x, col, out=e),
        "fwd: exp": lambda: np.exp(x, out=e),
        "fwd: row sums": lambda: np.einsum("ij->i", e),
        "fwd: pick the targets' logits": lambda: np.take_along_axis(e, target, axis=1),
        "bwd: g = exp * (scale / sum)": lambda: np.multiply(e, col, out=g),
        "bwd: g -= scale at the targets": lambda: np.put_along_axis(g, target, 0.0, axis=1),
    }


def ctc() -> Passes:
    """ctc_loss T=100, N=16, C=30, S=20: two frame loops (alpha, beta) of T frames each; a
    frame is a log-sum-exp over 3 (alpha) or 4 (beta) shifted rows of (16, 41): at least a
    maximum, exp of the shifted terms, a sum, a log and the emission's add, each one NumPy
    call on a few hundred elements, where the call's fixed cost is the work."""
    terms, top, total = np.zeros((4, 16, 41), np.float32), *arrays((16, 41), (16, 41))
    lp = arrays((100, 16, 30))[0]

    def frames() -> None:
        for _ in range(2 * 100):
            np.maximum.reduce(terms, axis=0, out=top)
            np.subtract(terms, top, out=terms)
            np.exp(terms, out=terms)
            np.add.reduce(terms, axis=0, out=total)
            np.log(total, out=total)
            np.add(total, top, out=total)
    return {"2 x 100 frames x 6 calls": frames, "exp(log_probs) - posterior": lambda: np.exp(lp)}


FLOORS = {"BatchNorm2d": batch_norm, "LayerNorm": layer_norm, "GELU": gelu,
          "cross_entropy": cross_entropy, "ctc_loss": ctc}


def profile(step: Callable[[], None], lines: int = 8) -> None:
    """The top of a cProfile of 20 steps, by own time."""
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile each mytorch step")
    args = parser.parse_args()
    print(f"threads: torch {torch.get_num_threads()}, mytorch {mytorch.get_num_threads()}")
    for case in bench.select(None):
        key = next((k for k in FLOORS if case.name.startswith(k) or k in case.name), None)
        if key is None or case.group not in ("norm", "activation", "loss"):
            continue
        passes = FLOORS[key]()
        print(f"\n{case.name} (target <= {case.target})")
        floor = 0.0
        for name, call in passes.items():
            seconds = best(call)
            floor += seconds
            print(f"  {name:45} {seconds * 1e3:7.3f} ms")
        mine, theirs = best(case.build(mytorch)), best(case.build(torch))
        print(f"  NumPy floor {floor * 1e3:7.3f} ms   torch whole step {theirs * 1e3:7.3f} ms   "
              f"floor / torch {floor / theirs:5.2f}   mytorch step {mine * 1e3:7.3f} ms "
              f"({mine / theirs:5.2f} x torch, {mine / floor:4.2f} x floor)")
        if args.profile:
            profile(case.build(mytorch))


if __name__ == "__main__":
    main()
