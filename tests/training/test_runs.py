"""Run folders: a new folder per run, ``runs/latest`` at the newest, and paths through it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mytorch.training import runs


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(runs.time, "strftime", lambda fmt: "20260102-030405")
    made = [runs.new_run_dir("m", "d", root=tmp_path) for _ in range(3)]
    assert [p.name for p in made] == ["m-d-20260102-030405", "m-d-20260102-030405-2",
                                      "m-d-20260102-030405-3"]
    assert all(p.is_dir() for p in made)
    latest = tmp_path / "latest"
    assert latest.is_symlink() and os.readlink(latest) == made[-1].name  # relative: movable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", *(p.name for p in made)]


def test_where_symlinks_fail_latest_is_a_text_file_that_paths_follow(tmp_path, monkeypatch):
    def no_symlinks(self, *args, **kwargs):
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(Path, "symlink_to", no_symlinks)
    folder = runs.new_run_dir("m", "d", root=tmp_path)
    (folder / runs.CHECKPOINT_NAME).write_bytes(b"x")
    latest = tmp_path / "latest"
    assert latest.is_file() and latest.read_text().strip() == folder.name
    assert runs.find_checkpoint(latest / runs.CHECKPOINT_NAME) == folder / runs.CHECKPOINT_NAME
    assert runs.find_checkpoint(latest) == folder / runs.CHECKPOINT_NAME
    second = runs.new_run_dir("m", "d", root=tmp_path)
    assert runs.resolve(latest) == second


def test_a_latest_folder_from_an_older_mytorch_is_left_alone(tmp_path):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "checkpoint.npz").write_bytes(b"old")
    runs.new_run_dir("m", "d", root=tmp_path)
    assert (tmp_path / "latest" / "checkpoint.npz").read_bytes() == b"old"


def test_find_checkpoint_says_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint.npz in the folder"):
        runs.find_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        runs.find_checkpoint(tmp_path / "nosuch.npz")
