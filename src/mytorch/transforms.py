"""Transforms of one sample, as torchvision's tensor path: ``Compose``, ``ToTensor``,
``Normalize``, ``RandomCrop``, ``RandomHorizontalFlip``, ``Lambda``.

Each takes a NumPy array or a Tensor holding one image laid out (C, H, W)
(``ToTensor`` also takes (H, W) and (H, W, C) uint8 images) and returns a NumPy
array. Random choices come from mytorch's global generator, so
``mytorch.manual_seed`` makes augmentation repeatable.

>>> import numpy as np
>>> augment = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(),
...                    Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
>>> augment(np.zeros((3, 32, 32), np.float32)).shape
(3, 32, 32)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.random import generator

__all__ = ["Compose", "ToTensor", "Normalize", "RandomCrop", "RandomHorizontalFlip", "Lambda"]


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _image(name: str, x: Any) -> np.ndarray:
    """``x`` as an array with at least two dims, the last two being (H, W)."""
    array = _array(x)
    if array.ndim < 2:
        raise ValueError(f"{name}: expected an image (..., H, W), got shape {array.shape}")
    return array


def _pair(name: str, value: int | Sequence[int]) -> tuple[int, int]:
    """An int or a one- or two-element sequence as (h, w)."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) == 1:
        pair = (pair[0], pair[0])
    if len(pair) != 2 or any(not isinstance(v, int) or v < 0 for v in pair):
        raise ValueError(f"{name}: size should be an int or a pair of ints >= 0, got {value!r}")
    return pair[0], pair[1]


class Compose:
    """Apply ``transforms`` one after the other.

    Args:
        transforms: the callables, in order.
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: Any) -> Any:
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self) -> str:
        lines = "".join(f"\n    {transform!r}" for transform in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """An image as float (C, H, W), with uint8 pixel values scaled to [0, 1].

    Integer images (H, W) or (H, W, C), as images are stored on disk, become
    float32 (C, H, W) divided by 255. Float arrays are taken to be laid out
    (C, H, W) already, with their values and dtype kept (the datasets of
    ``mytorch.datasets`` yield such arrays); a 2-D one gains a channel axis.

    Shape:
        (H, W) -> (1, H, W); integer (H, W, C) -> (C, H, W); float (C, H, W) -> same.
    """

    def __call__(self, x: Any) -> np.ndarray:
        array = _image("ToTensor", x)
        if array.ndim == 2:
            array = array[None]  # (H, W) -> (1, H, W)
        elif array.dtype.kind in "biu":
            if array.ndim != 3:
                raise ValueError(
                    f"ToTensor: expected an integer image (H, W) or (H, W, C), got shape "
                    f"{array.shape}"
                )
            array = array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)
        if array.dtype.kind in "biu":
            return array.astype(np.float32) / np.float32(255)
        return np.ascontiguousarray(array)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a float (C, H, W) image.

    Args:
        mean: per-channel means (C values, or one for every channel).
        std: per-channel standard deviations (none of them zero).
        inplace: write the result into ``x`` (when it is an array or Tensor of that dtype).
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(
                f"Normalize: mean and std should be sequences of numbers, got shapes "
                f"{self.mean.shape} and {self.std.shape}"
            )
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std {self.std.tolist()} contains a zero")
        self.inplace = inplace

    def __call__(self, x: Any) -> np.ndarray:
        array = _array(x)
        if array.dtype.kind != "f":
            raise TypeError(
                f"Normalize: input should be a float image, got dtype {array.dtype} "
                "(apply ToTensor first)"
            )
        if array.ndim < 3:
            raise ValueError(
                f"Normalize: expected an image (..., C, H, W), got shape {array.shape}"
            )
        channels = array.shape[-3]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(
                    f"Normalize: {name} has {len(values)} values but the image of shape "
                    f"{array.shape} has {channels} channels"
                )
        # (C,) -> (C, 1, 1): one value per channel, broadcast over H and W
        mean = self.mean.astype(array.dtype)[:, None, None]
        std = self.std.astype(array.dtype)[:, None, None]
        if self.inplace:
            array -= mean
            array /= std
            return array
        return (array - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop:
    """Crop a random (h, w) window of the image, after optional padding.

    Args:
        size: the output (h, w), or one int for a square.
        padding: added on every side before cropping: an int (all sides), a pair
            (left/right, top/bottom) or four values (left, top, right, bottom).
        pad_if_needed: pad a side shorter than ``size`` up to it (after ``padding``).
        fill: the value of constant padding.
        padding_mode: ``"constant"`` (zeros or ``fill``), ``"edge"``, ``"reflect"`` or
            ``"symmetric"``, as torchvision.

    Shape:
        (..., H, W) -> (..., h, w).
    """

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _pair("RandomCrop", size)
        if padding_mode not in self._MODES:
            raise ValueError(
                f"RandomCrop: padding_mode should be one of {self._MODES}, got {padding_mode!r}"
            )
        self.padding = padding
        # (left, top, right, bottom), as torchvision orders them
        self._sides = (0, 0, 0, 0) if padding is None else self._sides_of(padding)
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def _sides_of(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
        values = [padding] if isinstance(padding, int) else list(padding)
        if len(values) not in (1, 2, 4) or any(not isinstance(v, int) or v < 0 for v in values):
            raise ValueError(
                f"RandomCrop: padding should be an int >= 0 or a sequence of 1, 2 or 4 of them, "
                f"got {padding!r}"
            )
        if len(values) == 1:
            return values[0], values[0], values[0], values[0]
        if len(values) == 2:
            return values[0], values[1], values[0], values[1]
        return values[0], values[1], values[2], values[3]

    def _pad(self, array: np.ndarray, sides: tuple[int, int, int, int]) -> np.ndarray:
        left, top, right, bottom = sides
        if not any(sides):
            return array
        widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
        if self.padding_mode == "constant":
            return np.pad(array, widths, mode="constant", constant_values=self.fill)
        return np.pad(array, widths, mode=self.padding_mode)  # type: ignore[call-overload]

    def __call__(self, x: Any) -> np.ndarray:
        array = self._pad(_image("RandomCrop", x), self._sides)
        th, tw = self.size
        if self.pad_if_needed:
            grow_h, grow_w = max(th - array.shape[-2], 0), max(tw - array.shape[-1], 0)
            array = self._pad(array, (grow_w, grow_h, grow_w, grow_h))
        h, w = array.shape[-2:]
        if h < th or w < tw:
            raise ValueError(
                f"RandomCrop: required crop size {(th, tw)} is larger than the (padded) image "
                f"size {(h, w)}"
            )
        rng = generator()
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return np.ascontiguousarray(array[..., i:i + th, j:j + tw])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``.

    Args:
        p: the probability of flipping.

    Shape:
        (..., H, W) -> same.
    """

    def __init__(self, p: float = 0.5) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p should be in [0, 1], got {p}")
        self.p = p

    def __call__(self, x: Any) -> np.ndarray:
        array = _image("RandomHorizontalFlip", x)
        if generator().random() < self.p:
            return np.ascontiguousarray(array[..., ::-1])
        return array

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class Lambda:
    """Apply a user function as a transform.

    Args:
        lambd: the function of one sample.
    """

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x: Any) -> Any:
        return self.lambd(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
