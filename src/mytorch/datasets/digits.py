"""``Digits``: the 8x8 handwritten digits of the UCI repository, as scikit-learn ships them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from mytorch.datasets.base import ArrayDataset, cached_arrays, require, resolve_root

__all__ = ["Digits"]


def _load_digits() -> dict[str, np.ndarray]:
    """The 1,797 images (uint8 counts 0..16, shape (1797, 8, 8)) and labels from scikit-learn."""
    sklearn_datasets = require("sklearn.datasets", "Digits", "scikit-learn")
    bunch = sklearn_datasets.load_digits()  # read from a file inside scikit-learn: no download
    return {"images": bunch.images.astype(np.uint8), "targets": bunch.target.astype(np.int64)}


def holdout_mask(targets: np.ndarray, every: int = 5, seed: int = 0) -> np.ndarray:
    """The fixed, stratified test split: a boolean mask over the samples.

    The samples are shuffled with ``numpy.random.default_rng(seed)``, grouped by
    class (a stable sort, so each class stays shuffled), and every ``every``-th
    sample of that order is a test sample: each class gives a fifth of its
    samples, to within one. For the 1,797 digits: 360 test, 1,437 train.
    """
    order = np.random.default_rng(seed).permutation(len(targets))
    order = order[np.argsort(targets[order], kind="stable")]  # by class, shuffled within class
    mask = np.zeros(len(targets), dtype=bool)
    mask[order[::every]] = True
    return mask


class Digits(ArrayDataset):
    """The 8x8 handwritten digits (UCI ML repository) that scikit-learn ships: no download.

    1,797 images of 8x8 pixels counting 0..16, scaled here to [0, 1]. The split is
    fixed and stratified (see ``holdout_mask``): 1,437 train, 360 test. The first load
    reads them through ``sklearn.datasets.load_digits`` (``pip install "mytorch[data]"``)
    and caches them as ``<root>/Digits/digits.npz``; later loads read that file.

    Args:
        root: the cache folder (default ``default_root()``).
        train: the training split (else the test split).
        transform: applied to each input, a float32 array (1, 8, 8).
        target_transform: applied to each label, an int.

    Attributes:
        data: uint8 array (N, 8, 8) of pixel counts 0..16.
        targets: int64 array (N,) of digits 0..9.

    >>> x, y = Digits()[0]
    >>> x.shape, x.dtype
    ((1, 8, 8), dtype('float32'))
    """

    description = "8x8 handwritten digits (UCI, shipped with scikit-learn): 1,437 train / 360 test"
    classes = [str(digit) for digit in range(10)]
    input_shape = (1, 8, 8)
    scale = 16.0

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        folder = resolve_root(root)
        arrays = cached_arrays(folder / "Digits" / "digits.npz", ("images", "targets"),
                               _load_digits)
        keep = holdout_mask(arrays["targets"]) != train
        super().__init__(arrays["images"][keep], arrays["targets"][keep], train, folder,
                         transform, target_transform)
