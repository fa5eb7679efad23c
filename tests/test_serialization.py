import io
import math
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest
import torch

import crafted_files
import mytorch
from guarded_load import GuardedLoader
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
    refusing = "refusing the global '(posix|os).system'"
    with pytest.raises(pickle.UnpicklingError, match=refusing):
        mytorch.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_legacy_non_zip_torch_file_is_refused(tmp_path):
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a PyTorch zip checkpoint"):
        mytorch.load(path)



def test_files_written_by_numpy_load(tmp_path):
    """savez_compressed (deflated members), Fortran-ordered and big-endian arrays, a bare .npy."""
    arrays = {"a": np.arange(10.0), "f": np.asfortranarray(np.arange(6).reshape(2, 3)),
              "big": np.arange(3, dtype=">i4")}
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    loaded = mytorch.load(tmp_path / "c.npz")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded[name].numpy(), array)
    np.save(tmp_path / "x.npy", arrays["f"])
    np.testing.assert_array_equal(mytorch.load(tmp_path / "x.npy").numpy(), arrays["f"])


# -- crafted files: loaded in a separate process under a 1 GiB address-space limit -------------
@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    loader = GuardedLoader(tmp_path_factory.mktemp("load-worker-cwd"))
    yield loader
    loader.close()


def assert_refused(guarded, path, match, outcome="ValueError"):
    answer = guarded(path)
    assert answer["outcome"] == outcome, answer
    assert re.search(match, answer["message"]), answer["message"]
    return answer["message"]


F32_STORAGE = {"0": np.arange(4, dtype="<f4").tobytes()}


@pytest.mark.parametrize("offset, size, stride, match", [
    (-4, (2,), (1,), "non-negative"),                                  # negative offset
    (0, (2, 2), (-1, 1), "non-negative"),                              # negative stride
    (0, (-2,), (1,), "non-negative"),                                  # negative size
    (0, (3, 3), (3, 1), "reaches element 8, past its storage '0' of 4"),  # size x stride
    (3, (2,), (1,), "reaches element 4, past its storage"),            # offset + extent
    (5, (0,), (1,), "invalid storage offset"),                         # empty, offset past end
    (0, (50000, 50000), (0, 0), "10000000000 bytes, past what the file can justify"),
    (0, (2**62, 2**62), (0, 0), "storage size calculation overflowed"),
    (0, (2, 2), (1,), "one stride per size"),
    (0.5, (2,), (1,), "non-negative integers"),
    (0, [2], [1], "non-negative integers"),
])
def test_pt_geometry_is_checked_before_memory_is_touched(tmp_path, guarded, offset, size,
                                                          stride, match):
    path = tmp_path / "crafted.pt"
    tensor = crafted_files.tensor_opcodes("FloatStorage", "0", 4, offset, size, stride)
    path.write_bytes(crafted_files.pt_bytes({"w": tensor}, F32_STORAGE))
    assert_refused(guarded, path, re.escape(match))


@pytest.mark.parametrize("numel, storages, byteorder, match", [
    (4, {}, b"little", "storage '0' has no member 'archive/data/0'"),
    (5, F32_STORAGE, b"little", "declares 5 elements of 4 bytes, its member holds 16 bytes"),
    (2**70, F32_STORAGE, b"little", "declares 1180591620717411303424 elements"),
    (4, F32_STORAGE, b"middle", "byteorder must be 'little' or 'big'"),
    (4, {"0": bytes(16)}, b"little", "storage '0' of F32 cannot hold a tensor of I8"),
])
def test_pt_storage_is_checked_against_its_member(tmp_path, guarded, numel, storages,
                                                  byteorder, match):
    path = tmp_path / "crafted.pt"
    tensor = crafted_files.tensor_opcodes("FloatStorage", "0", numel, 0, (2,), (1,))
    if "I8" in match:  # _rebuild_tensor_v3 of a typed storage, with another dtype
        tensor = tensor.replace(b"_v2", b"_v3").replace(b")RtR", b")Rctorch\nint8\ntR")
    path.write_bytes(crafted_files.pt_bytes({"w": tensor}, storages, byteorder))
    assert_refused(guarded, path, re.escape(match))


