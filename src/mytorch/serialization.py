"""``save`` and ``load``: checkpoints in formats that cannot run code when read.

* ``.npz`` (the default): NumPy's zip of arrays, read with pickling off. A
  nested object (dicts, lists, numbers, strings, arrays, Tensors) is split into
  its arrays, stored by path (``"model/fc.weight"``), and a JSON manifest of
  everything else.
* ``.safetensors``: the safetensors layout (a little-endian u64 header length,
  a JSON header of dtype, shape and byte range per tensor, then raw bytes),
  written and read here without the safetensors package; the JSON manifest
  goes into the header's ``__metadata__``.
* ``.pt`` / ``.pth`` (read only): a PyTorch zip checkpoint. Its pickle is read
  by an unpickler that resolves only the handful of names that rebuild tensors
  and ordered dicts; any other name is refused before anything runs.

Every write goes to a temporary file in the same folder, is flushed to disk,
and then renamed over the target, so a crash leaves the old file intact.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from mytorch.autograd.tensor import Tensor

_MANIFEST = "__manifest__"


# -- nested objects <-> (arrays, JSON manifest) ---------------------------------------------
def _split(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace every array/Tensor in ``obj`` by a reference, collecting the arrays by path."""
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"save: cannot store an array of dtype {obj.dtype} at '{path}'")
        arrays[path] = obj
        return {"__array__": path}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if not all(isinstance(k, (str, int)) for k in obj):
            raise TypeError(f"save: dictionary keys must be str or int at '{path}'")
        return {"__dict__": [[k, _split(v, f"{path}/{k}", arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_split(v, f"{path}/{i}", arrays) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at '{path}' (only arrays, Tensors, numbers, "
        "strings, None, and dicts/lists/tuples of them)"
    )


def _join(node: Any, arrays: dict[str, np.ndarray], as_tensors: bool) -> Any:
    """Inverse of ``_split``."""
    if isinstance(node, list):
        return [_join(v, arrays, as_tensors) for v in node]
    if isinstance(node, dict):
        if "__array__" in node:
            array = arrays[node["__array__"]]
            return Tensor._make(array) if as_tensors else array
        if "__tuple__" in node:
            return tuple(_join(v, arrays, as_tensors) for v in node["__tuple__"])
        return OrderedDict((k, _join(v, arrays, as_tensors)) for k, v in node["__dict__"])
    return node


# -- atomic writing ------------------------------------------------------------------------
def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write(file)`` on a temporary file, then rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# -- public API ------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a Tensor, array, or nested dict/list of them (plus numbers and strings).

    The format follows the suffix: ``.safetensors``, else ``.npz``. The write is atomic.

    >>> import mytorch, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> mytorch.save({"w": mytorch.ones(2), "epoch": 3}, path)
    >>> mytorch.load(path)["epoch"]
    3
    """
    arrays: dict[str, np.ndarray] = {}
    manifest = json.dumps(_split(obj, "", arrays))
    if str(path).endswith(".safetensors"):
        atomic_write(path, lambda f: _write_safetensors(f, arrays, manifest))
    else:
        entries: dict[str, Any] = {
            **arrays, _MANIFEST: np.frombuffer(manifest.encode(), dtype=np.uint8)
        }
        atomic_write(path, lambda f: np.savez(f, **entries))


def load(path: str | os.PathLike[str], map_location: Any = None, weights_only: bool = True) -> Any:
    """Load what ``save`` wrote (``.npz``, ``.safetensors``) or a PyTorch ``.pt``/``.pth`` file.

    Arrays come back as Tensors. No code in the file is ever run: ``.npz`` is read
    with pickling off, and a ``.pt`` file's pickle may only name tensor-rebuilding
    functions (anything else raises ``pickle.UnpicklingError``).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is truncated or not in the expected format.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such file: '{path}'")
    suffix = path.suffix.lower()
    try:
        if suffix in (".pt", ".pth"):
            return _load_torch(path)
        if suffix == ".safetensors":
            arrays, manifest = _read_safetensors(path.read_bytes())
        else:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            raw_manifest = arrays.pop(_MANIFEST, None)
            manifest = None if raw_manifest is None else raw_manifest.tobytes().decode()
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, struct.error, UnicodeDecodeError,
            json.JSONDecodeError) as exc:
        raise ValueError(
            f"load: '{path}' is corrupt or truncated ({type(exc).__name__}: {exc})"
        ) from None
    if manifest is None:  # a plain file of named arrays written by another program
        return OrderedDict((k, Tensor._make(v)) for k, v in arrays.items())
    return _join(json.loads(manifest), arrays, as_tensors=True)


# -- safetensors -------------------------------------------------------------------------------
_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
              "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_ST_NAMES = {np.dtype(v): k for k, v in _ST_DTYPES.items()}


def _write_safetensors(f: IO[bytes], arrays: dict[str, np.ndarray], manifest: str) -> None:
    header: dict[str, Any] = {"__metadata__": {_MANIFEST: manifest}}
    offset = 0
    blobs = []
    for name, array in arrays.items():
        little_endian = array.dtype.newbyteorder("<")
        blob = np.ascontiguousarray(array).astype(little_endian, copy=False).tobytes()
        header[name] = {"dtype": _ST_NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format aligns the data to 8 bytes
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for blob in blobs:
        f.write(blob)


def _read_safetensors(raw: bytes) -> tuple[dict[str, np.ndarray], str | None]:
    (length,) = struct.unpack("<Q", raw[:8])
    if 8 + length > len(raw):
        raise EOFError(f"header of {length} bytes runs past the end of the file ({len(raw)} bytes)")
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    metadata = header.pop("__metadata__", None) or {}
    arrays = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if end > len(data):
            raise EOFError(f"tensor '{name}' runs past the end of the file")
        dtype = np.dtype(_ST_DTYPES[info["dtype"]]).newbyteorder("<")
        arrays[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).copy()
    return arrays, metadata.get(_MANIFEST)


# -- PyTorch .pt reader: tensors only, nothing else runs ---------------------------------------
_TORCH_STORAGES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "BFloat16Storage": np.uint16,  # NumPy has no bfloat16: read the bits, widen to float32
}


class _StorageType:
    """What the pickle's ``torch.FloatStorage`` (etc.) resolves to: just a dtype."""

    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_TORCH_STORAGES[name])
        self.bfloat16 = name == "BFloat16Storage"

    def decode(self, raw: bytes, endian: Literal["<", ">"]) -> np.ndarray:
        values = np.frombuffer(raw, dtype=self.dtype.newbyteorder(endian))
        if self.bfloat16:  # bfloat16 is the top half of a float32
            return (values.astype(np.uint32) << 16).view(np.float32)
        return values


def _rebuild_tensor(
    storage: np.ndarray, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
    *_ignored: Any,
) -> np.ndarray:
    """An array viewing ``storage`` with PyTorch's offset/size/stride (in elements), copied."""
    item = storage.itemsize
    needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if needed > storage.size:
        raise ValueError(f"tensor of size {size} and stride {stride} runs past its storage")
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * item for s in stride))
    return view.copy()


