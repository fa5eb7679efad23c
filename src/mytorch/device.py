"""``mytorch.device`` and ``mytorch.cuda``: the glue that lets PyTorch scripts run on the CPU."""

from __future__ import annotations

from typing import Any


class device:
    """A device name; mytorch computes on the CPU only, so only 'cpu' is accepted."""

    type: str
    index: int | None

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        name = type.type if isinstance(type, device) else str(type)
        check_device(name)
        self.type = name.split(":")[0]
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (device, str)) and str(other).split(":")[0] == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"


def check_device(name: Any, op: str = "device") -> None:
    """Raise unless ``name`` means the CPU; ``op`` names the caller in the message."""
    text = name.type if isinstance(name, device) else str(name)
    if text.split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: mytorch runs on the CPU only, got device {text!r}")


class cuda:
    """``mytorch.cuda.is_available()`` is always False."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Accepted and ignored: there is no GPU generator."""

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        """Accepted and ignored: there is no GPU generator."""
