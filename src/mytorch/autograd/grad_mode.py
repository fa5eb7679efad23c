"""Gradient recording on and off: ``no_grad`` and ``enable_grad``.

Recording is one module-level switch read by ``Function.apply`` on every op.
Both context managers restore the previous state on exit, so they nest, and
both also work as function decorators, like PyTorch's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_enabled = True


def is_grad_enabled() -> bool:
    """True when new ops record a graph for backward."""
    return _enabled


def _set_enabled(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradMode:
    """Sets recording to ``self.mode`` inside a ``with`` block or a decorated call."""

    mode: bool

    def __enter__(self) -> None:
        self._previous = _enabled
        _set_enabled(self.mode)

    def __exit__(self, *exc_info: object) -> None:
        _set_enabled(self._previous)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Context manager (and decorator) in which ops record no graph.

    >>> import mytorch
    >>> x = mytorch.ones(2, requires_grad=True)
    >>> with mytorch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Context manager (and decorator) that turns recording back on inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off: at once as a call, or until the end of a ``with`` block.

    >>> import mytorch
    >>> with mytorch.set_grad_enabled(False):
    ...     mytorch.is_grad_enabled()
    False
    >>> mytorch.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _enabled
        _set_enabled(self.mode)  # as in PyTorch, calling it already switches

    def __enter__(self) -> None:
        pass

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        _set_enabled(self._previous)  # as a decorator it only switches inside the call
        return wrapper  # type: ignore[return-value]
