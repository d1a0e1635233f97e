"""`python -m trainlab` as a user runs it: output, JSON shape, and one-line errors with status 2.

Every invocation is a subprocess; they are all started at once by a module fixture (torch's
import dominates their run time) and the tests read the finished results.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from trainlab.cli import main
from trainlab.compute import NetworkSpec, run_pass
from trainlab.compute.net.weight_cache import WeightCache

SMALL = ["--width", "256", "--depth", "3"]

GOOD = {
    "table": ["stats", *SMALL],
    "json": ["stats", *SMALL, "--json"],
}

# id: (argv, the option the error line must name); run as subprocesses
BAD = {
    "std-zero": (["stats", *SMALL, "--std", "0"], "--std"),
    "std-text": (["stats", *SMALL, "--std", "abc"], "--std"),
    "depth-zero": (["stats", "--width", "256", "--depth", "0"], "--depth"),
    "activation": (["stats", *SMALL, "--activation", "foo"], "--activation"),
    "init": (["stats", *SMALL, "--init", "foo"], "--init"),
    "norm": (["stats", *SMALL, "--norm", "foo"], "--norm"),
    "width-huge": (["stats", "--width", "65536"], "--width"),
    "device-cuda": (["stats", *SMALL, "--device", "cuda"], "--device"),
    "groups": (["stats", *SMALL, "--norm", "group", "--groups", "5"], "--groups"),
    "serve-port-zero": (["serve", "--port", "0", "--no-browser"], "--port"),
}

# more bad values, run in-process through trainlab.cli.main (same code, no interpreter start-up)
BAD_IN_PROCESS = {
    "std-nan": (["stats", *SMALL, "--std", "nan"], "--std"),
    "std-negative": (["stats", *SMALL, "--std", "-0.5"], "--std"),
    "depth-51": (["stats", "--width", "256", "--depth", "51"], "--depth"),
    "depth-fraction": (["stats", "--width", "256", "--depth", "2.5"], "--depth"),
    "norm-place": (["stats", *SMALL, "--norm", "layer", "--norm-place", "foo"], "--norm-place"),
    "bn-mode": (["stats", *SMALL, "--norm", "batch", "--bn-mode", "foo"], "--bn-mode"),
    "gain": (["stats", *SMALL, "--init", "xavier_normal", "--gain", "-1"], "--gain"),
    "seed": (["stats", *SMALL, "--seed", "-1"], "--seed"),
    "width-one": (["stats", "--width", "1"], "--width"),
    "batch-text": (["stats", *SMALL, "--batch", "many"], "--batch"),
    "batch-one-bn": (["stats", *SMALL, "--norm", "batch", "--batch", "1"], "--batch"),
    "groups-zero": (["stats", *SMALL, "--norm", "group", "--groups", "0"], "--groups"),
    "device-unknown": (["stats", *SMALL, "--device", "tpu"], "--device"),
    "serve-port-text": (["serve", "--port", "http", "--no-browser"], "--port"),
    "serve-port-big": (["serve", "--port", "70000", "--no-browser"], "--port"),
}

# Not an option-value error but a configuration validate() accepts: see the test below.
BATCH_ONE_RUNNING = ["stats", *SMALL, "--norm", "batch", "--bn-mode", "running", "--batch", "1"]


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "trainlab", *argv], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess]:
    jobs = {name: argv for name, argv in GOOD.items()}
    jobs.update({name: argv for name, (argv, _option) in BAD.items()})
    jobs["batch-one-running"] = BATCH_ONE_RUNNING
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(jobs, pool.map(_run, jobs.values())))
    return done


def _main(argv: list[str], capsys) -> tuple[int, str, str]:
    """trainlab.cli.main in this process: (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as done:
        status = done.code
    out, err = capsys.readouterr()
    return status, out, err


def _strict_json(text: str):
    def refuse(constant: str):
        raise AssertionError(f"JSON has a bare {constant}; non-finite numbers must be null")
    return json.loads(text, parse_constant=refuse)


def test_table_output(runs) -> None:
    proc = runs["table"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("device cpu, pass ") and " ms, loss " in lines[0]
    header = lines[1].split()
    assert header == ["layer", "mean", "std", "theory", "saturated", "dead", "nonfinite", "grad_std", "dW_std"]
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    for row in rows:
        assert len(row) == len(header)
        assert float(row[2]) > 0  # std
        assert row[4].endswith("%")  # tanh saturates: a percentage
        assert row[5] == "-"  # tanh has no dead units: shown as "-"
        assert row[6] == "0"
    loss = float(lines[0].rsplit("loss ", 1)[1])
    assert abs(loss - math.log(10)) < 0.5  # a classifier near log(10) at initialization


def test_json_shape(runs) -> None:
    proc = runs["json"]
    assert proc.returncode == 0, proc.stderr
    data = _strict_json(proc.stdout)
    assert {"device", "ms", "layers", "loss", "spec"} <= set(data)
    assert data["device"] == "cpu"
    assert isinstance(data["ms"], float) and data["ms"] > 0
    assert len(data["layers"]) == 3
    for i, layer in enumerate(data["layers"], start=1):
        for key in ("layer", "mean", "std", "saturated_fraction", "dead_fraction", "nonfinite", "grad_std"):
            assert key in layer, key
        assert layer["layer"] == i
        assert isinstance(layer["std"], float) and layer["std"] > 0
        assert isinstance(layer["grad_std"], float) and layer["grad_std"] > 0
        assert 0.0 <= layer["saturated_fraction"] <= 1.0
        assert layer["dead_fraction"] is None  # tanh
        assert layer["nonfinite"] == 0
        assert sum(layer["activation_hist"]["counts"]) == 16 * 256


def test_json_options_reach_the_spec_and_match_run_pass(capsys) -> None:
    status, out, err = _main(["stats", *SMALL, "--activation", "relu", "--init", "kaiming_uniform",
                              "--gain", "1.2", "--norm", "layer", "--norm-place", "after", "--bias",
                              "--seed", "5", "--batch", "8", "--device", "cpu", "--json"], capsys)
    assert status == 0, err
    data = _strict_json(out)
    expected = NetworkSpec(depth=3, width=256, batch=8, activation="relu", init="kaiming_uniform", gain=1.2,
                           norm="layer", norm_place="after", bias=True, seed=5)
    assert data["spec"] == dataclasses.asdict(expected)
    direct = run_pass(expected, device="cpu", cache=WeightCache())
    for layer, mine in zip(data["layers"], direct.layers):
        assert layer["std"] == pytest.approx(mine.std, rel=1e-5)
        assert layer["grad_std"] == pytest.approx(mine.grad_std, rel=1e-4)
        assert layer["saturated_fraction"] is None  # relu has no saturation rule
        assert 0.0 <= layer["dead_fraction"] <= 1.0


def test_json_writes_null_for_non_finite(capsys) -> None:
    status, out, err = _main(["stats", "--width", "256", "--depth", "50", "--activation", "relu",
                              "--std", "10", "--json"], capsys)
    assert status == 0, err
    assert "NaN" not in out and "Infinity" not in out
    data = _strict_json(out)
    layers = data["layers"]
    assert len(layers) == 50
    assert sum(layer["nonfinite"] for layer in layers) > 0
    assert layers[-1]["std"] is None and layers[-1]["mean"] is None
    assert layers[-1]["grad_std"] is None
    assert isinstance(layers[0]["std"], float)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_value_is_one_line_and_status_2(runs, case: str) -> None:
    if case == "device-cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    argv, option = BAD[case]
    proc = runs[case]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"trainlab: error: {option}"), lines[0]
    assert lines[0].startswith(f"trainlab: error: {option}:"), "the option is followed by the reason"
    assert len(lines[0]) > len(f"trainlab: error: {option}: ") + 10
    if argv[0] == "stats":
        assert proc.stdout == ""


def test_too_wide_message_says_what_is_needed_and_free(runs) -> None:
    line = runs["width-huge"].stderr.strip()
    assert "GB" in line and "free" in line


def test_text_value_message_quotes_it(runs) -> None:
    assert "'abc'" in runs["std-text"].stderr
    assert "from 0.0001 to 10" in runs["std-text"].stderr


@pytest.mark.parametrize("case", list(BAD_IN_PROCESS))
def test_more_bad_values_in_process(capsys, case: str) -> None:
    argv, option = BAD_IN_PROCESS[case]
    status, out, err = _main(argv, capsys)
    assert status == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"trainlab: error: {option}: "), lines[0]
    assert out == ""


