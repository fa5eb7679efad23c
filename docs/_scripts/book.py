"""What the book's pages call while the site builds: mytorch's own source, and figures.

Every ```` ```python exec="on" ```` block of a chapter runs at build time (markdown-exec), with
this folder on ``sys.path`` (``docs/_scripts/hooks.py`` puts it there), so a page can write

    from book import source, show
    source("mytorch.kernels.windows.output_size")   # the code itself, never a copy
    show(fig)                                        # a matplotlib figure, as inline SVG

and what it prints becomes part of the page.
"""

from __future__ import annotations

import importlib
import inspect
import io
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _resolve(dotted: str) -> Any:
    """The object named by ``dotted`` ('package.module.Class.method'), importing what it needs."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"book.source: cannot import any prefix of {dotted!r}")


def source(dotted: str, *, start: str | None = None, stop: str | None = None) -> None:
    """Print the source of a function, class or method as a titled Markdown code block.

    Args:
        dotted: the object's full dotted name, e.g. ``"mytorch.ops.conv.Conv.backward"``.
        start: keep from the first line containing this text (for long objects).
        stop: keep up to and including the first later line containing this text.

    The title names the file and line, so a reader can find it; the text is read from the
    source at build time, so the page cannot drift from the code.
    """
    obj = inspect.unwrap(_resolve(dotted))
    lines, first = inspect.getsourcelines(obj)
    if start is not None:
        skip = next(i for i, line in enumerate(lines) if start in line)
        lines, first = lines[skip:], first + skip
    if stop is not None:
        end = next(i for i, line in enumerate(lines) if stop in line)
        lines = lines[: end + 1]
    text = inspect.cleandoc("".join(lines)) if lines[0][:1].isspace() else "".join(lines)
    path = Path(inspect.getsourcefile(obj) or "?").resolve()
    title = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{first}"
    print(f'```python title="{title}"\n{text.rstrip()}\n```')


def show(fig: Any) -> None:
    """Print a matplotlib figure as inline SVG (use in a block with ``html="1"``), then close it."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    print(svg[svg.index("<svg"):])  # drop the XML prolog and doctype: HTML needs neither
