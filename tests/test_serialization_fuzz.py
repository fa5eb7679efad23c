"""Property-based fuzzing of ``mytorch.load`` (SPEC §7): mutated files load right or fail cleanly.

Valid ``.pt`` (mytorch's and torch's), ``.safetensors`` and ``.npz`` files are mutated
(bytes flipped, the file truncated, header fields, offsets, shapes and strides
rewritten) and loaded in a worker process limited to 1 GiB of address space (see
``guarded_load``). Every load must either raise ``ValueError``/``UnpicklingError`` or
return the right tensors: for a rewritten field the expected result is computed here
from the rules of the format; a zip-based file whose bytes were flipped can only load
unchanged (every member is CRC-checked). A safetensors file has no checksum, so a flip in
its data loads other values: there only the clean outcome is checked.
"""

from __future__ import annotations

import math
import struct
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crafted_files
import mytorch
from guarded_load import GuardedLoader, describe

CLEAN = ("ValueError", "UnpicklingError")
pytestmark = pytest.mark.filterwarnings("ignore")
fuzz = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow], deadline=None)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    loader = GuardedLoader(tmp_path_factory.mktemp("fuzz-worker-cwd"))
    yield loader
    loader.close()


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """name -> (bytes, description of what it loads as) of each valid file mutated below."""
    folder = tmp_path_factory.mktemp("originals")
    checkpoint = {"model": {"w": mytorch.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
                            "b": mytorch.tensor(np.array([1, -2], np.int64)),
                            "mask": mytorch.tensor(np.array([True, False]))},
                  "epoch": 3, "betas": (0.9, 0.999), "name": "run"}
    for name in ("ckpt.pt", "ckpt.safetensors", "ckpt.npz"):
        mytorch.save(checkpoint, folder / name)
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t(), "h": torch.ones(2).half()},
               folder / "torch.pt")
    return {path.name: (path.read_bytes(), describe(mytorch.load(path)))
            for path in sorted(folder.iterdir())}


NAMES = ["ckpt.pt", "ckpt.safetensors", "ckpt.npz", "torch.pt"]


def check_outcome(answer, expected, name):
    if answer["outcome"] == "ok":
        if not name.endswith(".safetensors"):
            assert answer["loaded"] == expected, "a corrupted zip loaded as something else"
    else:
        assert answer["outcome"] in CLEAN, answer


@fuzz
@given(name=st.sampled_from(NAMES), positions=st.lists(st.integers(0, 2**20), min_size=1,
                                                         max_size=4),
       masks=st.lists(st.integers(1, 255), min_size=4, max_size=4))
def test_flipped_bytes(tmp_path, guarded, originals, name, positions, masks):
    raw, expected = originals[name]
    path = tmp_path / name
    path.write_bytes(crafted_files.flip(raw, positions, masks))
    check_outcome(guarded(path), expected, name)


@fuzz
@given(name=st.sampled_from(NAMES), keep=st.floats(0, 1, exclude_max=True))
def test_truncated(tmp_path, guarded, originals, name, keep):
    raw, expected = originals[name]
    path = tmp_path / name
    path.write_bytes(raw[: int(len(raw) * keep)])
    assert guarded(path)["outcome"] in CLEAN


@fuzz
@given(name=st.sampled_from(["ckpt.pt", "ckpt.npz", "torch.pt"]), entry=st.integers(0, 20),
       field=st.sampled_from([("<H", 8), ("<H", 10), ("<I", 16), ("<I", 20), ("<I", 24),
                              ("<H", 28), ("<H", 30), ("<I", 42)]),
       value=st.one_of(st.integers(0, 64), st.integers(0, 2**32 - 1)))
def test_zip_directory_fields_rewritten(tmp_path, guarded, originals, name, entry, field, value):
    """Flags, method, CRC, sizes, name/extra lengths, member offset of a central-directory
    entry: whatever they claim, the member is read within the file and checked."""
    raw, expected = originals[name]
    starts = [i for i in range(len(raw)) if raw.startswith(b"PK\x01\x02", i)]
    start = starts[entry % len(starts)]
    fmt, offset = field
    value %= 2 ** (8 * struct.calcsize(fmt))
    mutated = bytearray(raw)
    struct.pack_into(fmt, mutated, start + offset, value)
    path = tmp_path / name
    path.write_bytes(bytes(mutated))
    check_outcome(guarded(path), expected, name)


def absurd(shape, itemsize):
    """No array has this shape, even empty: its non-zero dimensions multiply past 2**62 bytes."""
    return math.prod(n for n in shape if n) * itemsize > 2**62


INTS = st.one_of(st.integers(-3, 8), st.integers(-(2**70), 2**70))


@fuzz
@given(offset=INTS, size=st.lists(INTS, max_size=3), stride=st.lists(INTS, max_size=3),
       numel=st.one_of(st.just(4), INTS))
