"""Data-parallel scaling: training samples/s on 1 and on N processes (one thread each),
and how much of the gradient all-reduce DistributedDataParallel hides behind backward.

Targets (issue 12): 2 processes at least 1.7x the samples/s of one, on a 2-core machine.

    python benchmarks/bench_distributed.py [--processes 1 2] [--steps 40] [--batch-size 32]
                                           [--model mnist1d_cnn] [--bucket-cap-mb 25]

Each process trains ``--batch-size`` samples per step (the global batch grows with the
number of processes, as in PyTorch), on random inputs of the model's shape. The script
starts itself under ``mpirun -n N`` (Open MPI, from the ``mpi`` extra) with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` and prints, per N:

- samples/s over all processes, and the speed-up over one process;
- allreduce ms: one step's all-reduce of every gradient bucket, timed alone (blocking);
- exposed ms: what averaging adds to a step (the step's time minus that of the same step
  under ``no_sync()``, without communication), and hidden = 1 - exposed / allreduce,
  the part of the all-reduce time that backward covered.

The overlap needs several buckets: a model smaller than one bucket (mnist1d_cnn's
25,482 parameters are 0.1 MB) starts its only all-reduce when backward is over, so try
``--bucket-cap-mb 0.02``. Open MPI advances a non-blocking all-reduce only inside MPI
calls; DistributedDataParallel polls the ones in flight at every gradient hook.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def worker(args: argparse.Namespace) -> None:
    """One process of the run: time ``--steps`` training steps, report as JSON (rank 0)."""
    import mytorch
    import mytorch.distributed as dist
    from mytorch import models, nn, optim
    from mytorch.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    mytorch.manual_seed(0)
    model = models.get_model(args.model)
    net = DistributedDataParallel(model, bucket_cap_mb=args.bucket_cap_mb) if size > 1 else model
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(rank)
    x = mytorch.tensor(rng.standard_normal((args.batch_size, *model.input_shape), np.float32))
    y = mytorch.tensor(rng.integers(0, 10, args.batch_size))

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(net(x), y).backward()
        optimizer.step()

    def seconds_per_step(sync: bool) -> float:
        """The slowest process's time per step (with or without gradient averaging)."""
        local = net.no_sync() if size > 1 and not sync else contextlib.nullcontext()
        with local:
            for _ in range(3):  # warm-up
                step()
            dist.barrier()
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            dist.barrier()
        return (time.perf_counter() - start) / args.steps

    synced = seconds_per_step(sync=True)
    allreduce = alone = 0.0
    if size > 1:
        alone = seconds_per_step(sync=False)  # the same steps without communication
        buckets = [mytorch.zeros(b.offsets[-1], dtype=b.dtype) for b in net.reducer.buckets]
        dist.barrier()
        begin = time.perf_counter()
        for _ in range(args.steps):  # one step's buckets all-reduced alone, blocking
            for bucket in buckets:
                dist.all_reduce(bucket, op=dist.ReduceOp.AVG)
        allreduce = (time.perf_counter() - begin) / args.steps
    if rank == 0:
        print(json.dumps({
            "processes": size,
            "samples_per_s": size * args.batch_size / synced,
            "allreduce_ms": 1e3 * allreduce,
            "exposed_ms": 1e3 * (synced - alone) if size > 1 else 0.0,
            "buckets": len(net.reducer.buckets) if size > 1 else 0,
        }))
    dist.destroy_process_group()


def launch(args: argparse.Namespace, processes: int) -> dict[str, float]:
    """Run this script's worker under ``mpirun -n processes``; its JSON line, parsed."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    mpirun = shutil.which("mpirun", path=search) or "mpirun"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1",
           "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    command = [mpirun, "-n", str(processes), "--oversubscribe", sys.executable, __file__,
               "--worker", "--steps", str(args.steps), "--batch-size", str(args.batch_size),
               "--model", args.model, "--bucket-cap-mb", str(args.bucket_cap_mb)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_distributed: mpirun -n {processes} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--model", default="mnist1d_cnn")
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"{args.model}, batch {args.batch_size} per process, one thread per process, "
          f"buckets of {args.bucket_cap_mb} MB")
    print(f"{'processes':>9} {'samples/s':>10} {'speed-up':>8} {'buckets':>7} "
          f"{'allreduce ms':>12} {'exposed ms':>10} {'hidden':>6}")
    base = None
    for n in args.processes:
        r = launch(args, n)
        base = base or r["samples_per_s"]
        hidden = (f"{max(0.0, 1 - r['exposed_ms'] / r['allreduce_ms']):6.0%}"
                  if r["allreduce_ms"] > 0 else f"{'-':>6}")
        print(f"{n:>9} {r['samples_per_s']:>10.0f} {r['samples_per_s'] / base:>7.2f}x "
              f"{r['buckets']:>7} {r['allreduce_ms']:>12.3f} {r['exposed_ms']:>10.3f} {hidden}")


if __name__ == "__main__":
    main()
