"""``DistributedDataParallel``: the same model on every process, gradients averaged.

Each process runs forward and backward on its own part of the batch; the
gradients are then averaged across the processes, so every process takes the
same optimizer step, as if one process had seen the whole batch.

How the averaging overlaps backward (PyTorch's design, in NumPy):

1. At construction the trainable parameters are grouped into *buckets* of about
   ``bucket_cap_mb`` megabytes, in reverse registration order: backward produces
   the last layer's gradients first, so the first bucket fills first.
2. Each parameter carries a post-accumulate-grad hook. When the engine has
   accumulated a parameter's gradient, the hook counts it; when all the gradients
   of a bucket are there, the bucket's gradients are copied into one flat array
   and a non-blocking all-reduce (``MPI_Iallreduce``) starts on it, while backward
   goes on computing the earlier layers' gradients.
3. Buckets start strictly in order (a full bucket waits for the buckets before
   it), so every process issues the same collectives in the same order.
4. The first hook of a backward pass queues a callback with the engine, which
   runs when the pass has finished: it starts the buckets still waiting (a
   parameter that got no gradient on this process contributes zeros), waits for
   every all-reduce, and sets each ``.grad`` to its averaged values (a view into
   the bucket's array). So ``loss.backward()`` returns with averaged gradients and
   the optimizer step, gradient clipping and any code in between see them.
"""

from __future__ import annotations

