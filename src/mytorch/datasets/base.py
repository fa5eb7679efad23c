"""What every dataset of ``mytorch.datasets`` shares: raw arrays in, float32 samples out.

A dataset keeps its samples as stored (``data``: uint8 pixels, say) with integer
``targets``, and turns rows into float32 inputs of ``input_shape`` on access.
The same conversion serves one sample (``dataset[i]``) and a whole batch
(``get_batch``, the ``DataLoader`` fast path), so both give identical values.
"""

from __future__ import annotations

import importlib
import os
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from mytorch.serialization import atomic_write
from mytorch.utils.data import Dataset

__all__ = ["ArrayDataset", "default_root"]


def default_root() -> Path:
    """Where datasets live when no ``root`` is given: ``$MYTORCH_DATA``, else
    ``~/.cache/mytorch/datasets``."""
    return Path(os.environ.get("MYTORCH_DATA") or "~/.cache/mytorch/datasets").expanduser()


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
    return default_root() if root is None else Path(root).expanduser()


def require(module: str, dataset: str, package: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f'{dataset}: needs the {package} package; install it with pip install "mytorch[data]"'
        ) from error


def cached_arrays(
    path: Path, names: tuple[str, ...], make: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The arrays stored in the ``.npz`` at ``path``; made by ``make()`` and stored there when
    the file is missing or unreadable.

    The file is read with pickling off and written atomically; when it cannot be
    written (a read-only folder) the arrays are used without caching, with a warning.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            if set(names) <= set(archive.files):
                return {name: archive[name] for name in names}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # a damaged cache is rebuilt below
    arrays = make()
    try:
        atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
    except OSError as error:
        warnings.warn(f"could not cache the data set in {path}: {error}", stacklevel=3)
    return arrays


class ArrayDataset(Dataset):
    """A labelled dataset held in two arrays, ``data`` (as stored) and ``targets``.

    Subclasses set the class attributes below and, when the stored layout is not
    the input layout, override ``_inputs``.

    Args:
        data: the stored samples, shape (N, ...).
        targets: the class of each sample, int64 of shape (N,).
        train: whether this is the training split (for the repr).
        root: the folder the data came from (for the repr).
        transform: applied to each input (a float32 array of ``input_shape``).
        target_transform: applied to each target (an int).

    Yields:
        ``(x, y)``: x a float32 array of shape ``input_shape``, y an int in
        ``range(num_classes)`` (each after its transform, if given).
    """

    description: ClassVar[str]
    classes: ClassVar[list[str]]
    num_classes: ClassVar[int] = 10
    input_shape: ClassVar[tuple[int, ...]]
    scale: ClassVar[float] = 1.0  # stored values are divided by this

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        train: bool,
        root: Path,
        transform: Callable[[Any], Any] | None,
        target_transform: Callable[[Any], Any] | None,
    ) -> None:
        self.data = data
        self.targets = targets.astype(np.int64, copy=False)
        self.train = train
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _inputs(self, rows: np.ndarray) -> np.ndarray:
        """Stored rows (B, ...) -> float32 inputs (B, *input_shape) scaled by ``1 / scale``."""
        inputs = rows.reshape(len(rows), *self.input_shape).astype(np.float32)
        return inputs / np.float32(self.scale)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x: Any = self._inputs(self.data[index][None])[0]  # one row as a batch of one
        y: Any = int(self.targets[index])
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __len__(self) -> int:
        return len(self.targets)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...] | None:
        """The inputs (B, *input_shape) and targets (B,) at ``indices``; ``None`` with a
        transform, which has to run sample by sample."""
        if self.transform is not None or self.target_transform is not None:
            return None
        return self._inputs(self.data[indices]), self.targets[indices]

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n"
            f"    Number of datapoints: {len(self)}\n"
            f"    Root location: {self.root}\n"
            f"    Split: {'Train' if self.train else 'Test'}"
        )
