"""The ``mytorch`` command: train, eval, summary, models, datasets, bench.

Each subcommand is a function ``add_<name>(subparsers)``, listed in
``COMMANDS``, that registers its parser and sets ``handler`` (a function of the
parsed arguments returning the exit status) with ``set_defaults``; ``main``
dispatches to it. Heavy modules are imported inside the handlers, so
``mytorch --help`` stays instant.

    $ mytorch train                       # the default model on the 8x8 digits
    $ mytorch train --dataset mnist1d --model mnist1d_cnn --epochs 30
    $ mytorch eval runs/latest/checkpoint.npz
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

import mytorch


def add_train(subparsers: Any) -> None:
    from mytorch.training.parallel import mpi_command
    from mytorch.training.trainer import OPTIMIZERS, SCHEDULES, TrainConfig

    defaults = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train a model on a dataset",
        description="Train a classifier, with a progress bar, per-epoch metrics, a checkpoint "
        "(checkpoint.npz), a metrics file (metrics.csv) and a plot (curves.png) in --out.",
    )
    p.add_argument(
        "--model",
        default=None,
        help="model name (see `mytorch models`; default: the dataset's default model)",
    )
    p.add_argument(
        "--dataset",
        default=defaults.dataset,
        help=f"dataset name (see `mytorch datasets`; default {defaults.dataset})",
    )
    p.add_argument(
        "--epochs", type=int, default=None, help="number of epochs (default: per dataset)"
    )
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: per optimizer)")
    p.add_argument("--momentum", type=float, default=defaults.momentum, help="for sgd and rmsprop")
    p.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    p.add_argument("--schedule", choices=SCHEDULES, default=defaults.schedule)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--out", default=defaults.out, help=f"output folder (default {defaults.out})")
    p.add_argument("--data-root", default=None, help="folder holding dataset files")
    p.add_argument(
        "--resume",
        default=None,
        metavar="CHECKPOINT",
        help="continue a run from its checkpoint (a file, or a run folder)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    # under `mpirun -n N`: data-parallel, rank 0 prints, a failing process stops them all
    p.set_defaults(handler=mpi_command(run_train))


def run_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mytorch.training.checkpoint import Checkpoint
    from mytorch.training.trainer import CHECKPOINT_NAME, NonFiniteLossError, TrainConfig, Trainer

    resume = None
    if args.resume is not None:
        path = Path(args.resume)
        resume = Checkpoint.load(path / CHECKPOINT_NAME if path.is_dir() else path)
    config = TrainConfig(
        model=args.model,
        dataset=args.dataset,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        seed=args.seed,
        out=args.out,
        data_root=args.data_root,
        progress=not args.no_progress,
    )
    recipe = _recipe(args.dataset, args.optimizer)
    config.epochs = (
        args.epochs
        if args.epochs is not None
        else (resume.config["epochs"] if resume is not None else recipe["epochs"])
    )
    config.lr = args.lr if args.lr is not None else recipe["lr"]
    try:
        trainer = Trainer(config, resume=resume)
        print(
            f"training {trainer.config.model} on {trainer.config.dataset} "
            f"({len(trainer.train_loader.dataset)} train / {len(trainer.test_loader.dataset)} test "
            f"samples) for {trainer.config.epochs} epochs with {trainer.config.optimizer} "
            f"(lr {trainer.config.lr}, {trainer.config.schedule} schedule) -> {trainer.out}"
        )
        history = trainer.fit()
    except NonFiniteLossError as err:
        print(err, file=sys.stderr)
        return 1
    except (FileNotFoundError, ImportError, ValueError) as err:
        print(f"mytorch train: {err}", file=sys.stderr)
        return 2
    if trainer.epoch < trainer.config.epochs:  # stopped early by Ctrl-C
        print(f"resume with: mytorch train --resume {trainer.checkpoint_path}")
        return 130
    note = trainer.plot()
    print(
        f"checkpoint {trainer.checkpoint_path}, metrics {trainer.out / 'metrics.csv'}, "
        + (note or f"curves {trainer.out / 'curves.png'}")
    )
    if history:
        print(f"test accuracy: {100 * history[-1]['test_acc']:.2f}%")
    return 0


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
    from pathlib import Path

    from mytorch import datasets, models
    from mytorch.training.checkpoint import Checkpoint
    from mytorch.training.trainer import CHECKPOINT_NAME, dataset_arrays, evaluate
    from mytorch.utils.data import DataLoader, TensorDataset

    path = Path(args.checkpoint)
    ckpt = Checkpoint.load(path / CHECKPOINT_NAME if path.is_dir() else path)
    config = ckpt.config
    model = models.get_model(config["model"])
    model.load_state_dict(ckpt.model)
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
    p = subparsers.add_parser("bench", help="time mytorch against PyTorch (when installed)")
    p.add_argument(
        "--repeat", type=int, default=5, help="timed repetitions per case (median shown)"
    )
    p.add_argument("--only", default=None, help="run only cases whose name contains this text")
    p.set_defaults(
        handler=lambda args: _print(
            __import__("mytorch.bench").bench.run_suite(repeat=args.repeat, only=args.only)
        )
    )


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
]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(
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

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:  # no subcommand given: say what there is
        parser.print_help()
        return 0
    return int(handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
