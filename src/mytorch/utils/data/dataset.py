"""Map-style datasets (``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``) and
``random_split``.

A dataset is anything with ``__getitem__(i)`` and ``__len__``. One optional
hook makes loading fast: ``get_batch(indices)`` returns the whole batch at once
(one fancy index of the underlying arrays) instead of ``len(indices)`` calls
to ``__getitem__`` followed by a collate. ``DataLoader`` uses it whenever the
default collate is in effect; a dataset that cannot answer it (a transform has
to run on each sample) returns ``None`` and the loader goes sample by sample.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.creation import as_tensor
from mytorch.random import generator as global_generator

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``a + b`` concatenates two datasets (a ``ConcatDataset``).

    Subclasses whose samples are rows of whole arrays may override ``get_batch``
    (see below) so that ``DataLoader`` fetches a batch with one fancy index.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """The samples at ``indices``, already collated; ``None`` when there is no fast path.

        The contract: the arrays returned must equal, field by field, what
        ``default_collate([self[i] for i in indices])`` makes of the samples
        (a sample being a tuple of fields), same dtypes included.

        Args:
            indices: int array of shape (B,), the sample indices of one batch.

        Returns:
            One array per field of a sample, each of shape (B, *field_shape), or ``None``.
        """
        return None


class TensorDataset(Dataset):
    """Samples are the rows of some tensors: ``dataset[i] = (t[i] for t in tensors)``.

    Args:
        *tensors: Tensors (or arrays) with the same first dimension, the number of samples.

    Examples:
        >>> import mytorch
        >>> ds = TensorDataset(mytorch.zeros(4, 2), mytorch.arange(4))
        >>> len(ds), ds[1][1].item()
        (4, 1)
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        self.tensors = tuple(as_tensor(t) for t in tensors)
        for position, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensor {position} is 0-d; every tensor needs a first "
                    "(sample) dimension"
                )
        sizes = [t.shape[0] for t in self.tensors]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions {sizes} "
                f"(shapes {shapes}) must all be equal"
            )

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(t._data[indices] for t in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the dataset to take samples from.
        indices: a sequence of indices into ``dataset``.
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self) -> Sequence[int]:
        return self._indices

    @indices.setter
    def indices(self, indices: Sequence[int]) -> None:
        self._indices = indices
        # kept as an array too, so a batch's indices map through it in one fancy index
        self._index_array = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self._indices[index]]

    def __len__(self) -> int:
        return len(self._indices)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...] | None:
        get_batch = getattr(self.dataset, "get_batch", None)
        return None if get_batch is None else get_batch(self._index_array[indices])


class ConcatDataset(Dataset):
    """Several datasets one after the other.

    Args:
        datasets: the datasets, in order (at least one).

    Attributes:
        cumulative_sizes: ``cumulative_sizes[k]`` is the total length of datasets 0..k.
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"ConcatDataset: index {index} out of range for a dataset of length {len(self)}"
                )
            index += len(self)
        if index >= len(self):
            raise IndexError(
                f"ConcatDataset: index {index} out of range for a dataset of length {len(self)}"
            )
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    """Whole lengths for fractions summing to 1: floors, the remainder one by one from the first."""
    for position, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"random_split: fraction at index {position} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    for position in range(total - sum(lengths)):
        lengths[position % len(lengths)] += 1
    for position, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"random_split: length of split at index {position} is 0; "
                "this split will be empty",
                stacklevel=3,
            )
    return lengths


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: the subsets' lengths, summing to ``len(dataset)``; or fractions summing
            to 1, turned into lengths by flooring ``len(dataset) * fraction`` and handing
            the remaining samples out one at a time, round robin from the first subset.
        generator: a ``numpy.random.Generator``; default, mytorch's global generator
            (so ``mytorch.manual_seed`` makes the split repeatable).

    Returns:
        One ``Subset`` per length.

    >>> train, test = random_split(range(10), [0.8, 0.2])
    >>> len(train), len(test)
    (8, 2)
    """
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)
    if any(length < 0 or length != int(length) for length in lengths):
        raise ValueError(
            "random_split: lengths must be non-negative integers or fractions summing to 1, "
            f"got {list(lengths)}"
        )
    if sum(lengths) != total:
        raise ValueError(
            f"random_split: the lengths {list(lengths)} sum to {sum(lengths)}, not to the "
            f"dataset's length {total}"
        )
    rng = global_generator() if generator is None else generator
    order = rng.permutation(total).tolist()
    ends = np.cumsum(lengths).astype(int).tolist()
    return [Subset(dataset, order[end - int(n):end]) for n, end in zip(lengths, ends)]
