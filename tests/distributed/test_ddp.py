"""DistributedDataParallel: exactness against one process with the whole batch (under
``mpirun -n 2``), no_sync, bucket order and overlap, state_dict; bucket assignment."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from mpi_launch import WORKERS, RunMPI

import mytorch
from mytorch import nn
from mytorch.nn.parallel import DistributedDataParallel
from mytorch.nn.parallel.distributed import assign_buckets

sys.path.insert(0, str(WORKERS))
from ddp_worker import CHECKS  # noqa: E402

_output: list[subprocess.CompletedProcess] = []


@pytest.mark.parametrize("check", [f.__name__ for f in CHECKS])
def test_ddp_on_two_processes(run_mpi: RunMPI, check: str) -> None:
    if not _output:
        _output.append(run_mpi(2, "-m", "mpi4py", str(WORKERS / "ddp_worker.py")))
    result = _output[0]
    passes = result.stdout.splitlines().count(f"PASS {check}")
    assert passes == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"


def test_buckets_hold_parameters_in_reverse_order_up_to_the_cap_one_dtype_each() -> None:
    layers = [nn.Linear(10, 10), nn.Linear(10, 10), nn.Linear(10, 2).double()]
    params = [p for layer in layers for p in layer.parameters()]
    # float32: 400 + 40 bytes per 10x10 layer; cap 450 -> one layer (weight, bias) per bucket
    buckets = assign_buckets(params, cap_bytes=450)
    assert [[id(p) for p in b.params] for b in buckets] == [
        [id(params[5]), id(params[4])],  # the float64 layer, last registered, comes first
        [id(params[3]), id(params[2])],
        [id(params[1]), id(params[0])],
    ]
    assert [b.dtype for b in buckets] == [np.float64, np.float32, np.float32]
    assert [b.nbytes for b in buckets] == [176, 440, 440]
    huge = assign_buckets(params[:1], cap_bytes=8)  # a parameter above the cap: its own bucket
    assert len(huge) == 1 and huge[0].nbytes == 400


def test_ddp_without_a_process_group_says_what_to_call() -> None:
    with pytest.raises(ValueError, match=r"DistributedDataParallel: .*init_process_group\('mpi'\)"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_ddp_module_path_matches_pytorch() -> None:
    assert mytorch.nn.parallel.DistributedDataParallel is DistributedDataParallel
