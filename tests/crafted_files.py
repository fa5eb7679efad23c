"""Hand-built files, valid or hostile, for the serialization tests.

Each builder writes the bytes itself (pickle opcodes, zip headers, safetensors
headers), independently of mytorch's writers, so that any field can hold any value.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any


def _opcodes(obj: Any) -> bytes:
    """The protocol-2 opcodes that push ``obj`` (a plain value) on the pickle stack."""
    return pickle.dumps(obj, protocol=2)[2:-1]  # without PROTO and STOP


def tensor_opcodes(storage_class: str, key: str, numel: int, offset: Any, size: Any,
                   stride: Any) -> bytes:
    """``_rebuild_tensor_v2(("storage", torch.<storage_class>, key, "cpu", numel), ...)``."""
    return (b"ctorch._utils\n_rebuild_tensor_v2\n((" + _opcodes("storage")
            + f"ctorch\n{storage_class}\n".encode() + _opcodes(key) + _opcodes("cpu")
            + _opcodes(numel) + b"tQ" + _opcodes(offset) + _opcodes(size) + _opcodes(stride)
            + _opcodes(False) + b"ccollections\nOrderedDict\n)RtR")


def pt_bytes(tensors: dict[str, bytes], storages: dict[str, bytes],
             byteorder: bytes = b"little") -> bytes:
    """A PyTorch-layout zip whose pickle is ``{name: tensor_opcodes(...)}``."""
    body = b"".join(_opcodes(name) + opcodes for name, opcodes in tensors.items())
    pickled = b"\x80\x02}(" + body + b"u."
    return zip_bytes({"archive/data.pkl": pickled, "archive/byteorder": byteorder,
                      **{f"archive/data/{k}": v for k, v in storages.items()}})


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npy_header(shape: Any, descr: str = "<f4", fortran_order: Any = False) -> bytes:
    """A version 1.0 ``.npy`` header declaring ``shape`` (any value) of ``descr``."""
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran_order!r}, 'shape': {shape!r}, }}"
    text += " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def raw_zip(*members: tuple[str, bytes, int, int, int]) -> bytes:
    """A zip of ``(name, data, method, crc, file_size)`` members holding ``data`` as given
    (already deflated when ``method`` is 8), with whatever CRC and uncompressed size the
    directory should claim."""
    local, central = b"", b""
    for name, data, method, crc, file_size in members:
        encoded = name.encode()
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc,
                               len(data), file_size, len(encoded), 0, 0, 0, 0, 0,
                               len(local)) + encoded
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc,
                             len(data), file_size, len(encoded), 0) + encoded + data
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(local), 0)
    return local + central + end


def deflate_bomb(prefix: bytes, zeros: int, chunk: int = 1 << 20, fill: bytes = b"\0",
                 suffix: bytes = b"") -> bytes:
    """Raw deflate data of ``prefix``, ``zeros`` bytes ``fill``, then ``suffix``, built without
    ever holding the fill: each 1 MiB chunk compresses, after a full flush, to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(fill * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert zeros % chunk == 0
    return head + block * (zeros // chunk) + compressor.compress(suffix) + compressor.flush()


def safetensors_bytes(header: Any, data: bytes = b"", raw_header: bytes | None = None) -> bytes:
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def flip(raw: bytes, positions: Iterable[int], masks: Iterable[int]) -> bytes:
    out = bytearray(raw)
    for position, mask in zip(positions, masks):
        out[position % len(out)] ^= mask
    return bytes(out)
