"""The training loop behind ``mytorch train``: classification with cross-entropy.

``Trainer(config).fit()`` trains, evaluates after every epoch, writes a
checkpoint, the metrics CSV and the curves, and returns the history. A run
can be resumed from its checkpoint and continues exactly as if it had never
stopped: same batches, same dropout masks, same weights.

Stopping: Ctrl-C (or ``request_stop()``) finishes the current batch, saves a
checkpoint and ends the run; a loss that becomes NaN or infinite stops the
run with ``NonFiniteLossError`` and leaves the last good checkpoint untouched.
"""

from __future__ import annotations

import math
import signal
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

import mytorch
from mytorch import nn, optim
from mytorch.autograd.tensor import Tensor
from mytorch.training.checkpoint import Checkpoint
from mytorch.training.parallel import World
from mytorch.training.progress import progress
from mytorch.training.report import ensure_dir, plot_curves, write_metrics
from mytorch.utils.data import DataLoader, TensorDataset

CHECKPOINT_NAME = "checkpoint.npz"


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass
class TrainConfig:
    """The settings of a run (every ``mytorch train`` option)."""

    model: str | None = None  # None: the dataset's default model
    dataset: str = "digits"
    epochs: int = 20
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    out: str = "runs/latest"
    data_root: str | None = None
    progress: bool = True

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULES = ("none", "step", "exponential", "cosine", "onecycle", "plateau")


def build_optimizer(config: TrainConfig, params: Any) -> optim.Optimizer:
    name = config.optimizer.lower()
    wd = config.weight_decay
    if name == "sgd":
        return optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=config.lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=config.lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    if name == "adagrad":
        return optim.Adagrad(params, lr=config.lr, weight_decay=wd)
    if name == "adadelta":
        return optim.Adadelta(params, lr=config.lr, weight_decay=wd)
    raise ValueError(
        f"train: unknown optimizer {config.optimizer!r} (choose from {', '.join(OPTIMIZERS)})"
    )


def build_scheduler(config: TrainConfig, optimizer: optim.Optimizer, steps_per_epoch: int) -> Any:
    """The learning-rate schedule; 'onecycle' steps every batch, the others every epoch."""
    sched = optim.lr_scheduler
    name = config.schedule.lower()
    if name == "none":
        return None
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(config.epochs // 3, 1), gamma=0.1)
    if name == "exponential":
        return sched.ExponentialLR(optimizer, gamma=0.9)
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=config.epochs)
    if name == "onecycle":
        return sched.OneCycleLR(
            optimizer, max_lr=config.lr, epochs=config.epochs, steps_per_epoch=steps_per_epoch
        )
    if name == "plateau":
        return sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    raise ValueError(
        f"train: unknown schedule {config.schedule!r} (choose from {', '.join(SCHEDULES)})"
    )


def dataset_arrays(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """All samples of a dataset as two arrays (inputs float32, labels int64).

    One fancy index where the dataset offers ``get_batch``; sample by sample otherwise.
    """
    everything = (
        dataset.get_batch(np.arange(len(dataset))) if hasattr(dataset, "get_batch") else None
    )
    if everything is None:
        xs, ys = zip(*(dataset[i] for i in range(len(dataset))))
        everything = np.stack([np.asarray(x) for x in xs]), ys
    x, y = everything
    return np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)


