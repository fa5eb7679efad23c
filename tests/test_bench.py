"""The speed suite (mytorch.bench, benchmarks/): every case runs with both libraries, the
models are the zoo's, the table says what it measured, the thread settings and the memory
and end-to-end comparisons run."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mytorch
from mytorch import bench, cli, models

torch = pytest.importorskip("torch")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("case", bench.CASES, ids=[c.name for c in bench.CASES])
def test_every_case_runs_one_step_with_both_libraries(case: bench.Case) -> None:
    build = case.build
    if case.name.startswith("ResNet-20"):  # its step at batch 8: seconds, not tens, under load
        build = functools.partial(bench.model_step, make=bench.resnet20, shape=(8, 3, 32, 32))
    for lib in (mytorch, torch):
        build(lib)()


def test_measure_alternates_and_returns_every_run() -> None:
    case = next(c for c in bench.CASES if c.group == "autograd")
    mine, theirs = bench.measure(case, torch, repeat=2, warmup=0)
    assert len(mine) == len(theirs) == 2 and all(t > 0 for t in mine + theirs)
    mine, theirs = bench.measure(case, None, repeat=1, warmup=0)  # without torch
    assert len(mine) == 1 and theirs == []


@pytest.mark.parametrize("generic, zoo, shape", [
    (bench.resnet20, models.ResNet20, (2, 3, 32, 32)),
    (bench.mnist1d_cnn, models.MNIST1DCNN, (2, 1, 40)),
])
def test_the_generic_models_are_the_zoos(generic: Any, zoo: Any, shape: tuple[int, ...]) -> None:
    for lib in (mytorch, torch):
        assert_same_model(generic(lib), lib, zoo(), shape)


def assert_same_model(model: Any, lib: Any, reference: Any, shape: tuple[int, ...]) -> None:
    """``model`` (of library ``lib``) has the zoo model ``reference``'s parameter count and
    its parameters' shapes in the same order, and given its weights the same outputs (so the
    same layers, shortcuts and activations)."""
    reference.eval()
    model.eval()
    assert sum(p.numel() for p in model.parameters()) == reference.num_parameters()
    pairs = list(zip(model.parameters(), reference.parameters(), strict=True))
    assert all(tuple(mine.shape) == tuple(ref.shape) for mine, ref in pairs)
    with lib.no_grad():
        for mine, ref in pairs:
            mine.copy_(lib.tensor(ref.detach().numpy()))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(model(lib.tensor(x)).detach().numpy(),
                               reference(mytorch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_every_issue_case_is_there_with_its_target() -> None:
    targets = {c.name: c.target for c in bench.CASES}
    assert len(targets) == len(bench.CASES)  # names are unique: they key the children's records
    within_1_5 = ("chain of 1,000", "depthwise", "ctc_loss", "exact GELU")
    for name, target in targets.items():
        if name.startswith("MLP"):
            assert target is None
        else:
            assert target == (1.5 if name.startswith(within_1_5) else 1.0), name
    for wanted in ("conv_transpose2d", "avg_pool2d 3x3 s2", "linear (256, 1024)", "ResNet-20",
                   "MNIST-1D CNN", "LeNet-5", "BatchNorm2d", "LayerNorm", "GRU", "LSTM",
                   "cross_entropy", "max_pool2d 3x3 s2", "conv1d"):
        assert any(name.startswith(wanted) for name in targets), wanted


def _record(times: dict[str, list[list[float]]], threads: int | None = 2,
            gemm: float = 100.0) -> dict[str, Any]:
    return {"numpy": "2.x", "torch": "2.13" if threads else None, "threads": threads,
            "gemm_gflops": gemm, "times": times}


def test_the_table_shows_times_ratios_targets_and_rates() -> None:
    conv, chain = bench.select(bench.FIRST_CONV)[0], bench.select("chain of 1,000")[0]
    assert conv.flops is not None
    s = conv.flops / 60e9  # a step at 60 GFLOP/s
    runs = {
        "default": _record({conv.name: [[s, 3 * s], [4 * s, 4 * s]],  # median 0.5x, best 0.25x
                            chain.name: [[0.012, 0.012], [0.010, 0.010]]}, gemm=100.0),
        "1": _record({conv.name: [[s, s], [s / 2, s / 2]],  # 2x
                      chain.name: [[0.014, 0.014], [0.010, 0.010]]}, gemm=200.0),
    }
    lines = bench.format_table(runs, [conv, chain], stat="median").splitlines()
    assert "median of 2 runs" in lines[1] and "default threads (torch: 2)" in lines[3]
    conv_row = next(line for line in lines if line.startswith(conv.name))
    assert conv_row.split()[-8:] == [f"{2e3 * s:.2f}ms", f"{4e3 * s:.2f}ms", "0.50",
                                     f"{1e3 * s:.2f}ms", f"{0.5e3 * s:.2f}ms", "2.00",
                                     "<=1.0", "no"]  # met in one setting only
    chain_at = next(i for i, line in enumerate(lines) if line.startswith(chain.name))
    assert lines[chain_at].split()[-6:] == ["1.20", "14.00ms", "10.00ms", "1.40", "<=1.5", "yes"]
    assert lines[chain_at + 1].split()[-4:] == ["12.0", "10.0", "14.0", "10.0"]  # per op, us
    rates = [line for line in lines if line.strip().startswith(conv.name) and "GFLOP/s" in line]
    assert len(rates) == 2
    assert rates[0].endswith("30.0 GFLOP/s    30%  (target >= 50%: no)")  # median 2s, of 100
    assert rates[1].endswith("60.0 GFLOP/s    30%  (target >= 50%: no)")  # 1 thread, of 200
    best = bench.format_table(runs, [conv], stat="best").splitlines()
    assert "best of 2 runs" in best[1]
    assert next(line for line in best if line.startswith(conv.name)).split()[-6] == "0.25"
    assert next(line for line in best if "GFLOP/s" in line and conv.name in line).endswith(
        "60.0 GFLOP/s    60%  (target >= 50%: yes)")


def test_the_json_record_has_a_row_per_case_and_setting() -> None:
    case = bench.select("LayerNorm")[0]
    runs = {"default": _record({case.name: [[0.004, 0.002], [0.001, 0.001]]}, gemm=80.0),
            "1": _record({case.name: [[0.006], [0.002]]}, gemm=90.0)}
    record = bench.records(runs, [case], "median", "a quiet machine", "peak memory: ...")
    assert record["note"] == "a quiet machine" and record["gemm_gflops"] == 80.0
    assert record["memory"] == "peak memory: ..." and record["stat"] == "median"
    assert record["rows"] == [
        {"group": "norm", "case": case.name, "threads": "default", "mytorch_ms": 3.0,
         "torch_ms": 1.0, "ratio": 3.0, "target": case.target},
        {"group": "norm", "case": case.name, "threads": "1", "mytorch_ms": 6.0,
         "torch_ms": 2.0, "ratio": 3.0, "target": case.target},
    ]


def test_the_suite_writes_its_json_atomically(tmp_path: Path) -> None:
    out = tmp_path / "figures" / "bench.json"
    bench.run_suite(repeat=1, only="max_pool2d 2x2", threads="1", json_path=str(out), note="n")
    record = json.loads(out.read_text())
    assert [row["threads"] for row in record["rows"]] == ["1"]
    assert record["rows"][0]["case"].startswith("max_pool2d 2x2") and record["note"] == "n"
    assert [p.name for p in out.parent.iterdir()] == ["bench.json"]  # no temporary left


def test_a_json_folder_that_cannot_be_written_fails_before_any_run(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bench, "run_threads", lambda *args: pytest.fail("ran the cases"))
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with pytest.raises(OSError):
        bench.run_suite(repeat=1, only="max_pool2d 2x2", json_path=str(blocker / "bench.json"))


def test_the_table_without_torch_has_mytorch_alone() -> None:
    case = bench.select("LayerNorm")[0]
    text = bench.format_table({"1": _record({case.name: [[0.01], []]}, threads=None)}, [case])
    row = next(line for line in text.splitlines() if line.startswith(case.name))
    assert "torch not installed" in text and row.split()[-5:] == ["10.00ms", "-", "-", "<=1.0", "-"]


def test_child_environment_pins_one_thread_or_leaves_the_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    one, default = bench.child_env("1"), bench.child_env("default")
    assert all(one[name] == "1" for name in bench.ONE_THREAD)
    assert not any(name in default for name in bench.ONE_THREAD)
    src = str(Path(mytorch.__file__).resolve().parent.parent)
    assert one["PYTHONPATH"].split(":")[0] == src


def test_the_suite_runs_both_thread_settings_in_children() -> None:
    text = bench.run_suite(repeat=1, only="max_pool2d 2x2", threads="both")
    lines = text.splitlines()
    assert "default threads" in text and "1 thread" in text and "median of 1 runs" in text
    row = next(line for line in lines if line.startswith("max_pool2d 2x2"))
    assert len(re.findall(r"\d+\.\d+ms", row)) == 4 and row.split()[-1] in ("yes", "no")
    assert "peak memory" not in text  # the memory case runs for 'memory', 'conv' or everything


def test_peak_memory_of_a_conv_step_in_fresh_processes() -> None:
    """Each library's step needs at least its input's gradient, 16 MiB at 256x256."""
    text = bench.memory_report(size=256)
    found = re.findall(r"(mytorch|torch) (\d+) MiB", text)
    assert [library for library, _ in found] == ["mytorch", "torch"], text
    assert all(int(mib) >= 16 for _, mib in found) and "256x256" in text and "ratio" in text


@pytest.mark.parametrize("argv, message", [
    (["bench", "--only", "nothing-like-this"], "no case matches 'nothing-like-this'"),
])
def test_bench_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                     message: str) -> None:
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == f"mytorch bench: error: {message}\n"


@pytest.mark.parametrize("argv", [["bench", "--threads", "3"], ["bench", "--stat", "mean"]])
def test_bench_usage_mistakes_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1


def test_the_torch_script_builds_the_zoos_mnist1d_cnn() -> None:
    spec = importlib.util.spec_from_file_location("mnist1d_torch", BENCHMARKS / "mnist1d_torch.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert_same_model(script.MNIST1DCNN(), torch, models.MNIST1DCNN(), (2, 1, 40))


def test_end_to_end_one_epoch_both_ways() -> None:
    """mytorch train and the PyTorch script, one epoch on one thread: times and accuracies."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_end_to_end.py"), "--epochs", "1",
         "--threads", "1"], env=bench.child_env("1"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = done.stdout.splitlines()[-1]
    assert re.fullmatch(r"1 thread +mytorch +[\d.]+s  torch +[\d.]+s  ratio +[\d.]+ "
                        r"\(target < 1: (yes|no)\)  test accuracy mytorch \d+\.\d\d%, "
                        r"torch \d+\.\d\d%", line), line
    assert time.perf_counter() - start < 60  # well under on a quiet machine (about 10 s)
