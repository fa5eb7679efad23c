"""The safetensors layout, read and written without the safetensors package.

``[u64 little-endian N][N bytes of JSON header][data]``. The header maps each
tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (byte offsets
into the data) plus an optional ``"__metadata__"`` of strings. As in the official
reader, the tensors must tile the data exactly: sorted by offset, each begins
where the previous ends, the last ends at the end of the file, and each one's
byte range is ``prod(shape) x`` its element size.
"""

from __future__ import annotations

import json
import math
import struct
from typing import IO, Any

import numpy as np

from mytorch.serialization import dtypes

MAX_HEADER = 100_000_000  # the official reader's limit


def write(f: IO[bytes], arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, array in arrays.items():
        code = dtypes.CODE_OF[array.dtype.newbyteorder("=")]
        blob = np.ascontiguousarray(array, dtype=dtypes.stored_dtype(code)).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format aligns the data to 8 bytes
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for blob in blobs:
        f.write(blob)


def read(raw: bytes) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays (by name, in header order) and the metadata of a safetensors file."""
    if len(raw) < 8:
        raise ValueError(f"the file has {len(raw)} bytes, fewer than the 8 of the header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > MAX_HEADER or 8 + length > len(raw):
        raise ValueError(f"header of {length} bytes does not fit the file ({len(raw)} bytes)")
    header = json.loads(raw[8:8 + length].decode("utf-8"), object_pairs_hook=_no_duplicates)
    if not isinstance(header, dict):
        raise ValueError(f"the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("'__metadata__' must map strings to strings")
    data_start = 8 + length
    entries = {name: _entry(name, info) for name, info in header.items()}
    covered = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda e: e[1][2:]):
        if begin != covered:
            problem = "overlaps the previous tensor" if begin < covered else "leaves a gap"
            raise ValueError(f"tensor '{name}' begins at byte {begin}: it {problem} "
                             f"(which ends at {covered})")
        covered = end
    if data_start + covered != len(raw):
        raise ValueError(f"the tensors cover {covered} bytes of data, the file holds "
                         f"{len(raw) - data_start}")
    arrays = {}
    for name, (code, shape, begin, _) in entries.items():
        stored = np.frombuffer(raw, dtype=dtypes.stored_dtype(code), count=math.prod(shape),
                               offset=data_start + begin)
        arrays[name] = dtypes.decode(stored, code).reshape(shape)
    return arrays, metadata


def _entry(name: str, info: Any) -> tuple[str, list[int], int, int]:
    """``(dtype code, shape, begin, end)`` of one header entry, every field checked."""
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise ValueError(f"tensor '{name}': expected dtype, shape and data_offsets, "
                         f"got {info!r:.200}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(code, str) or code not in dtypes.STORED:
        raise ValueError(f"tensor '{name}': unsupported dtype {code!r:.40}")
    if not (isinstance(shape, list) and all(_is_count(n) for n in shape)):
        raise ValueError(f"tensor '{name}': shape must be a list of non-negative integers, "
                         f"got {shape!r:.200}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
            and offsets[0] <= offsets[1]):
        raise ValueError(f"tensor '{name}': data_offsets must be [begin, end] with "
                         f"0 <= begin <= end, got {offsets!r:.200}")
    begin, end = offsets
    dtypes.check_size(shape, dtypes.STORED[code].itemsize, f"tensor '{name}'")
    nbytes = math.prod(shape) * dtypes.STORED[code].itemsize
    if end - begin != nbytes:
        raise ValueError(f"tensor '{name}': shape {shape} of {code} needs {nbytes} bytes, "
                         f"data_offsets [{begin}, {end}] hold {end - begin}")
    return code, shape, begin, end


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = [k for k, _ in pairs]
        duplicate = next(k for k in names if names.count(k) > 1)
        raise ValueError(f"the header names '{duplicate}' twice")
    return result
