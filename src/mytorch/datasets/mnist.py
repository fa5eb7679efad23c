"""``MNIST`` and ``FashionMNIST`` from local IDX files, and ``read_idx``, the IDX format reader.

The IDX format (LeCun's MNIST page): a 4-byte magic number, two zero bytes, a
type code and the number of dimensions d; then d big-endian uint32 sizes; then
the values, big-endian, in C order.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mytorch.datasets.base import ArrayDataset, resolve_root

__all__ = ["read_idx", "MNIST", "FashionMNIST"]

# the IDX type codes and the big-endian dtypes they stand for
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed when its name ends in ``.gz``) into a native array.

    Args:
        path: the file.

    Returns:
        An array of the dtype and shape the header gives.

    Raises:
        ValueError: naming the file, when it is not IDX, not valid gzip, or its length
            does not match its header (truncated, or extra bytes).
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"read_idx: {path} is not a valid gzip file ({error})") from error
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_TYPES:
        raise ValueError(
            f"read_idx: {path} is not an IDX file: it starts with 0x{raw[:4].hex()}, not two zero "
            f"bytes and a type code among {[hex(code) for code in _IDX_TYPES]}"
        )
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"read_idx: {path} is truncated: {len(raw)} bytes, but its header alone takes {header}"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"read_idx: {path} is truncated or corrupt: its header promises {dims} values of "
            f"{dtype.str} ({expected} bytes) but {len(raw) - header} bytes follow it"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return values.astype(dtype.newbyteorder("="))  # big-endian -> native, a writable copy


class MNIST(ArrayDataset):
    """The MNIST handwritten digits, 28x28, from the four IDX files on your disk.

    mytorch never downloads. The files keep torchvision's names
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), raw or with ``.gz``,
    and are looked up in ``root/`` and then ``root/MNIST/raw/`` (where torchvision's
    ``download=True`` leaves them).

    Args:
        root: the folder holding the files (default ``default_root()``).
        train: the 60,000 training images (else the 10,000 test images).
        transform: applied to each input, a float32 array (1, 28, 28) in [0, 1].
        target_transform: applied to each label, an int.

    Attributes:
        data: uint8 array (N, 28, 28).
        targets: int64 array (N,).

    Raises:
        FileNotFoundError: a file is missing (the message says where to put it).
        ValueError: a file is truncated or corrupt (the message names it).
    """

    description = "MNIST handwritten digits 28x28 from local IDX files: 60,000 / 10,000"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    input_shape = (1, 28, 28)
    scale = 255.0
    source = "https://ossci-datasets.s3.amazonaws.com/mnist/ (mirror of yann.lecun.com/exdb/mnist)"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        folder = resolve_root(root)
        split = "train" if train else "t10k"
        images_path = self._find(folder, f"{split}-images-idx3-ubyte")
        labels_path = self._find(folder, f"{split}-labels-idx1-ubyte")
        images, labels = read_idx(images_path), read_idx(labels_path)
        name = type(self).__name__
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or images.ndim != 3:
            raise ValueError(
                f"{name}: {images_path} should hold uint8 images (N, 28, 28), "
                f"got {images.dtype} {images.shape}"
            )
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise ValueError(
                f"{name}: {labels_path} should hold {len(images)} uint8 labels (one per image "
                f"of {images_path.name}), got {labels.dtype} {labels.shape}"
            )
        if labels.size and labels.max() >= self.num_classes:
            raise ValueError(
                f"{name}: {labels_path} holds label {labels.max()}, "
                f"outside 0..{self.num_classes - 1}"
            )
        super().__init__(images, labels, train, folder, transform, target_transform)

    @classmethod
    def _find(cls, folder: Path, name: str) -> Path:
        """The first of root/name, root/name.gz, root/<Class>/raw/name(.gz) that exists."""
        folders = [folder, folder / cls.__name__ / "raw"]
        for candidate in (place / file for place in folders for file in (name, f"{name}.gz")):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{cls.__name__}: {name} (or {name}.gz) not found in {folders[0]} nor in {folders[1]}. "
            f"mytorch never downloads: get the four {cls.__name__} IDX files from {cls.source} "
            f"and put them in one of those folders, or pass root= the folder that holds them."
        )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, 28x28 clothing images, from the four IDX files on your disk.

    Same files, names, layout and behaviour as ``MNIST``, looked up in ``root/``
    and then ``root/FashionMNIST/raw/``.
    """

    description = "Fashion-MNIST clothing images 28x28 from local IDX files: 60,000 / 10,000"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    source = "https://github.com/zalandoresearch/fashion-mnist (the data/fashion folder)"
