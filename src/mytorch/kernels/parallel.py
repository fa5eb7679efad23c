"""Intra-op threads: independent blocks of one kernel run on a small thread pool.

PyTorch spreads a large elementwise op over its own intra-op threads (one per core
by default); a NumPy ufunc runs on one core. But NumPy releases the GIL inside its
ufunc loops, so Python threads that each sweep their own blocks of an array do run
at once, with NumPy alone. The normalization kernels work in independent cache-sized
blocks that write disjoint slices of their outputs; :func:`map_runs` hands those
blocks to the pool. Each ufunc call must be long (a block of about 1 MiB): with short
calls, handing the GIL from thread to thread costs more than the second core gains
(measured on 2 cores: 256 KiB blocks no faster than one thread). Float32 GELU on the
pool measured no clear gain (within noise) and stays sequential; re-measured with its
cheaper formula of session 17 (best of 40, wall, default threads, on the busy 2-core
machine), the pool was slower: 1.59 against 1.17 ms per forward + backward (and on the
quiet machine, best of 30 in one process: 1.36-1.54 on the pool against 1.10-1.13 ms), and
cross-entropy (1024, 1000) in blocks of samples on the pool 2.25 against 2.01 ms (and
slower on one thread than its whole-array passes), so both stay as they are.

A job must not itself start BLAS threads: OpenBLAS runs a matrix-vector product on all
cores, and two jobs doing so oversubscribe them (measured: LayerNorm's row sums as products
with ones made its step 2x slower at default threads than as ``einsum`` passes), and it
runs one multithreaded matrix product at a time, so two jobs' products wait for each
other. Jobs that make BLAS calls (a convolution's chunks) say so (``blas=True``): while
they run, the OpenBLAS NumPy loaded is held to one thread (its ``set_num_threads``,
called through ctypes), each job's products on its own core. Where that BLAS is not
found (NumPy built on another one), such jobs run in order in the calling thread,
where BLAS keeps its own threads. Measured on 2 cores, 8 products (16, 64, 64) @ (16,
64, 1024): 35-37 ms in order with two BLAS threads, 18-20 ms with one, 11.5 ms as two
jobs of one BLAS thread each; LeNet-5's first convolution's kernels (128, 1->6, 28x28,
k5) forward 3.2 -> 2.4-2.7 ms and weight gradient 7.0 -> 3.0-3.9 ms against sequential
chunks with two BLAS threads (wall, best of 15, a loaded machine).

Holding BLAS only while the jobs run is not enough: after a product on two threads,
OpenBLAS's worker keeps spinning for about 2^28 cycles (~0.1 s) before it sleeps, on the
core a job needs (measured on 2 cores: two pool jobs of ``np.exp`` over 4 MiB each, 6.0 ms
alone and 10.6 ms, the time of running them in order, right after a 512x512 product). So
a kernel whose chunks go on the pool holds BLAS to one thread for its whole call
(:func:`holds_blas`), its own small products included (Winograd's weight transform, a
(16, 9) @ (9, O*C) product, is large enough for OpenBLAS to use both threads): the
conv2d (32, 64->64, 32x32, k3) step went 105-125 -> 55-59 ms at default threads on the
quiet machine (torch 51-54 ms). For the same reason every convolution's chunks go on the
pool, thick products included: running the chunks of thick ones (conv1d, the strided and
the transposed conv of the suite) in order with BLAS's two threads was faster for those
layers alone (fwd + bwd, default threads, medians of 9 in one process: 21.4 -> 16.8, 8.2
-> 7.2 and 29.7 -> 22.0 ms) but slowed the networks that mix them with pooled kernels
(ResNet-20 step 723 -> 960 ms), the spinning worker taking the pool's second core.

Results do not depend on the thread count: every job writes only its own slices and
keeps its own scratch buffers, and a sum over blocks is returned per block by the jobs
and combined by the caller in block order, the order the sequential loop adds them.

The pool is created on first use, never at import; with one thread there is no pool
and the jobs run in order in the calling thread, the plain sequential loop.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

import numpy as np

B = TypeVar("B")
T = TypeVar("T")


def _default_threads() -> int:
    """``OMP_NUM_THREADS`` where set to a positive integer (as PyTorch), else the core count."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        n = 0
    return n if n >= 1 else os.cpu_count() or 1


