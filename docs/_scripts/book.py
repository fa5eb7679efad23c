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
import sys
import textwrap
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


def _page_print(text: str) -> None:
    """Print ``text`` into the page whose executed block called us.

    markdown-exec captures a block's output by giving the block its own ``print`` (in the
    block's globals), not by redirecting ``sys.stdout``: a plain ``print`` here would go to the
    terminal. So use the ``print`` of the nearest calling frame that defines one.
    """
    frame = sys._getframe(1)
    while frame is not None and "print" not in frame.f_globals:
        frame = frame.f_back  # type: ignore[assignment]
    (print if frame is None else frame.f_globals["print"])(text)


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
    text = textwrap.dedent("".join(lines))  # a method, or a part from start=, moved left
    path = Path(inspect.getsourcefile(obj) or "?").resolve()
    title = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{first}"
    _page_print(f'```python title="{title}"\n{text.rstrip()}\n```')


def show(fig: Any) -> None:
    """Print a matplotlib figure as inline SVG (use in a block with ``html="1"``), then close it."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    _page_print(svg[svg.index("<svg"):])  # drop the XML prolog and doctype: HTML needs neither


def engine_walk(root: Any) -> list[tuple[Any, Any]]:
    """Run ``root.backward()`` and return, in the order the engine ran them, each node of the
    graph with the gradient it received (an op node: the gradients of its outputs; a leaf's
    ``AccumulateGrad``: the leaf's ``.grad`` just after it was accumulated), each copied as
    a NumPy array (without ``create_graph`` the engine hands some backwards arrays, others
    Tensors: see ``Function.arithmetic_backward``).

    The engine itself does the walk: each op node is recorded when the engine calls its
    Function's ``backward`` (wrapped for the duration, then restored), each leaf by a
    post-accumulate hook (the public way to see a leaf's gradient arrive). The graph is
    retained, so the page can draw it afterwards.
    """
    import numpy as np

    from mytorch.autograd.graph import AccumulateGrad

    steps: list[tuple[Any, Any]] = []
    nodes = _graph_nodes(root)
    leaves = [n for n in nodes if isinstance(n, AccumulateGrad)]
    removers = [leaf.variable.register_post_accumulate_grad_hook(
        lambda t, node=leaf: steps.append((node, [np.array(t.grad)]))) for leaf in leaves]
    functions = {n.function for n in nodes if not isinstance(n, AccumulateGrad)}
    # every original first: a subclass's inherited backward must not resolve to a wrapper
    originals = {f: (f.__dict__.get("backward"), f.backward) for f in functions}

    def recording(backward: Any) -> Any:
        def run(node: Any, *grad_outputs: Any) -> Any:
            steps.append((node, [np.array(g) for g in grad_outputs]))
            return backward(node, *grad_outputs)
        return staticmethod(run)

    try:
        for function, (_, backward) in originals.items():
            function.backward = recording(backward)
        root.backward(retain_graph=True)
    finally:
        for function, (own, _) in originals.items():
            if own is None:
                del function.backward  # it was inherited
            else:
                function.backward = own
        for remove in removers:
            remove()
    return steps


def _children(node: Any) -> list[Any]:
    """Where a node sends gradients: a Scalar's inputs, or a graph node's ``next_edges``."""
    from mytorch.scalar import Scalar

    if isinstance(node, Scalar):
        return list(node.inputs)
    return [edge[0] for edge in node.next_edges if edge is not None]


def _graph_nodes(root: Any) -> list[Any]:
    """Every node reachable from ``root`` (a Tensor's ``grad_fn``, or a Scalar), root first."""
    from mytorch.scalar import Scalar

    start = root if isinstance(root, Scalar) else root.grad_fn
    nodes, seen, stack = [start], {id(start)}, [start]
    while stack:
        for child in _children(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                nodes.append(child)
                stack.append(child)
    return nodes


def _label(node: Any, names: dict[int, str]) -> tuple[str, bool]:
    """A node's text in the picture, and whether it is a leaf."""
    from mytorch.scalar import Scalar

    if isinstance(node, Scalar):
        name = node.label or node.op or "const"
        return f"{name}\nvalue {node.value:.4g}\ngrad {node.grad:.4g}", not node.inputs
    variable = getattr(node, "variable", None)  # an AccumulateGrad knows its leaf
    made = names.get(id(node if variable is None else variable))
    return node.name() + ("" if made is None else f"\n{made}"), variable is not None


def draw_graph(root: Any, names: dict[str, Any] | None = None, order: list[Any] | None = None,
               title: str = "") -> Any:
    """Draw the backward graph of ``root`` as a layered picture; returns the figure.

    For a Tensor: one box per node (``grad_fn`` nodes, and ``AccumulateGrad`` at the
    leaves) and an arrow per edge of ``next_edges``. For a Scalar: one box per value, with its
    operation (or label), value and gradient, and an arrow to each of its ``inputs``. Arrows
    point the way the gradient flows: from the root at the top to the leaves at the bottom. A
    node sits one row below the lowest node that sends it a gradient, so every arrow points
    down. ``names`` (name -> tensor) labels the node that made each named tensor (a leaf's
    ``AccumulateGrad``, a result's ``grad_fn``); ``order`` (the nodes of ``engine_walk``)
    numbers each node by when the engine ran it.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import FancyBboxPatch

    from mytorch.scalar import Scalar

    nodes = _graph_nodes(root)
    edges = [(n, child) for n in nodes for child in _children(n)]
    depth = {id(nodes[0]): 0}
    for _ in nodes:  # longest path from the root (a DAG: len(nodes) rounds settle it)
        for parent, child in edges:
            depth[id(child)] = max(depth.get(id(child), 0), depth.get(id(parent), 0) + 1)
    rows: dict[int, list[Any]] = {}
    for node in nodes:
        rows.setdefault(depth[id(node)], []).append(node)
    parents: dict[int, list[Any]] = {}
    for parent, child in edges:
        parents.setdefault(id(child), []).append(parent)
    where: dict[int, tuple[float, int]] = {}
    for d in sorted(rows):  # each row ordered under its parents, so few arrows cross
        row = sorted(rows[d], key=lambda n: np.mean([where[id(p)][0] for p in parents[id(n)]])
                     if d else 0)
        where.update({id(node): (i - (len(row) - 1) / 2, -d) for i, node in enumerate(row)})
    tensor_names = {id(t.grad_fn if t.grad_fn is not None else t): n
                    for n, t in (names or {}).items()}
    tall = 0.3 if isinstance(root, Scalar) else 0.2  # half a box's height: 3 lines or 2

    width = max(len(r) for r in rows.values())
    fig, ax = plt.subplots(figsize=(2.3 * width + 1, (2.5 * tall + 0.75) * len(rows) + 0.4))
    for parent, child in edges:
        (x0, y0), (x1, y1) = where[id(parent)], where[id(child)]
        skips = y0 - y1 > 1  # an edge past other rows bends around the boxes between
        start, end = ((x0 + 0.42, y0), (x1 + 0.42, y1)) if skips else ((x0, y0 - tall),
                                                                        (x1, y1 + tall))
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 1.3,
                                "shrinkA": 0, "shrinkB": 0,
                                "connectionstyle": f"arc3,rad={-0.4 if skips else 0}"})
    for node in nodes:
        x, y = where[id(node)]
        label, leaf = _label(node, tensor_names)
        ax.add_patch(FancyBboxPatch((x - 0.42, y - tall), 0.84, 2 * tall,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    fc="#cfe8fc" if leaf else "#fde2c8", ec="0.3"))
        ax.text(x, y, label, ha="center", va="center", fontsize=9)
        if order is not None and node in order:
            ax.text(x - 0.42, y + tall, str(order.index(node) + 1), ha="center", va="center",
                    fontsize=9, color="white", fontweight="bold",
                    bbox={"boxstyle": "circle,pad=0.25", "fc": "#c0392b", "ec": "none"})
    ax.set_xlim(-width / 2 - 0.1, width / 2 + 0.1)
    ax.set_ylim(-len(rows) + 1 - tall - 0.1, tall + 0.1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return fig
