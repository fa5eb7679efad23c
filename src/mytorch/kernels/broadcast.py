"""Broadcasting and its adjoint, on plain arrays."""

from __future__ import annotations

import numpy as np


def sum_to(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``array`` down to ``shape``: the adjoint of broadcasting ``shape`` up to array.shape.

    Leading axes that broadcasting added are summed away; axes where ``shape``
    has size 1 are summed with keepdims.
    """
    if array.shape == shape:
        return array
    lead = array.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot reduce shape {array.shape} to larger rank {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and array.shape[lead + i] != 1
    )
    out = array.sum(axis=axes, keepdims=True) if axes else array
    return out.reshape(shape)