def test_pt_valid_crafted_geometry_loads_exactly(tmp_path, guarded):
    """The checks refuse nothing valid: a transposed view, a zero-stride row, a big-endian file."""
    path = tmp_path / "views.pt"
    tensors = {"t": crafted_files.tensor_opcodes("FloatStorage", "0", 4, 0, (2, 2), (1, 2)),
               "row": crafted_files.tensor_opcodes("FloatStorage", "0", 4, 1, (3, 2), (0, 1))}
    storage = {"0": np.arange(4, dtype=">f4").tobytes()}
    path.write_bytes(crafted_files.pt_bytes(tensors, storage, byteorder=b"big"))
    loaded = mytorch.load(path)
    np.testing.assert_array_equal(loaded["t"].numpy(), [[0, 2], [1, 3]])
    np.testing.assert_array_equal(loaded["row"].numpy(), [[1, 2]] * 3)
    assert guarded(path)["outcome"] == "ok"


def test_deflated_member_inflating_to_2_gib_is_refused(tmp_path, guarded):
    """A 2 MB member of an .npz or .pt file that would inflate to 2 GiB (a zip bomb)."""
    zeros = 2 << 30
    header = crafted_files.npy_header((zeros // 4,))
    bomb = crafted_files.deflate_bomb(header, zeros)
    assert len(bomb) < 4 << 20
    path = tmp_path / "bomb.npz"
    inflated = len(header) + zeros
    path.write_bytes(crafted_files.raw_zip(("x.npy", bomb, zipfile.ZIP_DEFLATED, 0, inflated)))
    assert_refused(guarded, path, "zip member 'x.npy' needs 2147483776 bytes, past what the "
                                  "file can justify")
    path = tmp_path / "bomb.pt"  # the same member as the storage of a .pt file's tensor
    pickled = (b"\x80\x02}(X\x01\x00\x00\x00w" + crafted_files.tensor_opcodes(
        "ByteStorage", "0", inflated, 0, (4,), (1,)) + b"u.")
    path.write_bytes(crafted_files.raw_zip(
        ("archive/data.pkl", pickled, zipfile.ZIP_STORED, zlib.crc32(pickled), len(pickled)),
        ("archive/data/0", bomb, zipfile.ZIP_DEFLATED, 0, inflated)))
    assert_refused(guarded, path, "zip member 'archive/data/0' needs 2147483776 bytes")


def test_deflated_pickle_of_many_small_objects_is_refused(tmp_path, guarded):
    """64 MiB of one-byte EMPTY_DICT opcodes, deflated to 64 KB, would build 4.5 GB of dicts."""
    count = 64 << 20
    bomb = crafted_files.deflate_bomb(b"\x80\x02", count, fill=b"}", suffix=b".")
    assert len(bomb) < 1 << 20
    crc = zlib.crc32(b"\x80\x02")
    for _ in range(count >> 20):
        crc = zlib.crc32(b"}" * (1 << 20), crc)
    path = tmp_path / "objects.pt"
    path.write_bytes(crafted_files.raw_zip(
        ("archive/data.pkl", bomb, zipfile.ZIP_DEFLATED, zlib.crc32(b".", crc), count + 3)))
    assert_refused(guarded, path, "the objects of the pickle needs 4294967488 bytes")


@pytest.mark.parametrize("declared, match", [
    (1000, "Bad CRC-32|'x.npy'"),              # claims less than the stream inflates to
    (64 << 20, "truncated|Bad CRC-32|x.npy"),  # claims more than there is
])
def test_lying_deflated_size_reads_no_further_than_declared(tmp_path, guarded, declared, match):
    zeros = 16 << 20
    header = crafted_files.npy_header((zeros // 4,))
    bomb = crafted_files.deflate_bomb(header, zeros)
    path = tmp_path / "liar.npz"
    path.write_bytes(crafted_files.raw_zip(
        ("x.npy", bomb, zipfile.ZIP_DEFLATED, zlib.crc32(header), declared)))
    assert_refused(guarded, path, match)


def test_lying_stored_sizes_are_refused(tmp_path, guarded):
    data = crafted_files.npy_header((4,)) + bytes(16)
    path = tmp_path / "liar.npz"
    path.write_bytes(crafted_files.raw_zip(
        ("x.npy", data, zipfile.ZIP_STORED, zlib.crc32(data), 1 << 30)))
    assert_refused(guarded, path, "stored uncompressed but declares 1073741824 bytes in 144")
    raw = bytearray(crafted_files.raw_zip(
        ("x.npy", data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))))
    central = raw.index(b"PK\x01\x02")
    raw[central + 20:central + 28] = struct.pack("<2I", 1 << 30, 1 << 30)  # both sizes lie
    path.write_bytes(bytes(raw))
    assert_refused(guarded, path, "member 'x.npy' runs past the end of the file")


@pytest.mark.parametrize("shape, descr, match", [
    ((1 << 40,), "<f4", r"shape \(1099511627776,\) of float32 needs 4398046511104 bytes"),
    ((-1, 4), "<f4", "negative dimension"),
    ((4,), "|O", "unsupported dtype object"),
    ((4,), "<c8", "unsupported dtype complex64"),
])
def test_npz_member_header_is_checked_before_numpy_allocates(tmp_path, guarded, shape, descr,
                                                             match):
    path = tmp_path / "liar.npz"
    path.write_bytes(crafted_files.zip_bytes(
        {"x.npy": crafted_files.npy_header(shape, descr) + bytes(16)}))
    assert_refused(guarded, path, match)


@pytest.mark.parametrize("pickled, match, outcome", [
    (b"\x80\x02cbuiltins\neval\n(X\x05\x00\x00\x001 + 1tR.", "refusing the global 'builtins.eval'",
     "UnpicklingError"),
    (b"\x80\x02}(X\x01\x00\x00\x00a", "truncated|EOF|corrupt", None),
    (b"\xff\xfe garbage", "corrupt|invalid load key", None),
    # BUILD (set attributes) on an allowed name, with a dict or slots: it cannot be altered
    (b"\x80\x02ctorch\nFloatStorage\n}(X\x04\x00\x00\x00codeK\x01ub.", "AttributeError",
     "ValueError"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nN}(X\x08\x00\x00\x00functionK\x01u\x86b.",
     "AttributeError", "ValueError"),
    (b"\x80\x02ccollections\nOrderedDict\nN}(X\x01\x00\x00\x00xK\x01u\x86b.",
     "TypeError.*immutable type", "ValueError"),
    (b"\x80\x02ctorch\nFloatStorage\n.", "holds a _TorchType", "ValueError"),
    (b"\x80\x02]q\x00h\x00a.", "nested or cyclic|RecursionError", "ValueError"),
    (b"\x80\x02(X\x07\x00\x00\x00storageK\x01X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ.",
     "unsupported persistent id", "UnpicklingError"),
])
def test_bad_pickles_are_refused_cleanly(tmp_path, guarded, pickled, match, outcome):
    path = tmp_path / "bad.pt"
    path.write_bytes(crafted_files.zip_bytes({"archive/data.pkl": pickled,
                                              "archive/data/0": bytes(16)}))
    answer = guarded(path)
    assert answer["outcome"] in ((outcome,) if outcome else ("ValueError", "UnpicklingError"))
    assert re.search(match, answer["message"]), answer["message"]


def test_malicious_pickle_in_the_guarded_worker_runs_nothing(tmp_path, guarded):
    path = tmp_path / "evil.pt"
    _malicious_pt(path)
    assert_refused(guarded, path, "refusing the global '(posix|os).system'", "UnpicklingError")


# -- safetensors: the official package both ways, every standard dtype, malformed headers -------
ALL_NUMPY_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
                    np.uint64, np.uint32, np.uint16, np.uint8, np.bool_]


def test_files_of_the_official_safetensors_package_load(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(0)
    arrays = {f"layer.{np.dtype(d).name}": (rng.standard_normal((2, 3)) * 50).astype(d)
              for d in ALL_NUMPY_DTYPES}
    arrays["empty"] = np.zeros((0, 3), np.float32)
    arrays["scalar"] = np.array(2.5, np.float32)
    path = tmp_path / "official.safetensors"
    safetensors_numpy.save_file(arrays, str(path))
    loaded = mytorch.load(path)
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name].numpy(), array)


def test_bfloat16_and_float8_load_as_exact_float32(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    every_bit_pattern = torch.arange(256, dtype=torch.uint8)
    tensors = {"bf16": torch.randn(5, 7).to(torch.bfloat16),
               "bf16_specials": torch.tensor([float("inf"), -0.0, 1e-40], dtype=torch.bfloat16),
               "e4m3": every_bit_pattern.view(torch.float8_e4m3fn).clone(),
               "e5m2": every_bit_pattern.view(torch.float8_e5m2).clone()}
    path = tmp_path / "narrow.safetensors"
    safetensors_torch.save_file(tensors, str(path))
    loaded = mytorch.load(path)
    for name, tensor in tensors.items():
        assert loaded[name].dtype == np.float32
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.float().numpy())


def test_official_safetensors_package_reads_our_files(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    arrays = {f"model/fc.{np.dtype(d).name}": np.arange(6).reshape(2, 3).astype(d)
              for d in ALL_NUMPY_DTYPES}
    path = tmp_path / "ours.safetensors"
    mytorch.save({"model": {k.split("/")[1]: mytorch.tensor(v) for k, v in arrays.items()},
                  "epoch": 3}, path)
    theirs = safetensors_numpy.load_file(str(path))
    assert sorted(theirs) == sorted(arrays)  # clean names: no leading "/"
    for name, array in arrays.items():
        assert theirs[name].dtype == array.dtype
        np.testing.assert_array_equal(theirs[name], array)
    state = {"fc.weight": mytorch.ones(2, 3), "fc.bias": mytorch.zeros(2)}
    mytorch.save(state, path)
    assert sorted(safetensors_numpy.load_file(str(path))) == ["fc.bias", "fc.weight"]


def _f32(shape, begin, end=None):
    end = begin + 4 * math.prod(shape) if end is None else end
    return {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize("header, data, match", [
    ({"a": _f32([2], 0), "b": _f32([2], 4)}, 12, "tensor 'b' begins at byte 4: it overlaps"),
    ({"a": _f32([2], 0), "b": _f32([2], 12)}, 20, "tensor 'b' begins at byte 12: it leaves a gap"),
    ({"a": _f32([2], 4)}, 12, "tensor 'a' begins at byte 4: it leaves a gap"),
    ({"a": _f32([2], -8, 0)}, 8, r"data_offsets must be \[begin, end\]"),
    ({"a": _f32([2], 8, 0)}, 8, r"data_offsets must be \[begin, end\] with 0 <= begin <= end"),
    ({"a": _f32([2], 0, 12)}, 12, "shape \\[2\\] of F32 needs 8 bytes, data_offsets \\[0, 12\\]"),
    ({"a": _f32([-2, -1], 0, 8)}, 8, "shape must be a list of non-negative integers"),
    ({"a": _f32([2], 0)}, 12, "the tensors cover 8 bytes of data, the file holds 12"),
    ({"a": _f32([4], 0)}, 8, "the tensors cover 16 bytes of data, the file holds 8"),
    ([1, 2], 0, "not a .npz, .safetensors or PyTorch"),  # not even recognised
    ({"a": "F32"}, 0, "expected dtype, shape and data_offsets"),
    ({"a": {"dtype": "F32", "shape": [2]}}, 8, "expected dtype, shape and data_offsets"),
    ({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, 8, "shape must be a list"),
    ({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, 4, "shape must be a list"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.0]}}, 8, "data_offsets must be"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, 8, "data_offsets must be"),
    ({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, 8, "unsupported dtype 'Q7'"),
    ({"a": {"dtype": 5, "shape": [2], "data_offsets": [0, 8]}}, 8, "unsupported dtype 5"),
    ({"__metadata__": {"k": 1}}, 0, "'__metadata__' must map strings to strings"),
    ({"__metadata__": [1]}, 0, "'__metadata__' must map strings to strings"),
])
def test_malformed_safetensors_header_is_a_value_error(tmp_path, guarded, header, data, match):
    raw = crafted_files.safetensors_bytes(header, bytes(data))
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw)
    assert_refused(guarded, path, match)
    safetensors = pytest.importorskip("safetensors")
    with pytest.raises(safetensors.SafetensorError):  # the official reader refuses it too
        safetensors.deserialize(raw)


@pytest.mark.parametrize("raw_header, match", [
    (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "RecursionError|recursion"),
    (b'{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "a": 1}', "names 'a' twice"),
    (b'{"\xff": 1}', "UnicodeDecodeError|utf-8|codec"),
    (b'{"a": 1', "Expecting ',' delimiter"),
    (b"{not json", "Expecting property name"),
])
def test_unparsable_safetensors_header_is_a_value_error(tmp_path, guarded, raw_header, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(crafted_files.safetensors_bytes(None, raw_header=raw_header))
    assert_refused(guarded, path, match)


def test_safetensors_header_longer_than_the_file_is_a_value_error(tmp_path, guarded):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 2**63) + b"{}")
    assert_refused(guarded, path, "header of 9223372036854775808 bytes does not fit the file")


# -- save: colliding keys, formats by suffix, PyTorch reads our .pt/.pth ---------------------------
@pytest.mark.parametrize("obj", [
    {"a/b": mytorch.ones(1), "a": {"b": mytorch.zeros(1)}},
    {1: mytorch.ones(1), "1": mytorch.zeros(1)},
    {"x": [mytorch.ones(1)], "x/0": mytorch.zeros(1)},
    {"__manifest__": mytorch.ones(1)},
])
@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".pt"])
def test_colliding_keys_are_refused_at_save(tmp_path, obj, suffix):
    with pytest.raises(ValueError, match="would collide in the file|is reserved"):
        mytorch.save(obj, tmp_path / f"c{suffix}")
    assert os.listdir(tmp_path) == []


