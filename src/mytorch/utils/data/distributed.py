"""``DistributedSampler``: each process's share of a dataset, as in PyTorch.

With ``num_replicas`` processes, the index list of an epoch (``0..n-1``, or a
permutation of it) is first made a multiple of ``num_replicas`` long: padded by
repeating its own beginning (cyclically, as often as needed) or, with
``drop_last``, cut at the largest multiple. Process ``rank`` then takes every
``num_replicas``-th index starting at ``rank``. So the shards have equal sizes
(every process takes the same number of steps) and together cover the dataset.

Shuffling draws one permutation from ``seed + epoch``, the same on every process
(``set_epoch`` changes it each epoch). The index lists equal PyTorch's exactly
without shuffling; with shuffling the structure is the same but the permutation is
NumPy's (``numpy.random.default_rng(seed + epoch).permutation(n)``), not the one
``torch.randperm`` draws from a torch generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from mytorch.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` visits.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: the number of processes (default: the process group's world size).
        rank: this process's rank (default: the process group's).
        shuffle: visit a new permutation every epoch (call ``set_epoch`` each epoch).
        seed: the permutation of epoch ``e`` is drawn from ``seed + e``; the same on every
            process.
        drop_last: cut the tail instead of padding, so that no sample is visited twice.

    Length: ``ceil(n / num_replicas)``; with ``drop_last`` and ``n`` not a multiple,
    ``ceil((n - num_replicas) / num_replicas)``.

    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from mytorch import distributed as dist

            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        # np.resize repeats the list cyclically up to total_size (padding), or cuts it
        # there (drop_last): both of PyTorch's rules in one call
        shard = np.resize(order, self.total_size)[self.rank:self.total_size:self.num_replicas]
        return iter(shard.tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation from now on (call it before each epoch)."""
        self.epoch = epoch
