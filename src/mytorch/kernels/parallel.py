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
machine), the pool was slower: 1.59 against 1.17 ms per forward + backward, and
cross-entropy (1024, 1000) in blocks of samples on the pool 2.25 against 2.01 ms (and
slower on one thread than its whole-array passes), so both stay as they are.

A job must not itself start BLAS threads: OpenBLAS runs a matrix-vector product on all
cores, and two jobs doing so oversubscribe them (measured: LayerNorm's row sums as products
with ones made its step 2x slower at default threads than as ``einsum`` passes).

Results do not depend on the thread count: every job writes only its own slices and
keeps its own scratch buffers, and a sum over blocks is returned per block by the jobs
and combined by the caller in block order, the order the sequential loop adds them.

The pool is created on first use, never at import; with one thread there is no pool
and the jobs run in order in the calling thread, the plain sequential loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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


def map_runs(run: Callable[[Sequence[B]], list[T]], blocks: Sequence[B]) -> list[T]:
    """``run`` over ``blocks`` cut into contiguous runs, one per thread; the results of the
    runs joined in block order.

    ``run(part)`` does the blocks of its part in order, with work buffers of its own made
    once per run, and returns one result per block (or none). Each block must write only
    its own slices. With one thread, or one block, the single run over all of ``blocks``
    goes in the calling thread: the plain sequential loop.
    """
    parts = min(_num_threads, len(blocks))
    if parts <= 1:
        return run(blocks)
    bounds = [len(blocks) * i // parts for i in range(parts + 1)]
    runs = [blocks[bounds[i]:bounds[i + 1]] for i in range(parts)]
    return [result for results in _executor().map(run, runs) for result in results]
