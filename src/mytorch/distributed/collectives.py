"""The process group and the collectives, on MPI through mpi4py.

Every process runs the same program; ``mpirun -n N`` starts N of them and MPI
numbers them 0..N-1 (the *rank*). A collective is a call that every process
makes, in the same order, with tensors of matching dtype and size: MPI then
moves the data between them.

Each collective here starts MPI's non-blocking form (``Iallreduce``,
``Ibcast``, ``Iallgatherv``, ``Igatherv``, ``Iscatterv``, ``Ireduce_scatter``,
``Ibarrier``) and returns a ``Work``; without ``async_op=True`` it waits for it
at once. A tensor's array goes to MPI as it is when it is C-contiguous (MPI reads
and writes the tensor's own memory); otherwise a contiguous copy goes and the
result is copied back when the work completes. Until ``wait()`` returns, the
tensors of an asynchronous collective must be left alone.

mpi4py is imported by ``init_process_group`` only, so ``import mytorch`` (and
``import mytorch.distributed``) work without it.
"""

from __future__ import annotations

import enum
import importlib.util
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mytorch._tensor import Tensor

__all__ = [
    "ReduceOp", "Work", "is_available", "init_process_group", "is_initialized",
    "destroy_process_group", "get_backend", "get_rank", "get_world_size", "barrier",
    "all_reduce", "broadcast", "all_gather", "reduce_scatter", "gather", "scatter",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the processes' values.

    On bool tensors SUM and MAX are a logical or, PRODUCT and MIN a logical and
    (PyTorch's rule). AVG is SUM divided by the world size, for floating tensors.
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class _ProcessGroup:
    """The default group: MPI's world communicator and the module it came from."""

    def __init__(self, mpi: Any) -> None:
        self.MPI = mpi
        self.comm = mpi.COMM_WORLD
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()


_default_group: _ProcessGroup | None = None


def is_available() -> bool:
    """Whether the MPI backend can be used: mpi4py is installed (``pip install 'mytorch[mpi]'``)."""
    return importlib.util.find_spec("mpi4py") is not None


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
) -> None:
    """Join the processes that ``mpirun`` started; afterwards the collectives work.

    The rank and world size come from MPI. ``world_size`` and ``rank`` (or the
    ``WORLD_SIZE`` and ``RANK`` variables of a launcher that sets them), when
    given, must agree with MPI's: a mismatch means the processes were not started
    by ``mpirun`` together, and each would train alone.

    Args:
        backend: ``"mpi"`` (or None), the only backend.
        init_method: accepted, without effect (MPI's launcher connects the processes).
        timeout: accepted, without effect.
        world_size: the expected number of processes (-1: MPI's).
        rank: the expected rank of this process (-1: MPI's).

    Raises:
        ValueError: another backend, a second initialization, or a rank or world size
            that disagrees with MPI's.
        ImportError: mpi4py is not installed.
    """
    global _default_group
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available in mytorch; "
            "use backend='mpi' and start the processes with mpirun"
        )
    if _default_group is not None:
        raise ValueError("init_process_group: trying to initialize the default process group twice")
    group = _ProcessGroup(_import_mpi())
    for name, given, actual in (
        ("world_size", world_size, group.size),
        ("rank", rank, group.rank),
        ("WORLD_SIZE", int(os.environ.get("WORLD_SIZE", -1)), group.size),
        ("RANK", int(os.environ.get("RANK", -1)), group.rank),
    ):
        if given != -1 and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given}, but MPI gives {actual} (world of "
                f"{group.size}): start all the processes with one `mpirun -n N` command"
            )
    _default_group = group


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(
            "mytorch.distributed: the 'mpi' backend needs mpi4py and an MPI library: "
            "pip install 'mytorch[mpi]'"
        ) from err
    return MPI


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not undone)."""
    return _default_group is not None


def destroy_process_group(group: None = None) -> None:
    """Leave the process group (MPI itself is finalized when the program exits)."""
    global _default_group
    _group("destroy_process_group", group)
    _default_group = None


def get_backend(group: None = None) -> str:
    _group("get_backend", group)
    return "mpi"


def get_rank(group: None = None) -> int:
    """This process's number, 0..world_size-1."""
    return _group("get_rank", group).rank


def get_world_size(group: None = None) -> int:
    """The number of processes."""
    return _group("get_world_size", group).size


def _group(op: str, group: Any) -> _ProcessGroup:
    """The default group; other groups are not supported."""
    if group is not None:
        raise ValueError(f"{op}: only the default group (group=None) is supported")
    if _default_group is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _default_group


