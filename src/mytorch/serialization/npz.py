"""NumPy's ``.npz``: a zip of ``NAME.npy`` members, each a small header and raw bytes.

Written like ``np.savez`` (uncompressed), and read member by member: the ``.npy``
header is parsed with NumPy's own header reader (a literal, never a pickle), its
shape and dtype are checked against the member's size, and only then is the
array built.
"""

from __future__ import annotations

import io
import math
import zipfile
from typing import IO

import numpy as np
from numpy.lib import format as npy

from mytorch.serialization import dtypes
from mytorch.serialization.zipped import ZipMembers


def write(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                npy.write_array(member, np.asanyarray(array), allow_pickle=False)


def read(members: ZipMembers) -> dict[str, np.ndarray]:
    """Every member as an array, by name without ``.npy``."""
    arrays = {}
    for name in members.infos:
        if not name.endswith(".npy"):
            raise ValueError(f"member '{name}' is not a .npy array")
        arrays[name[: -len(".npy")]] = parse_npy(members.read(name), name)
    return arrays


def parse_npy(raw: bytes, name: str) -> np.ndarray:
    """The array in the ``.npy`` bytes ``raw``, after checking its header against its size."""
    stream = io.BytesIO(raw)
    version = npy.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = npy.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran_order, dtype = npy.read_array_header_2_0(stream)
    else:
        raise ValueError(f"'{name}': unsupported .npy version {version}")
    if dtype.kind not in "biuf" or dtype.itemsize == 0:
        raise ValueError(f"'{name}': unsupported dtype {dtype} (numbers and booleans only)")
    if any(n < 0 for n in shape):
        raise ValueError(f"'{name}': negative dimension in shape {shape}")
    dtypes.check_size(shape, dtype.itemsize, f"'{name}'")
    count = math.prod(shape)
    data_size = len(raw) - stream.tell()
    if count * dtype.itemsize != data_size:
        raise ValueError(f"'{name}': shape {shape} of {dtype} needs {count * dtype.itemsize} "
                         f"bytes, the member holds {data_size}")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell())
    array = flat.reshape(shape, order="F" if fortran_order else "C")
    return array.astype(dtype.newbyteorder("="), copy=True)  # writable and native-endian
