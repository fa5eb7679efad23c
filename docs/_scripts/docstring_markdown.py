"""A griffe extension: the few reStructuredText idioms of mytorch's docstrings, as Markdown.

mytorch's docstrings are Google style, rendered as Markdown by mkdocstrings, but they also
use three idioms that Markdown reads wrongly. This extension rewrites them in each
docstring, once the package is loaded and before the docstring is parsed:

* **Bare doctest blocks.** Docstrings end their prose with doctests (``>>> x = ...``) that
  pytest runs. Under an ``Examples:`` header the Google parser renders them as code;
  anywhere else Markdown reads ``>>>`` as three nested blockquotes. Each such block is put
  in a ```` ```pycon ```` fence:

      >>> x = mytorch.ones(2)           ->   ```pycon
      >>> x.sum()                            >>> x = mytorch.ones(2)
      tensor(2.)                             >>> x.sum()
                                             tensor(2.)
                                             ```

  A block starts at a line that begins with ``>>>`` at the docstring's left margin (lines of
  a Google section are indented, so a section's own examples are left to the parser) and
  runs, as in ``doctest``, to the next blank line. Doctest directives
  (``# doctest: +ELLIPSIS``) are instructions to the test runner, not to the reader: they
  are dropped, and ``<BLANKLINE>`` shows as the blank line it stands for.
* **Roles.** ``:func:`name``` (and ``:class:``, ``:meth:``, ``:mod:``...) becomes the code
  span ```name```; ``:math:`x``` becomes the inline formula ``\\(x\\)``.
* **Literal-block markers.** A paragraph ending in ``::`` introduces an indented block, which
  Markdown already shows as code: the ``::`` becomes ``:``.

Lines inside an existing code fence are left alone. Configured in mkdocs.yml under the
python handler's ``options: extensions:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")
_ROLE = re.compile(r":(?:py:)?(math|[a-z]+):`~?\.?([^`]+)`")
_FENCE = ("```", "~~~")


def _role(match: re.Match[str]) -> str:
    kind, text = match.groups()
    return f"\\({text}\\)" if kind == "math" else f"`{text}`"


def to_markdown(text: str) -> str:
    """``text`` with its bare doctest blocks fenced, its roles and ``::`` markers rewritten."""
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(_FENCE):
            in_fence = not in_fence
        if in_fence or not line.startswith(">>>"):
            if not in_fence:
                line = _ROLE.sub(_role, line)
                if line.endswith("::"):
                    line = line[:-1]
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


class DocstringMarkdown(griffe.Extension):
    """Rewrite every docstring's reStructuredText idioms once the package is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