def test_keys_that_differ_only_in_type_are_kept_when_no_array_collides(tmp_path):
    obj = {1: "int key", "1": "str key", "a/b": 1, "a": {"b": 2}}
    for suffix in (".npz", ".safetensors", ".pt"):
        mytorch.save(obj, tmp_path / f"c{suffix}")
        assert mytorch.load(tmp_path / f"c{suffix}") == obj


@pytest.mark.parametrize("name, magic", [
    ("m.pth", b"PK"), ("m.pt", b"PK"), ("m.safetensors", None), ("m.npz", b"PK"),
    ("m.ckpt", b"PK"), ("m", b"PK"),
])
def test_format_follows_the_suffix_on_save_and_the_content_on_load(tmp_path, name, magic):
    path = tmp_path / name
    mytorch.save({"w": mytorch.ones(2)}, path)
    raw = path.read_bytes()
    is_torch = b"archive/data.pkl" in raw
    assert is_torch == name.endswith((".pt", ".pth"))
    assert raw[8:9] == b"{" if magic is None else raw.startswith(magic)
    for other in ("renamed.npz", "renamed.pt", "renamed.safetensors", "renamed"):
        os.replace(path, tmp_path / other)  # the name says nothing: the content decides
        path = tmp_path / other
        np.testing.assert_array_equal(mytorch.load(path)["w"].numpy(), [1, 1])


