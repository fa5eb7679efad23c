"""Run under mpirun -n 2: rank 1 fails while rank 0 waits for it in a collective.

With ``mpi_command``, rank 1's failure must stop rank 0 too (instead of a hang).
"""

from __future__ import annotations

import sys

import mytorch.distributed as dist
from mytorch.training.parallel import mpi_command


@mpi_command
def command(args: list[str]) -> int:
    if dist.get_rank() == 1:
        raise ValueError("boom")
    dist.barrier()  # rank 0 would wait here forever
    return 0


if __name__ == "__main__":
    sys.exit(command(sys.argv[1:]))
