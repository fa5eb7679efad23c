"""The `mytorch` command line: --version, --help, and the dispatch that subcommands plug into."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import mytorch
from mytorch import cli


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mytorch {mytorch.__version__}"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: mytorch") and "--version" in out


def test_no_command_prints_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    assert capsys.readouterr().out.startswith("usage: mytorch")


def test_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["no-such-command"], ["train", "--epochs", "many"],
                                  ["train", "--optimizer", "nope"], ["eval"],
                                  ["bench", "--repeat", "0"]])
def test_a_usage_mistake_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """argparse's "prog: error: message" line, without the usage lines (train's takes five)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and ": error: " in err and "--help" in err, err


def test_summary_of_an_unknown_model_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["summary", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mytorch summary: error: unknown model 'nosuch'; available: "
        f"{', '.join(mytorch.models.MODELS)}\n"
    )


def test_a_registered_subcommand_is_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def add_echo(subparsers: Any) -> None:
        parser = subparsers.add_parser("echo", help="print a word")
        parser.add_argument("word")
        parser.set_defaults(handler=lambda args: calls.append(args.word) or 3)

    monkeypatch.setattr(cli, "COMMANDS", [add_echo])
    assert cli.main(["echo", "hi"]) == 3
    assert calls == ["hi"]


@pytest.mark.parametrize("module", ["mytorch.cli", "mytorch"])
def test_module_entry_point_runs(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"mytorch {mytorch.__version__}"


def test_the_command_reports_a_mistake_in_one_line_without_a_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "mytorch", "summary", "nosuch"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("mytorch summary: error: unknown model 'nosuch'")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