def test_unknown_option_is_a_usage_error(capsys) -> None:
    status, _out, err = _main(["stats", "--frobnicate", "3"], capsys)
    assert status == 2
    assert err.strip().splitlines()[-1].startswith("trainlab: error: ")
    assert "--frobnicate" in err


def test_batch_one_running_batch_norm_is_not_a_traceback(runs) -> None:
    """--norm batch --bn-mode running --batch 1 passes validation (only train mode needs 2).

    It must then run (exit 0) or be refused as a bad --batch (exit 2, one line)."""
    proc = runs["batch-one-running"]
    assert "Traceback" not in proc.stderr, proc.stderr.strip().splitlines()[-1]
    if proc.returncode == 0:
        assert len(proc.stdout.strip().splitlines()) == 2 + 3  # title, header, three layers
    else:
        assert proc.returncode == 2
        assert proc.stderr.startswith("trainlab: error: --batch")


# --- trainlab optimize -------------------------------------------------------------------


def _optimize(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainlab", "optimize", *args], capture_output=True, text=True,
                          timeout=120)


def test_optimize_summary_reports_reaching_the_minimum() -> None:
    proc = _optimize("--surface", "quadratic", "--optimizer", "newton", "--steps", "5")
    assert proc.returncode == 0, proc.stderr
    assert "within 1e-3 of a minimum: after 1 steps" in proc.stdout
    assert "diverged: no" in proc.stdout


