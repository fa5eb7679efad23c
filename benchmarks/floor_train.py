"""The floor under the train steps' convolutions (LeNet-5, MNIST-1D CNN, ResNet-20) against PyTorch.

Per layer of each model: mytorch's forward + backward of the layer alone, PyTorch's, and for
the convolutions the floor, the least NumPy work the layer needs on data already in place
(no autograd, no argument checks, no bookkeeping):

    im2col layers   one unfolding of the padded input (kept for the weight gradient: no
                    second unfolding), the forward product ``W @ cols`` and y's copy back
                    to (N, O, *OUT), gy's copy to (O, N, *OUT) and the weight gradient's
                    product ``cols @ gy^T``, the bias sum, and where the input needs a
                    gradient the faster of ``W^T @ gy^T`` + col2im (one strided add per
                    kernel offset) and, at stride 1, the unfolding of padded gy and one product
    Winograd layers (3x3, stride 1, 8+ channels) the 16 products of each of the three
                    computations on tiles already transformed (as ``floor_winograd.py``)

in chunks of the batch of about 2 MiB; with more than one thread the chunks go on
``mytorch.kernels.parallel.map_runs`` with one BLAS thread each (NumPy releases the GIL in
its copies and products): what both cores could give. The whole steps come first, and for
the two Sequential models every layer follows with mytorch's and PyTorch's times (best of 7
runs each: CPU time with one thread, wall time with more; ratio = / PyTorch).

    python benchmarks/floor_train.py                                    # default threads
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/floor_train.py
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import mytorch
from mytorch import bench
from mytorch.bench import best_cpu_seconds
from mytorch.bench import best_seconds as best
from mytorch.kernels import parallel
from mytorch.kernels.windows import window_view

rng = np.random.default_rng(0)
CHUNK_BYTES = 2 * 2**20


def clock(step: Callable[[], object], repeat: int = 7) -> float:
    """Seconds of the fastest of ``repeat`` runs: CPU time with one thread (steadier on a
    busy machine), else wall time."""
    return (best if mytorch.get_num_threads() > 1 else best_cpu_seconds)(step, repeat)


def _chunked(per_sample: int, N: int, job: Callable[[slice], None]) -> Callable[[], None]:
    """``job`` over chunks of the batch of about CHUNK_BYTES, on the intra-op threads."""
    chunks = parallel.even_slices(N, max(1, CHUNK_BYTES // max(1, per_sample)))

    def run(part: Sequence[slice]) -> list[None]:
        for chunk in part:
            job(chunk)
        return []

    return lambda: parallel.map_runs(run, chunks, blas=True)


def im2col_floor(N: int, C: int, O: int, L: Sequence[int], k: int, s: int, p: int,
                 input_grad: str) -> Callable[[], None]:
    """The least work of an im2col convolution layer (see the module docstring); the input
    gradient by ``input_grad``: 'col2im', 'flipped' (stride 1) or '' (none)."""
    nd = len(L)
    out = tuple((n + 2 * p - k) // s + 1 for n in L)
    x = rng.standard_normal((N, C, *(n + 2 * p for n in L))).astype(np.float32)  # padded
    W = rng.standard_normal((O, C * k**nd)).astype(np.float32)
    gy = rng.standard_normal((N, O, *out)).astype(np.float32)
    P, CK = math.prod(out), C * k**nd
    cols = np.empty((CK, N * P), np.float32)
    y, gy_T = np.empty_like(gy), np.empty((O, N, P), np.float32)
    gx_pad = np.empty_like(x)
    flipped = rng.standard_normal((C, O * k**nd)).astype(np.float32)
    gy_pad = np.zeros((N, O, *(n + 2 * (k - 1 - p) for n in out)), np.float32)

    def job(chunk: slice) -> None:
        n = chunk.stop - chunk.start
        view = window_view(x[chunk], (k,) * nd, out, (s,) * nd, (1,) * nd)  # (*K, n, C, *OUT)
        c = cols[:, chunk.start * P: chunk.stop * P].reshape(C, *(k,) * nd, n, *out)
        np.copyto(c, view.transpose(nd + 1, *range(nd), nd, *range(nd + 2, 2 * nd + 2)))
        c2 = c.reshape(CK, n * P)
        y[chunk] = (W @ c2).reshape(O, n, *out).swapaxes(0, 1)
        gy_T[:, chunk] = gy[chunk].reshape(n, O, P).swapaxes(0, 1)
        g = gy_T[:, chunk].reshape(O, n * P)
        c2 @ g.T                                                   # weight gradient
        gy[chunk].sum(axis=(0, *range(2, 2 + nd)))                 # bias
        if not input_grad:
            return
        if input_grad == "flipped":                                # the forward of padded gy
            gy_pad[(chunk, slice(None), *(slice(k - 1 - p, k - 1 - p + o) for o in out))] = \
                gy[chunk]
            gv = window_view(gy_pad[chunk], (k,) * nd, tuple(L), (1,) * nd, (1,) * nd)
            gcols = np.ascontiguousarray(
                gv.transpose(nd + 1, *range(nd), nd, *range(nd + 2, 2 * nd + 2)))
            flipped @ gcols.reshape(O * k**nd, -1)
        else:                                                      # col2im
            gcols = (W.T @ g).reshape(C, *(k,) * nd, n, *out)
            region = gx_pad[chunk].swapaxes(0, 1)                  # (C, n, *Lp)
            region.fill(0)
            windows = window_view(region, (k,) * nd, out, (s,) * nd, (1,) * nd, writeable=True)
            for offset in np.ndindex(*(k,) * nd):
                windows[offset] += gcols[(slice(None), *offset)]

    return _chunked((CK + 2 * O) * P * 4, N, job)


def winograd_floor(N: int, C: int, O: int, H: int) -> Callable[[], None]:
    """The 16 products of each of Winograd's three computations on transformed tiles."""
    tiles = (H // 2) ** 2
    per_sample = (32 * C + 20 * O) * tiles * 4
    n = max(1, CHUNK_BYTES // per_sample, -(-128 // tiles))
    U, gU = (rng.standard_normal((16, O, C)).astype(np.float32) for _ in range(2))
    U_T = np.ascontiguousarray(U.transpose(0, 2, 1))
    V = rng.standard_normal((16, C, n * tiles)).astype(np.float32)
    M, gY = (rng.standard_normal((16, O, n * tiles)).astype(np.float32) for _ in range(2))

    def job(chunk: slice) -> None:
        T = (chunk.stop - chunk.start) * tiles
        U @ V[:, :, :T]
        U_T @ gY[:, :, :T]
        gY[:, :, :T] @ V[:, :, :T].transpose(0, 2, 1)

    return _chunked(per_sample, N, job)


# conv layers of each model: (name, N, C, O, spatial size L, k, stride, padding, count,
# needs an input gradient)
LAYERS: dict[str, list[tuple[Any, ...]]] = {
    "LeNet-5 train step (SGD), batch 128": [
        ("conv1 1->6 28x28 k5 p2", 128, 1, 6, (28, 28), 5, 1, 2, 1, False),
        ("conv2 6->16 14x14 k5", 128, 6, 16, (14, 14), 5, 1, 0, 1, True)],
    "MNIST-1D CNN train step (Adam), batch 32": [
        ("conv1 1->32 L40 k5 p2", 32, 1, 32, (40,), 5, 1, 2, 1, False),
        ("conv2 32->64 L40 k3 s2 p1", 32, 32, 64, (40,), 3, 2, 1, 1, True),
        ("conv3 64->64 L20 k3 s2 p1", 32, 64, 64, (20,), 3, 2, 1, 1, True)],
    "ResNet-20 train step (SGD), batch 128, 32x32": [
        ("stem 3->16 32x32", 128, 3, 16, (32, 32), 3, 1, 1, 1, False),
        ("16->16 32x32 (x6)", 128, 16, 16, (32, 32), 3, 1, 1, 6, True),
        ("16->32 32x32 s2", 128, 16, 32, (32, 32), 3, 2, 1, 1, True),
        ("32->32 16x16 (x5)", 128, 32, 32, (16, 16), 3, 1, 1, 5, True),
        ("32->64 16x16 s2", 128, 32, 64, (16, 16), 3, 2, 1, 1, True),
        ("64->64 8x8 (x5)", 128, 64, 64, (8, 8), 3, 1, 1, 5, True)],
}


SEQUENTIAL = {  # the models that are one Sequential: (builder, input shape)
    "LeNet-5 train step (SGD), batch 128": (bench.lenet5, (128, 1, 28, 28)),
    "MNIST-1D CNN train step (Adam), batch 32": (bench.mnist1d_cnn, (32, 1, 40)),
}


def layer_step(lib: Any, N: int, C: int, O: int, L: Sequence[int], k: int, s: int, p: int,
               input_grad: bool, bias: bool) -> Callable[[], None]:
    """One conv layer's forward + backward alone."""
    x = lib.tensor(rng.standard_normal((N, C, *L)).astype(np.float32), requires_grad=input_grad)
    conv = (lib.nn.Conv2d if len(L) == 2 else lib.nn.Conv1d)(C, O, k, s, p, bias=bias)
    gy = lib.tensor(rng.standard_normal(tuple(conv(x).shape)).astype(np.float32))

    def step() -> None:
        x.grad = None
        for param in conv.parameters():
            param.grad = None
        conv(x).backward(gy)

    return step


def layer_breakdown(make: Callable[[Any], Any], shape: tuple[int, ...]) -> None:
    """Each layer of a ``Sequential`` model alone (forward + backward, on the input it gets
    in the model), mytorch against PyTorch; the first layer's input needs no gradient."""
    data = rng.standard_normal(shape).astype(np.float32)
    layers = {lib: list(make(lib)) for lib in (mytorch, torch)}
    for i, (mine, theirs) in enumerate(zip(layers[mytorch], layers[torch])):
        times = []
        for lib, layer in ((mytorch, mine), (torch, theirs)):
            layer.train()
            x = lib.tensor(data, requires_grad=i > 0)
            gy = lib.tensor(rng.standard_normal(tuple(layer(x).shape)).astype(np.float32))

            def step(layer: Any = layer, x: Any = x, gy: Any = gy) -> None:
                x.grad = None
                for param in layer.parameters():
                    param.grad = None
                layer(x).backward(gy)

            times.append(clock(step))
        print(f"  {i:2} {type(theirs).__name__ + str(tuple(data.shape)):26} mytorch "
              f"{times[0] * 1e3:7.2f} torch {times[1] * 1e3:7.2f} ({times[0] / times[1]:4.2f})")
        with torch.no_grad():
            data = theirs(torch.from_numpy(data)).numpy()


def main() -> None:
    print(f"threads: torch {torch.get_num_threads()}, mytorch {mytorch.get_num_threads()}"
          "   (ms; ratio = / PyTorch)")
    for model, layers in LAYERS.items():
        case = next(c for c in bench.CASES if c.name == model)
        whole_mine, whole_torch = clock(case.build(mytorch)), clock(case.build(torch))
        print(f"{model}: mytorch {whole_mine * 1e3:.1f}, torch {whole_torch * 1e3:.1f}, "
              f"ratio {whole_mine / whole_torch:.2f}")
        floors = 0.0
        for name, N, C, O, L, k, s, p, count, needs_gx in layers:
            args = (N, C, O, L, k, s, p, needs_gx)
            winograd = k == 3 and s == 1 and min(C, O) >= 8
            if winograd:
                floor = clock(winograd_floor(N, C, O, L[0]))
            else:
                routes = ("col2im", "flipped") if s == 1 else ("col2im",)
                floor = min(clock(im2col_floor(*args[:-1], route))
                            for route in (routes if needs_gx else ("",)))
            bias = not model.startswith("ResNet")  # ResNet-20's convolutions have none
            mine, theirs = (clock(layer_step(lib, *args, bias)) for lib in (mytorch, torch))
            floors += count * floor
            print(f"  {name:28} mytorch {mine * 1e3:7.2f} torch {theirs * 1e3:7.2f} "
                  f"({mine / theirs:4.2f})   floor {floor * 1e3:7.2f} ({floor / theirs:4.2f})"
                  f"{'  Winograd products' if winograd else ''}")
        print(f"  all convolutions' floors {floors * 1e3:.1f} ms = {floors / whole_torch:.2f} "
              "of torch's whole step")
        if model in SEQUENTIAL:
            print("  every layer:")
            layer_breakdown(*SEQUENTIAL[model])


if __name__ == "__main__":
    main()
