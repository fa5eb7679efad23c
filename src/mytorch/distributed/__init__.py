"""Data-parallel training on several processes, as ``torch.distributed``, on MPI.

Start the processes with ``mpirun -n N python script.py`` (one script, N copies);
each calls ``init_process_group("mpi")`` and then takes part in the collectives:

    import mytorch.distributed as dist
    dist.init_process_group("mpi")
    t = mytorch.tensor([float(dist.get_rank())])
    dist.all_reduce(t)              # every process now holds 0 + 1 + ... + (N-1)

``mytorch.nn.parallel.DistributedDataParallel`` averages gradients with these
collectives; ``mytorch.utils.data.distributed.DistributedSampler`` gives each
process its share of a dataset. mpi4py (the ``mpi`` extra) is needed by
``init_process_group`` only.
"""

from mytorch.distributed.collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    gather,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    reduce_scatter,
    scatter,
)

__all__ = [
    "ReduceOp", "Work", "is_available", "init_process_group", "is_initialized",
    "destroy_process_group", "get_backend", "get_rank", "get_world_size", "barrier",
    "all_reduce", "broadcast", "all_gather", "reduce_scatter", "gather", "scatter",
]