class Work:
    """A started collective: ``wait()`` blocks until it has completed.

    ``wait()`` also finishes what the collective does after MPI is done (the
    division of ``ReduceOp.AVG``, copying a result back into a non-contiguous tensor
    or into a list of tensors). It keeps the buffers MPI uses alive until then.
    """

    def __init__(
        self, request: Any, finish: Callable[[], None] | None, buffers: tuple[Any, ...]
    ) -> None:
        self._request, self._finish, self._buffers = request, finish, buffers
        self._completed = False

    def is_completed(self) -> bool:
        """Whether the collective is done (asking also lets MPI make progress on it)."""
        if not self._completed and self._request.Test():
            self._complete()
        return self._completed

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective has completed; returns True (``timeout`` is accepted,
        without effect: MPI waits as long as it takes)."""
        if not self._completed:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self) -> None:
        self._completed = True
        if self._finish is not None:
            self._finish()
        self._buffers = ()


def _run(
    request: Any, async_op: bool, finish: Callable[[], None] | None = None, *buffers: Any
) -> Work | None:
    work = Work(request, finish, buffers)
    if async_op:
        return work
    work.wait()
    return None


# -- checking arguments and preparing buffers ---------------------------------------------
def _check_tensor(op: str, name: str, tensor: Any) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(tensor).__name__}")
    return tensor._data


def _check_list(
    op: str, name: str, tensors: Any, size: int, dtype: np.dtype
) -> list[np.ndarray]:
    """The arrays of a list of ``size`` tensors of ``dtype`` (one per process)."""
    if not isinstance(tensors, Sequence) or len(tensors) != size:
        got = len(tensors) if isinstance(tensors, Sequence) else type(tensors).__name__
        raise ValueError(f"{op}: {name} must hold one tensor per process ({size}), got {got}")
    arrays = [_check_tensor(op, f"{name}[{i}]", t) for i, t in enumerate(tensors)]
    for i, array in enumerate(arrays):
        if array.dtype != dtype:
            raise TypeError(
                f"{op}: {name}[{i}] has dtype {array.dtype}, the tensor has dtype {dtype}"
            )
    return arrays


def _check_root(op: str, name: str, root: int, size: int) -> None:
    if not 0 <= root < size:
        raise ValueError(f"{op}: {name}={root} is not a rank of the {size} processes")


def _check_absent(op: str, name: str, tensors: Any, root_name: str) -> None:
    if tensors:
        raise ValueError(f"{op}: {name} must not be given on ranks other than {root_name}")


def _contiguous(array: np.ndarray) -> np.ndarray:
    """``array`` itself when MPI can use its memory directly, else a contiguous copy."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _writable(op: str, name: str, array: np.ndarray) -> np.ndarray:
    if not array.flags.writeable:
        raise ValueError(f"{op}: {name} is read-only (a broadcast view?): clone() it first")
    return _contiguous(array)


def _write_back(target: np.ndarray, result: np.ndarray) -> None:
    """Copy a result into ``target`` unless MPI wrote into ``target``'s memory directly."""
    if result is not target:
        np.copyto(target, result.reshape(target.shape))


def _counts(arrays: list[np.ndarray]) -> list[int]:
    return [array.size for array in arrays]


