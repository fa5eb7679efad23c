"""Reading zip members (``.npz``, PyTorch ``.pt``) without trusting the zip's directory.

A zip's directory declares each member's sizes; a crafted file can lie about them
or hold a small deflated member that inflates to gigabytes. So every member is
checked against the real file before it is read, read with a bounded read (never
more than its declared size), and its size is charged to a :class:`Budget`.
"""

from __future__ import annotations

import zipfile
from typing import IO

MiB = 1 << 20


class Budget:
    """The bytes a file may make ``load`` allocate: ``16 x`` its size ``+ 64 MiB``.

    A real checkpoint needs about its own size (PyTorch files, npz and safetensors
    store their tensors uncompressed), twice that when two tensors share a storage
    (tied weights). The multiple leaves room for ``savez_compressed`` files and
    expanded (zero-stride) tensors, while a few-kilobyte file still cannot ask for
    gigabytes: a 4 KB file gets 64 MiB at most.
    """

    MULTIPLE = 16
    ALLOWANCE = 64 * MiB

    def __init__(self, file_size: int) -> None:
        self.limit = self.MULTIPLE * file_size + self.ALLOWANCE
        self.left = self.limit

    def spend(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise ValueError(
                f"{what} needs {nbytes} bytes, past what the file can justify "
                f"({self.limit} bytes in all: {self.MULTIPLE} x its size + "
                f"{self.ALLOWANCE // MiB} MiB)"
            )
        self.left -= nbytes


class ZipMembers:
    """The members of an open zip file, each checked before it is read."""

    def __init__(self, file: IO[bytes], file_size: int, budget: Budget) -> None:
        self._zip = zipfile.ZipFile(file)
        self.budget = budget
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            name = info.filename
            if name in self.infos:
                raise ValueError(f"the zip holds two members named '{name}'")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"member '{name}' uses unsupported compression "
                                 f"{info.compress_type}")
            if info.flag_bits & 0x1:
                raise ValueError(f"member '{name}' is encrypted")
            if info.header_offset + info.compress_size > file_size:
                raise ValueError(f"member '{name}' runs past the end of the file")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ValueError(f"member '{name}' is stored uncompressed but declares "
                                 f"{info.file_size} bytes in {info.compress_size}")
            self.infos[name] = info

    def size(self, name: str) -> int:
        """The member's declared (uncompressed) size."""
        return self.infos[name].file_size

    def read(self, name: str) -> bytes:
        """The member's bytes: exactly its declared size, charged to the budget first."""
        info = self.infos[name]
        self.budget.spend(info.file_size, f"zip member '{name}'")
        with self._zip.open(info) as member:
            # read(n) inflates at most n bytes, whatever the deflated stream holds; the CRC
            # is checked on the last byte, so a member whose data does not match fails here
            data = member.read(info.file_size)
        if len(data) != info.file_size:
            raise ValueError(f"member '{name}' is truncated ({len(data)} of {info.file_size} "
                             "bytes)")
        return data

    def close(self) -> None:
        self._zip.close()
