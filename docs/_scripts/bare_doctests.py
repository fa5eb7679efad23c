"""A griffe extension: show docstrings' bare doctest blocks as Python console code.

mytorch's docstrings end their prose with doctests (``>>> x = ...``) that pytest runs. Under
an ``Examples:`` header the Google-style parser already renders them as code; anywhere else
they are plain text to it, and Markdown reads their ``>>>`` as three nested blockquotes. This
extension wraps each such block, before the docstring is parsed, in a fenced ``pycon`` block:

    >>> x = mytorch.ones(2)           ->   ```pycon
    >>> x.sum()                            >>> x = mytorch.ones(2)
    tensor(2.)                             >>> x.sum()
                                           tensor(2.)
                                           ```

A block starts at a line that begins with ``>>>`` at the docstring's left margin (lines of a
Google section are indented, so a section's own examples are left to the parser) and runs,
as in ``doctest``, to the next blank line. Doctest directives (``# doctest: +ELLIPSIS``) are
instructions to the test runner, not to the reader: they are dropped, and ``<BLANKLINE>``
shows as the blank line it stands for. Lines inside an existing code fence are left alone.

Configured in mkdocs.yml under the python handler's ``options: extensions:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")
_FENCE = ("```", "~~~")


def fence_bare_doctests(text: str) -> str:
    """``text`` with each bare doctest block at the left margin in a ```` ```pycon ```` fence."""
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(_FENCE):
            in_fence = not in_fence
        if in_fence or not line.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        block = []
        while i < len(lines) and lines[i].strip():
            code = lines[i]
            if code.startswith((">>>", "...")):
                code = _DIRECTIVE.sub("", code)
            block.append("" if code == "<BLANKLINE>" else code)
            i += 1
        if out and out[-1].strip():
            out.append("")  # a fence must not continue the paragraph above
        out += ["```pycon", *block, "```"]
    return "\n".join(out)


class BareDoctests(griffe.Extension):
    """Fence the bare doctest blocks of every docstring once the package is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_bare_doctests(obj.docstring.value)
