"""The floor under pooling and depthwise convolution: NumPy's least passes against PyTorch.

For each case of the speed suite's "pool" group and the depthwise convolution, three
NumPy-only timings on data already in place (no autograd, no argument checks), against
PyTorch's whole forward + backward and mytorch's whole step (best of 7 runs each):

    bound     a lower bound for any NumPy implementation: per kernel offset (tap) and
              direction the one ufunc pass it cannot do without, each on contiguous arrays
              of the output's size (NumPy has no fused kernel: every offset is at least
              one pass over the windows it moves), and one write of the input gradient:
                avg k x k    k^2 adds forward, k^2 adds backward
                max k x k    per offset a running maximum and a compare (where it wins)
                             forward; backward g once (mytorch's one np.add.at)
                depthwise    9 passes for each of the three computations, a sample of
                             whole padded rows (64, 32 x 34) at a time
    products  depthwise only: the three batched products on columns already unfolded, as
              ``gemm_floor.py``: (C, 1, 9) @ (C, 9, P) for the forward and for the input
              gradient (a correlation of gy with the flipped kernel, as mytorch computes it),
              (C, 1, P) @ (C, P, 9) for the weight gradient, a sample at a time
    kernels   mytorch's own kernels alone (``kernels.pool`` on the whole batch: they go in
              blocks of about 1 MiB of planes on ``kernels.parallel.map_runs`` themselves;
              the depthwise direct path a sample at a time)

With more than one thread the bounds (and the depthwise kernels) are also timed on
``mytorch.kernels.parallel.map_runs``, each thread taking a contiguous run of the blocks
(256 planes of the batch x channels, or one sample; NumPy releases the GIL in its loops):
what the cores could give. The cProfile of mytorch's step shows where its own time goes; a
bound above PyTorch's time means no NumPy implementation reaches 1.0x.

Last, the alignment effect that made average pooling 2x2 run at two speeds by process:
the 2-D window views (a strided slice (planes, OUT) per offset, read in rows of OUT[-1]
elements) against the one-axis passes the box sums use now, on an input that starts on a
64-byte boundary and on one that starts 16 bytes past it.

    python benchmarks/floor_pool.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_pool.py
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

import mytorch
from mytorch import bench
from mytorch.bench import best_seconds as best
from mytorch.bench import profile_top
from mytorch.kernels import conv as conv_kernels
from mytorch.kernels import parallel
from mytorch.kernels import pool as pool_kernels
from mytorch.kernels.windows import Windows

rng = np.random.default_rng(0)
Run = Callable[[Sequence[slice]], list[None]]
PLANES = 32 * 64  # (batch x channels) of every case


def pool_runs(kind: str, k: int, s: int, p: int) -> tuple[Run, Callable[[], object]]:
    """(bound, kernels) of one pooling case over planes (PLANES, 32, 32): the bound as
    map_runs runs, the kernels over all planes at once."""
    x = rng.standard_normal((PLANES, 32, 32)).astype(np.float32)
    win = Windows((32, 32), (k, k), (s, s), (p, p), (1, 1))
    g = np.ones((PLANES, *win.out), np.float32)
    y, a, gx = np.empty_like(g), g.copy(), np.empty_like(x)
    won = np.empty(g.shape, bool)
    divisor = pool_kernels.avg_divisor(win).astype(np.float32)

    def bound(part: Sequence[slice]) -> list[None]:
        for planes in part:
            ys, aa, gs = y[planes], a[planes], g[planes]
            if kind == "max":
                np.multiply(gs, aa, out=aa)
            for _ in range(k * k):
                if kind == "max":  # the maximum and where it moved
                    np.maximum(ys, aa, out=ys)
                    np.greater(ys, aa, out=won[planes])
                else:  # (sums of the same two arrays: the values stay finite, the work is the same)
                    np.add(aa, gs, out=ys)
                    np.add(gs, ys, out=aa)
            gx[planes] = 0
        return []

    def kernels() -> None:
        if kind == "max":
            _, arg = pool_kernels.max_pool(x, win)
            pool_kernels.window_scatter(g, win, arg)
        else:
            pool_kernels.window_sum(x, win, None, divisor)
            pool_kernels.window_scatter(g, win, None, divisor)

    return bound, kernels


def depthwise_runs() -> tuple[Run, Run, Run]:
    """(bound, products, kernels) of depthwise conv2d (32, 64, 32x32, k3, p1), a block a sample."""
    C, P = 64, 32 * 34                      # whole padded rows: 32 rows of 34 window starts
    W = rng.standard_normal((C, 1, 9)).astype(np.float32)
    cols = rng.standard_normal((C, 9, P)).astype(np.float32)
    gy_cols = rng.standard_normal((C, 1, P)).astype(np.float32)
    acc, term = np.zeros((C, P), np.float32), np.ones((C, P), np.float32)
    x = rng.standard_normal((32, C, 32, 32)).astype(np.float32) * 0.1
    weight = W.reshape(C, 1, 3, 3)
    gy = rng.standard_normal((32, C, 32, 32)).astype(np.float32)
    gx = np.empty_like(x)
    geometry = ((1, 1), ((1, 1), (1, 1)), (1, 1))  # stride, padding, dilation

    def bound(part: Sequence[slice]) -> list[None]:
        for _ in part:
            for _ in range(3 * 9):
                np.add(acc, term, out=acc)
        return []

    def products(part: Sequence[slice]) -> list[None]:
        for _ in part:
            W @ cols
            W @ cols
            gy_cols @ cols.transpose(0, 2, 1)
        return []

    def kernels(part: Sequence[slice]) -> list[None]:
        for samples in part:
            stride, padding, dilation = geometry
            conv_kernels.depthwise_forward(x[samples], weight, stride, padding, dilation, (32, 32))
            gx[samples] = conv_kernels.depthwise_input_grad(gy[samples], weight, (32, 32), stride,
                                                            padding, dilation, C)
            conv_kernels.depthwise_weight_grad(x[samples], gy[samples], (3, 3), stride, padding,
                                               dilation)
        return []

    return bound, products, kernels


def starting_at(a: np.ndarray, offset: int) -> np.ndarray:
    """A copy of ``a`` whose data starts ``offset`` bytes past a 64-byte boundary."""
    raw = np.empty(a.nbytes + 64, np.uint8)
    start = (offset - raw.ctypes.data) % 64
    copy = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    copy[...] = a
    return copy


def alignment() -> None:
    """The 2x2 window sums as four 2-D strided views and as two one-axis passes, on an input
    starting on a 64-byte boundary and 16 bytes past one (one thread, best of 7)."""
    x = rng.standard_normal((PLANES, 32, 32)).astype(np.float32)
    y, rows = np.empty((PLANES, 16, 16), np.float32), np.empty((PLANES, 16, 32), np.float32)

    def views(a: np.ndarray) -> None:
        np.add(a[:, 0::2, 0::2], a[:, 0::2, 1::2], out=y)
        np.add(y, a[:, 1::2, 0::2], out=y)
        np.add(y, a[:, 1::2, 1::2], out=y)

    def one_axis(a: np.ndarray) -> None:
        np.add(a[:, 0::2], a[:, 1::2], out=rows)
        np.add(rows[..., 0::2], rows[..., 1::2], out=y)

    print("alignment: 2x2 window sums of (2048, 32, 32) float32, ms (input at 64k | 64k + 16)")
    for name, run in (("2-D window views", views), ("one-axis passes", one_axis)):
        inputs = [starting_at(x, offset) for offset in (0, 16)]
        ms = [best(lambda: run(a)) * 1e3 for a in inputs]  # noqa: B023
        print(f"    {name:18s} {ms[0]:6.2f} | {ms[1]:6.2f}")


def timed(run: Run, blocks: list[slice], threads: int) -> str:
    """Best milliseconds of ``run`` over all blocks in one thread, and on the pool if any."""
    one = best(lambda: run(blocks))
    text = f"{one * 1e3:6.2f}"
    if threads > 1:  # map_runs hands each thread a contiguous run of the blocks
        text += f" | {best(lambda: parallel.map_runs(run, blocks)) * 1e3:6.2f}"
    return text


def main() -> None:
    threads = parallel.get_num_threads()
    print(f"threads: torch {torch.get_num_threads()}, mytorch map_runs {threads}; ms, best of 7"
          + (" (one thread | on the pool)" if threads > 1 else ""))
    by_name = {case.name: case for case in bench.CASES}
    pools = [("max_pool2d 2x2 s2 (32, 64, 32, 32)", "max", 2, 2, 0),
             ("max_pool2d 3x3 s2 p1 (32, 64, 32, 32)", "max", 3, 2, 1),
             ("avg_pool2d 2x2 s2 (32, 64, 32, 32)", "avg", 2, 2, 0),
             ("avg_pool2d 3x3 s2 p1 (32, 64, 32, 32)", "avg", 3, 2, 1)]
    rows: list[tuple[str, dict[str, Run], list[slice], Callable[[], object] | None]] = []
    for name, kind, k, s, p in pools:
        bound, kernels = pool_runs(kind, k, s, p)
        rows.append((name, {"bound": bound}, [slice(i, i + 256) for i in range(0, PLANES, 256)],
                     kernels))
    bound, products, depthwise = depthwise_runs()
    rows.append(("depthwise conv2d (32, 64, 32x32, k3, g64)",
                 {"bound": bound, "products": products, "kernels": depthwise},
                 [slice(i, i + 1) for i in range(32)], None))
    for name, runs, blocks, whole in rows:
        mine, theirs = by_name[name].build(mytorch), by_name[name].build(torch)
        t_torch, t_mine = best(theirs), best(mine)
        floor = min(best(lambda: run(blocks)) for what, run in runs.items()  # noqa: B023
                    if what != "kernels")
        line = "   ".join(f"{what} {timed(run, blocks, threads)}" for what, run in runs.items())
        if whole is not None:  # they go on the pool themselves
            line += f"   kernels {best(whole) * 1e3:6.2f}"
        print(f"{name}\n    {line}   torch step {t_torch * 1e3:6.2f}   mytorch step "
              f"{t_mine * 1e3:6.2f}\n    floor / torch {floor / t_torch:5.2f}   "
              f"mytorch / torch {t_mine / t_torch:5.2f}")
        print(profile_top(mine, lines=6))
    alignment()


if __name__ == "__main__":
    main()
