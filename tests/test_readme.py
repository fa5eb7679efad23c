"""The README's promises: its two opening commands, and an autograd example that really runs."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_opens_with_exactly_two_commands() -> None:
    blocks = _code_blocks(README)
    before_first_section = README.split("\n## ", 1)[0]
    assert len(_code_blocks(before_first_section)) == 2
    (lang1, run), (lang2, test) = blocks[:2]
    assert lang1 == lang2 == "bash"
    assert run.count("\n") == 1 and test.count("\n") == 1  # one line each
    assert run.startswith(
        'python3 -m venv .venv && .venv/bin/pip install -e ".[data,plot,progress]" && '
    )
    assert run.strip().endswith(".venv/bin/mytorch train")  # the main job, default model and data
    assert test.startswith('python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && ')


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _code_blocks(README)[1][1].strip()
    pytest_args = test_command.split("/bin/python -m pytest", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert f'"$venv/bin/python" -m pytest{pytest_args}\n' in ci
    assert 'pip install --quiet -e ".[test,mpi,docs]"' in ci  # the mpirun tests, the book
    assert "mkdocs\" build --strict" in ci
    assert 'ruff" check src tests' in ci and 'mypy" src' in ci


def test_readme_autograd_example_runs() -> None:
    examples = [body for lang, body in _code_blocks(README) if lang == "python"]
    assert len(examples) == 1
    assert 10 <= examples[0].count("\n") <= 25
    test = doctest.DocTestParser().get_doctest(examples[0], {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert result.attempted >= 10 and result.failed == 0
