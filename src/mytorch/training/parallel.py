"""Data-parallel runs: what changes when ``mpirun -n N mytorch train ...`` starts N copies.

Launched by mpirun (Open MPI sets ``OMPI_COMM_WORLD_SIZE``, MPICH and Intel MPI
``PMI_SIZE``) with more than one process, every copy joins the process group and:

- trains the same model wrapped in ``DistributedDataParallel`` (gradients averaged),
  on its shard of the training set (``DistributedSampler``, reshuffled every epoch
  from the run's seed), with ``--batch-size`` samples per process: the global batch
  is N times larger, as in PyTorch;
- agrees with the others on every loss (the mean over processes), so the progress
  shows the global loss and the NaN guard stops every process at the same step;
- takes the test metrics from rank 0, the only process that prints, writes the
  checkpoint, metrics and plot;
- stops every process (``MPI_Abort``, with a message naming the process) when one
  of them fails alone, instead of leaving the others waiting forever for it.

Without mpirun (or with one process) ``World()`` is a single process and every
method is the identity: the trainer's code path is the same.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from mytorch import distributed as dist
from mytorch.nn.module import Module
from mytorch.utils.data.distributed import DistributedSampler

# how MPI launchers tell a process the size of its job: Open MPI, then MPICH / Intel MPI
_WORLD_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")


def launched_by_mpi() -> bool:
    """Whether mpirun started this process as one of several."""
    for name in _WORLD_SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value) > 1
    return False


class World:
    """The processes of a run, as the trainer sees them (one process by default)."""

    def __init__(self, rank: int = 0, size: int = 1) -> None:
        self.rank, self.size = rank, size

    @classmethod
    def from_environment(cls) -> World:
        """Join the process group when launched by mpirun with several processes."""
        if not launched_by_mpi():
            return cls()
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        return cls(dist.get_rank(), dist.get_world_size())

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints and writes files."""
        return self.rank == 0

    def wrap(self, model: Module) -> Module:
        """The module to train: ``model`` itself, or ``DistributedDataParallel(model)``."""
        if self.size == 1:
            return model
        from mytorch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def sampler(self, dataset: Any, seed: int) -> DistributedSampler | None:
        """This process's shuffled shard of ``dataset`` (None on one process)."""
        if self.size == 1:
            return None
        return DistributedSampler(dataset, self.size, self.rank, shuffle=True, seed=seed)

    def mean(self, value: float) -> float:
        """The mean of ``value`` over the processes (NaN if any process has NaN)."""
        if self.size == 1:
            return value
        total = np.array([value], dtype=np.float64)
        dist.all_reduce(_tensor(total), op=dist.ReduceOp.AVG)
        return float(total[0])

    def from_main(self, compute: Callable[[], tuple[float, ...]]) -> tuple[float, ...]:
        """``compute()`` run on rank 0 only; its numbers are sent to every process."""
        if self.size == 1:
            return compute()
        values = np.array(compute() if self.is_main else (), dtype=np.float64)
        return tuple(_broadcast_from_main(values).tolist())

    def text_from_main(self, compute: Callable[[], str]) -> str:
        """``compute()`` run on rank 0 only; its text is sent to every process."""
        if self.size == 1:
            return compute()
        raw = compute().encode() if self.is_main else b""
        return _broadcast_from_main(np.frombuffer(raw, dtype=np.uint8).copy()).tobytes().decode()


def _broadcast_from_main(values: np.ndarray) -> np.ndarray:
    """Rank 0's 1-D ``values`` on every process (the others pass an empty array of the dtype)."""
    count = np.array([values.size], dtype=np.int64)
    dist.broadcast(_tensor(count), src=0)
    if values.size != count[0]:
        values = np.empty(int(count[0]), dtype=values.dtype)
    dist.broadcast(_tensor(values), src=0)
    return values


def _tensor(array: np.ndarray) -> Any:
    from mytorch._tensor import Tensor

    return Tensor._make(array)


# how long a failed process waits for the others to end too (the same bad option, or the
# same NaN loss, fails every process) before it concludes they wait for it, and aborts
FAILURE_GRACE_SECONDS = 5.0


def mpi_command(command: Callable[[Any], int]) -> Callable[[Any], int]:
    """Fit a CLI command to run under mpirun: join the process group first, print only on
    rank 0, and never leave processes waiting for a failed one.

    At the end every process meets the others (a barrier on a communicator of its own,
    so it never matches a collective of the command). When a process fails (an
    exception, or a nonzero exit status) and the others do not arrive within
    ``FAILURE_GRACE_SECONDS``, they are waiting for it in some collective: it prints
    which process failed and why on stderr and stops them all with ``MPI_Abort``. When
    they all arrive (every process failed the same way), each exits with its status.

    Without mpirun the command runs unchanged.
    """

    @functools.wraps(command)
    def run(args: Any) -> int:
        if not launched_by_mpi():
            return command(args)
        world = World.from_environment()
        from mpi4py import MPI

        end = MPI.COMM_WORLD.Dup()
        quiet = contextlib.nullcontext() if world.is_main else _stdout_to_devnull()
        failure: BaseException | None = None
        try:
            with quiet:
                status = command(args)
            reason = f"exit status {status}"
        except BaseException as err:  # noqa: B036  (every failure must end the others)
            failure, status = err, 1
            reason = " ".join(f"{type(err).__name__}: {err}".split())  # one line
        everyone_ended = end.Ibarrier()
        if status == 0:
            everyone_ended.Wait()
        elif not _wait(everyone_ended, FAILURE_GRACE_SECONDS):
            if failure is not None and os.environ.get("MYTORCH_DEBUG"):
                traceback.print_exception(failure)
            _abort(world, reason, status)
        end.Free()
        if failure is not None:  # every process failed alike: the command line reports it
            raise failure
        return status

    return run


def _wait(request: Any, seconds: float) -> bool:
    """Whether the MPI ``request`` completes within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not request.Test():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextlib.contextmanager
def _stdout_to_devnull() -> Any:
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def _abort(world: World, reason: str, status: int) -> NoReturn:
    print(
        f"mytorch: process {world.rank} of {world.size} failed ({reason}); "
        "stopping all processes",
        file=sys.stderr,
        flush=True,
    )
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(status)
    raise SystemExit(status)  # not reached: Abort ends this process too