def test_pt_geometry_rewritten(tmp_path, guarded, offset, size, stride, numel):
    """A tensor over a 4-element float32 storage, any storage offset, sizes and strides."""
    path = tmp_path / "geometry.pt"
    tensor = crafted_files.tensor_opcodes("FloatStorage", "0", numel, offset, tuple(size),
                                          tuple(stride))
    path.write_bytes(crafted_files.pt_bytes({"t": tensor},
                                            {"0": np.arange(4, dtype="<f4").tobytes()}))
    answer = guarded(path)
    count = math.prod(size)
    valid = (numel == 4 and offset >= 0 and len(size) == len(stride)
             and min(size + stride, default=0) >= 0)
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if count else 0
    budget = 16 * path.stat().st_size + (64 << 20)
    if not valid or offset + extent > 4 or offset > 4 or 4 * count > budget or absurd(size, 4):
        assert answer["outcome"] == "ValueError", answer
        return
    assert answer["outcome"] == "ok", answer
    view = np.lib.stride_tricks.as_strided(np.arange(4, dtype=np.float32)[offset:],
                                           shape=size, strides=[4 * s for s in stride])
    assert answer["loaded"] == describe({"t": mytorch.tensor(view.copy())})


SAFETENSORS_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "I64": 8,
                     "U16": 2, "I8": 1, "BOOL": 1}
SAFETENSORS_LOADED = {"F64": np.float64, "F32": np.float32, "F16": np.float16,
                      "BF16": np.float32, "F8_E4M3": np.float32, "I64": np.int64,
                      "U16": np.uint16, "I8": np.int8, "BOOL": np.bool_}


@fuzz
@given(dtype=st.sampled_from([*SAFETENSORS_SIZES, "X", "f32"]),
       shape=st.lists(st.one_of(st.integers(-2, 5), st.integers(-(2**65), 2**65)), max_size=3),
       begin=st.one_of(st.integers(-8, 8), st.integers(-(2**65), 2**65)),
       end=st.one_of(st.integers(-8, 64), st.integers(-(2**65), 2**65)),
       data=st.integers(0, 64))
def test_safetensors_header_rewritten(tmp_path, guarded, dtype, shape, begin, end, data):
    """Any dtype, shape and data_offsets: loads exactly when the format's rules hold, and
    agrees with the official reader."""
    raw = crafted_files.safetensors_bytes(
        {"t": {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}}, bytes(data))
    path = tmp_path / "header.safetensors"
    path.write_bytes(raw)
    answer = guarded(path)
    itemsize = SAFETENSORS_SIZES.get(dtype, 0)
    valid = (itemsize and min(shape, default=0) >= 0 and not absurd(shape, itemsize)
             and begin == 0 and end == data == math.prod(shape) * itemsize)
    assert answer["outcome"] == ("ok" if valid else "ValueError"), answer
    if valid:  # zero bytes: zeros, widened to float32 for BF16 and F8
        expected = np.zeros(shape, SAFETENSORS_LOADED[dtype])
        assert answer["loaded"] == describe({"t": mytorch.tensor(expected)})
    safetensors = pytest.importorskip("safetensors")
    try:
        safetensors.deserialize(raw)
        official_valid = True
    except safetensors.SafetensorError:
        official_valid = False
    assert official_valid == bool(valid)


@fuzz
@given(descr=st.sampled_from(["<f4", ">f8", "|b1", "<i2", "<u8", "|O", "<c8", "<U3", "|V8"]),
       shape=st.lists(st.one_of(st.integers(-2, 5), st.integers(-(2**65), 2**65)), max_size=3),
       fortran_order=st.booleans(), data=st.integers(0, 64))
def test_npz_header_rewritten(tmp_path, guarded, descr, shape, fortran_order, data):
    """A member's .npy header claiming any dtype and shape over ``data`` bytes."""
    member = crafted_files.npy_header(tuple(shape), descr, fortran_order) + bytes(data)
    path = tmp_path / "header.npz"
    path.write_bytes(crafted_files.zip_bytes({"x.npy": member}))
    answer = guarded(path)
    dtype = np.dtype(descr)
    valid = (dtype.kind in "biuf" and min(shape, default=0) >= 0
             and not absurd(shape, dtype.itemsize) and math.prod(shape) * dtype.itemsize == data)
    assert answer["outcome"] == ("ok" if valid else "ValueError"), answer
    if valid:
        expected = np.zeros(shape, dtype.newbyteorder("="))
        assert answer["loaded"] == describe({"x": mytorch.tensor(expected)})


def test_the_worker_survived(guarded, originals, tmp_path):
    """After all of the above, the same worker still loads a valid file correctly."""
    raw, expected = originals["ckpt.pt"]
    (tmp_path / "ok.pt").write_bytes(raw)
    assert guarded(tmp_path / "ok.pt") == {"outcome": "ok", "loaded": expected}
    assert zipfile.is_zipfile(tmp_path / "ok.pt")
