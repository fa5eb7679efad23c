"""`mytorch train --dataset mnist1d --model mnist1d_cnn` written in plain PyTorch.

The same run as mytorch's trainer (src/mytorch/training/trainer.py) with the
defaults of ``mytorch train`` for MNIST-1D and Adam: the same 4,000 / 1,000
sequences (from mytorch's dataset loader, so the same cache), the same model
(three Conv1d + BatchNorm1d + ReLU layers and a linear layer, 25,482
parameters), batch 32 in the order of ``numpy.random.default_rng(seed)``'s
permutations, Adam at lr 2e-3, a cosine schedule over the epochs stepped after
each epoch, cross-entropy; after every epoch the test set in batches of 1000
without a graph, a checkpoint and the metrics written, the per-epoch line
printed; at the end the loss and accuracy curves (the same plot as mytorch's).
Only the weights' initial values differ (each library draws its own).

    python benchmarks/mnist1d_torch.py [--epochs 20] [--seed 0] [--out FOLDER]

``benchmarks/bench_end_to_end.py`` times it against ``mytorch train``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mytorch.datasets import get_dataset
from mytorch.training.report import plot_curves, write_metrics
from mytorch.training.trainer import dataset_arrays


class MNIST1DCNN(nn.Module):
    """``mytorch.models.MNIST1DCNN``: (N, 1, 40) -> 3 x (Conv1d, BatchNorm1d, ReLU) -> Linear."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out, k, s in ((1, 32, 5, 1), (32, 64, 3, 2), (64, 64, 3, 2)):
            layers += [nn.Conv1d(c_in, c_out, k, s, padding=k // 2), nn.BatchNorm1d(c_out),
                       nn.ReLU()]
        self.features = nn.Sequential(*layers)  # length 40 -> 40 -> 20 -> 10
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 10, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x.reshape(x.shape[0], 1, -1)))


def load(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-1D's training or test sequences, as mytorch's trainer reads them."""
    x, y = dataset_arrays(get_dataset("mnist1d")(root=None, train=train))
    return torch.from_numpy(x), torch.from_numpy(y)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) over the test set in batches of 1000, in eval mode."""
    model.eval()
    total_loss = correct = 0.0
    with torch.no_grad():
        for start in range(0, len(x), 1000):
            logits = model(x[start:start + 1000])
            labels = y[start:start + 1000]
            total_loss += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            correct += float((logits.argmax(1) == labels).sum().item())
    return total_loss / len(x), correct / len(x)


def train(epochs: int, seed: int, out: Path) -> list[dict[str, float]]:
    """The run; returns the history, one dict of metrics per epoch, as mytorch's trainer."""
    torch.manual_seed(seed)
    model = MNIST1DCNN()
    train_x, train_y = load(train=True)
    test_x, test_y = load(train=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    shuffle_rng = np.random.default_rng(seed)
    history: list[dict[str, float]] = []
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.from_numpy(shuffle_rng.permutation(len(train_x)))
        loss_sum = correct = seen = 0.0
        for batch in order.split(32):
            x, y = train_x[batch], train_y[batch]
            logits = model(x)
            loss = loss_fn(logits, y)
            value = loss.item()
            if not math.isfinite(value):
                raise SystemExit(f"the loss became {value} at epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += value * len(y)
            correct += float((logits.argmax(1) == y).sum().item())
            seen += len(y)
        test_loss, test_acc = evaluate(model, test_x, test_y)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        row = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
               "test_loss": test_loss, "test_acc": test_acc, "lr": lr,
               "seconds": round(time.perf_counter() - start, 3)}
        history.append(row)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch + 1},
                   out / "checkpoint.pt")
        write_metrics(out / "metrics.csv", history)
        print(f"epoch {epoch + 1:>3}/{epochs}  train loss {row['train_loss']:.4f} "
              f"acc {100 * row['train_acc']:.2f}%  test loss {test_loss:.4f} "
              f"acc {100 * test_acc:.2f}%  ({row['seconds']:.1f}s)")
    plot_curves(out / "curves.png", history)
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="folder for the checkpoint, metrics and curves "
                                      "(default: a temporary folder, removed at the end)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be a positive integer, got {args.epochs}")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        out.mkdir(parents=True, exist_ok=True)
        history = train(args.epochs, args.seed, out)
    print(f"test accuracy: {100 * history[-1]['test_acc']:.2f}%")


if __name__ == "__main__":
    main()
