"""Atomic file writing: a crash never leaves a half-written file under the real name.

The bytes go to a hidden temporary file in the same folder, ``.NAME.PID@HOST.RANDOM.tmp``,
which is flushed to disk and then renamed over ``NAME``. A writer killed outright
(SIGKILL, power loss) leaves its temporary file behind; the next write to ``NAME``
removes those whose writing process no longer exists. The PID and host in the name are
what make that safe: a live writer's file is never touched, nor one written from another
machine (a shared network folder), whose processes cannot be seen from here.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write(file)`` on a temporary file, then rename it over ``path``.

    A new file gets the usual mode (``0o666`` less the umask); a file replaced keeps its mode.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{_writer()}.",
                                    suffix=".tmp")
    try:
        # mkstemp makes the file private (0o600): give it the mode open() would have
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp_name, mode)
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


def _umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it, then restore it
    os.umask(mask)
    return mask


def _writer() -> str:
    """``PID@HOST`` of this process, asked anew each time (a forked child has its own PID);
    the host as a short hash, so that any host name fits without dots."""
    host = os.uname().nodename if hasattr(os, "uname") else ""
    return f"{os.getpid()}@{zlib.crc32(host.encode()):08x}"


def _remove_stale_temporaries(target: Path) -> None:
    """Delete ``.NAME.PID@HOST.*.tmp`` files that writers to ``target`` on this host left
    behind and that no longer run."""
    prefix = f".{target.name}."
    this_host = _writer().split("@")[1]
    for leftover in target.parent.glob(f"{_glob_escape(prefix)}*@{this_host}.*.tmp"):
        pid_text = leftover.name[len(prefix):].split("@", 1)[0]
        if pid_text.isdigit() and not _process_exists(int(pid_text)):
            try:
                leftover.unlink()
            except FileNotFoundError:  # another writer cleaned it first
                pass


def _process_exists(pid: int) -> bool:
    if os.name != "posix":  # without signal 0 we cannot tell: keep the file
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # alive under another user / not a real pid
        return True
    return True


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
