"""The training loop: exact resume, Ctrl-C, NaN stop, and the `mytorch` CLI around it."""

import os
import signal

import numpy as np
import pytest

pytest.importorskip("sklearn")  # the digits dataset ships with scikit-learn

from mytorch import cli  # noqa: E402
from mytorch.training import Checkpoint, NonFiniteLossError, TrainConfig, Trainer  # noqa: E402


def config(tmp_path, **overrides):
    values = dict(
        dataset="digits",
        epochs=2,
        batch_size=64,
        lr=2e-3,
        out=str(tmp_path / "run"),
        progress=False,
        data_root=str(tmp_path.parent / "data"),
        schedule="onecycle",
    )
    values.update(overrides)
    return TrainConfig(**values)


def stop_after(trainer, steps, how):
    """Make the trainer stop after ``steps`` optimizer steps, the way ``how`` says."""
    step, count = trainer.optimizer.step, [0]

    def counting_step(*args, **kwargs):
        result = step(*args, **kwargs)
        count[0] += 1
        if count[0] == steps:
            how()
        return result

    trainer.optimizer.step = counting_step


def weights(trainer):
    return {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_interrupt_and_resume_equals_uninterrupted_run(tmp_path, optimizer):
    straight = Trainer(config(tmp_path / "a", optimizer=optimizer))
    straight.fit()

    interrupted = Trainer(config(tmp_path / "b", optimizer=optimizer))
    stop_after(
        interrupted, 30, interrupted.request_stop
    )  # mid-way through epoch 2 (23 batches/epoch)
    interrupted.fit()
    assert (interrupted.epoch, interrupted.batches_done) == (1, 7)

    resumed = Trainer(
        config(tmp_path / "b", optimizer=optimizer),
        resume=Checkpoint.load(interrupted.checkpoint_path),
    )
    assert (resumed.epoch, resumed.batches_done) == (1, 7)
    resumed.fit()
    a, b = weights(straight), weights(resumed)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # the interrupted epoch's metrics too: its train loss and accuracy count every batch
    for row in straight.history + resumed.history:
        del row["seconds"]
    assert straight.history == resumed.history


def test_ctrl_c_finishes_the_batch_and_saves_a_checkpoint(tmp_path):
    trainer = Trainer(config(tmp_path))
    stop_after(trainer, 5, lambda: os.kill(os.getpid(), signal.SIGINT))
    trainer.fit()
    assert trainer.epoch == 0 and trainer.batches_done == 5
    saved = Checkpoint.load(trainer.checkpoint_path)
    assert saved.batches_done == 5 and saved.epoch == 0
    assert set(saved.model) == set(trainer.model.state_dict())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_checkpoint_holds_model_optimizer_scheduler_epoch_and_rng(tmp_path):
    trainer = Trainer(config(tmp_path, epochs=1))
    trainer.fit()
    saved = Checkpoint.load(trainer.checkpoint_path)
    assert saved.epoch == 1 and saved.config["model"] == "digits_cnn"
    assert saved.optimizer["state"] and saved.scheduler is not None
    assert "state" in saved.rng and "state" in saved.epoch_rng
    assert len(saved.history) == 1 and 0 <= saved.history[0]["test_acc"] <= 1


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = Trainer(config(tmp_path, epochs=3))
    real_loss, calls = trainer.loss_fn, [0]

    def poisoned(logits, y):
        calls[0] += 1
        loss = real_loss(logits, y)
        return loss * float("nan") if calls[0] > 30 else loss

    trainer.loss_fn = poisoned
    with pytest.raises(
        NonFiniteLossError, match=r"loss became nan at epoch 2, batch 8.*checkpoint"
    ):
        trainer.fit()
    saved = Checkpoint.load(trainer.checkpoint_path)
    assert saved.epoch == 1 and saved.batches_done == 0  # the end of epoch 1, untouched
    assert all(np.isfinite(v.numpy()).all() for v in saved.model.values())
    kept = Trainer(config(tmp_path, epochs=3), resume=saved)
    assert all(np.isfinite(kept.evaluate()))


def test_resume_refuses_a_config_that_contradicts_the_checkpoint(tmp_path):
    trainer = Trainer(config(tmp_path, epochs=1))
    trainer.fit()
    saved = Checkpoint.load(trainer.checkpoint_path)
    with pytest.raises(ValueError, match=r"--optimizer sgd \(the run has adam\)"):
        Trainer(config(tmp_path, epochs=2, optimizer="sgd"), resume=saved)
    with pytest.raises(ValueError, match="has finished its 1 epochs"):
        Trainer(config(tmp_path, epochs=1), resume=saved)


@pytest.mark.parametrize("schedule", ["onecycle", "step"])
def test_extending_a_run_replans_its_schedule_as_if_started_that_long(tmp_path, schedule):
    short = Trainer(config(tmp_path / "short", epochs=3, schedule=schedule))
    stop_after(short, 30, short.request_stop)  # in epoch 2 of 3
    short.fit()
    extended = Trainer(config(tmp_path / "short", epochs=6, schedule=schedule),
                       resume=Checkpoint.load(short.checkpoint_path))
    assert extended.replanned_from == 3
    planned = Trainer(config(tmp_path / "long", epochs=6, schedule=schedule))
    steps = 30 if schedule == "onecycle" else 1  # onecycle steps every batch, step every epoch
    for _ in range(steps):
        planned.scheduler.step()
    assert extended.scheduler.get_last_lr() == planned.scheduler.get_last_lr()
    assert extended.optimizer.param_groups[0]["lr"] == planned.optimizer.param_groups[0]["lr"]
    assert extended.optimizer.param_groups[0]["betas"] == planned.optimizer.param_groups[0]["betas"]


def test_cli_train_eval_resume(tmp_path, capsys):
    out = str(tmp_path / "cli")
    common = ["--data-root", str(tmp_path / "data"), "--no-progress"]
    assert cli.main(["train", "--epochs", "1", "--out", out, *common]) == 0
    text = capsys.readouterr().out
    assert "test accuracy:" in text
    for name in ("checkpoint.npz", "metrics.csv"):
        assert os.path.exists(os.path.join(out, name))
    assert cli.main(["train", "--epochs", "2", "--resume", out, "--out", out, *common]) == 0
    assert "epoch   2/2" in capsys.readouterr().out
    assert cli.main(["eval", out, "--data-root", str(tmp_path / "data")]) == 0
    assert "(epoch 2): test loss" in capsys.readouterr().out
    with open(os.path.join(out, "metrics.csv")) as f:
        assert len(f.read().strip().splitlines()) == 3  # header + 2 epochs


def test_cli_reports_bad_options(tmp_path, capsys):
    assert cli.main(["train", "--model", "nope", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