def _rebuild_parameter(data: np.ndarray, *_ignored: Any) -> np.ndarray:
    return data


class _TensorOnlyUnpickler(pickle.Unpickler):
    """Resolves only tensor-rebuilding names; refuses every other global."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        **{("torch", name): _StorageType(name) for name in _TORCH_STORAGES},
    }

    def __init__(
        self, file: IO[bytes], read_storage: Callable[[str, _StorageType], np.ndarray]
    ) -> None:
        super().__init__(file)
        self._read_storage = read_storage

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"load: refusing '{module}.{name}': a checkpoint may only contain tensor data"
            ) from None

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"load: unsupported persistent id {pid!r}")
        return self._read_storage(str(pid[2]), pid[1])


def _load_torch(path: Path) -> Any:
    """Read a PyTorch zip checkpoint (``torch.save`` since 1.6) into Tensors."""
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"load: '{path}' is not a PyTorch zip checkpoint (the legacy format is not supported; "
            "re-save it with a recent torch.save)"
        )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pickles:
            raise ValueError(f"load: '{path}' has no data.pkl: not a PyTorch checkpoint")
        root = pickles[0][: -len("data.pkl")]
        order = "little"
        if root + "byteorder" in names:
            order = archive.read(root + "byteorder").decode().strip()
        endian: Literal["<", ">"] = "<" if order == "little" else ">"

        def read_storage(key: str, storage: _StorageType) -> np.ndarray:
            return storage.decode(archive.read(f"{root}data/{key}"), endian)

        unpickler = _TensorOnlyUnpickler(io.BytesIO(archive.read(pickles[0])), read_storage)
        obj = unpickler.load()
    return _tensors_from_arrays(obj)


def _tensors_from_arrays(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return Tensor._make(obj.astype(obj.dtype.newbyteorder("="), copy=False))
    if isinstance(obj, dict):
        return OrderedDict((k, _tensors_from_arrays(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_tensors_from_arrays(v) for v in obj)
    return obj