import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from mytorch import distributed as dist
from mytorch._tensor import Tensor
from mytorch.autograd import grad_mode
from mytorch.autograd.engine import queue_callback
from mytorch.nn.module import Module
from mytorch.nn.parameter import Parameter

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wrap ``module`` so that backward averages its gradients across the processes.

    Call ``mytorch.distributed.init_process_group("mpi")`` first. At construction, the
    processes check that they wrap models of the same layout (ValueError otherwise), and
    rank 0's parameters and buffers are copied to every process, so all start equal.
    Forward runs ``module``; with ``broadcast_buffers`` it first copies rank 0's
    buffers (BatchNorm's running statistics) to the others, as PyTorch does.

    Args:
        module: the model; it stays reachable as ``.module``.
        broadcast_buffers: copy rank 0's buffers to every process before each forward.
        bucket_cap_mb: the size of a bucket of gradients averaged together (megabytes).

    The ``state_dict`` of the wrapper has PyTorch's ``module.`` prefix on every key;
    ``ddp.module.state_dict()`` is the model's own, without it (what to save, to load
    it later into the bare model).

    >>> # under mpirun, on every process:
    >>> # dist.init_process_group("mpi")
    >>> # ddp = DistributedDataParallel(model)
    >>> # loss_fn(ddp(x), y).backward()      # .grad now holds the average over processes
    >>> # optimizer.step()
    """

    def __init__(
        self, module: Module, broadcast_buffers: bool = True, bucket_cap_mb: float = 25.0
    ) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise ValueError(
                "DistributedDataParallel: the default process group has not been initialized; "
                "call mytorch.distributed.init_process_group('mpi') first"
            )
        if bucket_cap_mb <= 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb}"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        state = [*module.parameters(), *module.buffers()]
        _check_same_layout(state)
        _broadcast_from_rank_0(state)
        trainable = [p for p in module.parameters() if p.requires_grad]
        self.reducer = _Reducer(assign_buckets(trainable, int(bucket_cap_mb * 2**20)))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers:
            _broadcast_from_rank_0(list(self.module.buffers()))
        if grad_mode.is_grad_enabled() and self.require_backward_grad_sync:
            self.reducer.prepare_for_backward()
        else:
            self.reducer.disarm()
        return self.module(*inputs, **kwargs)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally: backward of a forward run inside this block does
        not average. The first backward after it averages everything accumulated.

        >>> # with ddp.no_sync():
        >>> #     loss_fn(ddp(x1), y1).backward()    # local accumulation only
        >>> # loss_fn(ddp(x2), y2).backward()        # averages the sum of both
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _check_same_layout(tensors: list[Tensor]) -> None:
    """Every process must wrap the same model: compare a checksum of the shapes and dtypes
    of its parameters and buffers (every process learns of a difference, and raises)."""
    layout = ";".join(f"{t.dtype}{tuple(t.shape)}" for t in tensors)
    checksum = zlib.crc32(layout.encode())
    extremes = np.array([checksum, -checksum], dtype=np.int64)  # max and -min, in one MAX
    dist.all_reduce(Tensor._make(extremes), op=dist.ReduceOp.MAX)
    if extremes[0] != -extremes[1]:
        raise ValueError(
            "DistributedDataParallel: the processes wrap different models (the shapes or "
            f"dtypes of the parameters and buffers differ between ranks; this rank has "
            f"{len(tensors)} tensors)"
        )


def _broadcast_from_rank_0(tensors: list[Tensor]) -> None:
    """Copy rank 0's values of ``tensors`` into every process's (all started, then waited)."""
    works = [dist.broadcast(t, src=0, async_op=True) for t in tensors]
    for work in works:
        assert work is not None
        work.wait()


class _Bucket:
    """Parameters whose gradients are averaged together, in one flat array."""

    def __init__(self, params: list[Parameter]) -> None:
        self.params = params
        self.dtype = params[0].dtype
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.pending = len(params)  # parameters whose gradient this backward still awaits
        self.flat: np.ndarray | None = None
        self.work: dist.Work | None = None

    @property
    def nbytes(self) -> int:
        return self.offsets[-1] * self.dtype.itemsize


def assign_buckets(params: list[Parameter], cap_bytes: int) -> list[_Bucket]:
    """Group ``params`` into buckets of at most ``cap_bytes`` (a larger parameter gets a
    bucket of its own), in reverse order, one dtype per bucket."""
    buckets: list[list[Parameter]] = []
    size = 0
    for p in reversed(params):
        nbytes = p.numel() * p.dtype.itemsize
        if not buckets or p.dtype != buckets[-1][0].dtype or size + nbytes > cap_bytes:
            buckets.append([])
            size = 0
        buckets[-1].append(p)
        size += nbytes
    return [_Bucket(bucket) for bucket in buckets]


class _Reducer:
    """The backward-time machinery of DistributedDataParallel (steps 2-4 of the module
    docstring). Its hooks hold it weakly: when the wrapper goes, its hooks go too."""

    def __init__(self, buckets: list[_Bucket]) -> None:
        self.buckets = buckets
        self.bucket_of = {id(p): b for b in buckets for p in b.params}
        self.armed = False  # the coming backward averages (set by forward)
        self.callback_queued = False
        self.next_bucket = 0  # buckets before this one have started
        self._remove_hooks = [
            p.register_post_accumulate_grad_hook(_weak_hook(self))
            for b in buckets for p in b.params
        ]

    def __del__(self) -> None:
        for remove in self._remove_hooks:
            remove()

    def prepare_for_backward(self) -> None:
        self.armed, self.callback_queued, self.next_bucket = True, False, 0
        for bucket in self.buckets:
            bucket.pending, bucket.flat, bucket.work = len(bucket.params), None, None

    def disarm(self) -> None:
        self.armed = False

    def grad_ready(self, param: Tensor) -> None:
        """The hook: ``param.grad`` is complete for this backward pass."""
        if not self.armed:
            return
        if not self.callback_queued:
            queue_callback(self.finish)
            self.callback_queued = True
        self.bucket_of[id(param)].pending -= 1
        self._start_buckets(only_full=True)
        for bucket in self.buckets[:self.next_bucket]:  # let MPI progress the ones in flight
            assert bucket.work is not None
            bucket.work.is_completed()

    def _start_buckets(self, only_full: bool) -> None:
        """Start the all-reduce of the next buckets, in order (only full ones, or all)."""
        while self.next_bucket < len(self.buckets):
            bucket = self.buckets[self.next_bucket]
            if only_full and bucket.pending > 0:
                return
            flat = np.zeros(bucket.offsets[-1], dtype=bucket.dtype)
            for p, start, end in zip(bucket.params, bucket.offsets, bucket.offsets[1:]):
                if p.grad is not None:  # no gradient on this process: it contributes zeros
                    flat[start:end] = p.grad._data.reshape(-1)
            bucket.flat = flat
            bucket.work = dist.all_reduce(
                Tensor._make(flat), op=dist.ReduceOp.AVG, async_op=True
            )
            self.next_bucket += 1

    def finish(self) -> None:
        """At the end of backward: start what is left, wait for all, hand out the averages."""
        self._start_buckets(only_full=False)
        for bucket in self.buckets:
            assert bucket.work is not None and bucket.flat is not None
            bucket.work.wait()
            for p, start, end in zip(bucket.params, bucket.offsets, bucket.offsets[1:]):
                p.grad = Tensor._make(bucket.flat[start:end].reshape(p.shape))
        self.armed = False


def _weak_hook(reducer: _Reducer) -> Callable[[Tensor], None]:
    reference = weakref.ref(reducer)

    def hook(param: Tensor) -> None:
        alive = reference()
        if alive is not None:
            alive.grad_ready(param)

    return hook