_num_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def get_num_threads() -> int:
    """The number of threads the blocked kernels use (as ``torch.get_num_threads``)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the blocked kernels (as ``torch.set_num_threads``); 1: no pool.

    Raises:
        ValueError: if ``n`` is not an integer >= 1.
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected an integer >= 1, got {n!r}")
    _num_threads = n


def _executor() -> ThreadPoolExecutor:
    """The pool, made (again) for the current thread count."""
    global _pool, _pool_size
    if _pool is None or _pool_size != _num_threads:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool = ThreadPoolExecutor(_num_threads, thread_name_prefix="mytorch-intra-op")
        _pool_size = _num_threads
    return _pool


# -- holding NumPy's BLAS to one thread while the jobs run --------------------------------------
_NOT_LOOKED = object()
_blas: Any = _NOT_LOOKED          # (get_num_threads, set_num_threads) of NumPy's OpenBLAS, or None
_blas_lock = threading.Lock()
_blas_holders = 0                 # calls now holding BLAS to one thread
_blas_threads_before = 0          # its thread count before the first of them


def _find_openblas() -> tuple[Any, Any] | None:
    """The thread-count calls of the OpenBLAS NumPy loaded: the one its wheel bundles
    (``numpy.libs``, ``numpy/.dylibs``) or, on Linux, any loaded one (/proc/self/maps);
    None where there is none (another BLAS). Their names carry the build's prefix and
    suffix (``scipy_openblas_set_num_threads64_`` in NumPy 2's wheels)."""
    here = os.path.dirname(np.__file__)
    paths = [*glob.glob(os.path.join(here, os.pardir, "numpy.libs", "*openblas*")),
             *glob.glob(os.path.join(here, ".dylibs", "*openblas*"))]
    try:
        with open("/proc/self/maps") as maps:
            paths += sorted({line.split()[-1] for line in maps if "openblas" in line})
    except OSError:
        pass
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    set_.restype, set_.argtypes = None, [ctypes.c_int]
                    return get, set_
    return None


def _openblas() -> tuple[Any, Any] | None:
    """``_find_openblas()``, looked up once, on first use."""
    global _blas
    if _blas is _NOT_LOOKED:
        _blas = _find_openblas()
    return _blas  # type: ignore[no-any-return]


@contextmanager
def _one_blas_thread(calls: tuple[Any, Any]) -> Iterator[None]:
    """NumPy's OpenBLAS at one thread inside the block; its thread count is restored when
    the last of the (possibly concurrent) holders leaves."""
    global _blas_holders, _blas_threads_before
    get, set_ = calls
    with _blas_lock:
        if _blas_holders == 0:
            _blas_threads_before = get()
            set_(1)
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                set_(_blas_threads_before)


def _blas_held(hold: bool) -> AbstractContextManager[None]:
    """NumPy's OpenBLAS held to one thread inside the block where ``hold`` and it is found;
    else nothing."""
    calls = _openblas() if hold else None
    return nullcontext() if calls is None else _one_blas_thread(calls)


def holds_blas(kernel: Callable[..., T]) -> Callable[..., T]:
    """``kernel`` (one that runs BLAS jobs on the pool) with NumPy's OpenBLAS held to one
    thread for the whole call, not only while its jobs run: a product it makes before or
    after them on two BLAS threads leaves OpenBLAS's worker spinning for ~0.1 s on the core
    the jobs need."""
    @functools.wraps(kernel)
    def held(*args: Any, **kwargs: Any) -> T:
        with _blas_held(_num_threads > 1):
            return kernel(*args, **kwargs)
    return held


# A product with fewer multiply-adds than this runs on one BLAS thread while mytorch has
# more than one thread: a second BLAS thread saves it ~0.1 ms at most, and then spins on
# the core the pool's next jobs need (the module's docstring).
_SMALL_PRODUCT = 1 << 24
# One of at most this many OpenBLAS runs on the calling thread anyway (its default
# GEMM_MULTITHREAD_THRESHOLD, 4 x 65536), so it needs no hold, which costs ~3 us a call.
# Measured here, CPU time of OpenBLAS's worker over 2,000-3,000 products: none for 64x64x64
# (2^18), 512x1x512 or 64x64x128; some for (16, 9) @ (9, 4096) (Winograd's weight
# transform, 590k) and every product from 2^20 up.
_ONE_THREAD_ANYWAY = 1 << 18


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)``, on one BLAS thread where it is small (fewer than 2^24
    multiply-adds, more than the 2^18 OpenBLAS keeps on one thread itself) and mytorch has
    more than one thread, so that it leaves no BLAS worker spinning. Measured, LeNet-5's
    train step at default threads (its linear layers' products are 0.1-6 million
    multiply-adds; medians of 21 in one process, alternating, on a busy 2-core machine):
    22.1-24.4 ms with BLAS's threads, 19.6-19.9 ms with one."""
    n = b.shape[-1] if b.ndim > 1 else 1
    work = max(a.size * n, b.size * (a.shape[-2] if a.ndim > 1 else 1))  # batch * m * k * n
    with _blas_held(_num_threads > 1 and _ONE_THREAD_ANYWAY < work < _SMALL_PRODUCT):
        return np.matmul(a, b)


