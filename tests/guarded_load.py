"""``mytorch.load`` of untrusted files in a separate process under a 1 GiB address-space limit.

The worker (``python guarded_load.py``) reads one path per line on stdin and answers one
JSON line: the outcome (``"ok"`` or the exception's class name), the message, and for
``"ok"`` a description of what was loaded. A crash (a signal) or an allocation past the
limit shows up as a dead worker or a ``MemoryError`` outcome, never as a hung test.
It runs in its own empty folder, so a payload that ran would leave a file there.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LIMIT = 1 << 30  # 1 GiB of address space for the whole worker (Python and NumPy need ~0.3)
SRC = str(Path(__file__).resolve().parents[1] / "src")


def describe(obj: Any) -> Any:
    """A JSON-able picture of a loaded object: containers, values, tensors by dtype/shape/bytes."""
    import mytorch

    if isinstance(obj, mytorch.Tensor):
        array = obj.numpy()
        return ["tensor", str(array.dtype), list(array.shape),
                hashlib.sha1(array.tobytes()).hexdigest()]
    if isinstance(obj, dict):
        return ["dict", [[repr(k), describe(v)] for k, v in obj.items()]]
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, [describe(v) for v in obj]]
    return ["value", repr(obj)]


class GuardedLoader:
    """The client: ``loader(path)`` is the worker's answer for that file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, __file__], cwd=folder, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def __call__(self, path: Path) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise AssertionError(f"the load worker died on '{path}' (exit status {code}; "
                                 "negative: killed by that signal)")
        assert os.listdir(self.folder) == [], "a payload in the file ran"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait() == 0


def _serve() -> None:
    import pickle
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    import mytorch

    for line in sys.stdin:
        try:
            answer = {"outcome": "ok", "loaded": describe(mytorch.load(line.rstrip("\n")))}
        except (ValueError, pickle.UnpicklingError) as exc:
            answer = {"outcome": type(exc).__name__, "message": str(exc)}
        except BaseException as exc:  # anything else is the failure the tests look for
            answer = {"outcome": type(exc).__name__, "message": repr(exc)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _serve()
