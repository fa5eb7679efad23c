"""The ``mytorch`` command.

Each subcommand is a function ``add_<name>(subparsers)``, listed in
``COMMANDS``, that registers its parser and sets ``handler`` (a function of the
parsed arguments returning the exit status) with ``set_defaults``; ``main``
dispatches to it. Subcommands (train, eval, summary, models, datasets, bench)
join ``COMMANDS`` as they are written.

    $ mytorch --version
    mytorch 0.1.0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import mytorch

# functions that each register one subcommand on the subparsers object
COMMANDS: list[Callable[[Any], None]] = []


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="mytorch",
        description="mytorch: a readable deep-learning library on NumPy alone.",
    )
    parser.add_argument(
        "--version", action="version", version=f"mytorch {mytorch.__version__}",
    )
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
