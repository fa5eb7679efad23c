"""Run folders: one new folder per run under ``runs/``, and ``runs/latest`` pointing at the newest.

A run without ``--out`` writes into ``runs/<model>-<dataset>-<YYYYmmdd-HHMMSS>`` (with
``-2``, ``-3``... when that name is taken, e.g. two runs started in the same second), so a
second run never overwrites the first. ``runs/latest`` is a relative symlink to the newest
run's folder; where symlinks cannot be made it is a one-line text file naming that folder,
which ``resolve`` follows, so ``mytorch eval runs/latest/checkpoint.npz`` works either way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

RUNS_ROOT = Path("runs")
LATEST = "latest"
CHECKPOINT_NAME = "checkpoint.npz"


def new_run_dir(model: str, dataset: str, root: str | os.PathLike[str] = RUNS_ROOT) -> Path:
    """Create and return a fresh folder ``root/<model>-<dataset>-<time>[-k]``; point latest at it.

    The folder is claimed with an exclusive ``mkdir``, so two runs started at once (even by
    two processes in the same second) get different folders.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 1000):
        folder = root / (stem if k == 1 else f"{stem}-{k}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        point_latest(folder)
        return folder
    raise FileExistsError(f"run folder: every name {stem}-k in '{root}' is taken")


def point_latest(folder: Path) -> None:
    """Make ``folder.parent/latest`` name ``folder``: a symlink, replaced atomically, else a file.

    A ``latest`` that is a real folder (written by an older mytorch) is left alone.
    """
    latest = folder.parent / LATEST
    if latest.is_dir() and not latest.is_symlink():
        return
    temporary = folder.parent / f".{LATEST}.{os.getpid()}.tmp"
    try:
        temporary.symlink_to(folder.name, target_is_directory=True)
    except OSError:  # no symlinks here (e.g. Windows without the privilege): a text file
        temporary.write_text(folder.name + "\n")
    os.replace(temporary, latest)


def resolve(path: str | os.PathLike[str]) -> Path:
    """``path`` with a ``latest`` text file among its parts replaced by the folder it names."""
    resolved = Path()
    for part in Path(path).parts:
        resolved = resolved / part
        if part == LATEST and resolved.is_file() and not resolved.is_symlink():
            with open(resolved) as f:
                resolved = resolved.parent / f.read(256).strip()
    return resolved


def find_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The checkpoint file that ``path`` names: the file itself, or ``checkpoint.npz`` in a folder.

    Raises:
        FileNotFoundError: there is no such file, or the folder holds no checkpoint.
    """
    found = resolve(path)
    if found.is_dir():
        found = found / CHECKPOINT_NAME
        if not found.exists():
            raise FileNotFoundError(f"no {CHECKPOINT_NAME} in the folder '{path}'")
    if not found.exists():
        raise FileNotFoundError(f"no such checkpoint: '{path}'")
    return found


def real_folder(path: str | os.PathLike[str]) -> Path:
    """``path`` with symlinks (``latest``) resolved, relative to the working folder when inside it.

    A resumed run writes into its real folder, so a newer run moving ``latest`` meanwhile
    cannot redirect it.
    """
    real = Path(os.path.realpath(path))
    try:
        return real.relative_to(Path.cwd().resolve())
    except ValueError:
        return real