def test_torch_reads_our_pt_file_exactly(tmp_path):
    """torch.load(weights_only=True) reads every dtype, shape, name and plain value."""
    path = tmp_path / "ours.pt"
    arrays = {np.dtype(d).name: np.arange(-3, 3).reshape(3, 2).astype(d)
              for d in ALL_NUMPY_DTYPES}
    obj = {"model": {k: mytorch.tensor(v) for k, v in arrays.items()},
           "transposed": mytorch.tensor(np.arange(6.0).reshape(2, 3).T),
           "scalar": mytorch.tensor(np.float32(1.5)), "empty": mytorch.zeros(0, 4),
           "epoch": 3, "lr": 0.25, "name": "run é", "none": None, "flags": [True, False],
           "betas": (0.9, 0.999), "rng": {"state": 2**100 + 3, "neg": -(2**70)}, 7: "int key"}
    mytorch.save(obj, path)
    theirs = torch.load(path, weights_only=True)
    mmapped = torch.load(path, weights_only=True, mmap=True)  # storages aligned as torch's
    for loaded in (theirs, mmapped):
        assert list(loaded) == list(obj)
        for name, array in arrays.items():
            assert loaded["model"][name].numpy().dtype == array.dtype
            np.testing.assert_array_equal(loaded["model"][name].numpy(), array)
        np.testing.assert_array_equal(loaded["transposed"].numpy(), obj["transposed"].numpy())
        assert loaded["scalar"].shape == () and loaded["scalar"].item() == 1.5
        assert loaded["empty"].shape == (0, 4)
        assert {k: v for k, v in loaded.items() if not isinstance(v, (dict, torch.Tensor))} == {
            k: v for k, v in obj.items() if not isinstance(v, (dict, mytorch.Tensor))}
        assert loaded["rng"] == obj["rng"] and loaded[7] == "int key"


