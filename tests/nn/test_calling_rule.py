"""The calling rule of the layers: a layer computes through ``nn.functional`` (F).

Read from the sources, not by running them: every ``nn.modules`` file takes its
computation from F, and imports from ``mytorch.ops`` or ``mytorch.kernels`` only the
named constructor helpers (argument checkers, normalisers, constants), the shape
plumbing PyTorch has as ``torch.cat``/``torch.split``, and the error class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mytorch
from mytorch.nn import functional as F

NN = Path(mytorch.__file__).parent / "nn"
MODULE_FILES = sorted((NN / "modules").glob("*.py"))

# what a layer may import from below nn, and why
ALLOWED_BELOW = {
    "mytorch.kernels.errors": {"ShapeError"},  # the error class a check raises
    "mytorch.kernels.windows": {"ntuple"},  # constructor: int-or-tuple options
    "mytorch.ops.conv": {"PADDING_MODES", "check_conv_args", "block_args"},  # constructor checks
    "mytorch.ops.pool": {"window_args"},  # constructor check
    "mytorch.ops.loss_reduction": {"legacy_reduction"},  # constructor: size_average/reduce
    "mytorch.ops.rnn": {"STEPS"},  # constructor: the number of gates of each cell
    "mytorch.ops.shape": {"cat", "split"},  # plumbing, PyTorch's torch.cat / torch.split
}


def _imports_below_nn(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every import of ``mytorch.ops``/``mytorch.kernels`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if node.module.startswith(("mytorch.ops", "mytorch.kernels")):
                    found.append((node.module, alias.name))
                elif full.startswith(("mytorch.ops", "mytorch.kernels")):  # from mytorch import ops
                    found.append((full, "*"))
        elif isinstance(node, ast.Import):
            found += [(a.name, "*") for a in node.names
                      if a.name.startswith(("mytorch.ops", "mytorch.kernels"))]
    return found


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.name)
def test_layers_take_only_helpers_from_ops_and_kernels(path: Path) -> None:
    stray = [(module, name) for module, name in _imports_below_nn(path)
             if name not in ALLOWED_BELOW.get(module, set())]
    assert not stray, f"{path.name} calls ops directly instead of nn.functional: {stray}"


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.name)
def test_every_F_function_a_layer_calls_is_exported(path: Path) -> None:
    called = {node.attr for node in ast.walk(ast.parse(path.read_text()))
              if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "F"}
    assert called <= set(F.__all__), f"{path.name}: not in F.__all__: {called - set(F.__all__)}"


def test_functional_does_not_import_the_layers() -> None:
    tree = ast.parse((NN / "functional.py").read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for a in node.names}
    assert not {m for m in modules if m and m.startswith("mytorch.nn")}
