"""``mytorch export CHECKPOINT OUT.onnx``: the checkpoint's model, rebuilt by name, in ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_check import assert_same, ort, randn

import mytorch
from mytorch import cli
from mytorch.models import get_model
from mytorch.training.checkpoint import RUNNING_SUMS, Checkpoint


def _checkpoint(path: Path, model_name: str) -> mytorch.nn.Module:
    model = get_model(model_name)
    Checkpoint(config={"model": model_name, "dataset": "digits"}, model=model.state_dict(),
               optimizer={"state": {}}, scheduler={"last_epoch": 0}, epoch=3, batches_done=0,
               running=dict.fromkeys(RUNNING_SUMS, 0), epoch_rng={"seed": 1},
               rng={"seed": 1}).save(path)
    return model.eval()


@pytest.mark.parametrize("model_name", ["digits_cnn", "mnist1d_gru"])
def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        model_name: str) -> None:
    model = _checkpoint(tmp_path / "checkpoint.npz", model_name)
    out = tmp_path / "model.onnx"
    assert cli.main(["export", str(tmp_path), str(out)]) == 0  # a run folder works too
    assert f"exported {model_name} (epoch 3) to {out}" in capsys.readouterr().out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for n in (1, 4):
        x = randn(n, *model.input_shape, seed=n)
        with mytorch.no_grad():
            ref = model(mytorch.tensor(x)).numpy()
        assert_same(session.run(["output"], {"input": x})[0], ref)


def test_export_command_errors_are_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", str(tmp_path / "none.npz"), str(tmp_path / "m.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mytorch export: error: ") and err.count("\n") == 1
    assert "none.npz" in err
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    assert cli.main(["export", str(tmp_path / "other.npz"), str(tmp_path / "m.onnx")]) == 2
    assert "not a mytorch training checkpoint" in capsys.readouterr().err
    _checkpoint(tmp_path / "c.npz", "digits_cnn")
    assert cli.main(["export", str(tmp_path / "c.npz"), str(tmp_path / "m.onnx"),
                     "--opset", "3"]) == 2
    assert "opset_version must be in" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "c.npz"), str(tmp_path / "no" / "m.onnx")]) == 1
    assert "no folder" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()
