"""The package imports one way: no import circle, and no layer imports a layer above it.

Every module under src/mytorch is parsed (never imported) and every ``import`` in it
is collected, at module level or inside a function alike: a lazy import is an import.
Rules:

* An import names the module it loads: ``from mytorch.ops import shape`` (a submodule)
  loads ``mytorch.ops.shape``; ``from mytorch.ops.shape import sum_to`` loads
  ``mytorch.ops.shape``. The packages above it, which Python runs first, are not
  counted, so a package's ``__init__`` may gather its own submodules.
* Imports under ``if TYPE_CHECKING:`` are not counted: they never run, they only name
  the types of annotations (the ops annotate with ``mytorch._tensor.Tensor``).
* A module importing its own package (``import mytorch.distributed as dist`` inside
  ``mytorch.distributed``) is no edge.

``LAYERS`` lists the layers from the bottom; a module may import its own layer and the
layers below, never one above, and no chain of imports may lead back to where it began.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# From the bottom up: each entry is (layer name, module prefixes). A module belongs to the
# layer with the longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # arrays in, arrays out; and the process-wide settings everything may read
    ("kernels", ("mytorch.kernels", "mytorch.device", "mytorch.random", "mytorch.scalar",
                 "mytorch.version")),
    # TensorBase, the graph, Function, the engine (and its own sum_to/cast), gradcheck
    ("autograd", ("mytorch.autograd",)),
    # the differentiable ops: Functions and their wrappers
    ("ops", ("mytorch.ops",)),
    # the user-facing Tensor (TensorBase plus its operators, bound to ops) and its factories
    ("tensor", ("mytorch._tensor", "mytorch.creation")),
    # services on tensors that layers use: files and collectives
    ("services", ("mytorch.serialization", "mytorch.distributed")),
    # layers and losses
    ("nn", ("mytorch.nn",)),
    # what is built from layers and tensors
    ("library", ("mytorch.models", "mytorch.optim", "mytorch.utils", "mytorch.datasets",
                 "mytorch.transforms", "mytorch.onnx", "mytorch.viz")),
    # the training loop, its runs and reports
    ("training", ("mytorch.training",)),
    # the entry points and the package's public face
    ("top", ("mytorch.cli", "mytorch.__main__", "mytorch.bench", "mytorch")),
]


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((SRC / "mytorch").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that can run: all of them, less those under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules that ``node``, in ``module``, loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:  # relative: from the package that holds ``module``
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if base not in MODULES:
        return set()
    loaded = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        loaded.add(sub if sub in MODULES else base)
    return loaded


def _graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in MODULES.items():
        edges: dict[str, int] = {}
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            for target in _imported(module, node):
                if target != module:
                    edges.setdefault(target, node.lineno)
        graph[module] = edges
    return graph


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


GRAPH = _graph()


def test_the_walk_sees_the_package():
    # the walk finds the modules and their imports, function-level ones included
    assert {"mytorch.autograd.engine", "mytorch.ops.shape", "mytorch._tensor"} <= set(GRAPH)
    assert "mytorch.autograd.fit" in GRAPH["mytorch.autograd.engine"]
    assert "mytorch.ops" in GRAPH["mytorch._tensor"]
    lazy = [m for m, edges in GRAPH.items() if "mytorch.serialization" in edges]
    assert lazy, "the lazy imports of mytorch.serialization are found"


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _layer(m) < 0] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_from_a_lower_layer_to_a_higher_one(module):
    here = _layer(module)
    upward = [
        f"{module} (layer {LAYERS[here][0]}) imports {target} (layer "
        f"{LAYERS[_layer(target)][0]}) at line {line}"
        for target, line in sorted(GRAPH[module].items())
        if _layer(target) > here
    ]
    assert upward == []


def test_no_import_cycle():
    # depth-first search: a back edge closes a circle, reported module by module
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)
