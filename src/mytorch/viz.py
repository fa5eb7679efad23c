"""Draw the computational graph: Graphviz DOT text, and pictures when Graphviz is installed.

For a ``Tensor`` the graph is the one ``backward`` walks: the op nodes
(``grad_fn``, named like ``MulBackward``) linked by ``next_edges`` down to an
``AccumulateGrad`` node at each leaf that requires grad. For a ``Scalar`` it
is micrograd's picture: every value with its label, value and grad, and the
operation that made it. Arrows point the way data flows in the forward pass.

>>> import mytorch
>>> x = mytorch.ones(2, 3, requires_grad=True)
>>> print(to_dot((x * 2).sum()))  # doctest: +ELLIPSIS
digraph mytorch {
...
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from mytorch._tensor import Tensor
from mytorch.autograd.graph import AccumulateGrad, Node
from mytorch.scalar import Scalar

__all__ = ["to_dot", "render"]

FORMATS = ("svg", "png", "pdf")


def to_dot(root: Tensor | Scalar, show_shapes: bool = True) -> str:
    """The graph that computed ``root``, in Graphviz's DOT language.

    Args:
        root: a Tensor (usually a loss) or a Scalar.
        show_shapes: for a Tensor graph, write each tensor's shape under its op.

    Returns:
        DOT text; paste it into any Graphviz viewer or pass it to ``render``.
    """
    if isinstance(root, Tensor):
        body = _tensor_graph(root, show_shapes)
    elif isinstance(root, Scalar):
        body = _scalar_graph(root)
    else:
        raise TypeError(f"to_dot: expected a Tensor or a Scalar, got {type(root).__name__}")
    return "digraph mytorch {\n" + "".join(f"  {line}\n" for line in body) + "}\n"


def render(root: Tensor | Scalar, path: str | Path, show_shapes: bool = True) -> Path:
    """Draw the graph of ``root`` into an image file with Graphviz's ``dot`` program.

    Args:
        root: a Tensor or a Scalar.
        path: where to write; the suffix picks the format (.svg, .png or .pdf).
        show_shapes: as in ``to_dot``.

    Returns:
        ``path``, as a ``Path``.

    Raises:
        ValueError: the suffix is not a supported format.
        RuntimeError: Graphviz's ``dot`` program is not installed, or it failed.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"render: cannot infer an image format from {str(path)!r}; "
            f"use a file name ending in {', '.join('.' + f for f in FORMATS)}"
        )
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(
            "render: Graphviz's `dot` program was not found on PATH. Install Graphviz "
            "(`apt-get install graphviz` on Debian/Ubuntu, `brew install graphviz` on macOS, "
            "`conda install graphviz`), or print to_dot(...) and paste it into a Graphviz viewer."
        )
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=to_dot(root, show_shapes),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"render: `dot` failed on {str(path)!r}: {result.stderr.strip()}")
    return path


def _quote(text: str) -> str:
    """A DOT string literal (line breaks become ``\\n``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class _Ids:
    """Short, stable node names (n0, n1, ...) for objects, in the order they are met."""

    def __init__(self) -> None:
        self._ids: dict[int, str] = {}

    def __getitem__(self, obj: Any) -> str:
        return self._ids.setdefault(id(obj), f"n{len(self._ids)}")


def _tensor_graph(root: Tensor, show_shapes: bool) -> list[str]:
    """DOT statements for the backward graph of ``root``, walked with an explicit stack."""
    ids = _Ids()

    def shape(shape: tuple[int, ...]) -> str:
        return f"\n{shape}" if show_shapes else ""

    kind = "leaf tensor" if root.is_leaf else "tensor"
    lines = [f"{ids[root]} [label={_quote(kind + shape(root.shape))}, shape=box, style=filled, "
             "fillcolor=darkolivegreen1]"]
    if root.grad_fn is None:
        return lines
    lines.append(f"{ids[root.grad_fn]} -> {ids[root]}")
    seen: set[int] = {id(root.grad_fn)}
    stack: list[Node] = [root.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, AccumulateGrad):
            label = node.name() + shape(node.variable.shape)
            lines.append(f"{ids[node]} [label={_quote(label)}, shape=box, style=filled, "
                         "fillcolor=lightblue]")
        else:
            outputs = ", ".join(str(s) for s, _ in node.output_meta)
            label = node.name() + (f"\n{outputs}" if show_shapes else "")
            lines.append(f"{ids[node]} [label={_quote(label)}]")
        for edge in node.next_edges:
            if edge is None:
                continue
            child = edge[0]
            lines.append(f"{ids[child]} -> {ids[node]}")
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return lines


def _scalar_graph(root: Scalar) -> list[str]:
    """DOT statements for a Scalar graph: a box per value, an ellipse per operation."""
    ids = _Ids()
    lines = ["rankdir=LR"]
    for value in root._topological_order():
        name = ids[value]
        text = f"value {value.value:.4g}\ngrad {value.grad:.4g}"
        if value.label:
            text = f"{value.label}\n{text}"
        lines.append(f"{name} [label={_quote(text)}, shape=box]")
        if value.op:
            op = name + "_op"
            lines.append(f"{op} [label={_quote(value.op)}, shape=ellipse]")
            lines.append(f"{op} -> {name}")
            lines.extend(f"{ids[inp]} -> {op}" for inp in value.inputs)
    return lines
