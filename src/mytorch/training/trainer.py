"""The training loop behind ``mytorch train``: classification with cross-entropy.

``Trainer(config).fit()`` trains, evaluates after every epoch, writes a
checkpoint, the metrics CSV and the curves, and returns the history. A run
can be resumed from its checkpoint and continues exactly as if it had never
stopped: same batches, same dropout masks, same weights.

Stopping: Ctrl-C (or ``request_stop()``) finishes the current batch, saves a
checkpoint and ends the run; a second Ctrl-C stops at once (``KeyboardInterrupt``),
but never in the middle of writing a file. A train or test loss that becomes NaN or
infinite stops the run with ``NonFiniteLossError`` and leaves the last good
checkpoint untouched (every end-of-epoch checkpoint evaluates finite).
"""

from __future__ import annotations

import math
import signal
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from mytorch import nn, optim
from mytorch._tensor import Tensor
from mytorch.autograd.grad_mode import no_grad
from mytorch.creation import tensor
from mytorch.random import get_rng_state, manual_seed, set_rng_state
from mytorch.training.checkpoint import RUNNING_SUMS, Checkpoint
from mytorch.training.parallel import World
from mytorch.training.progress import progress
from mytorch.training.report import plot_curves, writable_dir, write_metrics
from mytorch.training.runs import CHECKPOINT_NAME, new_run_dir, real_folder
from mytorch.utils.data import DataLoader, TensorDataset


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
    out: str | None = None  # None: a new folder runs/<model>-<dataset>-<time> (see runs.py)
    data_root: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        positive_int, non_negative_int = "a positive integer", "a non-negative integer"
        checks = (  # option, value, whether it is valid, what it should be
            ("epochs", self.epochs, _is_int(self.epochs) and self.epochs >= 1, positive_int),
            ("batch-size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1,
             positive_int),
            ("seed", self.seed, _is_int(self.seed) and self.seed >= 0, non_negative_int),
            ("lr", self.lr, _is_number(self.lr) and 0 < self.lr < math.inf, "a positive number"),
            ("momentum", self.momentum,
             _is_number(self.momentum) and 0 <= self.momentum < math.inf, "a non-negative number"),
            ("weight-decay", self.weight_decay,
             _is_number(self.weight_decay) and 0 <= self.weight_decay < math.inf,
             "a non-negative number"),
            ("optimizer", self.optimizer, self.optimizer in OPTIMIZERS,
             f"one of {', '.join(OPTIMIZERS)}"),
            ("schedule", self.schedule, self.schedule in SCHEDULES,
             f"one of {', '.join(SCHEDULES)}"),
        )
        for option, value, valid, wanted in checks:
            if not valid:
                raise ValueError(f"train: --{option} must be {wanted}, got {value!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULES = ("none", "step", "exponential", "cosine", "onecycle", "plateau")
# schedules planned over the run's length: extending a run re-plans them
PLANNED_SCHEDULES = ("step", "cosine", "onecycle")
# what a resumed run may change; every other setting must stay the checkpoint's
CHANGEABLE_ON_RESUME = ("epochs", "out", "data_root", "progress")


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
        resume: a checkpoint to continue from. ``config`` must agree with the checkpoint's
            settings except in ``CHANGEABLE_ON_RESUME`` (``model`` None: the checkpoint's;
            ``out`` None: the checkpoint's folder; ``data_root`` None: the checkpoint's).
            Giving more ``epochs`` extends the run, re-planning an epoch-planned schedule
            (step, cosine, one-cycle) as if the run had started with that many epochs.

    Raises:
        ValueError: a setting is out of range, contradicts the checkpoint, or the
            checkpoint does not fit its model.
    """

    def __init__(self, config: TrainConfig, resume: Checkpoint | None = None) -> None:
        from mytorch import datasets, models

        dataset_class: Any = datasets.get_dataset(config.dataset)  # Name(root, train) -> dataset
        if config.model is None and resume is None:
            config = replace(config, model=models.default_model_for(config.dataset))
        self.replanned_from: int | None = None  # the old epoch count, when extending re-planned
        if resume is not None:
            config = _resumed_config(config, resume)
            saved_epochs = resume.config["epochs"]
            if config.epochs != saved_epochs and config.schedule in PLANNED_SCHEDULES:
                self.replanned_from = saved_epochs
        self.config = config
        assert config.model is not None
        self.world = World.from_environment()  # several processes when launched by mpirun
        manual_seed(config.seed)
        self.model = models.get_model(config.model)
        train_x, train_y = dataset_arrays(dataset_class(root=config.data_root, train=True))
        test_x, test_y = dataset_arrays(dataset_class(root=config.data_root, train=False))
        self.shuffle_rng = np.random.default_rng(config.seed)
        train_set = TensorDataset(tensor(train_x), tensor(train_y))
        self.sampler = self.world.sampler(train_set, config.seed)  # this process's shard
        self.train_loader = DataLoader(
            train_set,
            batch_size=config.batch_size,
            shuffle=self.sampler is None,
            sampler=self.sampler,
            generator=self.shuffle_rng,
        )
        self.test_loader = DataLoader(
            TensorDataset(tensor(test_x), tensor(test_y)), batch_size=1000
        )
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = build_optimizer(config, self.model.parameters())
        self.scheduler = build_scheduler(config, self.optimizer, len(self.train_loader))
        # rank 0 makes (and checks) the run's folder; the other processes only learn its name
        model_name = config.model

        def make_out() -> str:
            out = config.out if config.out is not None else new_run_dir(model_name, config.dataset)
            return str(writable_dir(out))

        self.out = Path(self.world.text_from_main(make_out))
        config.out = str(self.out)
        self.history: list[dict[str, float]] = []
        self.epoch, self.batches_done = 0, 0
        self.running = dict.fromkeys(RUNNING_SUMS, 0.0)  # sums over the epoch's batches so far
        self.epoch_rng = dict(self.shuffle_rng.bit_generator.state)
        # the newest checkpoint on disk from this run (None: nothing saved yet)
        self.last_checkpoint: Path | None = None
        self._stop_requested = self._saving = self._quit_after_saving = False
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

    def kept_note(self) -> str:
        """What a user still has when the run ends early: the last checkpoint, or nothing."""
        if self.last_checkpoint is None:
            return "no checkpoint was kept (none had been saved yet)"
        return f"the last good checkpoint is kept at {self.last_checkpoint}"

    # -- checkpoints --------------------------------------------------------------------------
    def _checkpoint(self, rng_state: dict[str, Any]) -> Checkpoint:
        return Checkpoint(
            config=asdict(self.config),
            model=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(),
            scheduler=None if self.scheduler is None else self.scheduler.state_dict(),
            epoch=self.epoch,
            batches_done=self.batches_done,
            running=dict(self.running),
            epoch_rng=self.epoch_rng,
            rng=rng_state,
            history=self.history,
        )

    def _restore(self, ckpt: Checkpoint) -> None:
        try:
            self.model.load_state_dict(ckpt.model)
            self.optimizer.load_state_dict(ckpt.optimizer)
            if self.replanned_from is not None:
                self.scheduler = self._replanned_scheduler(ckpt.epoch, ckpt.batches_done)
            elif self.scheduler is not None:
                if ckpt.scheduler is None:
                    raise ValueError("it holds no schedule state")
                self.scheduler.load_state_dict(ckpt.scheduler)
            self.shuffle_rng.bit_generator.state = ckpt.epoch_rng  # checks it: replayed per epoch
            set_rng_state(ckpt.rng)
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise ValueError(
                f"train: {ckpt.path or 'the checkpoint'} does not fit {self.config.model} "
                f"with {self.config.optimizer}: {err}"
            ) from err
        self.epoch, self.batches_done = ckpt.epoch, ckpt.batches_done
        self.running = dict(ckpt.running)
        self.epoch_rng, self.history = ckpt.epoch_rng, list(ckpt.history)
        self.last_checkpoint = ckpt.path

    def _replanned_scheduler(self, epoch: int, batches_done: int) -> Any:
        """A fresh schedule over ``config.epochs``, advanced to where the run stands.

        The rates are those the run would have had, had it been started with the new
        epoch count (the old plan would, e.g., continue a finished cosine run near lr 0).
        """
        for group in self.optimizer.param_groups:  # the rates the new plan starts from
            group["lr"] = self.config.lr
            group.pop("initial_lr", None)
        scheduler = build_scheduler(self.config, self.optimizer, len(self.train_loader))
        per_batch = isinstance(scheduler, optim.lr_scheduler.OneCycleLR)
        steps_taken = epoch * len(self.train_loader) + batches_done if per_batch else epoch
        for _ in range(steps_taken):
            scheduler.step()
        return scheduler

    def request_stop(self) -> None:
        """Finish the current batch, save a checkpoint, and end the run (what Ctrl-C does)."""
        self._stop_requested = True

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if not self._stop_requested:
            print(
                "\ninterrupt: finishing this batch and saving a checkpoint "
                "(Ctrl-C again to quit now)"
            )
            self.request_stop()
        elif self._saving:  # a second Ctrl-C while writing: quit once the files are whole
            self._quit_after_saving = True
        else:  # a second Ctrl-C: stop now, without waiting for the batch
            raise KeyboardInterrupt

    def _save(self) -> None:
        """Write the checkpoint and the metrics; a second Ctrl-C meanwhile waits for the end.

        Under mpirun, rank 0 alone writes (every process holds the same model)."""
        if not self.world.is_main:
            return
        self._saving = True
        try:
            self._checkpoint(get_rng_state()).save(self.checkpoint_path)
            self.last_checkpoint = self.checkpoint_path
            write_metrics(self.out / "metrics.csv", self.history)
        except OSError as err:
            raise OSError(
                err.errno,
                f"train: could not save to {self.out} ({err.strerror or err}); {self.kept_note()}",
            ) from err
        finally:
            self._saving = False
        if self._quit_after_saving:
            raise KeyboardInterrupt

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
        sums = self.running  # continued from the checkpoint when resuming mid-epoch
        start -= sums["seconds"]
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
                    f"{self.batches_done + 1}; stopping: {self.kept_note()} (try a lower --lr)"
                )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if isinstance(self.scheduler, optim.lr_scheduler.OneCycleLR):
                self.scheduler.step()
            self.batches_done += 1
            sums["loss"] += value * len(y)
            sums["correct"] += float((logits.argmax(1) == y).sum().item())
            sums["seen"] += len(y)
            bar.set_postfix_str(f"loss {sums['loss'] / sums['seen']:.4f}")
            if self._stop_requested:
                sums["seconds"] = time.perf_counter() - start
                self._save()
                print(
                    f"stopped at epoch {self.epoch + 1}, batch {self.batches_done}: "
                    f"checkpoint saved to {self.checkpoint_path}"
                )
                return
        test_loss, test_acc = self.world.from_main(self.evaluate)  # rank 0's buffers
        if not math.isfinite(test_loss):
            raise NonFiniteLossError(
                f"train: the test loss became {test_loss} after epoch {self.epoch + 1}; "
                f"stopping: {self.kept_note()} (try a lower --lr)"
            )
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
            "train_loss": sums["loss"] / max(sums["seen"], 1),  # the loss is already global
            "train_acc": self.world.mean(sums["correct"] / max(sums["seen"], 1)),
            "test_loss": test_loss,
            "test_acc": test_acc,
            "lr": lr,
            "seconds": round(time.perf_counter() - start, 3),
        }
        self.history.append(row)
        self.epoch, self.batches_done = self.epoch + 1, 0
        self.running = dict.fromkeys(RUNNING_SUMS, 0.0)
        self.epoch_rng = dict(self.shuffle_rng.bit_generator.state)
        self._save()
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


def _resumed_config(config: TrainConfig, ckpt: Checkpoint) -> TrainConfig:
    """``config`` checked against the checkpoint's settings, its gaps filled from them.

    Raises:
        ValueError: a setting outside ``CHANGEABLE_ON_RESUME`` differs from the checkpoint's
            (naming both values), or ``epochs`` leaves nothing to train.
    """
    saved = TrainConfig.from_dict(ckpt.config)
    where = ckpt.path or "the checkpoint"
    config = replace(
        config,
        model=config.model if config.model is not None else saved.model,
        data_root=config.data_root if config.data_root is not None else saved.data_root,
        out=config.out if config.out is not None else str(
            real_folder(ckpt.path.parent) if ckpt.path is not None else saved.out
        ),
    )
    changed = [
        f"--{f.name.replace('_', '-')} {getattr(config, f.name)} "
        f"(the run has {getattr(saved, f.name)})"
        for f in fields(TrainConfig)
        if f.name not in CHANGEABLE_ON_RESUME and getattr(config, f.name) != getattr(saved, f.name)
    ]
    if changed:
        raise ValueError(
            f"train: cannot resume {where} with {', '.join(changed)}: a resumed run keeps its "
            "settings (only --epochs, --out and --data-root may change); start a new run instead"
        )
    if config.epochs <= ckpt.epoch:
        raise ValueError(
            f"train: {where} has finished its {ckpt.epoch} epochs; give --epochs N with "
            f"N > {ckpt.epoch} to train on"
            if config.epochs == saved.epochs
            else f"train: --epochs {config.epochs}, but {where} has already trained "
            f"{ckpt.epoch} epochs; give N > {ckpt.epoch}"
        )
    return config


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` over ``loader``, in eval mode, no graph."""
    model.eval()
    total_loss = correct = seen = 0.0
    with no_grad():
        for x, y in loader:
            logits: Tensor = model(x)
            total_loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += float((logits.argmax(1) == y).sum().item())
            seen += len(y)
    return total_loss / max(seen, 1), correct / max(seen, 1)
