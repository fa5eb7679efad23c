"""Training one model on several processes (``torch.nn.parallel``)."""

from mytorch.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