def test_tutorial_idiom_state_dict_through_pth_both_ways(tmp_path):
    """torch.save(net.state_dict(), PATH); net.load_state_dict(torch.load(PATH)), in mytorch
    and across: mytorch's file into a torch model, torch's file into a mytorch model."""
    def mytorch_net():
        return mytorch.nn.Sequential(mytorch.nn.Conv2d(1, 2, 3), mytorch.nn.BatchNorm2d(2),
                                     mytorch.nn.Flatten(), mytorch.nn.Linear(8, 3))

    def torch_net():
        return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                   torch.nn.Flatten(), torch.nn.Linear(8, 3))

    net = mytorch_net()
    net(mytorch.randn(4, 1, 4, 4))  # move the batch-norm running statistics
    path = tmp_path / "model.pth"
    mytorch.save(net.state_dict(), path)
    fresh = mytorch_net()
    fresh.load_state_dict(mytorch.load(path))
    for (k, a), (_, b) in zip(net.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=k)

    theirs = torch_net()
    theirs.load_state_dict(torch.load(path, weights_only=True))
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), np.asarray(net.state_dict()[k]), err_msg=k)

    torch.save(theirs.state_dict(), tmp_path / "torch.pth")
    back = mytorch_net()
    back.load_state_dict(mytorch.load(tmp_path / "torch.pth"))
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(np.asarray(back.state_dict()[k]), v.numpy(), err_msg=k)


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64,
                                   torch.float8_e4m3fn, torch.float8_e5m2, torch.bfloat16])
