import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import mytorch
from mytorch import serialization


def nested():
    return {
        "model": {
            "fc.weight": mytorch.randn(3, 2), "fc.bias": mytorch.zeros(3, dtype=mytorch.float64),
        },
        "optimizer": {"state": {0: {"step": 4, "exp_avg": np.ones(2, np.float32)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}]},
        "epoch": 7, "name": "run", "best": None, "flag": True, "indices": mytorch.arange(5),
        "rng": {"state": {"state": 2**100 + 3, "inc": 5}},
    }


def assert_same(a, b):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, (mytorch.Tensor, np.ndarray)):
        assert isinstance(b, mytorch.Tensor)
        assert np.asarray(a).dtype == b.dtype
        np.testing.assert_array_equal(np.asarray(a), b.numpy())
    else:
        assert a == b and type(a) is type(b)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".pt"])
def test_round_trip_nested(tmp_path, suffix):
    obj = nested()
    path = tmp_path / f"ckpt{suffix}"
    mytorch.save(obj, path)
    assert_same(obj, mytorch.load(path))


def test_npz_is_readable_without_pickle(tmp_path):
    path = tmp_path / "ckpt.npz"
    mytorch.save(nested(), path)
    with np.load(path, allow_pickle=False) as npz:
        assert "model/fc.weight" in npz.files


def test_safetensors_layout(tmp_path):
    path = tmp_path / "w.safetensors"
    mytorch.save({"w": mytorch.ones(2, 3)}, path)
    raw = path.read_bytes()
    (n,) = np.frombuffer(raw[:8], dtype="<u8")
    assert n % 8 == 0
    header = raw[8:8 + n].decode()
    assert '"w"' in header and '"F32"' in header and '"shape": [2, 3]' in header


def test_unsupported_object_is_refused(tmp_path):
    with pytest.raises(TypeError, match="save: cannot store a set"):
        mytorch.save({"x": {1, 2}}, tmp_path / "a.npz")


def test_write_is_atomic_old_file_survives_a_crash(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mytorch.save({"v": mytorch.ones(2)}, path)

    def crash(f, arrays):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.npz, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        mytorch.save({"v": mytorch.zeros(2)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(mytorch.load(path)["v"].numpy(), [1, 1])
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".pt"])
def test_truncated_file_gives_clear_error(tmp_path, suffix):
    path = tmp_path / f"ckpt{suffix}"
    mytorch.save(nested(), path)
    path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    corrupt = f"corrupt or truncated.*ckpt{suffix}|ckpt{suffix}.*corrupt"
    with pytest.raises(ValueError, match=corrupt):
        mytorch.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        mytorch.load(tmp_path / "nope.npz")


def test_torch_checkpoint_loads_without_running_torch_code(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    path = tmp_path / "model.pth"
    state = model.state_dict()
    state["half"] = torch.arange(4, dtype=torch.float16)
    state["bf16"] = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    state["strided"] = torch.arange(12.0).reshape(3, 4).t()
    torch.save(state, path)
    loaded = mytorch.load(path)
    assert list(loaded) == list(state)
    for k, v in state.items():
        expected = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
        np.testing.assert_array_equal(loaded[k].numpy(), expected)
        assert loaded[k].dtype == expected.dtype


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def _malicious_pt(path):
    """A zip laid out like torch.save's, whose pickle would run a shell command."""
    buf = io.BytesIO()
    pickle.dump({"weight": _Exploit()}, buf, protocol=2)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3")


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    _malicious_pt(path)
    refusing = "refusing 'posix.system'|refusing 'os.system'|refusing"
    with pytest.raises(pickle.UnpicklingError, match=refusing):
        mytorch.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_legacy_non_zip_torch_file_is_refused(tmp_path):
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a PyTorch zip checkpoint"):
        mytorch.load(path)