class Trainer:
    """Builds the model, data, optimizer and schedule of a ``TrainConfig`` and trains.

    Args:
        config: the run's settings.
        resume: a checkpoint to continue from (its config wins over ``config``'s,
            except ``epochs``, ``out`` and ``progress``, which may be changed to extend a run).
    """

    def __init__(self, config: TrainConfig, resume: Checkpoint | None = None) -> None:
        from mytorch import datasets, models

        if resume is not None:
            saved = TrainConfig.from_dict(resume.config)
            config = TrainConfig(
                **{
                    **asdict(saved),
                    "epochs": config.epochs,
                    "out": config.out,
                    "progress": config.progress,
                }
            )
        self.config = config
        self.world = World.from_environment()  # several processes when launched by mpirun
        if config.model is None:
            config.model = models.default_model_for(config.dataset)
        mytorch.manual_seed(config.seed)
        self.model = models.get_model(config.model)
        dataset_class: Any = datasets.get_dataset(config.dataset)  # Name(root, train) -> dataset
        train_x, train_y = dataset_arrays(dataset_class(root=config.data_root, train=True))
        test_x, test_y = dataset_arrays(dataset_class(root=config.data_root, train=False))
        self.shuffle_rng = np.random.default_rng(config.seed)
        train_set = TensorDataset(mytorch.tensor(train_x), mytorch.tensor(train_y))
        self.sampler = self.world.sampler(train_set, config.seed)  # this process's shard
        self.train_loader = DataLoader(
            train_set,
            batch_size=config.batch_size,
            shuffle=self.sampler is None,
            sampler=self.sampler,
            generator=self.shuffle_rng,
        )
        self.test_loader = DataLoader(
            TensorDataset(mytorch.tensor(test_x), mytorch.tensor(test_y)), batch_size=1000
        )
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = build_optimizer(config, self.model.parameters())
        self.scheduler = build_scheduler(config, self.optimizer, len(self.train_loader))
        self.out = ensure_dir(config.out)
        self.history: list[dict[str, float]] = []
        self.epoch, self.batches_done = 0, 0
        self.epoch_rng = dict(self.shuffle_rng.bit_generator.state)
        self._stop_requested = False
        if resume is not None:
            self._restore(resume)
        self.net = self.world.wrap(self.model)  # what trains: DistributedDataParallel(model)
        if self.world.size > 1 and self.world.is_main:
            print(
                f"data-parallel on {self.world.size} processes: batch {config.batch_size} "
                f"per process, {self.world.size * config.batch_size} in all"
            )

    @property
    def checkpoint_path(self) -> Path:
        return self.out / CHECKPOINT_NAME

    # -- checkpoints --------------------------------------------------------------------------
    def _checkpoint(self, rng_state: dict[str, Any]) -> Checkpoint:
        return Checkpoint(
            config=asdict(self.config),
            model=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(),
            scheduler=None if self.scheduler is None else self.scheduler.state_dict(),
            epoch=self.epoch,
            batches_done=self.batches_done,
            epoch_rng=self.epoch_rng,
            rng=rng_state,
            history=self.history,
        )

    def _restore(self, ckpt: Checkpoint) -> None:
        self.model.load_state_dict(ckpt.model)
        self.optimizer.load_state_dict(ckpt.optimizer)
        if self.scheduler is not None and ckpt.scheduler is not None:
            self.scheduler.load_state_dict(ckpt.scheduler)
        self.epoch, self.batches_done = ckpt.epoch, ckpt.batches_done
        self.epoch_rng, self.history = ckpt.epoch_rng, list(ckpt.history)
        mytorch.set_rng_state(ckpt.rng)

    def request_stop(self) -> None:
        """Finish the current batch, save a checkpoint, and end the run (what Ctrl-C does)."""
        self._stop_requested = True

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if self._stop_requested:  # a second Ctrl-C: stop now, without waiting for the batch
            raise KeyboardInterrupt
        print(
            "\ninterrupt: finishing this batch and saving a checkpoint (Ctrl-C again to quit now)"
        )
        self.request_stop()

    # -- the loop -------------------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        """Train up to ``config.epochs``; returns the history (one dict of metrics per epoch)."""
        previous_handler = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, self._on_interrupt)
        except ValueError:  # not the main thread: Ctrl-C is not ours to handle
            previous_handler = None
        try:
            while self.epoch < self.config.epochs and not self._stop_requested:
                self._run_epoch()
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
        return self.history

    def _run_epoch(self) -> None:
        config, start = self.config, time.perf_counter()
        # replay this epoch's shuffle from its starting state (also when resuming mid-epoch)
        self.shuffle_rng.bit_generator.state = self.epoch_rng
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
        batches = iter(self.train_loader)
        for _ in range(self.batches_done):
            next(batches)
        self.model.train()
        total_loss = total_correct = seen = 0.0
        bar = progress(
            batches,
            total=len(self.train_loader),
            initial=self.batches_done,
            desc=f"epoch {self.epoch + 1}/{config.epochs}",
            enabled=config.progress and self.world.is_main,
        )
        for x, y in bar:
            logits = self.net(x)
            loss = self.loss_fn(logits, y)
            value = self.world.mean(loss.item())  # every process sees the same value
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"train: the loss became {value} at epoch {self.epoch + 1}, batch "
                    f"{self.batches_done + 1}; stopping. The last good checkpoint is kept at "
                    f"{self.checkpoint_path} (try a lower --lr)"
                )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if isinstance(self.scheduler, optim.lr_scheduler.OneCycleLR):
                self.scheduler.step()
            self.batches_done += 1
            total_loss += value * len(y)
            total_correct += float((logits.argmax(1) == y).sum().item())
            seen += len(y)
            bar.set_postfix_str(f"loss {total_loss / seen:.4f}")
            if self._stop_requested:
                if self.world.is_main:
                    self._checkpoint(mytorch.get_rng_state()).save(self.checkpoint_path)
                print(
                    f"stopped at epoch {self.epoch + 1}, batch {self.batches_done}: "
                    f"checkpoint saved to {self.checkpoint_path}"
                )
                return
        test_loss, test_acc = self.world.from_main(self.evaluate)  # rank 0's buffers
        lr = self.optimizer.param_groups[0]["lr"]
        if isinstance(self.scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(test_loss)
        elif self.scheduler is not None and not isinstance(
            self.scheduler, optim.lr_scheduler.OneCycleLR
        ):
            self.scheduler.step()
        # metrics of the epoch, with the running train figures (as most training scripts report)
        row = {
            "epoch": self.epoch + 1,
            "train_loss": total_loss / max(seen, 1),
            "train_acc": self.world.mean(total_correct / max(seen, 1)),
            "test_loss": test_loss,
            "test_acc": test_acc,
            "lr": lr,
            "seconds": round(time.perf_counter() - start, 3),
        }
        self.history.append(row)
        self.epoch, self.batches_done = self.epoch + 1, 0
        self.epoch_rng = dict(self.shuffle_rng.bit_generator.state)
        if not self.world.is_main:  # rank 0 writes the files and prints
            return
        self._checkpoint(mytorch.get_rng_state()).save(self.checkpoint_path)
        write_metrics(self.out / "metrics.csv", self.history)
        print(
            f"epoch {row['epoch']:>3}/{config.epochs}  train loss {row['train_loss']:.4f} "
            f"acc {100 * row['train_acc']:.2f}%  test loss {test_loss:.4f} "
            f"acc {100 * test_acc:.2f}%  ({row['seconds']:.1f}s)"
        )

    def evaluate(self) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on the test set."""
        return evaluate(self.model, self.test_loader)

    def plot(self) -> str | None:
        if not self.world.is_main:
            return None
        return plot_curves(self.out / "curves.png", self.history)


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` over ``loader``, in eval mode, no graph."""
    model.eval()
    total_loss = correct = seen = 0.0
    with mytorch.no_grad():
        for x, y in loader:
            logits: Tensor = model(x)
            total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += float((logits.argmax(1) == y).sum().item())
            seen += len(y)
    return total_loss / max(seen, 1), correct / max(seen, 1)
