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
The floor is the faster of two sweeps that make every pass block by block (a block's
passes one after the other, while it is in cache): on one thread, and, with more than one
thread (``mytorch.get_num_threads()``, default: the cores), with the blocks shared out over
mytorch's intra-op pool (``mytorch.kernels.parallel.map_runs``, one call for the whole
sweep), each thread on arrays of its own, as the blocked kernels do: the floor against
PyTorch's threads may use both cores too. (Sharing out each pass separately, one pool call
per pass, is no floor: on these 1-16 MiB arrays the pool's fixed cost per call, ~0.1 ms,
outweighs the second core.) The lines per pass are one thread's. The passes run on one
block's arrays, reused: in cache, so the floor leaves out streaming the real arrays through
memory, which no implementation avoids (the input read, the outputs written: measured, one
thread, a multiply by the expanded weight over the 16 blocks of the LayerNorm input, 0.63 ms
on one block's arrays against 1.4-1.6 ms reading and writing the 16 MiB arrays; the
LayerNorm step streams five such arrays, x, xhat and y forward, xhat and gx backward,
PyTorch's four, x and y, x and gx). Best of 15 runs each; ``--profile`` adds a cProfile of
each mytorch step (where its time goes).

    python benchmarks/floor_norms.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_norms.py --profile
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch

import mytorch
from mytorch import bench
from mytorch.bench import best_seconds, profile_top
from mytorch.kernels import parallel, special


def best(step: Callable[[], object]) -> float:
    return best_seconds(step, repeat=15)

rng = np.random.default_rng(0)
Passes = dict[str, Callable[[], object]]


def arrays(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


class Floor(NamedTuple):
    passes: Passes                           # each pass over all blocks, one thread
    sweeps: dict[str, Callable[[], object]]  # every pass block by block: one thread, the pool


def blocks(make: Callable[[], Passes], count: int) -> Floor:
    """The passes of ``make()`` (over one block), for ``count`` blocks: each pass alone on one
    thread, and the sweeps (every pass of a block, block after block) on one thread and, with
    threads, the blocks shared out over the pool, each thread on its own ``make()``."""
    sets = [make() for _ in range(max(1, min(parallel.get_num_threads(), count)))]
    owner = [i * len(sets) // count for i in range(count)]  # map_runs' contiguous runs

    def each_block(call: Callable[[], object]) -> Callable[[], object]:
        return lambda: [call() for _ in range(count)]

    def sweep(owners: Sequence[int]) -> list[object]:
        return [[call() for call in sets[i].values()] for i in owners]

    sweeps = {"one thread": lambda: sweep([0] * count)}
    if len(sets) > 1:
        sweeps[f"{len(sets)} threads"] = lambda: parallel.map_runs(sweep, owner)
    return Floor({name: each_block(call) for name, call in sets[0].items()}, sweeps)


def layer_norm() -> Floor:
    """LayerNorm(512) on (64, 128, 512): 16 blocks of (512, 512) rows (1 MiB, within the L2
    cache); gy the ones of ``.sum()``."""
    return blocks(_layer_norm_block, 16)


def _layer_norm_block() -> Passes:
    x, xc, y, gx, t = arrays(*[(512, 512)] * 5)
    w, b = arrays((512,), (512,))
    W, B = np.broadcast_to(w, x.shape).copy(), np.broadcast_to(b, x.shape).copy()
    col = arrays((512, 1))[0]
    gy = np.broadcast_to(np.float32(1), x.shape)
    return {
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
    }


def batch_norm() -> Floor:
    """BatchNorm2d(64) on (32, 64, 32, 32): per-channel statistics over (N, H, W), in 8
    blocks of 4 samples (1 MiB)."""
    return blocks(_batch_norm_block, 8)


def _batch_norm_block() -> Passes:
    shape = (4, 64, 32, 32)
    x, xc, y, gx, t = arrays(*[shape] * 5)
    ch = arrays((1, 64, 1, 1))[0]
    B = np.broadcast_to(ch, shape).copy()
    gy = np.broadcast_to(np.float32(1), shape)
    return {
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
    }


def gelu() -> Floor:
    """Exact GELU on (256, 1024) float32 in 8 blocks of 32768 elements, the passes of
    mytorch.kernels.special.gelu, the cheapest float32-accurate formula found: z = |x| clipped,
    the powers z^2..z^5, one (2, 6) product for P(z) and Q(z) of the Mills ratio's rational,
    exp(-z^2 / 2), y = max(x, 0) - z q, the slope 1/2 + sign(x) (1/2 - q + z phi) (the sign
    or-ed in as bits), and the backward's gx = gy * slope. (The degree-8 polynomial in
    3 / (3 + |x|) it replaced: about 32 passes, 13-16% slower, measured; the same rational by
    Horner's rule: 17 passes in place of the 4 powers and the product, estimated from the
    passes' costs at about 460 against 300 us.)"""
    return blocks(_gelu_block, 8)


def _gelu_block() -> Passes:
    n = 32768
    x, z, y, s, e, w, gx = arrays(*[(n,)] * 7)
    powers, ratio = arrays((6, n), (2, n))
    limit, zero = np.full(n, 20, np.float32), np.zeros(n, np.float32)
    sign, wi, xi = z.view(np.int32), w.view(np.int32), x.view(np.int32)
    gy = np.broadcast_to(np.float32(1), x.shape)
    return {
        "z = min(|x|, 20)": lambda: (np.abs(x, out=w), np.minimum(w, limit, out=z)),
        "powers z^2 .. z^5": lambda: [np.multiply(z, z, out=powers[k]) for k in range(2, 6)],
        "P(z), Q(z): one (2, 6) @ (6, n) product": lambda: np.matmul(special._MILLS, powers,
                                                                    out=ratio),
        "P / Q, * -0.5, exp, q = R e": lambda: (
            np.divide(ratio[0], ratio[1], out=ratio[0]), np.multiply(powers[2], -0.5, out=e),
            np.exp(e, out=e), np.multiply(ratio[0], e, out=ratio[0])),
        "y = max(x, 0) - z q": lambda: (
            np.multiply(z, ratio[0], out=ratio[1]), np.maximum(x, zero, out=y),
            np.subtract(y, ratio[1], out=y)),
        "w = 1/2 - q + c |x| e": lambda: (np.multiply(w, 0.4, out=w), np.multiply(w, e, out=w),
                                          np.add(w, 0.5, out=w), np.subtract(w, ratio[0], out=w)),
        "slope = 1/2 + (w | sign bit of x)": lambda: (
            np.bitwise_and(xi, np.int32(-2**31), out=sign),
            np.bitwise_or(wi, sign, out=s.view(np.int32)), np.add(s, 0.5, out=s)),
        "bwd: gx = gy * slope": lambda: np.multiply(gy, s, out=gx),
    }


def cross_entropy() -> Floor:
    """cross_entropy on (1024, 1000) logits and class-index targets, mean reduction, in 4
    blocks of 256 samples (1 MiB)."""
    return blocks(_cross_entropy_block, 4)


def _cross_entropy_block() -> Passes:
    x, e, g = arrays(*[(256, 1000)] * 3)
    target = rng.integers(0, 1000, (256, 1))
    col = arrays((256, 1))[0]
    return {
        "fwd: row maxima": lambda: x.max(axis=1, keepdims=True),
        "fwd: x - max": lambda: np.subtract(x, col, out=e),
        "fwd: pick the targets' logits": lambda: np.take_along_axis(e, target, axis=1),
        "fwd: exp": lambda: np.exp(e, out=e),
        "fwd: row sums": lambda: np.einsum("ij->i", e),
        "bwd: g = exp * (scale / sum)": lambda: np.multiply(e, col, out=g),
        "bwd: g -= scale at the targets": lambda: np.put_along_axis(g, target, 0.0, axis=1),
    }


def ctc() -> Floor:
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
    passes = {"2 x 100 frames x 6 calls": frames, "exp(log_probs) - posterior": lambda: np.exp(lp)}
    return Floor(passes, {"one thread": lambda: [call() for call in passes.values()]})


FLOORS = {"BatchNorm2d": batch_norm, "LayerNorm": layer_norm, "GELU": gelu,
          "cross_entropy": cross_entropy, "ctc_loss": ctc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile each mytorch step")
    args = parser.parse_args()
    print(f"threads: torch {torch.get_num_threads()}, mytorch {mytorch.get_num_threads()}")
    for case in bench.select(None):
        key = next((k for k in FLOORS if case.name.startswith(k) or k in case.name), None)
        if key is None or case.group not in ("norm", "activation", "loss"):
            continue
        floor_of = FLOORS[key]()
        print(f"\n{case.name} (target <= {case.target})")
        for name, call in floor_of.passes.items():
            print(f"  {name:45} {best(call) * 1e3:7.3f} ms")
        sweeps = {name: best(call) for name, call in floor_of.sweeps.items()}
        print("  all passes, block by block: " + ",  ".join(
            f"{name} {seconds * 1e3:.3f} ms" for name, seconds in sweeps.items()))
        floor = min(sweeps.values())
        mine, theirs = best(case.build(mytorch)), best(case.build(torch))
        print(f"  NumPy floor {floor * 1e3:7.3f} ms   torch whole step {theirs * 1e3:7.3f} ms   "
              f"floor / torch {floor / theirs:5.2f}   mytorch step {mine * 1e3:7.3f} ms "
              f"({mine / theirs:5.2f} x torch, {mine / floor:4.2f} x floor)")
        if args.profile:
            print(profile_top(case.build(mytorch), runs=20))


if __name__ == "__main__":
    main()
