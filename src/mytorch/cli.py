"""The ``mytorch`` command: train, eval, summary, models, datasets, bench, export.

Each subcommand is a function ``add_<name>(subparsers)``, listed in
``COMMANDS``, that registers its parser and sets ``handler`` (a function of the
parsed arguments returning the exit status) with ``set_defaults``; ``main``
dispatches to it. Heavy modules are imported inside the handlers, so
``mytorch --help`` stays instant.

    $ mytorch train                       # the default model on the 8x8 digits
    $ mytorch train --dataset mnist1d --model mnist1d_cnn --epochs 30
    $ mytorch eval runs/latest/checkpoint.npz

Every failure is one line on stderr and a nonzero exit status, never a traceback
(see ``main``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import mytorch

if TYPE_CHECKING:  # the handlers import these lazily, so that `mytorch --help` stays instant
    from mytorch.training.checkpoint import Checkpoint
    from mytorch.training.trainer import Trainer


def add_train(subparsers: Any) -> None:
    from mytorch.training.parallel import mpi_command
    from mytorch.training.trainer import OPTIMIZERS, SCHEDULES, TrainConfig

    defaults = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train a model on a dataset",
        description="Train a classifier, with a progress bar, per-epoch metrics, a checkpoint "
        "(checkpoint.npz), a metrics file (metrics.csv) and a plot (curves.png) in a new folder "
        "runs/<model>-<dataset>-<time> (runs/latest points at the newest), or in --out.",
    )
    # every setting defaults to None, so that a resumed run knows which ones were given
    p.add_argument(
        "--model", help="model name (see `mytorch models`; default: the dataset's default model)"
    )
    p.add_argument(
        "--dataset", help=f"dataset name (see `mytorch datasets`; default {defaults.dataset})"
    )
    p.add_argument("--epochs", type=int, help="number of epochs (default: per dataset)")
    p.add_argument("--batch-size", type=int, help=f"default {defaults.batch_size}")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {defaults.optimizer}")
    p.add_argument("--lr", type=float, help="learning rate (default: per optimizer)")
    p.add_argument(
        "--momentum", type=float, help=f"for sgd and rmsprop (default {defaults.momentum})"
    )
    p.add_argument("--weight-decay", type=float, help=f"default {defaults.weight_decay}")
    p.add_argument("--schedule", choices=SCHEDULES, help=f"default {defaults.schedule}")
    p.add_argument("--seed", type=int, help=f"default {defaults.seed}")
    p.add_argument("--out", help="output folder (default: a new folder in runs/)")
    p.add_argument("--data-root", help="folder holding dataset files")
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue a run from its checkpoint (a file, or a run folder), in its folder; "
        "--epochs may extend it, other settings stay the run's",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    # under `mpirun -n N`: data-parallel, rank 0 prints, a failing process stops them all
    p.set_defaults(handler=mpi_command(run_train))


# the `train` options that are settings of the run (TrainConfig fields)
TRAIN_SETTINGS = (
    "model", "dataset", "epochs", "batch_size", "optimizer", "lr", "momentum",
    "weight_decay", "schedule", "seed", "out", "data_root",
)


def run_train(args: argparse.Namespace) -> int:
    from mytorch.training.checkpoint import Checkpoint
    from mytorch.training.runs import find_checkpoint
    from mytorch.training.trainer import NonFiniteLossError, TrainConfig, Trainer

    given = {k: getattr(args, k) for k in TRAIN_SETTINGS if getattr(args, k) is not None}
    progress = not args.no_progress
    if args.resume is None:
        defaults = TrainConfig()
        recipe = _recipe(given.get("dataset", defaults.dataset),
                         given.get("optimizer", defaults.optimizer))
        resume = None
        config = TrainConfig(**{**recipe, **given, "progress": progress})
    else:  # the checkpoint's settings, where given ones must agree (the Trainer checks)
        resume = Checkpoint.load(find_checkpoint(args.resume))
        config = TrainConfig.from_dict(
            {**resume.config, "out": None, **given, "progress": progress}
        )
    trainer = Trainer(config, resume=resume)
    print(_plan(trainer, resume))
    try:
        trainer.fit()
    except NonFiniteLossError as err:
        raise CLIError(str(err), status=1) from err
    except KeyboardInterrupt:  # a second Ctrl-C
        hint = "" if trainer.last_checkpoint is None else (
            f"; resume with: mytorch train --resume {trainer.last_checkpoint}"
        )
        raise CLIError(f"interrupted: {trainer.kept_note()}{hint}", status=130) from None
    if trainer.epoch < trainer.config.epochs:  # stopped early by Ctrl-C
        print(f"resume with: mytorch train --resume {trainer.checkpoint_path}")
        return 130
    note = trainer.plot()
    print(
        f"checkpoint {trainer.checkpoint_path}, metrics {trainer.out / 'metrics.csv'}, "
        + (note or f"curves {trainer.out / 'curves.png'}")
    )
    if trainer.history:
        print(f"test accuracy: {100 * trainer.history[-1]['test_acc']:.2f}%")
    return 0


def _plan(trainer: Trainer, resume: Checkpoint | None) -> str:
    """What the run will do, where it starts from and where it writes, as printed at the start."""
    config = trainer.config
    lr = trainer.optimizer.param_groups[0]["lr"]
    samples = f"{len(trainer.train_loader.dataset)} train / {len(trainer.test_loader.dataset)} test"
    text = (
        f"training {config.model} on {config.dataset} ({samples} samples) for {config.epochs} "
        f"epochs with {config.optimizer} (lr {config.lr}, {config.schedule} schedule) "
        f"-> {trainer.out}"
    )
    if resume is None:
        return text
    text = (
        f"resuming {resume.path} at epoch {trainer.epoch + 1}, batch {trainer.batches_done + 1} "
        f"(lr now {lr:.6g}): {text}"
    )
    if config.epochs != resume.config["epochs"]:
        text += f"\n--epochs {config.epochs} extends the run (it had {resume.config['epochs']})"
        if trainer.replanned_from is not None:
            text += (
                f": the {config.schedule} schedule is re-planned as if the run had started with "
                f"{config.epochs} epochs"
            )
    return text


def _recipe(dataset: str, optimizer: str) -> dict[str, Any]:
    """Default epochs and learning rate: what trains each dataset well in little time."""
    epochs = {"digits": 20, "mnist1d": 30}.get(dataset, 10)
    lr = {"sgd": 0.05, "rmsprop": 1e-3, "adagrad": 1e-2, "adadelta": 1.0}.get(optimizer, 2e-3)
    return {"epochs": epochs, "lr": lr}


def add_eval(subparsers: Any) -> None:
    p = subparsers.add_parser("eval", help="evaluate a checkpoint on its test set")
    p.add_argument("checkpoint", help="a checkpoint.npz written by `mytorch train` (or its folder)")
    p.add_argument("--data-root", default=None, help="folder holding dataset files")
    p.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from mytorch import datasets
    from mytorch.training.trainer import dataset_arrays, evaluate
    from mytorch.utils.data import DataLoader, TensorDataset

    ckpt, model = _checkpoint_model(args.checkpoint)
    config = ckpt.config
    root = args.data_root or config.get("data_root")
    dataset_class: Any = datasets.get_dataset(config["dataset"])
    x, y = dataset_arrays(dataset_class(root=root, train=False))
    loss, acc = evaluate(
        model, DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y)), batch_size=1000)
    )
    print(
        f"{config['model']} on {config['dataset']} (epoch {ckpt.epoch}): "
        f"test loss {loss:.4f}, test accuracy {100 * acc:.2f}%"
    )
    return 0


def _checkpoint_model(path: str) -> tuple[Any, Any]:
    """The checkpoint at ``path`` (a file or a run folder) and its model with those weights."""
    from mytorch import models
    from mytorch.training.checkpoint import Checkpoint
    from mytorch.training.runs import find_checkpoint

    ckpt = Checkpoint.load(find_checkpoint(path))
    model = models.get_model(ckpt.config["model"])
    try:
        model.load_state_dict(ckpt.model)
    except RuntimeError as err:  # names every missing, unexpected and mismatched weight
        name = ckpt.config["model"]
        raise CLIError(f"{ckpt.path} does not hold {name}'s weights: {err}") from err
    return ckpt, model


def add_summary(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "summary", help="print a model's layers, output shapes and parameters"
    )
    p.add_argument("model", help="model name (see `mytorch models`)")
    p.set_defaults(
        handler=lambda args: _print(
            __import__("mytorch.models").models.get_model(args.model).summary()
        )
    )


def add_models(subparsers: Any) -> None:
    p = subparsers.add_parser("models", help="list the models")
    p.set_defaults(
        handler=lambda args: _print(_table(__import__("mytorch.models").models.available()))
    )


def add_datasets(subparsers: Any) -> None:
    p = subparsers.add_parser("datasets", help="list the datasets")
    p.set_defaults(
        handler=lambda args: _print(_table(__import__("mytorch.datasets").datasets.available()))
    )


def add_bench(subparsers: Any) -> None:
    from mytorch import bench

    p = subparsers.add_parser(
        "bench",
        help="time mytorch against PyTorch (when installed)",
        description="The speed suite: every case with mytorch and PyTorch on the same "
        "data, with default threads and with one thread (each in a child process), in one table "
        "with the ratios and targets; convolution GFLOP/s against NumPy's GEMM; peak memory of a "
        "768x768 conv2d step.",
    )
    bench.add_arguments(p, repeat=5)
    p.add_argument(
        "--only", default=None, help="run only cases whose group or name contains this text"
    )
    p.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from mytorch import bench

    print(bench.run_suite(repeat=args.repeat, only=args.only, threads=args.threads,
                          stat=args.stat, json_path=args.json, note=args.note))
    return 0


def add_export(subparsers: Any) -> None:
    p = subparsers.add_parser("export", help="export a checkpoint's model to ONNX")
    p.add_argument("checkpoint", help="a checkpoint.npz written by `mytorch train` (or its folder)")
    p.add_argument("output", help="the ONNX file to write, e.g. model.onnx")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    p.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Rebuild the checkpoint's model by name, load its weights, export it with a free batch."""
    from mytorch import onnx

    ckpt, model = _checkpoint_model(args.checkpoint)
    onnx.export(model, mytorch.zeros(2, *model.input_shape), args.output,
                input_names=["input"], output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=args.opset)
    print(f"exported {ckpt.config['model']} (epoch {ckpt.epoch}) to {args.output}: input "
          f"'input' (batch, {', '.join(map(str, model.input_shape))}), output 'output'")
    return 0


