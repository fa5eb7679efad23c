"""``save`` and ``load``: checkpoints in formats that cannot run code when read.

``save`` picks the format by the file name's suffix; ``load`` recognises it by the
file's first bytes, never its name:

* ``.npz`` (anything not named below; :mod:`.npz`): NumPy's zip of arrays, read with
  pickling off. A nested object (dicts, lists, tuples, numbers, strings, arrays,
  Tensors) is split into its arrays, stored by path (``"model/fc.weight"``), and a
  JSON manifest of everything else.
* ``.safetensors`` (:mod:`.safetensors`): the same arrays and manifest, the manifest in
  the header's ``__metadata__``.
* ``.pt`` / ``.pth`` (:mod:`.torch_zip`): PyTorch's own zip layout, which
  ``torch.load(path, weights_only=True)`` reads; its pickle is read back by an
  unpickler that resolves only the names that rebuild tensors.

A file that is malformed in any way is a ``ValueError`` naming the problem (a pickle
naming anything but tensor data, ``pickle.UnpicklingError``): every size, offset and
stride is checked against the bytes actually there before memory is touched, and no
file makes ``load`` allocate much beyond what it holds (see :class:`.zipped.Budget`).

Every write goes to a temporary file in the same folder, is flushed to disk, and is
then renamed over the target, so a crash leaves the old file intact (:mod:`.atomic`).
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from mytorch._tensor import Tensor
from mytorch.serialization import dtypes, npz, safetensors, torch_zip
from mytorch.serialization.atomic import atomic_write
from mytorch.serialization.zipped import Budget, ZipMembers

__all__ = ["atomic_write", "load", "save"]

_MANIFEST = "__manifest__"


# -- nested objects <-> (arrays by path, JSON-able tree) ---------------------------------------
def _split(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """Replace every array/Tensor in ``obj`` by ``{"__array__": path}``, collecting the arrays.

    Dicts become ``{"__dict__": [[key, value], ...]}`` (keys keep their type), tuples
    ``{"__tuple__": [...]}``. Two arrays with the same path would overwrite each other in
    the file (``{"a/b": x, "a": {"b": y}}``, ``{1: x, "1": y}``): that is refused here.
    """
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        if obj.dtype.newbyteorder("=") not in dtypes.CODE_OF:
            raise TypeError(f"save: cannot store an array of dtype {obj.dtype} at '{path}'")
        if path in arrays or path == _MANIFEST:
            taken = "is reserved" if path == _MANIFEST else "is already taken by another array"
            raise ValueError(f"save: the file name '{path}' {taken}: two keys would collide "
                             "in the file (say 'a/b' and ['a']['b'], or 1 and '1')")
        arrays[path] = obj
        return {"__array__": path}
    if isinstance(obj, np.generic):
        return obj.item()
    prefix = f"{path}/" if path else ""
    if isinstance(obj, dict):
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in obj):
            raise TypeError(f"save: dictionary keys must be str or int at '{path}'")
        return {"__dict__": [[k, _split(v, f"{prefix}{k}", arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_split(v, f"{prefix}{i}", arrays) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at '{path}' (only arrays, Tensors, numbers, "
        "strings, None, and dicts/lists/tuples of them)"
    )


def _join(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of ``_split``, checking the manifest's every entry."""
    if isinstance(node, list):
        return [_join(v, arrays) for v in node]
    if isinstance(node, dict) and len(node) == 1:
        ((kind, value),) = node.items()
        if kind == "__array__" and isinstance(value, str) and value in arrays:
            return Tensor._make(arrays[value])
        if kind == "__tuple__" and isinstance(value, list):
            return tuple(_join(v, arrays) for v in value)
        if kind == "__dict__" and isinstance(value, list) and all(
                isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                for pair in value):
            return OrderedDict((k, _join(v, arrays)) for k, v in value)
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise ValueError(f"the manifest has an unexpected entry {node!r:.200}")


