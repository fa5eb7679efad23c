"""PyTorch's own checkpoint format (``torch.save`` since 1.6), read and written without torch.

A zip of ``ROOT/data.pkl`` (a pickle of the object, each tensor a call
``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`` whose
storage is a *persistent id* ``("storage", torch.FloatStorage, KEY, "cpu", numel)``),
``ROOT/data/KEY`` (each storage's raw bytes), ``ROOT/byteorder`` and ``ROOT/version``.
Dtypes without a legacy storage class (uint16/32/64, float8) use
``_rebuild_tensor_v3(untyped storage, ..., dtype)``.

Reading: the pickle goes through an unpickler that resolves only those names (any
other is refused before anything runs); every storage is checked against its
member, and every tensor's offset, sizes and strides against its storage, before
a byte of it is viewed.

Writing: our own small pickle writer emits protocol-2 opcodes for plain data
(dicts, lists, tuples, strings, numbers, None) and tensors, nothing else, so that
``torch.load(path, weights_only=True)`` reads the file.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any, Literal, NamedTuple

import numpy as np

from mytorch._tensor import Tensor
from mytorch.serialization import dtypes
from mytorch.serialization.allowlist import AllowListUnpickler
from mytorch.serialization.zipped import ZipMembers

# torch's names for element types: legacy storage classes and torch.<dtype> (for v3)
_STORAGE_CODES = {
    "DoubleStorage": "F64", "FloatStorage": "F32", "HalfStorage": "F16",
    "BFloat16Storage": "BF16", "LongStorage": "I64", "IntStorage": "I32",
    "ShortStorage": "I16", "CharStorage": "I8", "ByteStorage": "U8", "BoolStorage": "BOOL",
}
_DTYPE_CODES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
    "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "int64": "I64", "int32": "I32",
    "int16": "I16", "int8": "I8", "uint64": "U64", "uint32": "U32", "uint16": "U16",
    "uint8": "U8", "bool": "BOOL",
}

_OBJECT_BYTES_PER_PICKLE_BYTE = 64


# -- reading -----------------------------------------------------------------------------------
class _TorchType(NamedTuple):
    """What ``torch.FloatStorage``, ``torch.storage.UntypedStorage`` or ``torch.float32`` in
    the pickle resolve to: the element code (None: untyped bytes). A tuple, so that the
    pickle's BUILD opcode (which sets attributes) cannot alter it."""

    code: str | None


class _Allowed(NamedTuple):
    """A function the pickle may call, a tuple for the same reason."""

    function: Callable[..., Any]

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


class _Storage(NamedTuple):
    """A persistent id, resolved: the member ``data/KEY`` holding ``numel`` elements."""

    key: str
    code: str | None
    numel: int