def test_optimize_json_has_the_full_trajectory() -> None:
    proc = _optimize("--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.05", "--steps", "40",
                     "--start", "-1", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["points"]) == 41 and len(out["losses"]) == 41
    assert out["points"][0] == [-1.0, 1.0]
    assert out["final_point"] == out["points"][-1]
    assert out["diverged"] is False and out["steps_to_minimum"] is None


def test_optimize_reports_divergence() -> None:
    proc = _optimize("--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.5", "--condition", "10", "--json")
    out = json.loads(proc.stdout)
    assert out["diverged"] is True and out["diverged_at"] > 0
    assert all(v is not None for point in out["points"] for v in point)


@pytest.mark.parametrize("args, option", [
    (["--surface", "moon", "--optimizer", "sgd"], "--surface"),
    (["--surface", "beale", "--optimizer", "lion"], "--optimizer"),
    (["--surface", "beale", "--optimizer", "sgd", "--lr", "0"], "--lr"),
    (["--surface", "beale", "--optimizer", "sgd", "--lr", "fast"], "--lr"),
    (["--surface", "beale", "--optimizer", "sgd", "--steps", "0"], "--steps"),
    (["--surface", "beale", "--optimizer", "sgd", "--start", "1", "x"], "--start"),
    (["--surface", "beale", "--optimizer", "momentum", "--momentum", "1.5"], "--momentum"),
    (["--surface", "quadratic", "--optimizer", "sgd", "--condition", "5000"], "--condition"),
    (["--surface", "beale", "--optimizer", "sgd", "--condition", "5"], "--surface"),
    (["--surface", "beale", "--optimizer", "sgd", "--noise", "-1"], "--noise"),
])
def test_optimize_bad_values_exit_2_with_one_line(args: list[str], option: str) -> None:
    proc = _optimize(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"trainlab: error: {option}"), proc.stderr
    assert "Traceback" not in proc.stderr


TRAIN_SMALL = ["train", "--width", "64", "--depth", "3", "--steps", "40"]


def test_train_prints_the_records_and_saves_a_history(capsys, tmp_path) -> None:
    from trainlab.compute.train.history import RunHistory

    path = tmp_path / "run.json"
    status, out, err = _main([*TRAIN_SMALL, "--optimizer", "momentum", "--lr", "0.05", "--schedule", "cosine",
                              "--save", str(path)], capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("SGD + momentum lr 0.05 on digits, 3x64, 40 steps")
    assert [line.split()[0] for line in lines[2:-1]] == ["0", "10", "20", "30", "39"]
    assert lines[-1] == "finished"
    run = RunHistory.load(path).runs[0]
    assert run.config.schedule.name == "cosine" and len(run.train_loss) == 40


def test_train_json_is_the_run(capsys) -> None:
    status, out, _err = _main([*TRAIN_SMALL, "--dropout", "0.2", "--json"], capsys)
    assert status == 0
    run = json.loads(out)
    assert run["config"]["dropout"] == 0.2 and run["outcome"] == "finished"
    assert len(run["train_loss"]) == 40 and run["record_steps"] == [0, 10, 20, 30, 39]


@pytest.mark.parametrize("args, option", [
    (["--lr", "-1"], "--lr"), (["--steps", "many"], "--steps"), (["--dataset", "mnist"], "--dataset"),
    (["--warmup", "100"], "--warmup"), (["--dropout", "1"], "--dropout"), (["--optimizer", "lbfgs"], "--optimizer"),
    (["--train-subset", "20", "--batch", "64"], "--batch"), (["--width", "65536", "--depth", "50"], "--width"),
])
def test_train_bad_values_exit_2_with_one_line(capsys, args: list[str], option: str) -> None:
    status, out, err = _main([*TRAIN_SMALL, *args], capsys)
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"trainlab: error: {option}: "), err
