"""MkDocs hooks: let the pages' executed blocks import ``book`` and draw without a screen."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def on_config(config: Any) -> Any:
    """Put docs/_scripts on the path and select matplotlib's file-only backend."""
    scripts = str(Path(__file__).resolve().parent)
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    os.environ.setdefault("MPLBACKEND", "Agg")
    return config
