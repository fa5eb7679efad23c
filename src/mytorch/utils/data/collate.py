"""Collating: turning a list of samples into one batch (``default_collate``, ``default_convert``).

A batch has the structure of one sample, with each leaf stacked along a new
first dimension: Tensors, arrays and numbers become Tensors of shape
(B, *leaf_shape); dicts, tuples and lists are collated field by field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.autograd import dtypes

__all__ = ["default_collate", "default_convert"]

_NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


def _unsupported(found: Any) -> TypeError:
    return TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {found}"
    )


def _stack(batch: Sequence[Any]) -> Tensor:
    """Stack same-shaped Tensors or arrays: B x (*shape) -> (B, *shape), keeping the dtype."""
    arrays = [np.asarray(item) for item in batch]
    if arrays[0].dtype.kind not in _NUMERIC_KINDS:
        raise _unsupported(arrays[0].dtype)
    for position, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise RuntimeError(
                f"default_collate: stack expects each sample to have the same shape, but got "
                f"{arrays[0].shape} at entry 0 and {array.shape} at entry {position} "
                "(pass a collate_fn that pads them)"
            )
    return Tensor._make(np.stack(arrays))


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_collate(batch: Sequence[Any]) -> Any:
    """Collate a list of samples into a batch, as PyTorch's ``default_collate``.

    Leaves: Tensors and NumPy arrays are stacked keeping their dtype; NumPy scalars
    keep theirs too; Python ``bool``/``int``/``float`` become bool, int64 and
    **float32** Tensors (float32 is mytorch's default dtype; PyTorch gives float64
    here); strings and bytes are returned as they come (the batch's list or tuple).
    Containers: a dict gives a dict of collated fields, a namedtuple the same
    namedtuple, a tuple or list a list with one collated entry per position.

    Args:
        batch: the samples, all with the same structure.

    Returns:
        The batch, with the structure of one sample.

    Raises:
        RuntimeError: when arrays to stack differ in shape, or sequences in length.
        TypeError: for leaves of any other type.

    >>> import numpy as np
    >>> default_collate([(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 0)])[1]
    tensor([1, 0])
    """
    elem = batch[0]
    if isinstance(elem, (str, bytes)):  # numpy's str_ and bytes_ included
        return batch
    if isinstance(elem, (Tensor, np.ndarray, np.generic)):
        return _stack(batch)
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=dtypes.DEFAULT_INT))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=dtypes.DEFAULT_FLOAT))
    if isinstance(elem, Mapping):
        fields = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        if isinstance(elem, MutableMapping):  # same mapping type (OrderedDict, defaultdict...)
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        return fields
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size, got "
                f"sizes {sorted({len(sample) for sample in batch})}"
            )
        fields_list = [default_collate(field) for field in zip(*batch)]
        return type(elem)(*fields_list) if _is_namedtuple(elem) else fields_list
    raise _unsupported(type(elem))


def default_convert(data: Any) -> Any:
    """Turn the arrays in one sample into Tensors (what ``DataLoader(batch_size=None)`` does).

    Arrays and NumPy scalars become Tensors (sharing memory); dicts, namedtuples,
    tuples and lists are converted entry by entry (tuples become lists, as in
    PyTorch); anything else is returned unchanged.
    """
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind in _NUMERIC_KINDS:
        return Tensor._make(np.asarray(data))
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(item) for item in data]
    return data
