"""Datasets and data loading, as ``torch.utils.data``.

``Dataset`` / ``TensorDataset`` / ``Subset`` / ``ConcatDataset`` hold samples,
``random_split`` divides them, samplers choose the order, ``DataLoader``
batches them with ``default_collate``.
"""

from mytorch.utils.data.collate import default_collate, default_convert
from mytorch.utils.data.dataloader import DataLoader
from mytorch.utils.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from mytorch.utils.data.distributed import DistributedSampler
from mytorch.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "BatchSampler", "DistributedSampler",
    "default_collate", "default_convert", "DataLoader",
]
