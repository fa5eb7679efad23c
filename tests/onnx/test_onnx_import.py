"""mytorch needs no onnx package until an export runs (this file runs without it too)."""

from __future__ import annotations

import subprocess
import sys


def test_mytorch_imports_without_onnx_and_export_says_what_is_missing() -> None:
    code = (
        "import sys; sys.modules['onnx'] = None\n"  # as if the package were not installed
        "import mytorch\n"
        "assert 'onnxruntime' not in sys.modules\n"
        "try:\n"
        "    mytorch.onnx.export(mytorch.nn.Linear(2, 2), mytorch.randn(1, 2), 'x.onnx')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "needs the onnx package: pip install onnx" in done.stdout
    plain = subprocess.run([sys.executable, "-c", "import sys, mytorch; print('onnx' in "
                            "sys.modules)"], capture_output=True, text=True, timeout=60)
    assert plain.stdout.strip() == "False"
