"""``AllowListUnpickler``: a pickle reader that can build only what it is told it may.

Unpickling calls whatever function a file names (``os.system`` as easily as
``OrderedDict``). Every pickle reader in mytorch (PyTorch checkpoints, CIFAR-10
batches) therefore goes through this class: a global is looked up in an explicit
table, and one that is not there is refused before anything runs.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["AllowListUnpickler"]


class AllowListUnpickler(pickle.Unpickler):
    """Resolves only the globals in ``allowed``; any other is ``pickle.UnpicklingError``.

    Args:
        file: the pickle's bytes.
        allowed: ``(module, name) -> object`` for each global the file may name.
        contents: what such a file holds, for the refusal message
            ("refusing the global 'os.system': a CIFAR-10 batch holds only ...").
        **kwargs: passed to ``pickle.Unpickler`` (e.g. ``encoding``).

    >>> import io, pickle, os
    >>> reader = AllowListUnpickler(io.BytesIO(pickle.dumps(os.getcwd)), {}, "nothing callable")
    >>> reader.load()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    _pickle.UnpicklingError: refusing the global '...getcwd': nothing callable
    """

    def __init__(self, file: IO[bytes], allowed: Mapping[tuple[str, str], Any], contents: str,
                 **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._allowed = allowed
        self._contents = contents

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing the global '{module}.{name}': {self._contents}"
            ) from None