class _Reader:
    """One ``.pt`` file being read: its members, the storages read so far, the pickle."""

    def __init__(self, members: ZipMembers) -> None:
        self.members = members
        pickles = [n for n in members.infos if n.count("/") == 1 and n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"expected one ROOT/data.pkl, found {len(pickles)}")
        self.root = pickles[0][: -len("data.pkl")]
        self.endian: Literal["<", ">"] = "<"
        if self.root + "byteorder" in members.infos:
            order = members.read(self.root + "byteorder")
            if order not in (b"little", b"big"):
                raise ValueError(f"byteorder must be 'little' or 'big', got {order[:20]!r}")
            self.endian = "<" if order == b"little" else ">"
        self.storages: dict[str, _Storage] = {}
        self.bytes: dict[str, bytes] = {}

    def load(self) -> Any:
        pickled = self.root + "data.pkl"
        # one pickle byte can build up to about 64 bytes of Python objects (the one-byte
        # EMPTY_DICT makes a 64-byte dict): charged first, so that a small deflated pickle
        # cannot build gigabytes of objects
        self.members.budget.spend(_OBJECT_BYTES_PER_PICKLE_BYTE * self.members.size(pickled),
                                  "the objects of the pickle")
        unpickler = _TensorOnlyUnpickler(io.BytesIO(self.members.read(pickled)), self)
        obj = unpickler.load()
        _check_plain(obj)
        return obj

    def storage(self, pid: Any) -> _Storage:
        """Resolve ``("storage", type, key, location, numel)`` against the archive."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _TorchType)):
            raise pickle.UnpicklingError(f"load: unsupported persistent id {pid!r:.200}")
        _, kind, key, location, numel = pid
        if not (isinstance(key, str) and isinstance(location, str) and _is_count(numel)):
            raise ValueError(f"storage {pid!r:.200}: expected a key, a location and a "
                             "non-negative element count")
        member = f"{self.root}data/{key}"
        if member not in self.members.infos:
            raise ValueError(f"storage '{key}' has no member '{member}'")
        itemsize = 1 if kind.code is None else dtypes.STORED[kind.code].itemsize
        if self.members.size(member) != numel * itemsize:
            raise ValueError(f"storage '{key}' declares {numel} elements of {itemsize} bytes, "
                             f"its member holds {self.members.size(member)} bytes")
        storage = _Storage(key, kind.code, numel)
        if self.storages.setdefault(key, storage) != storage:
            raise ValueError(f"storage '{key}' is declared twice, differently")
        return storage

    def tensor(self, storage: Any, offset: Any, size: Any, stride: Any, code: str | None
               ) -> Tensor:
        """The tensor viewing ``storage`` at ``offset`` with ``size``/``stride`` (in elements),
        copied out after every index it can reach is checked to lie inside the storage."""
        if not isinstance(storage, _Storage):
            raise ValueError(f"a tensor's storage must be a persistent id, got {storage!r:.100}")
        if code is None or storage.code not in (None, code):
            raise ValueError(f"storage '{storage.key}' of {storage.code or 'untyped bytes'} "
                             f"cannot hold a tensor of {code or 'no dtype'}")
        itemsize = dtypes.STORED[code].itemsize
        numel = storage.numel if storage.code is not None else storage.numel // itemsize
        if storage.code is None and storage.numel % itemsize:
            raise ValueError(f"storage '{storage.key}' of {storage.numel} bytes is not a whole "
                             f"number of {itemsize}-byte elements")
        geometry = f"size {size!r:.100}, stride {stride!r:.100}, storage offset {offset!r:.40}"
        if not (_is_count(offset) and isinstance(size, tuple) and isinstance(stride, tuple)
                and len(size) == len(stride) and all(map(_is_count, size + stride))):
            raise ValueError(f"tensor with {geometry}: offset, sizes and strides must be "
                             "non-negative integers, one stride per size")
        dtypes.check_size(size, itemsize, f"tensor with {geometry}")
        count = math.prod(size)
        # the last element any index reaches, +1 (the tensor's extent in its storage)
        extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if count else 0
        if offset + extent > numel or offset > numel:
            raise ValueError(f"tensor with {geometry} reaches element {offset + extent - 1}, "
                             f"past its storage '{storage.key}' of {numel} elements "
                             "(invalid storage offset)")
        self.members.budget.spend(count * itemsize, f"tensor with {geometry}")
        if storage.key not in self.bytes:
            self.bytes[storage.key] = self.members.read(f"{self.root}data/{storage.key}")
        flat = np.frombuffer(self.bytes[storage.key], dtype=dtypes.stored_dtype(code, self.endian),
                             count=numel)
        view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                               strides=tuple(s * itemsize for s in stride))
        return Tensor._make(dtypes.decode(view, code))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_plain(obj: Any) -> None:
    """Refuse anything in the result but containers, scalars and tensors (no marker object
    of ours escapes to the caller)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            _check_plain(key)
            _check_plain(value)
    elif type(obj) in (list, tuple):  # exactly: our own markers are named tuples
        for value in obj:
            _check_plain(value)
    elif not (obj is None or isinstance(obj, (bool, int, float, str, bytes, Tensor))):
        raise ValueError(f"the pickle holds a {type(obj).__name__}, not tensor data")


class _TensorOnlyUnpickler(AllowListUnpickler):
    """Resolves only tensor-rebuilding names; refuses every other global."""

    def __init__(self, file: IO[bytes], reader: _Reader) -> None:
        self._reader = reader

        def rebuild_v2(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> Tensor:
            code = storage.code if isinstance(storage, _Storage) else None
            return reader.tensor(storage, offset, size, stride, code)

        def rebuild_v3(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                       hooks: Any, dtype: Any, *_: Any) -> Tensor:
            if not isinstance(dtype, _TorchType) or dtype.code is None:
                raise ValueError(f"_rebuild_tensor_v3: {dtype!r:.100} is not a dtype")
            return reader.tensor(storage, offset, size, stride, dtype.code)

        def rebuild_parameter(data: Any, *_: Any) -> Tensor:
            if not isinstance(data, Tensor):
                raise ValueError(f"_rebuild_parameter of a {type(data).__name__}")
            return data

        allowed: dict[tuple[str, str], Any] = {
            ("collections", "OrderedDict"): OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): _Allowed(rebuild_v2),
            ("torch._utils", "_rebuild_tensor_v3"): _Allowed(rebuild_v3),
            ("torch._utils", "_rebuild_parameter"): _Allowed(rebuild_parameter),
            ("torch.storage", "UntypedStorage"): _TorchType(None),
            **{("torch", name): _TorchType(code) for name, code in _STORAGE_CODES.items()},
            **{("torch", name): _TorchType(code) for name, code in _DTYPE_CODES.items()},
        }
        super().__init__(file, allowed, "a checkpoint may only contain tensor data")

    def persistent_load(self, pid: Any) -> _Storage:
        return self._reader.storage(pid)


def read(members: ZipMembers) -> Any:
    return _Reader(members).load()