def _flat_concatenate(arrays: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """One contiguous buffer holding ``arrays`` one after another (what a v-collective sends)."""
    return np.concatenate([array.ravel() for array in arrays]) if arrays else np.empty(0, dtype)


def _split_into(flat: np.ndarray, targets: list[np.ndarray]) -> None:
    """Copy consecutive pieces of ``flat`` into ``targets`` (their sizes and shapes)."""
    offset = 0
    for target in targets:
        np.copyto(target, flat[offset:offset + target.size].reshape(target.shape))
        offset += target.size


def _mpi_op(op_name: str, group: _ProcessGroup, op: Any, dtype: np.dtype) -> Any:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{op_name}: op must be a ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{op_name}: ReduceOp.AVG needs a floating point tensor, got {dtype}")
    MPI = group.MPI
    if dtype.kind == "b":
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR,
                ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND}[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _average_if(op: ReduceOp, group: _ProcessGroup, array: np.ndarray) -> None:
    if op is ReduceOp.AVG:
        np.divide(array, group.size, out=array)


# -- the collectives ----------------------------------------------------------------------
def barrier(group: None = None, async_op: bool = False) -> Work | None:
    """Wait until every process has reached the barrier."""
    pg = _group("barrier", group)
    return _run(pg.comm.Ibarrier(), async_op)


def all_reduce(
    tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: None = None, async_op: bool = False
) -> Work | None:
    """Combine ``tensor`` across the processes, in place: afterwards every process holds
    the sum (or ``op``) of all of them.

    >>> # on each of 2 processes: t = mytorch.tensor([rank + 1.0])
    >>> # dist.all_reduce(t)  ->  tensor([3.]) on both
    """
    pg = _group("all_reduce", group)
    array = _check_tensor("all_reduce", "tensor", tensor)
    mpi_op = _mpi_op("all_reduce", pg, op, array.dtype)
    buffer = _writable("all_reduce", "tensor", array)

    def finish() -> None:
        _average_if(op, pg, buffer)
        _write_back(array, buffer)

    return _run(pg.comm.Iallreduce(pg.MPI.IN_PLACE, buffer, op=mpi_op), async_op, finish, buffer)


def broadcast(
    tensor: Tensor, src: int = 0, group: None = None, async_op: bool = False
) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other process."""
    pg = _group("broadcast", group)
    array = _check_tensor("broadcast", "tensor", tensor)
    _check_root("broadcast", "src", src, pg.size)
    buffer = _writable("broadcast", "tensor", array)
    return _run(
        pg.comm.Ibcast(buffer, root=src), async_op, lambda: _write_back(array, buffer), buffer
    )


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: None = None, async_op: bool = False
) -> Work | None:
    """Every process's ``tensor`` into ``tensor_list`` (entry i from rank i), on every process.

    The processes may contribute different sizes: ``tensor_list[i]`` has the size of
    rank i's tensor (so ``tensor_list[rank]`` that of ``tensor``).
    """
    pg = _group("all_gather", group)
    array = _check_tensor("all_gather", "tensor", tensor)
    targets = _check_list("all_gather", "tensor_list", tensor_list, pg.size, array.dtype)
    counts = _counts(targets)
    if counts[pg.rank] != array.size:
        raise ValueError(
            f"all_gather: tensor_list[{pg.rank}] has {counts[pg.rank]} elements, but this "
            f"rank's tensor {tuple(array.shape)} has {array.size}"
        )
    send = _contiguous(array)
    received = np.empty(sum(counts), dtype=array.dtype)
    request = pg.comm.Iallgatherv(send, [received, counts])
    return _run(request, async_op, lambda: _split_into(received, targets), send, received)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int = 0,
    group: None = None,
    async_op: bool = False,
) -> Work | None:
    """Every process's ``tensor`` into ``gather_list`` on rank ``dst`` (entry i from rank i).

    ``gather_list`` is given on ``dst`` only; its entries may differ in size, as in
    ``all_gather``.
    """
    pg = _group("gather", group)
    array = _check_tensor("gather", "tensor", tensor)
    _check_root("gather", "dst", dst, pg.size)
    send = _contiguous(array)
    if pg.rank != dst:
        _check_absent("gather", "gather_list", gather_list, "dst")
        return _run(pg.comm.Igatherv(send, None, root=dst), async_op, None, send)
    targets = _check_list("gather", "gather_list", gather_list, pg.size, array.dtype)
    counts = _counts(targets)
    if counts[dst] != array.size:
        raise ValueError(
            f"gather: gather_list[{dst}] has {counts[dst]} elements, but the tensor "
            f"{tuple(array.shape)} has {array.size}"
        )
    received = np.empty(sum(counts), dtype=array.dtype)
    request = pg.comm.Igatherv(send, [received, counts], root=dst)
    return _run(request, async_op, lambda: _split_into(received, targets), send, received)


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int = 0,
    group: None = None,
    async_op: bool = False,
) -> Work | None:
    """Rank ``src``'s ``scatter_list[i]`` into ``tensor`` on rank i.

    ``scatter_list`` is given on ``src`` only; entry i must have the size of rank i's
    ``tensor`` (the sizes may differ between ranks).
    """
    pg = _group("scatter", group)
    array = _check_tensor("scatter", "tensor", tensor)
    _check_root("scatter", "src", src, pg.size)
    buffer = _writable("scatter", "tensor", array)
    send: list[Any] | None = None
    if pg.rank != src:
        _check_absent("scatter", "scatter_list", scatter_list, "src")
    else:
        sources = _check_list("scatter", "scatter_list", scatter_list, pg.size, array.dtype)
        if sources[src].size != array.size:
            raise ValueError(
                f"scatter: scatter_list[{src}] has {sources[src].size} elements, but the "
                f"tensor {tuple(array.shape)} has {array.size}"
            )
        send = [_flat_concatenate(sources, array.dtype), _counts(sources)]
    request = pg.comm.Iscatterv(send, buffer, root=src)
    return _run(request, async_op, lambda: _write_back(array, buffer), send, buffer)


def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: None = None,
    async_op: bool = False,
) -> Work | None:
    """Combine ``input_list[i]`` across the processes into ``output`` on rank i.

    ``input_list`` holds one tensor per process on every process (entry i of the
    same size on all of them, the size of rank i's ``output``).
    """
    pg = _group("reduce_scatter", group)
    array = _check_tensor("reduce_scatter", "output", output)
    sources = _check_list("reduce_scatter", "input_list", input_list, pg.size, array.dtype)
    mpi_op = _mpi_op("reduce_scatter", pg, op, array.dtype)
    counts = _counts(sources)
    if counts[pg.rank] != array.size:
        raise ValueError(
            f"reduce_scatter: input_list[{pg.rank}] has {counts[pg.rank]} elements, but "
            f"this rank's output {tuple(array.shape)} has {array.size}"
        )
    send = _flat_concatenate(sources, array.dtype)
    buffer = _writable("reduce_scatter", "output", array)

    def finish() -> None:
        _average_if(op, pg, buffer)
        _write_back(array, buffer)

    request = pg.comm.Ireduce_scatter(send, buffer, counts, op=mpi_op)
    return _run(request, async_op, finish, send, buffer)
