"""The ``run_mpi`` fixture: ``mpirun -n N python ...`` from a test (see mpi_launch.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from mpi_launch import RunMPI, find_mpirun, mpi_environment


@pytest.fixture(scope="session")
def run_mpi() -> RunMPI:
    """``run_mpi(n, *argv, timeout=60)``: ``mpirun -n n python *argv``, output captured."""
    mpirun = find_mpirun()
    if mpirun is None:
        pytest.skip("mpirun not found (pip install 'mytorch[mpi]' brings Open MPI)")
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py not installed (pip install 'mytorch[mpi]')")

    def run(n: int, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [mpirun, "-n", str(n), "--oversubscribe", sys.executable, *argv]
        with subprocess.Popen(command, env=mpi_environment(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as process:
            try:
                out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.terminate()  # mpirun ends its job's processes on SIGTERM
                out, err = process.communicate()
                pytest.fail(f"mpirun -n {n} {' '.join(argv)} hung for {timeout} s:\n{err}")
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    return run
