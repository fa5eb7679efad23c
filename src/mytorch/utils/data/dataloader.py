"""``DataLoader``: batches of a dataset, in order or shuffled, as Tensors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.utils.data.collate import default_collate, default_convert
from mytorch.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

# PyTorch's options for worker processes and pinned memory: accepted, without effect here
_WORKER_OPTIONS = {"prefetch_factor", "persistent_workers", "pin_memory_device", "in_order"}


class DataLoader:
    """Iterate over ``dataset`` in batches; every ``for`` loop over it is a new epoch.

    Data is loaded in the calling process: ``num_workers``, ``pin_memory``,
    ``timeout``, ``worker_init_fn``, ``multiprocessing_context`` and PyTorch's other
    worker options are accepted (so PyTorch code runs unchanged) and have no effect.

    Fast path: when the default collate is in effect and the dataset defines
    ``get_batch(indices)`` (``TensorDataset``, ``Subset`` of one, the datasets of
    ``mytorch.datasets`` without transforms), each batch is one fancy index of the
    underlying arrays instead of a Python loop over its samples. The batches are the
    same either way.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch; ``None`` turns batching off (each sample is
            yielded alone, its arrays converted to Tensors).
        shuffle: visit the samples in a new random order every epoch.
        sampler: an iterable of indices giving the order (excludes ``shuffle``).
        batch_sampler: an iterable of lists of indices, one list per batch (excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted, without effect (must be >= 0).
        collate_fn: turns a list of samples into a batch (default ``default_collate``).
        pin_memory: accepted, without effect.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: accepted, without effect (must be >= 0).
        worker_init_fn: accepted, never called (there are no workers).
        multiprocessing_context: accepted, without effect.
        generator: the ``numpy.random.Generator`` that shuffles. Without one, each
            epoch's order is drawn from mytorch's global generator when the epoch
            starts, so ``mytorch.manual_seed`` makes runs repeatable and a restored
            ``mytorch.set_rng_state`` resumes the same sequence of epochs.
        **worker_options: PyTorch's ``prefetch_factor``, ``persistent_workers``,
            ``pin_memory_device``, ``in_order``: accepted, without effect.

    >>> import mytorch
    >>> from mytorch.utils.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(mytorch.arange(5)), batch_size=2)
    >>> [batch[0].tolist() for batch in loader], len(loader)
    ([[0, 1], [2, 3], [4]], 3)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        **worker_options: Any,
    ) -> None:
        unknown = sorted(set(worker_options) - _WORKER_OPTIONS)
        if unknown:
            raise TypeError(f"DataLoader: unexpected keyword argument(s) {unknown}")
        if num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers option should be non-negative, got {num_workers}"
            )
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.collate_fn = collate_fn

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batching off: one converted sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        get_batch = getattr(self.dataset, "get_batch", None)
        if self.collate_fn is not default_collate:
            get_batch = None
        for indices in self.batch_sampler:
            arrays = None if get_batch is None else get_batch(np.asarray(indices, dtype=np.int64))
            if arrays is None:
                yield self.collate_fn([self.dataset[index] for index in indices])
            else:  # a sample is a tuple of fields: default_collate makes it a list of Tensors
                yield [Tensor._make(array) for array in arrays]

    def __len__(self) -> int:
        if self.batch_sampler is None:
            return len(self.sampler)  # type: ignore[arg-type]
        return len(self.batch_sampler)  # type: ignore[arg-type]
