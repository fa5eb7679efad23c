"""Packaging promises: Python 3.10 or newer, NumPy the only runtime dependency, typed, a script."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("path", sorted((ROOT / "src").rglob("*.py")), ids=lambda p: p.name)
def test_source_parses_as_python_3_10(path: Path) -> None:
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 10))


def test_metadata() -> None:
    assert 'requires-python = ">=3.10"' in PYPROJECT
    assert re.search(r'^dependencies = \["numpy>=1\.24"\]$', PYPROJECT, flags=re.M)
    assert 'mytorch = "mytorch.cli:main"' in PYPROJECT
    assert '"torch==2.13.0"' in PYPROJECT  # the test oracle, pinned, in the test extra only
    assert (ROOT / "src" / "mytorch" / "py.typed").is_file()


def test_core_imports_no_optional_dependency() -> None:
    code = ("import sys, mytorch; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn', 'tqdm', 'scipy') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_mytorch_loads_data_models_and_training_on_first_use() -> None:
    code = ("import sys, mytorch; print(sorted(m for m in ('mytorch.models', 'mytorch.datasets', "
            "'mytorch.training', 'mytorch.transforms', 'mytorch.utils') if m in sys.modules)); "
            "print({'models', 'utils', 'datasets'} <= set(dir(mytorch)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]  # light: the core only, yet all listed


def test_import_mytorch_reaches_every_public_submodule() -> None:
    # `import torch` makes torch.utils.data, torch.nn.functional, ... attributes; ported scripts
    # use them without importing the submodule, and the optional dependencies stay unloaded
    code = (
        "import sys, mytorch\n"
        "reached = [\n"
        "    mytorch.utils.data.DataLoader, mytorch.utils.data.TensorDataset,\n"
        "    mytorch.utils.data.random_split, mytorch.models, mytorch.nn.functional.relu,\n"
        "    mytorch.nn.init.kaiming_uniform_, mytorch.nn.utils.clip_grad_norm_,\n"
        "    mytorch.optim.lr_scheduler.StepLR, mytorch.datasets, mytorch.transforms.Compose,\n"
        "    mytorch.autograd.Function, mytorch.viz.to_dot, mytorch.training,\n"
        "]\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn', 'tqdm', 'scipy', 'mnist1d', "
        "'mpi4py', 'onnx') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