def _table(rows: dict[str, str]) -> str:
    width = max(map(len, rows), default=0)
    return "\n".join(f"{name:<{width}}  {text}" for name, text in rows.items())


def _print(text: str) -> int:
    print(text)
    return 0


# functions that each register one subcommand on the subparsers object
COMMANDS: list[Callable[[Any], None]] = [
    add_train,
    add_eval,
    add_summary,
    add_models,
    add_datasets,
    add_bench,
    add_export,
]


class CLIError(Exception):
    """A failure a command reports as one line on stderr, exiting with ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse's parser, reporting a usage mistake as one line: ``prog: error: message``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = _Parser(
        prog="mytorch",
        description="mytorch: a readable deep-learning library on NumPy alone.",
    )
    parser.add_argument("--version", action="version", version=f"mytorch {mytorch.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success).

    Every failure ends here as one line on stderr, ``mytorch COMMAND: error: ...``, and a
    nonzero status: 2 for a usage mistake or a bad file or value (``CLIError``,
    ``ValueError``), 1 for what the machine refused (``OSError``: missing files, a
    read-only or full disk; ``ImportError``: a missing optional package) and for a run
    that diverged, 130 for Ctrl-C. Anything else is a bug in mytorch: still one line,
    exit 70, and ``MYTORCH_DEBUG=1`` shows its traceback (as it does for every failure).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:  # no subcommand given: say what there is
        parser.print_help()
        return 0
    try:
        return int(handler(args))
    except (Exception, KeyboardInterrupt) as err:
        if os.environ.get("MYTORCH_DEBUG"):
            raise
        message, status = _failure(err)
        message = " ".join(message.split())  # one line, whatever the message holds
        message = message.removeprefix(f"{args.command}: ")  # "train: ..." after "mytorch train"
        print(f"mytorch {args.command}: error: {message}", file=sys.stderr)
        return status


def _failure(err: BaseException) -> tuple[str, int]:
    """The one-line message and exit status of a failed command."""
    if isinstance(err, CLIError):
        return str(err), err.status
    if isinstance(err, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(err, OSError):
        reason = err.strerror or str(err)
        return (f"{reason}: '{err.filename}'" if err.filename else reason), 1
    if isinstance(err, ImportError):
        return str(err), 1
    if isinstance(err, ValueError):
        return str(err), 2
    return (
        f"internal error (a bug in mytorch, please report it): {type(err).__name__}: {err} "
        "(run with MYTORCH_DEBUG=1 to see the traceback)",
        70,
    )


if __name__ == "__main__":
    raise SystemExit(main())
