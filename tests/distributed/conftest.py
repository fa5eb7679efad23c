"""The ``run_mpi`` fixture: ``mpirun -n N python ...`` from a test (see mpi_launch.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from mpi_launch import RunMPI, find_mpirun, mpi_environment


@pytest.fixture(scope="session")
def run_mpi() -> RunMPI:
    """``run_mpi(n, *argv, timeout=60, cwd=None)``: ``mpirun -n n python *argv``, captured."""
    mpirun = find_mpirun()
    if mpirun is None:
        pytest.skip("mpirun not found (pip install 'mytorch[mpi]' brings Open MPI)")
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py not installed (pip install 'mytorch[mpi]')")

    def run(
        n: int, *argv: str, timeout: float = 60, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        command = [mpirun, "-n", str(n), "--oversubscribe", sys.executable, *argv]
        return subprocess.run(
            command, env=mpi_environment(), capture_output=True, text=True, timeout=timeout,
            cwd=cwd,
        )

    return run
