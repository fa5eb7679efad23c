"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices.

``SequentialSampler`` gives 0, 1, ..., n-1; ``RandomSampler`` a fresh
permutation every time it is iterated, drawn from a ``numpy.random.Generator``
(mytorch's global one unless given one); ``BatchSampler`` groups another
sampler's indices into lists of ``batch_size``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import Any

import numpy as np

from mytorch.random import generator as global_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "BatchSampler"]


class Sampler:
    """Base class: an iterable of indices (or of lists of indices, for batch samplers)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order, freshly drawn on every iteration (every epoch).

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement (indices may repeat).
        num_samples: how many indices per iteration (default ``len(data_source)``); without
            replacement, more than ``len(data_source)`` chains several permutations.
        generator: a ``numpy.random.Generator``; default, mytorch's global generator as it
            is when iteration starts, so ``mytorch.manual_seed`` (or a restored
            ``set_rng_state``) fixes the order of every later epoch.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value, got {replacement!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        count = self.num_samples
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer value, "
                f"but got num_samples={count!r}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = global_generator() if self.generator is None else self.generator
        n = len(self.data_source)
        if self.replacement:
            order = rng.integers(0, n, size=self.num_samples)
        else:  # whole permutations, then the first part of one more
            whole, rest = divmod(self.num_samples, n)
            order = np.concatenate(
                [rng.permutation(n) for _ in range(whole)] + [rng.permutation(n)[:rest]]
            )
        yield from order.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: an iterable of indices.
        batch_size: the number of indices per batch (a positive int).
        drop_last: drop the last batch when it is smaller than ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, "
                f"but got batch_size={batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                "BatchSampler: drop_last should be a boolean value, "
                f"but got drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]  # a sampler without len has no len
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