def test_torch_files_of_newer_dtypes_load(tmp_path, dtype):
    """dtypes without a legacy storage class are saved with _rebuild_tensor_v3."""
    tensor = torch.arange(6).reshape(2, 3).to(dtype)
    torch.save({"t": tensor}, tmp_path / "t.pt")
    loaded = mytorch.load(tmp_path / "t.pt")["t"]
    expected = tensor.float() if dtype.is_floating_point and dtype.itemsize < 2 or (
        dtype == torch.bfloat16) else tensor
    np.testing.assert_array_equal(loaded.numpy(), expected.numpy())
    assert loaded.dtype == expected.numpy().dtype


# -- atomic writing: file modes, stale temporaries -----------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = tmp_path / "ckpt.npz"
        mytorch.save({"v": mytorch.ones(1)}, path)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
        os.chmod(path, 0o640)
        mytorch.save({"v": mytorch.ones(1)}, path)
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


KILLED_WRITER = """
import sys, time
import mytorch
from mytorch.serialization import npz
def slow_write(f, arrays):
    f.write(b"partial")
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
npz.write = slow_write
mytorch.save({"v": mytorch.zeros(2)}, sys.argv[1])
"""


def test_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.npz"
    mytorch.save({"v": mytorch.ones(2)}, path)
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert writer.stdout.readline() == "writing\n"
    # a live writer's temporary file is never touched by another save
    mytorch.save({"v": mytorch.ones(2)}, path)
    assert len(os.listdir(tmp_path)) == 2
    writer.send_signal(signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL
    (leftover,) = set(os.listdir(tmp_path)) - {"ckpt.npz"}
    assert leftover.startswith(".ckpt.npz.") and leftover.endswith(".tmp")
    np.testing.assert_array_equal(mytorch.load(path)["v"].numpy(), [1, 1])  # old file intact
    host = leftover.split("@")[1].split(".")[0]
    not_ours = [f".other.npz.{writer.pid}@{host}.x.tmp",  # another name
                f".ckpt.npz.{writer.pid}@00000000.x.tmp",  # the dead PID, on another host
                f".ckpt.npz.{os.getpid()}@{host}.x.tmp"]  # a live writer
    for name in not_ours:
        (tmp_path / name).write_bytes(b"")
    mytorch.save({"v": mytorch.full((2,), 3.0)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted([*not_ours, "ckpt.npz"])
    np.testing.assert_array_equal(mytorch.load(path)["v"].numpy(), [3, 3])


# -- resuming through a file: load_state_dict takes what load returns -----------------------------
@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".pt"])
@pytest.mark.parametrize("make_optimizer", [
    lambda params: mytorch.optim.Adam(params, lr=0.01, amsgrad=True),
    lambda params: mytorch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
])
def test_training_resumed_from_a_file_equals_an_uninterrupted_run(tmp_path, suffix,
                                                                  make_optimizer):
    def setup():
        mytorch.manual_seed(0)
        net = mytorch.nn.Sequential(mytorch.nn.Linear(4, 8), mytorch.nn.BatchNorm1d(8),
                                    mytorch.nn.ReLU(), mytorch.nn.Linear(8, 2))
        opt = make_optimizer(net.parameters())
        return net, opt, mytorch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    rng = np.random.default_rng(0)
    batches = [mytorch.tensor(rng.standard_normal((5, 4)).astype(np.float32)) for _ in range(6)]

    def train(net, opt, sched, steps):
        for x in steps:
            opt.zero_grad()
            (net(x) ** 2).mean().backward()
            opt.step()
            sched.step()

    straight = setup()
    train(*straight, batches)
    net, opt, sched = setup()
    train(net, opt, sched, batches[:3])
    path = tmp_path / f"ckpt{suffix}"
    mytorch.save({"model": net.state_dict(), "optim": opt.state_dict(),
                  "sched": sched.state_dict()}, path)
    net, opt, sched = setup()
    checkpoint = mytorch.load(path)
    net.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optim"])
    sched.load_state_dict(checkpoint["sched"])
    train(net, opt, sched, batches[3:])
    for (k, a), (_, b) in zip(straight[0].state_dict().items(), net.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=k)
    assert sched.get_last_lr() == straight[2].get_last_lr()


def test_load_state_dict_takes_tensors_arrays_and_numbers_alike():
    net = mytorch.nn.Linear(2, 1)
    opt = mytorch.optim.Adam(net.parameters(), lr=0.1)
    sched = mytorch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    net.load_state_dict({"weight": [[1.0, 2.0]], "bias": mytorch.tensor([0.5])})
    np.testing.assert_array_equal(net.weight.numpy(), [[1, 2]])
    state = {"state": {0: {"step": mytorch.tensor(3.0), "exp_avg": mytorch.ones(1, 2),
                           "exp_avg_sq": np.ones((1, 2))},
                       1: {"step": np.int64(3), "exp_avg": [0.5], "exp_avg_sq": [1.0]}},
             "param_groups": [{**opt.state_dict()["param_groups"][0],
                               "lr": mytorch.tensor(0.25), "betas": (np.float64(0.9), 0.999)}]}
    opt.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == 0.25 and type(opt.param_groups[0]["lr"]) is float
    net.weight.grad = mytorch.ones(1, 2)
    net.bias.grad = mytorch.ones(1)
    opt.step()
    sched.load_state_dict({**sched.state_dict(), "last_epoch": mytorch.tensor(4),
                           "base_lrs": np.array([0.25])})
    sched.step()
    assert sched.last_epoch == 5 and type(sched.last_epoch) is int
    assert sched.get_last_lr() == [0.125]


def test_bool_bytes_other_than_0_and_1_load_as_true(tmp_path):
    """A stray byte in a BOOL tensor is True, never a third value NumPy would carry along."""
    path = tmp_path / "b.safetensors"
    path.write_bytes(crafted_files.safetensors_bytes(
        {"b": {"dtype": "BOOL", "shape": [4], "data_offsets": [0, 4]}}, bytes([0, 1, 2, 255])))
    loaded = mytorch.load(path)["b"].numpy()
    assert loaded.view(np.uint8).tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize("suffix", [".npz", ".safetensors", ".pt"])
def test_a_training_checkpoint_round_trips_through_every_format(tmp_path, suffix):
    """What the trainer saves: settings, the three state_dicts, 128-bit generator states."""
    net = mytorch.nn.Sequential(mytorch.nn.Linear(3, 4), mytorch.nn.BatchNorm1d(4))
    opt = mytorch.optim.Adam(net.parameters(), lr=0.01)
    sched = mytorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    opt.zero_grad()
    net(mytorch.randn(5, 3)).sum().backward()
    opt.step()
    sched.step()
    contents = dict(
        config={"model": "mlp", "lr": 0.01, "schedule": "onecycle", "seed": None, "amp": False},
        model=net.state_dict(), optimizer=opt.state_dict(), scheduler=sched.state_dict(),
        epoch=1, batches_done=7, epoch_rng=dict(np.random.default_rng(5).bit_generator.state),
        rng=mytorch.random.get_rng_state(),
        history=[{"epoch": 1, "train_loss": 0.5, "test_acc": float("nan")}],
    )
    path = tmp_path / f"checkpoint{suffix}"
    mytorch.save(contents, path)
    loaded = mytorch.load(path)
    assert list(loaded) == list(contents)
    assert loaded["epoch_rng"] == contents["epoch_rng"]  # 128-bit integers, exactly
    assert np.isnan(loaded["history"][0]["test_acc"])
    loaded["history"][0]["test_acc"] = contents["history"][0]["test_acc"] = 0.0
    assert_same(contents, loaded)