# -- writing -----------------------------------------------------------------------------------
# dtype code -> (rebuild function, legacy storage class or None (v3), torch dtype or None (v2))
_WRITE_AS: dict[str, tuple[str, str | None, str | None]] = {
    code: ("_rebuild_tensor_v2", storage, None)
    for storage, code in _STORAGE_CODES.items() if code in dtypes.CODE_OF.values()
}
_WRITE_AS.update({code: ("_rebuild_tensor_v3", None, name) for name, code in _DTYPE_CODES.items()
                  if code in ("U16", "U32", "U64")})


class _PickleWriter:
    """Protocol-2 pickle opcodes for the tree ``save`` builds (see ``_split``), tensors as
    ``_rebuild_tensor_v2/v3`` calls on persistent-id storages, numbered in order."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.out = io.BytesIO()
        self.storages: list[bytes] = []

    def dump(self, tree: Any) -> bytes:
        self.out.write(b"\x80\x02")  # PROTO 2
        self._node(tree)
        self.out.write(b".")  # STOP
        return self.out.getvalue()

    def _node(self, node: Any) -> None:
        write = self.out.write
        if node is None:
            write(b"N")
        elif isinstance(node, bool):
            write(b"\x88" if node else b"\x89")  # NEWTRUE / NEWFALSE
        elif isinstance(node, int):
            self._int(node)
        elif isinstance(node, float):
            write(b"G" + struct.pack(">d", node))  # BINFLOAT
        elif isinstance(node, str):
            text = node.encode("utf-8", "surrogatepass")
            write(b"X" + struct.pack("<I", len(text)) + text)  # BINUNICODE
        elif isinstance(node, list):
            write(b"]")  # EMPTY_LIST, then MARK items APPENDS
            self._marked(node, b"e")
        elif "__tuple__" in node:
            write(b"(")  # MARK items TUPLE
            for item in node["__tuple__"]:
                self._node(item)
            write(b"t")
        elif "__dict__" in node:
            write(b"}")  # EMPTY_DICT, then MARK key value ... SETITEMS
            self._marked([x for pair in node["__dict__"] for x in pair], b"u")
        else:
            self._tensor(self.arrays[node["__array__"]])

    def _marked(self, items: list[Any], opcode: bytes) -> None:
        if items:
            self.out.write(b"(")
            for item in items:
                self._node(item)
            self.out.write(opcode)

    def _int(self, value: int) -> None:
        if -(2**31) <= value < 2**31:
            self.out.write(b"J" + struct.pack("<i", value))  # BININT
        else:  # LONG1: length byte, then little-endian two's complement
            raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            self.out.write(b"\x8a" + bytes([len(raw)]) + raw)

    def _global(self, module: str, name: str) -> None:
        self.out.write(f"c{module}\n{name}\n".encode())

    def _tensor(self, array: np.ndarray) -> None:
        code = dtypes.CODE_OF[array.dtype.newbyteorder("=")]
        rebuild, storage_class, torch_dtype = _WRITE_AS[code]
        key = str(len(self.storages))
        self.storages.append(np.ascontiguousarray(array, dtype=dtypes.stored_dtype(code))
                             .tobytes())
        self._global("torch._utils", rebuild)
        self.out.write(b"((")  # MARK (args) MARK (persistent id)
        self._node("storage")
        if storage_class is not None:
            self._global("torch", storage_class)
        else:
            self._global("torch.storage", "UntypedStorage")
        self._node(key)
        self._node("cpu")
        itemsize = array.dtype.itemsize
        self._node(array.size if storage_class is not None else array.size * itemsize)
        self.out.write(b"tQ")  # TUPLE, BINPERSID
        self._node(0)  # storage offset
        self._node({"__tuple__": list(array.shape)})
        contiguous = [math.prod(array.shape[i + 1:]) for i in range(array.ndim)]
        self._node({"__tuple__": contiguous})
        self._node(False)  # requires_grad
        self._global("collections", "OrderedDict")
        self.out.write(b")R")  # OrderedDict(): no backward hooks
        if torch_dtype is not None:
            self._global("torch", torch_dtype)
        self.out.write(b"tR")  # TUPLE, REDUCE: the call


def write(f: IO[bytes], tree: Any, arrays: dict[str, np.ndarray]) -> None:
    """The zip as ``torch.save`` lays it out, each record's data aligned to 64 bytes."""
    writer = _PickleWriter(arrays)
    records = [("data.pkl", writer.dump(tree)), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little"),
               *((f"data/{i}", blob) for i, blob in enumerate(writer.storages)),
               ("version", b"3\n")]
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            # pad the local header's extra field so that the data starts on a 64-byte boundary
            header_end = f.tell() + 30 + len(info.filename) + 4
            info.extra = b"FB" + struct.pack("<H", -header_end % 64) + b"Z" * (-header_end % 64)
            archive.writestr(info, data)
