"""Run outputs besides the checkpoint: the metrics CSV and the PNG of the curves."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from mytorch.serialization import atomic_write

COLUMNS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds")


def write_metrics(path: str | os.PathLike[str], history: list[dict[str, float]]) -> None:
    """The whole history as CSV, rewritten atomically after every epoch."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))


def plot_curves(path: str | os.PathLike[str], history: list[dict[str, float]]) -> str | None:
    """Loss and accuracy curves as a PNG; returns a note instead when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 'no plot: matplotlib is not installed (pip install "mytorch[plot]")'
    epochs = [row["epoch"] for row in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        loss_ax.plot(epochs, [row[f"{split}_loss"] for row in history], marker="o", label=split)
        acc_ax.plot(epochs, [100 * row[f"{split}_acc"] for row in history], marker="o", label=split)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))
    return None


def writable_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` if needed and check that a file can be written in it.

    Checked by writing (and removing) a file rather than with ``os.access``, which answers
    yes to root on a read-only folder and knows nothing of read-only or full file systems.

    Raises:
        OSError: the path is a file or lies under one, or the folder is not writable;
            the message names the path.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        reason = "it is a file" if folder.exists() and not folder.is_dir() else err.strerror
        raise OSError(err.errno, f"cannot write into the folder '{folder}': {reason}") from err
    return folder
