"""A progress bar: tqdm when it is installed (the ``progress`` extra), else a plain one."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any


class _PlainBar:
    """A minimal bar on stderr: ``epoch 3/10  120/140 [#####     ] loss 0.123``."""

    def __init__(self, iterable: Iterable[Any], total: int, desc: str, initial: int) -> None:
        self.iterable, self.total, self.desc = iterable, total, desc
        self.done, self.postfix, self._last = initial, "", 0.0

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            yield item
            self.done += 1
            now = time.monotonic()
            if now - self._last > 0.2 or self.done == self.total:
                self._last = now
                self._draw()
        sys.stderr.write("\n")

    def _draw(self) -> None:
        filled = int(20 * self.done / max(self.total, 1))
        sys.stderr.write(f"\r{self.desc} {self.done}/{self.total} "
                         f"[{'#' * filled}{' ' * (20 - filled)}] {self.postfix}")
        sys.stderr.flush()

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text


def progress(iterable: Iterable[Any], total: int, desc: str, enabled: bool = True,
             initial: int = 0) -> Any:
    """Wrap ``iterable`` in a progress bar (or return it unchanged when disabled)."""
    if not enabled:
        return _Silent(iterable)
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(iterable, total, desc, initial)
    return tqdm(iterable, total=total, desc=desc, initial=initial, leave=False, dynamic_ncols=True)


class _Silent:
    def __init__(self, iterable: Iterable[Any]) -> None:
        self.iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        return iter(self.iterable)

    def set_postfix_str(self, text: str) -> None:
        """No bar, nothing to show."""
