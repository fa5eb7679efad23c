"""`mytorch train` and `mytorch eval` at their edges: every mistake one line, resume, run folders.

The in-process tests drive ``cli.main([...])``; a few run the real command
(``python -m mytorch``) and check that stderr is exactly one line, never a traceback.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("sklearn")  # the digits dataset ships with scikit-learn

import mytorch  # noqa: E402
from mytorch import cli, optim  # noqa: E402
from mytorch.training import Checkpoint, Trainer  # noqa: E402

QUIET = ["--no-progress"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, data: str) -> Path:
    """A run folder holding a finished 1-epoch run of digits_cnn on digits."""
    out = tmp_path_factory.mktemp("finished") / "run"
    status = cli.main(["train", "--epochs", "1", "--batch-size", "128", "--out", str(out),
                       "--data-root", data, *QUIET])
    assert status == 0
    return out


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    """``main(argv)``'s status (or the exception that escaped it), stdout and stderr."""
    try:
        status: object = cli.main(argv)
    except (Exception, KeyboardInterrupt) as err:  # before the fix: a traceback
        status = f"{type(err).__name__} escaped main: {err}"
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mytorch ") and ": error: " in lines[0], err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], err


# -- the table of mistakes ---------------------------------------------------------------------
def _files(root: Path, finished: Path) -> dict[str, Path]:
    """Bad checkpoints of every kind, made once per test under ``root``."""
    good = (finished / "checkpoint.npz").read_bytes()
    files = {
        "missing": root / "nosuch.npz",
        "truncated": root / "truncated.npz",
        "random": root / "random.npz",
        "state_dict": root / "state_dict.npz",
        "empty_folder": root / "empty",
        "other_model": root / "other_model" / "checkpoint.npz",
        "a_file": root / "a_file",
    }
    files["truncated"].write_bytes(good[: len(good) // 2])
    files["random"].write_bytes(os.urandom(4096))
    mytorch.save({"w": mytorch.ones(3)}, files["state_dict"])
    files["empty_folder"].mkdir()
    other = Checkpoint.load(finished / "checkpoint.npz")
    other.config["model"] = "lenet5"  # the weights are digits_cnn's
    files["other_model"].parent.mkdir()
    other.save(files["other_model"])
    files["a_file"].write_text("not a folder")
    return files


CHECKPOINT_MISTAKES = [  # (which file, exit status, what the line says)
    ("missing", 1, "no such checkpoint"),
    ("truncated", 2, "is not a readable checkpoint"),
    ("random", 2, "is not a readable checkpoint"),
    ("state_dict", 2, "is not a mytorch training checkpoint (missing config"),
    ("empty_folder", 1, "no checkpoint.npz in the folder"),
    ("other_model", 2, "lenet5"),
]


@pytest.mark.parametrize("command", ["train --resume", "eval"])
@pytest.mark.parametrize("which, status, says", CHECKPOINT_MISTAKES)
def test_a_bad_checkpoint_is_one_line(tmp_path, capsys, finished, data, command, which, status,
                                      says):
    path = _files(tmp_path, finished)[which]
    argv = [*command.split(), str(path), "--data-root", data]
    if command.startswith("train"):
        argv += ["--epochs", "2", *QUIET]
    got, _, err = run(argv, capsys)
    assert got == status, err
    assert_one_line(err, says)


OPTION_MISTAKES = [  # (arguments, exit status, what the line says)
    (["--epochs", "0"], 2, "--epochs must be a positive integer, got 0"),
    (["--epochs", "-3"], 2, "--epochs must be a positive integer, got -3"),
    (["--batch-size", "0"], 2, "--batch-size must be a positive integer, got 0"),
    (["--batch-size", "-8"], 2, "--batch-size must be a positive integer, got -8"),
    (["--lr", "-0.1"], 2, "--lr must be a positive number, got -0.1"),
    (["--lr", "nan"], 2, "--lr must be a positive number"),
    (["--momentum", "-1"], 2, "--momentum must be a non-negative number"),
    (["--weight-decay", "-1"], 2, "--weight-decay must be a non-negative number"),
    (["--seed", "-1"], 2, "--seed must be a non-negative integer"),
    (["--model", "nosuch"], 2, "unknown model 'nosuch'"),
    (["--dataset", "nosuch"], 2, "unknown dataset 'nosuch'"),
    (["--dataset", "mnist"], 1, "MNIST: train-images-idx3-ubyte"),  # no files in --data-root
]


@pytest.mark.parametrize("options, status, says", OPTION_MISTAKES)
def test_a_bad_option_is_one_line_and_writes_nothing(tmp_path, capsys, options, status, says):
    out = tmp_path / "run"
    argv = ["train", *options, "--out", str(out), "--data-root", str(tmp_path / "data"), *QUIET]
    got, stdout, err = run(argv, capsys)
    assert got == status, err
    assert_one_line(err, says)
    assert not out.exists() and "checkpoint" not in stdout  # no files named, none written


@pytest.mark.parametrize("where, says", [("a_file", "it is a file"),
                                         ("under_a_file", "Not a directory")])
def test_an_out_that_is_not_a_folder_is_one_line(tmp_path, capsys, finished, data, where, says):
    a_file = _files(tmp_path, finished)["a_file"]
    out = a_file if where == "a_file" else a_file / "run"
    got, _, err = run(["train", "--epochs", "1", "--out", str(out), "--data-root", data, *QUIET],
                      capsys)
    assert got == 1
    assert_one_line(err, f"cannot write into the folder '{out}'", says)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_out_is_one_line(tmp_path, capsys, data):
    out = tmp_path / "read_only"
    out.mkdir()
    out.chmod(0o555)
    got, _, err = run(["train", "--epochs", "1", "--out", str(out), "--data-root", data, *QUIET],
                      capsys)
    assert got == 1
    assert_one_line(err, "Permission denied")


@pytest.mark.parametrize("errno_name", ["EACCES", "EROFS"])
def test_an_unwritable_out_is_found_before_training(tmp_path, capsys, monkeypatch, data,
                                                    errno_name):
    """Root can write into a chmod 555 folder, so a refusal (EACCES, or EROFS for a read-only
    file system) is simulated at the probe; this checks its report, and that no epoch ran."""
    import errno

    def refused(*args, **kwargs):
        code = getattr(errno, errno_name)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    monkeypatch.setattr(Trainer, "fit", lambda self: pytest.fail("trained into an unwritable out"))
    got, _, err = run(["train", "--out", str(tmp_path / "run"), "--data-root", data, *QUIET],
                      capsys)
    assert got == 1
    assert_one_line(err, "cannot write into the folder", os.strerror(getattr(errno, errno_name)))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(tmp_path, capsys, monkeypatch,
                                                               data):
    """The second checkpoint is written into /dev/full, which fails as a full disk does."""
    real_mkstemp, checkpoints = tempfile.mkstemp, [0]

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        if ".checkpoint.npz." in name:
            checkpoints[0] += 1
            if checkpoints[0] == 2:
                os.close(fd)
                fd = os.open("/dev/full", os.O_WRONLY)  # every write: ENOSPC
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    out = tmp_path / "run"
    got, _, err = run(["train", "--epochs", "2", "--batch-size", "128", "--out", str(out),
                       "--data-root", data, *QUIET], capsys)
    assert got == 1
    assert_one_line(err, "No space left on device",
                    f"the last good checkpoint is kept at {out / 'checkpoint.npz'}")
    assert Checkpoint.load(out / "checkpoint.npz").epoch == 1  # whole, and the epoch-1 one
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "metrics.csv"]  # no temp


def test_a_bug_is_one_line_that_says_how_to_see_it(capsys, monkeypatch):
    def broken(args):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(cli, "run_eval", broken)
    monkeypatch.delenv("MYTORCH_DEBUG", raising=False)
    got, _, err = run(["eval", "x"], capsys)
    assert got == 70
    assert_one_line(err, "internal error", "TypeError: unsupported operand", "MYTORCH_DEBUG=1")
    monkeypatch.setenv("MYTORCH_DEBUG", "1")
    with pytest.raises(TypeError):
        cli.main(["eval", "x"])


# -- resume ------------------------------------------------------------------------------------
def send_ctrl_c_at_steps(monkeypatch, *steps: int, during_save: bool = False) -> None:
    """Press Ctrl-C (a real SIGINT) after the given optimizer steps, or the second one while
    the checkpoint is being written."""
    real_step, real_save, count = optim.Adam.step, Checkpoint.save, [0]

    def step(self, *args, **kwargs):
        result = real_step(self, *args, **kwargs)
        count[0] += 1
        for _ in range(steps.count(count[0])):
            os.kill(os.getpid(), signal.SIGINT)
        return result

    def save(self, path):
        if during_save:
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(self, path)

    monkeypatch.setattr(optim.Adam, "step", step)
    monkeypatch.setattr(Checkpoint, "save", save)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_the_printed_resume_hint_continues_in_the_run_folder(tmp_path, capsys, monkeypatch,
                                                             data):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "a"
    send_ctrl_c_at_steps(monkeypatch, 14)  # 12 batches of 128 per epoch: in epoch 2
    got, stdout, _ = run(["train", "--epochs", "2", "--batch-size", "128", "--out", str(out),
                          "--data-root", data, *QUIET], capsys)
    assert got == 130
    hint = stdout.strip().splitlines()[-1]
    assert hint == f"resume with: mytorch train --resume {out / 'checkpoint.npz'}"
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    got, stdout, err = run([*hint.split()[3:], "--data-root", data, *QUIET], capsys)
    assert got == 0, err
    assert "resuming" in stdout and "at epoch 2, batch 3" in stdout
    assert not (tmp_path / "runs").exists()  # not a new folder: the run's own
    assert [row["epoch"] for row in rows(out / "metrics.csv")] == ["1", "2"]


@pytest.mark.parametrize("flag, value, saved", [
    ("--model", "lenet5", "digits_cnn"),
    ("--dataset", "mnist1d", "digits"),
    ("--lr", "0.01", "0.002"),
    ("--batch-size", "32", "128"),
    ("--optimizer", "sgd", "adam"),
    ("--schedule", "none", "cosine"),
    ("--momentum", "0.5", "0.9"),
    ("--weight-decay", "0.1", "0.0"),
    ("--seed", "7", "0"),
])
def test_resume_refuses_settings_that_contradict_the_checkpoint(capsys, finished, data, flag,
                                                                value, saved):
    got, _, err = run(["train", "--resume", str(finished), "--epochs", "2", flag, value,
                       "--data-root", data, *QUIET], capsys)
    assert got == 2
    assert_one_line(err, f"{flag} {value} (the run has {saved})", "start a new run")


def test_resume_of_a_finished_run_asks_for_more_epochs(capsys, finished, data):
    got, _, err = run(["train", "--resume", str(finished), "--data-root", data, *QUIET], capsys)
    assert got == 2
    assert_one_line(err, "has finished its 1 epochs", "--epochs N with N > 1")


def test_extending_a_finished_cosine_run_replans_the_schedule(tmp_path, capsys, finished, data):
    """Extended from 1 to 3 epochs, the run equals one started with 3 (the old plan would
    train epoch 2 at lr 0); settings given equal to the checkpoint's are accepted."""
    common = ["--batch-size", "128", "--data-root", data, *QUIET]
    assert cli.main(["train", "--epochs", "3", "--out", str(tmp_path / "straight"), *common]) == 0
    extended = tmp_path / "extended"
    shutil.copytree(finished, extended)
    capsys.readouterr()
    got, stdout, err = run(["train", "--resume", str(extended), "--epochs", "3", "--lr", "0.002",
                            "--schedule", "cosine", *common], capsys)
    assert got == 0, err
    assert "--epochs 3 extends the run (it had 1): the cosine schedule is re-planned" in stdout
    straight, resumed = rows(tmp_path / "straight" / "metrics.csv"), rows(extended / "metrics.csv")
    assert float(resumed[1]["lr"]) > 0
    for a, b in zip(straight, resumed, strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"}


# -- Ctrl-C ------------------------------------------------------------------------------------
def test_a_second_ctrl_c_while_saving_ends_with_one_line_and_a_whole_checkpoint(
        tmp_path, capsys, monkeypatch, data):
    send_ctrl_c_at_steps(monkeypatch, 3, during_save=True)
    out = tmp_path / "run"
    got, _, err = run(["train", "--epochs", "1", "--batch-size", "128", "--out", str(out),
                       "--data-root", data, *QUIET], capsys)
    assert got == 130
    assert_one_line(err, "interrupted", f"kept at {out / 'checkpoint.npz'}",
                    f"resume with: mytorch train --resume {out / 'checkpoint.npz'}")
    saved = Checkpoint.load(out / "checkpoint.npz")  # written to the end despite the Ctrl-C
    assert (saved.epoch, saved.batches_done) == (0, 3)


def test_a_second_ctrl_c_in_a_batch_stops_at_once_with_one_line(tmp_path, capsys, monkeypatch,
                                                                 data):
    send_ctrl_c_at_steps(monkeypatch, 3, 3)  # both within the same batch: no checkpoint yet
    out = tmp_path / "run"
    got, _, err = run(["train", "--epochs", "1", "--batch-size", "128", "--out", str(out),
                       "--data-root", data, *QUIET], capsys)
    assert got == 130
    assert_one_line(err, "interrupted: no checkpoint was kept")
    assert not (out / "checkpoint.npz").exists()


# -- run folders -------------------------------------------------------------------------------
def test_each_run_gets_its_own_folder_and_latest_points_at_the_newest(tmp_path, capsys,
                                                                      monkeypatch, data):
    from mytorch.training import runs as run_folders

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_folders.time, "strftime", lambda fmt: "20260102-030405")  # 1 second
    argv = ["train", "--epochs", "1", "--batch-size", "128", "--data-root", data, *QUIET]
    assert cli.main(argv) == 0
    assert cli.main([*argv, "--seed", "1"]) == 0
    first = Path("runs/digits_cnn-digits-20260102-030405")
    second = Path("runs/digits_cnn-digits-20260102-030405-2")
    assert f"-> {first}" in capsys.readouterr().out
    assert Checkpoint.load(first / "checkpoint.npz").config["seed"] == 0  # not overwritten
    assert Checkpoint.load(second / "checkpoint.npz").config["seed"] == 1
    assert os.path.realpath("runs/latest") == os.path.realpath(second)
    assert cli.main(["eval", "runs/latest/checkpoint.npz"]) == 0
    assert "digits_cnn on digits (epoch 1)" in capsys.readouterr().out


# -- the NaN guard -----------------------------------------------------------------------------
def test_a_nan_test_loss_stops_and_the_kept_checkpoint_evaluates_finite(tmp_path, capsys,
                                                                        monkeypatch, data):
    real_evaluate, calls = Trainer.evaluate, [0]

    def evaluate(self):
        calls[0] += 1
        loss, acc = real_evaluate(self)
        return (float("nan") if calls[0] == 2 else loss), acc

    monkeypatch.setattr(Trainer, "evaluate", evaluate)
    out = tmp_path / "run"
    got, _, err = run(["train", "--epochs", "3", "--batch-size", "128", "--out", str(out),
                       "--data-root", data, *QUIET], capsys)
    assert got == 1
    assert_one_line(err, "the test loss became nan after epoch 2",
                    f"the last good checkpoint is kept at {out / 'checkpoint.npz'}")
    monkeypatch.undo()
    assert cli.main(["eval", str(out)]) == 0
    report = capsys.readouterr().out  # "... (epoch 1): test loss 0.1234, test accuracy ..."
    assert "(epoch 1)" in report
    assert float(report.split("test loss ")[1].split(",")[0]) < 10


def test_a_nan_before_any_checkpoint_says_none_was_kept(tmp_path, capsys, monkeypatch, data):
    from mytorch import nn

    real_forward, calls = nn.CrossEntropyLoss.forward, [0]

    def forward(self, logits, target):
        calls[0] += 1
        loss = real_forward(self, logits, target)
        return loss * float("nan") if calls[0] == 3 else loss

    monkeypatch.setattr(nn.CrossEntropyLoss, "forward", forward)
    out = tmp_path / "run"
    got, _, err = run(["train", "--epochs", "1", "--out", str(out), "--data-root", data, *QUIET],
                      capsys)
    assert got == 1
    assert_one_line(err, "the loss became nan at epoch 1, batch 3", "no checkpoint was kept")
    assert not (out / "checkpoint.npz").exists()


# -- the real command --------------------------------------------------------------------------
def mytorch_command(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mytorch", *args], capture_output=True,
                          text=True, timeout=120, **kwargs)


@pytest.mark.parametrize("args, status", [
    (["train", "--resume", "nosuch.npz"], 1),
    (["train", "--epochs", "0"], 2),
    (["train", "--epochs", "many"], 2),
    (["eval", "nosuch.npz"], 1),
])
def test_the_command_fails_with_exactly_one_line(tmp_path, args, status):
    done = mytorch_command(*args, cwd=tmp_path)
    assert done.returncode == status
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"mytorch {args[0]}: error: ")


def test_real_ctrl_c_twice_ends_with_at_most_one_line_and_a_readable_checkpoint(tmp_path, data):
    """Real signals: the second Ctrl-C lands in the batch, in the save, or after the run has
    ended on the first (the in-process tests above take each path deterministically)."""
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "mytorch", "train", "--epochs", "50", "--batch-size", "16",
         "--out", str(out), "--data-root", data, *QUIET],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    assert process.stdout.readline().startswith("training digits_cnn")  # training has begun
    process.send_signal(signal.SIGINT)
    for line in process.stdout:  # until the first one is being handled
        if line.startswith("interrupt:"):
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr
    if stderr:
        assert stderr.startswith("mytorch train: error: interrupted")
    else:
        assert "resume with: mytorch train --resume" in stdout
    if (out / "checkpoint.npz").exists():
        Checkpoint.load(out / "checkpoint.npz")
