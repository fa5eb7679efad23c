"""The ``reduction`` argument every loss takes: 'none' | 'mean' | 'sum', and PyTorch's
deprecated ``size_average``/``reduce`` pair that still translates into it.

Shared by the losses of ``ops/loss.py``, ``ops/ctc.py`` and the loss modules, so that one
check words every error the same way.
"""

from __future__ import annotations

import warnings

__all__ = ["REDUCTIONS", "legacy_reduction", "check_reduction"]

REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` pair as a ``reduction`` string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
        "instead.", UserWarning, stacklevel=3,
    )
    return reduction


def check_reduction(op: str, reduction: str, size_average: bool | None = None,
                    reduce: bool | None = None, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """``reduction`` (or the legacy pair, with a warning) checked against ``allowed``.

    >>> check_reduction("mse_loss", "sum")
    'sum'
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(
            f"{op}: {reduction} is not a valid value for reduction "
            f"(expected one of {', '.join(repr(r) for r in allowed)})"
        )
    return reduction