def even_slices(n: int, most: int) -> list[slice]:
    """range(n) in ``ceil(n / most)`` consecutive slices of at most ``most`` (>= 1) elements,
    their sizes differing by one at most: blocks that keep the threads' runs even
    (``most`` = 11 cuts 32 into 10, 11, 11; 58 cuts 64 into 32, 32, not 58, 6)."""
    count = -(-n // most)
    return [slice(n * i // count, n * (i + 1) // count) for i in range(count)]


def map_chunks(run: Callable[[Sequence[slice]], list[T]], n: int, step: int,
               runs_at_once: int) -> list[T]:
    """``run`` over a batch of n in even chunks of at most ``step`` samples
    (``even_slices``), jobs that make BLAS calls (a convolution's chunks), at most
    ``runs_at_once`` runs at a time: the runs' results joined in chunk order.

    Each chunk writes only its own samples of the result; a sum over chunks (a weight
    gradient) is returned per chunk and added up by the caller in order. The chunks do
    not depend on the thread count, so neither do the results.
    """
    return map_runs(run, even_slices(n, step), blas=True, max_parts=runs_at_once)


def map_runs(run: Callable[[Sequence[B]], list[T]], blocks: Sequence[B],
             blas: bool = False, max_parts: int | None = None) -> list[T]:
    """``run`` over ``blocks`` cut into contiguous runs, one per thread; the results of the
    runs joined in block order.

    ``run(part)`` does the blocks of its part in order, with work buffers of its own made
    once per run, and returns one result per block (or none). Each block must write only
    its own slices. With one thread, or one block, the single run over all of ``blocks``
    goes in the calling thread: the plain sequential loop. ``blas``: the jobs make BLAS
    calls; they run on the pool only where NumPy's OpenBLAS can be held to one thread
    meanwhile (else in order in the calling thread, BLAS keeping its own threads).
    ``max_parts``: at most that many runs at once (a memory budget holding that many
    runs' buffers).
    """
    parts = min(_num_threads, len(blocks), _num_threads if max_parts is None else max_parts)
    calls = _openblas() if blas and parts > 1 else None
    if parts <= 1 or (blas and calls is None):
        return run(blocks)
    bounds = [len(blocks) * i // parts for i in range(parts + 1)]
    runs = [blocks[bounds[i]:bounds[i + 1]] for i in range(parts)]
    with nullcontext() if calls is None else _one_blas_thread(calls):
        return [result for results in _executor().map(run, runs) for result in results]
