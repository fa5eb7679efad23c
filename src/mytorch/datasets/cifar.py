"""``CIFAR10`` from the local python-pickle batches, read by an unpickler that cannot run code.

The batches (``cifar-10-batches-py/data_batch_1`` ... ``data_batch_5``,
``test_batch``) are pickled dicts: ``data``, a uint8 array (10000, 3072) holding
each image as its red, green and blue 32x32 planes; ``labels``, a list of ints;
plus a batch name and file names. Unpickling may call any function a file names,
so ``read_cifar_batch`` resolves only the few NumPy names an array needs and
refuses every other one before anything runs.
"""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mytorch.datasets.base import ArrayDataset, resolve_root
from mytorch.serialization.allowlist import AllowListUnpickler

__all__ = ["read_cifar_batch", "CIFAR10"]

# NumPy's own array-rebuilding functions, taken from the reduce tuples NumPy makes
# (protocols up to 4, and 5), so no module path inside NumPy is hard-coded here
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_FROMBUFFER = np.empty(0).__reduce_ex__(5)[0]
_CORES = ("core", "_core")  # NumPy 1 pickles (the CIFAR files) name numpy.core, NumPy 2 numpy._core


def _latin1_bytes(text: str, encoding: str) -> bytes:
    """``_codecs.encode`` as pickles use it, for bytes written by Python 3 at protocol 2."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


# the only globals a CIFAR-10 batch may name: what NumPy needs to rebuild its arrays
_ARRAY_GLOBALS: dict[tuple[str, str], Any] = {
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{(f"numpy.{core}.multiarray", "_reconstruct"): _RECONSTRUCT for core in _CORES},
    **{(f"numpy.{core}.numeric", "_frombuffer"): _FROMBUFFER for core in _CORES},
}


def read_cifar_batch(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch without running any code from it.

    Args:
        path: the batch file.

    Returns:
        ``(data, labels)``: uint8 (N, 3072) and int64 (N,).

    Raises:
        ValueError: naming the file, when it is not a readable pickle, names any other
            global (refused, nothing run), or does not hold a CIFAR-10 batch.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        content = AllowListUnpickler(
            io.BytesIO(raw), _ARRAY_GLOBALS,
            "a CIFAR-10 batch holds only arrays, lists, strings and numbers",
            encoding="latin1",  # the batches were pickled by Python 2
        ).load()
    except Exception as error:  # any failure to unpickle means a damaged or hostile file
        raise ValueError(f"CIFAR10: {path} is not a readable CIFAR-10 batch: {error}") from error
    if not isinstance(content, dict):
        raise ValueError(f"CIFAR10: {path} should hold a dict, got {type(content).__name__}")
    fields = {key.decode("latin1") if isinstance(key, bytes) else key: value
              for key, value in content.items()}
    data, labels = fields.get("data"), fields.get("labels")
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == 3 * 32 * 32):
        found = (f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray)
                 else type(data).__name__)
        raise ValueError(f"CIFAR10: {path} 'data' should be uint8 (N, 3072), got {found}")
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"CIFAR10: {path} 'labels' should be a list of ints") from error
    if label_array.shape != (len(data),):
        raise ValueError(
            f"CIFAR10: {path} has {len(data)} images but 'labels' of shape {label_array.shape}"
        )
    if label_array.size and (label_array.min() < 0 or label_array.max() > 9):
        raise ValueError(f"CIFAR10: {path} holds labels outside 0..9")
    return data, label_array


class CIFAR10(ArrayDataset):
    """CIFAR-10: 32x32 colour images of ten classes, from the python batches on your disk.

    mytorch never downloads: extract ``cifar-10-python.tar.gz`` (from
    https://www.cs.toronto.edu/~kriz/cifar.html) into ``root``, giving
    ``root/cifar-10-batches-py/`` (``root`` itself may also be that folder).

    Args:
        root: the folder holding ``cifar-10-batches-py`` (default ``default_root()``).
        train: the 50,000 training images (data_batch_1..5), else the 10,000 of test_batch.
        transform: applied to each input, a float32 array (3, 32, 32) in [0, 1].
        target_transform: applied to each label, an int.

    Attributes:
        data: uint8 array (N, 32, 32, 3), channels last as torchvision keeps it.
        targets: int64 array (N,).

    Raises:
        FileNotFoundError: the folder or a batch is missing (the message says where to put it).
        ValueError: a batch is corrupt or carries anything but arrays and plain data.
    """

    description = "CIFAR-10 colour images 32x32 from the local python batches: 50,000 / 10,000"
    classes = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]
    input_shape = (3, 32, 32)
    scale = 255.0
    base_folder = "cifar-10-batches-py"
    train_batches = [f"data_batch_{k}" for k in range(1, 6)]
    test_batches = ["test_batch"]

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        folder = resolve_root(root)
        names = self.train_batches if train else self.test_batches
        batches_folder = self._find(folder, names)
        batches = [read_cifar_batch(batches_folder / name) for name in names]
        rows = np.concatenate([data for data, _ in batches])
        labels = np.concatenate([labels for _, labels in batches])
        # (N, 3072) -> (N, 3, 32, 32) planes -> (N, 32, 32, 3), channels last
        images = np.ascontiguousarray(rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        super().__init__(images, labels, train, folder, transform, target_transform)

    def _inputs(self, rows: np.ndarray) -> np.ndarray:
        # (B, 32, 32, 3) -> (B, 3, 32, 32) float32 in [0, 1]
        return rows.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(self.scale)

    @classmethod
    def _find(cls, folder: Path, names: list[str]) -> Path:
        """``folder/cifar-10-batches-py``, or ``folder`` itself when it holds the batches;
        the batches ``names`` must be there."""
        batches_folder = folder / cls.base_folder
        if not batches_folder.is_dir() and (folder / names[0]).is_file():
            batches_folder = folder
        if not batches_folder.is_dir():
            raise FileNotFoundError(
                f"CIFAR10: folder {cls.base_folder} not found in {folder}. mytorch never "
                "downloads: get cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/"
                f"cifar.html and extract it into {folder} (giving {batches_folder}/data_batch_1 "
                "... test_batch), or pass root= the folder that holds it."
            )
        for name in names:
            if not (batches_folder / name).is_file():
                raise FileNotFoundError(
                    f"CIFAR10: batch {name} missing from {batches_folder}; extract the whole "
                    "cifar-10-python.tar.gz there (data_batch_1 ... data_batch_5, test_batch)."
                )
        return batches_folder