# -- public API ------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a Tensor, array, or nested dict/list/tuple of them (plus numbers and strings).

    The format follows the suffix: ``.safetensors``; ``.pt``/``.pth`` (PyTorch's own
    layout); anything else ``.npz``. The write is atomic.

    Raises:
        TypeError: something in ``obj`` cannot be stored.
        ValueError: two arrays would land under the same name in the file.

    >>> import mytorch, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> mytorch.save({"w": mytorch.ones(2), "epoch": 3}, path)
    >>> mytorch.load(path)["epoch"]
    3
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _split(obj, "", arrays)
    suffix = Path(path).suffix.lower()
    if suffix in (".pt", ".pth"):
        atomic_write(path, lambda f: torch_zip.write(f, tree, arrays))
    elif suffix == ".safetensors":
        metadata = {_MANIFEST: json.dumps(tree)}
        atomic_write(path, lambda f: safetensors.write(f, arrays, metadata))
    else:
        manifest = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
        atomic_write(path, lambda f: npz.write(f, {**arrays, _MANIFEST: manifest}))


# what malformed bytes make the standard library raise while a file is parsed: zipfile, zlib,
# struct and json on broken bytes; the unpickler on opcodes that call an allowed function
# with wrong arguments (TypeError), try to alter it (AttributeError) or nest too deep
_MALFORMED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, KeyError,
              IndexError, TypeError, AttributeError, OverflowError, UnicodeDecodeError,
              NotImplementedError, RecursionError)


def load(path: str | os.PathLike[str], map_location: Any = None, weights_only: bool = True) -> Any:
    """Load a ``.npz``, ``.safetensors`` or PyTorch ``.pt``/``.pth`` file, whatever its name.

    Arrays come back as Tensors (bfloat16 and float8 widened to float32, exactly). No code
    in the file is ever run. ``map_location`` and ``weights_only`` are accepted for
    PyTorch compatibility: everything loads on the CPU, and only data is ever loaded.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is truncated, malformed, or in no format read here.
        pickle.UnpicklingError: a PyTorch file's pickle names something other than tensor
            data (nothing it names is run).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such file: '{path}'")
    with open(path, "rb") as f:
        try:
            return _load_open(f, os.fstat(f.fileno()).st_size)
        except pickle.UnpicklingError:
            raise
        except ValueError as exc:
            raise ValueError(f"load: '{path}' is corrupt or malformed: {exc}") from None
        except _MALFORMED as exc:
            raise ValueError(
                f"load: '{path}' is corrupt or truncated ({type(exc).__name__}: {exc})"
            ) from None


def _load_open(f: Any, size: int) -> Any:
    magic = f.read(9)
    f.seek(0)
    if magic[8:9] == b"{":  # a JSON header; never so in a zip (byte 8: its compression)
        arrays, metadata = safetensors.read(f.read())
        manifest = metadata.get(_MANIFEST)
    elif magic[:2] == b"PK":
        members = ZipMembers(f, size, Budget(size))
        if any(n.count("/") == 1 and n.endswith("/data.pkl") for n in members.infos):
            return torch_zip.read(members)
        arrays = npz.read(members)
        raw_manifest = arrays.pop(_MANIFEST, None)
        manifest = None if raw_manifest is None else raw_manifest.tobytes().decode()
    elif magic[:6] == b"\x93NUMPY":
        return Tensor._make(npz.parse_npy(f.read(), "array"))
    elif magic[:1] == b"\x80":
        raise ValueError("it is a bare pickle (PyTorch's legacy format, or another program's), "
                         "not a PyTorch zip checkpoint: re-save it with a recent torch.save")
    else:
        raise ValueError("not a .npz, .safetensors or PyTorch zip checkpoint "
                         f"(it begins with {magic[:8]!r})")
    if manifest is None:  # a plain file of named arrays written by another program
        return OrderedDict((k, Tensor._make(v)) for k, v in arrays.items())
    return _join(json.loads(manifest), arrays)
