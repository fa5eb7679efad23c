"""`mpirun -n 2 mytorch train`: data-parallel, rank 0 prints and writes, resume is exact,
the NaN guard stops every process, and a failing process stops the others."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from mpi_launch import WORKERS, RunMPI

from mytorch.training import Checkpoint
from mytorch.training.parallel import World, launched_by_mpi
from mytorch.utils.data.distributed import DistributedSampler

MYTORCH = ("-c", "import sys; from mytorch.cli import main; sys.exit(main())")
TRAIN = (*MYTORCH, "train", "--no-progress", "--batch-size", "64", "--schedule", "none")


def test_train_resume_equals_an_uninterrupted_run(run_mpi: RunMPI, tmp_path: Path) -> None:
    whole = run_mpi(2, *TRAIN, "--epochs", "2", "--out", str(tmp_path / "whole"), timeout=120)
    assert whole.returncode == 0, whole.stderr[-3000:]
    lines = whole.stdout.splitlines()
    # one process prints: every line once
    assert lines.count("data-parallel on 2 processes: batch 64 per process, 128 in all") == 1
    assert sum(line.startswith("epoch   2/2") for line in lines) == 1
    assert sum(line.startswith("test accuracy:") for line in lines) == 1
    assert {p.name for p in (tmp_path / "whole").iterdir()} >= {"checkpoint.npz", "metrics.csv"}
    assert len((tmp_path / "whole" / "metrics.csv").read_text().splitlines()) == 3

    first = run_mpi(2, *TRAIN, "--epochs", "1", "--out", str(tmp_path / "split"), timeout=120)
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = run_mpi(2, *MYTORCH, "train", "--no-progress", "--epochs", "2",
                      "--resume", str(tmp_path / "split"), "--out", str(tmp_path / "split"),
                      timeout=120)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a = Checkpoint.load(tmp_path / "whole" / "checkpoint.npz")
    b = Checkpoint.load(tmp_path / "split" / "checkpoint.npz")
    assert a.epoch == b.epoch == 2
    for name in a.model:
        np.testing.assert_array_equal(a.model[name], b.model[name], err_msg=name)
    assert not any(name.startswith("module.") for name in a.model)  # the bare model's keys
    for row_a, row_b in zip(a.history, b.history, strict=True):  # the same metrics
        assert {**row_a, "seconds": 0} == {**row_b, "seconds": 0}


def test_nan_loss_stops_every_process_at_the_same_step(run_mpi: RunMPI, tmp_path: Path) -> None:
    result = run_mpi(2, *TRAIN, "--epochs", "1", "--optimizer", "sgd", "--lr", "1e12",
                     "--out", str(tmp_path), timeout=120)
    assert result.returncode == 1
    # every process stops at the same step, so they all end cleanly, each saying why
    assert result.stderr.count("mytorch train: error: the loss became nan at epoch 1, batch 2") == 2
    assert "MPI_ABORT" not in result.stderr
    assert not (tmp_path / "checkpoint.npz").exists()


def test_a_process_failing_alone_stops_the_others(run_mpi: RunMPI) -> None:
    start = time.perf_counter()
    result = run_mpi(2, str(WORKERS / "failing_worker.py"), timeout=60)
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr  # the traceback of the failure
    reason = "mytorch: process 1 of 2 failed (ValueError: boom); stopping all processes"
    assert reason in result.stderr
    assert time.perf_counter() - start < 30  # rank 0 did not wait for it forever


@pytest.mark.parametrize("variables, launched", [
    ({}, False),
    ({"OMPI_COMM_WORLD_SIZE": "2"}, True),  # Open MPI
    ({"PMI_SIZE": "3"}, True),  # MPICH, Intel MPI
    ({"OMPI_COMM_WORLD_SIZE": "1"}, False),  # mpirun -n 1: an ordinary single process
])
def test_launched_by_mpi_reads_the_launchers_variables(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], launched: bool
) -> None:
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert launched_by_mpi() is launched
    if not launched:
        assert (World.from_environment().rank, World.from_environment().size) == (0, 1)


def test_the_trainer_shards_like_the_sampler_with_the_runs_seed() -> None:
    sampler = World(rank=1, size=2).sampler(range(10), seed=7)
    assert isinstance(sampler, DistributedSampler)
    assert (sampler.rank, sampler.num_replicas, sampler.seed, sampler.shuffle) == (1, 2, 7, True)
    assert World().sampler(range(10), seed=7) is None


def test_the_ddp_example_script_trains_identical_copies(run_mpi: RunMPI) -> None:
    example = WORKERS.parents[2] / "examples" / "ddp_train.py"
    result = run_mpi(2, str(example), "--epochs", "3", timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    finals = [line.split(": ", 1)[1] for line in result.stdout.splitlines()
              if line.startswith("rank ")]
    assert len(finals) == 2 and finals[0] == finals[1]  # the same weights on both processes
    accuracy = float(finals[0].split()[1].rstrip(","))
    assert accuracy > 0.95
    assert sum(line.startswith("epoch ") for line in result.stdout.splitlines()) == 3
