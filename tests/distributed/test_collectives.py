"""mytorch.distributed's collectives against NumPy, on 2 and 3 processes (under mpirun).

One mpirun per world size runs every check of ``workers/collectives_worker.py``; each
test below asserts that its check passed on every rank.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from mpi_launch import WORKERS, RunMPI

import mytorch
import mytorch.distributed as dist

sys.path.insert(0, str(WORKERS))
from collectives_worker import CHECKS  # noqa: E402

_outputs: dict[int, subprocess.CompletedProcess] = {}


def _run_checks(run_mpi: RunMPI, size: int) -> subprocess.CompletedProcess:
    if size not in _outputs:
        _outputs[size] = run_mpi(size, "-m", "mpi4py", str(WORKERS / "collectives_worker.py"))
    return _outputs[size]


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("check", [f.__name__ for f in CHECKS])
def test_collective_matches_numpy(run_mpi: RunMPI, size: int, check: str) -> None:
    result = _run_checks(run_mpi, size)
    passes = result.stdout.splitlines().count(f"PASS {check}")
    assert passes == size, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"


def test_without_a_process_group_the_collectives_say_so() -> None:
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(mytorch.zeros(2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_world_size()
    assert not dist.is_initialized()


def test_other_backends_are_refused_with_the_way_out() -> None:
    with pytest.raises(ValueError, match="backend 'nccl' is not available in mytorch; use "
                       "backend='mpi'"):
        dist.init_process_group("nccl")


def test_mytorch_imports_without_mpi4py_and_init_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `import mpi4py` now fails
    code = "import mytorch, mytorch.distributed, mytorch.nn.parallel"
    subprocess.run([sys.executable, "-c", f"import sys; sys.modules['mpi4py'] = None; {code}"],
                   check=True)
    with pytest.raises(ImportError, match=r"needs mpi4py .*pip install 'mytorch\[mpi\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()
