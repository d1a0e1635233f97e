"""`python -m trainlab` as a user runs it: output, JSON shape, one-line errors with status 2, what
each command imports, and that every option reaches the computation or is refused.

The processes that must be real (output format, exit status, imports) are started at once by
module fixtures (torch's import dominates their run time); the large tables of bad and edge
values run in-process through trainlab.cli.main, the same code without the interpreter start-up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from trainlab.cli import main
from trainlab.cli_options import NETWORK_SETTINGS, train_settings
from trainlab.compute import NetworkSpec, run_pass
from trainlab.compute.checks import SEED_RANGE
from trainlab.compute.net.spec import BATCH_RANGE, DEPTH_RANGE, GAIN_RANGE, STD_RANGE, WIDTH_RANGE
from trainlab.compute.net.weight_cache import WeightCache
from trainlab.compute.optim.race import START_RANGE
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS, TRAINABLE
from trainlab.compute.optim.runs import NOISE_RANGE as GRADIENT_NOISE_RANGE, STEPS_RANGE as RACE_STEPS, run_optimizer
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import CONDITION_RANGE, make_surface
from trainlab.compute.train import datasets
from trainlab.compute.train.config import DROPOUT_RANGE, STEPS_RANGE as TRAIN_STEPS
from trainlab.compute.train.history import RunHistory
from trainlab.export import init_grid
from trainlab.export.options import INIT_NETWORK_SETTINGS, MAX_MB_RANGE, POINTS_RANGE
from trainlab.export.race import FRAMES_RANGE

from tests.export.test_export import no_compute

LR, MOMENTUM, BETA1, BETA2, DECAY, EPS, WEIGHT_DECAY = (
    (h.low, h.high) for h in (HYPERPARAMETERS[name] for name in ("lr", "momentum", "beta1", "beta2", "decay", "eps",
                                                                 "weight_decay")))


def low(bounds: tuple[float, float]) -> str:
    return str(bounds[0])


def high(bounds: tuple[float, float]) -> str:
    return str(bounds[1])


def below(bounds: tuple[int, int]) -> str:
    """Text of the whole number just under the range."""
    return str(bounds[0] - 1)


def above(bounds: tuple[float, float]) -> str:
    """Text of a value just over the range."""
    return str(bounds[1] + 1) if isinstance(bounds[1], int) else f"{bounds[1] + 0.5 * abs(bounds[1]) + 0.01:g}"


SMALL = ["--width", "256", "--depth", "3"]
TINY = ["--width", "16", "--depth", "2"]
OPTIMIZE = ["optimize", "--steps", "5"]
TRAIN = ["train", *TINY, "--steps", "20"]
TRAIN_SMALL = ["train", "--width", "64", "--depth", "3", "--steps", "40"]
INIT = ["export", "init", "--width", "64", "--depth", "3"]
RACE = ["export", "optimizers"]

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

# The bad-input corpus, run in-process: id: (argv, the option the line starts with, and words it
# must hold too: for a conflict, the other option or choice). Every option of every computing
# command has a case here or in BAD (test_every_option_has_a_bad_case checks it).
BAD_INPUT: dict[str, tuple[list[str], str, tuple[str, ...]]] = {
    # -- stats
    "stats-std-nan": (["stats", *SMALL, "--std", "nan"], "--std", ()),
    "stats-std-negative": (["stats", *SMALL, "--std", "-0.5"], "--std", ()),
    "stats-std-missing": (["stats", "--std"], "--std", ()),
    "stats-std-for-kaiming": (["stats", *TINY, "--init", "kaiming_normal", "--std", "0.1"], "--std", ("kaiming_normal",)),
    "stats-std-for-zeros": (["stats", *TINY, "--init", "zeros", "--std", "0.1"], "--std", ("zeros",)),
    "stats-depth-over": (["stats", "--width", "256", "--depth", above(DEPTH_RANGE)], "--depth", ()),
    "stats-depth-fraction": (["stats", "--width", "256", "--depth", "2.5"], "--depth", ("'2.5'",)),
    "stats-width-under": (["stats", "--width", below(WIDTH_RANGE)], "--width", ()),
    "stats-batch-text": (["stats", *SMALL, "--batch", "many"], "--batch", ()),
    "stats-batch-one-bn": (["stats", *SMALL, "--norm", "batch", "--batch", "1"], "--batch", ()),
    "stats-init-empty": (["stats", *TINY, "--init", ""], "--init", ()),
    "stats-gain": (["stats", *SMALL, "--init", "xavier_normal", "--gain", "-1"], "--gain", ()),
    "stats-gain-for-normal": (["stats", *TINY, "--gain", "2", "--init", "normal"], "--gain", ("normal",)),
    "stats-norm-place": (["stats", *SMALL, "--norm", "layer", "--norm-place", "foo"], "--norm-place", ()),
    "stats-norm-place-no-norm": (["stats", *TINY, "--norm-place", "after"], "--norm-place", ("--norm none",)),
    "stats-bn-mode": (["stats", *SMALL, "--norm", "batch", "--bn-mode", "foo"], "--bn-mode", ()),
    "stats-bn-mode-layer": (["stats", *TINY, "--norm", "layer", "--bn-mode", "running"], "--bn-mode", ("--norm layer",)),
    "stats-groups-zero": (["stats", *SMALL, "--norm", "group", "--groups", "0"], "--groups", ()),
    "stats-groups-no-norm": (["stats", *TINY, "--groups", "4"], "--groups", ("--norm none",)),
    "stats-seed-negative": (["stats", *SMALL, "--seed", "-1"], "--seed", ()),
    "stats-seed-huge": (["stats", *TINY, "--seed", "99999999999999999999999"], "--seed", ()),
    "stats-seed-exponent": (["stats", *TINY, "--seed", "1e3"], "--seed", ()),
    "stats-device-unknown": (["stats", *SMALL, "--device", "tpu"], "--device", ()),
    "stats-unknown-option": (["stats", "--frobnicate", "3"], "unrecognized arguments", ("--frobnicate",)),
    # -- optimize
    "optimize-surface": ([*OPTIMIZE, "--surface", "moon"], "--surface", ()),
    "optimize-optimizer": ([*OPTIMIZE, "--optimizer", "lion"], "--optimizer", ()),
    "optimize-optimizer-empty": ([*OPTIMIZE, "--optimizer", ""], "--optimizer", ()),
    "optimize-lr-zero": ([*OPTIMIZE, "--lr", "0"], "--lr", ()),
    "optimize-lr-text": ([*OPTIMIZE, "--lr", "fast"], "--lr", ()),
    "optimize-lr-over": ([*OPTIMIZE, "--lr", above(LR)], "--lr", ()),
    "optimize-steps-zero": (["optimize", "--steps", "0"], "--steps", ()),
    "optimize-steps-over": (["optimize", "--steps", above(RACE_STEPS)], "--steps", ()),
    "optimize-steps-fraction": (["optimize", "--steps", "2.5"], "--steps", ()),
    "optimize-start-text": ([*OPTIMIZE, "--start", "1", "x"], "--start", ()),
    "optimize-start-one": ([*OPTIMIZE, "--start", "1"], "--start", ()),
    "optimize-start-inf": ([*OPTIMIZE, "--start", "inf", "0"], "--start", ()),
    "optimize-start-huge-newton": ([*OPTIMIZE, "--optimizer", "newton", "--start", "1e308", "1e308"], "--start", ()),
    "optimize-momentum": ([*OPTIMIZE, "--optimizer", "momentum", "--momentum", "1.5"], "--momentum", ()),
    "optimize-momentum-adam": ([*OPTIMIZE, "--optimizer", "adam", "--momentum", "0.5"], "--momentum", ("Adam",)),
    "optimize-beta1": ([*OPTIMIZE, "--optimizer", "adam", "--beta1", "1"], "--beta1", ()),
    "optimize-beta2": ([*OPTIMIZE, "--optimizer", "adamw", "--beta2", "-0.1"], "--beta2", ()),
    "optimize-decay": ([*OPTIMIZE, "--optimizer", "rmsprop", "--decay", "1"], "--decay", ()),
    "optimize-decay-sgd": ([*OPTIMIZE, "--decay", "0.5"], "--decay", ("SGD",)),
    "optimize-eps": ([*OPTIMIZE, "--optimizer", "adam", "--eps", "0"], "--eps", ()),
    "optimize-eps-sgd": ([*OPTIMIZE, "--eps", "0.1"], "--eps", ("SGD",)),
    "optimize-weight-decay": ([*OPTIMIZE, "--weight-decay", above(WEIGHT_DECAY)], "--weight-decay", ()),
    "optimize-condition": ([*OPTIMIZE, "--surface", "quadratic", "--condition", above(CONDITION_RANGE)], "--condition", ()),
    "optimize-condition-beale": ([*OPTIMIZE, "--surface", "beale", "--condition", "5"], "--surface", ("condition",)),
    "optimize-angle": ([*OPTIMIZE, "--surface", "quadratic", "--angle", "nan"], "--angle", ()),
    "optimize-angle-rosenbrock": ([*OPTIMIZE, "--angle", "30"], "--surface", ("angle",)),
    "optimize-noise": ([*OPTIMIZE, "--noise", "-1"], "--noise", ()),
    "optimize-seed-huge": ([*OPTIMIZE, "--seed", "99999999999999999999999"], "--seed", ()),
    "optimize-seed-negative": ([*OPTIMIZE, "--noise", "0.1", "--seed", "-1"], "--seed", ()),
    "optimize-seed-without-noise": ([*OPTIMIZE, "--seed", "5"], "--seed", ("--noise",)),
    "optimize-schedule": ([*OPTIMIZE, "--schedule", "sometimes"], "--schedule", ()),
    "optimize-schedule-training-only": ([*OPTIMIZE, "--schedule", "linear"], "--schedule", ()),
    # -- train
    "train-depth": ([*TRAIN, "--depth", "0"], "--depth", ()),
    "train-width-huge": ([*TRAIN, "--width", "65536", "--depth", "50"], "--width", ()),
    "train-batch": ([*TRAIN, "--batch", "0"], "--batch", ()),
    "train-batch-over-subset": ([*TRAIN, "--train-subset", "20", "--batch", "64"], "--batch", ()),
    "train-activation": ([*TRAIN, "--activation", "foo"], "--activation", ()),
    "train-init": ([*TRAIN, "--init", "foo"], "--init", ()),
    "train-std-for-kaiming": ([*TRAIN, "--std", "0.1"], "--std", ("kaiming_normal",)),
    "train-gain": ([*TRAIN, "--gain", "0"], "--gain", ()),
    "train-norm": ([*TRAIN, "--norm", "foo"], "--norm", ()),
    "train-norm-place-no-norm": ([*TRAIN, "--norm-place", "after"], "--norm-place", ("--norm none",)),
    "train-bn-mode-no-norm": ([*TRAIN, "--bn-mode", "train"], "--bn-mode", ("--norm none",)),
    "train-groups": ([*TRAIN, "--norm", "group", "--groups", "7"], "--groups", ()),
    "train-seed": ([*TRAIN, "--seed", "-1"], "--seed", ()),
    "train-dataset": ([*TRAIN, "--dataset", "mnist"], "--dataset", ()),
    "train-preprocessing": ([*TRAIN, "--preprocessing", "zca"], "--preprocessing", ()),
    "train-subset-below-classes": ([*TRAIN, "--train-subset", "5"], "--train-subset", ()),
    "train-fit-on-test": ([*TRAIN, "--fit-on", "test"], "--fit-on", ("train, validation, all",)),
    "train-noise-digits": ([*TRAIN, "--noise", "0.3"], "--noise", ("digits",)),
    "train-noise-big": ([*TRAIN, "--dataset", "spirals", "--noise", above(datasets.NOISE_RANGE)], "--noise", ()),
    "train-samples-digits": ([*TRAIN, "--samples", "100"], "--samples", ("digits",)),
    "train-samples-small": ([*TRAIN, "--dataset", "moons", "--samples", below(datasets.SAMPLES_RANGE)], "--samples", ()),
    "train-val-fraction": ([*TRAIN, "--val-fraction", above(datasets.VAL_FRACTION_RANGE)], "--val-fraction", ()),
    "train-data-seed": ([*TRAIN, "--data-seed", "-1"], "--data-seed", ()),
    "train-optimizer-2d-only": ([*TRAIN, "--optimizer", "lbfgs"], "--optimizer", ()),
    "train-lr": ([*TRAIN, "--lr", "-1"], "--lr", ()),
    "train-momentum-adam": ([*TRAIN, "--momentum", "0.9"], "--momentum", ("Adam",)),
    "train-beta1": ([*TRAIN, "--beta1", "1.0"], "--beta1", ()),
    "train-beta2": ([*TRAIN, "--beta2", "x"], "--beta2", ()),
    "train-eps": ([*TRAIN, "--eps", "0"], "--eps", ()),
    "train-decay-adam": ([*TRAIN, "--decay", "0.9"], "--decay", ("Adam",)),
    "train-weight-decay": ([*TRAIN, "--weight-decay", "-1"], "--weight-decay", ()),
    "train-schedule": ([*TRAIN, "--schedule", "sometimes"], "--schedule", ()),
    "train-warmup": ([*TRAIN, "--warmup", "100"], "--warmup", ()),
    "train-steps-text": (["train", *TINY, "--steps", "many"], "--steps", ()),
    "train-steps-over": (["train", *TINY, "--steps", above(TRAIN_STEPS)], "--steps", ()),
    "train-dropout": ([*TRAIN, "--dropout", above(DROPOUT_RANGE)], "--dropout", ()),
    "train-record-every": ([*TRAIN, "--record-every", "0"], "--record-every", ()),
    "train-patience": ([*TRAIN, "--patience", "0"], "--patience", ()),
    "train-device": ([*TRAIN, "--device", "tpu"], "--device", ()),
    "train-save-folder": ([*TRAIN, "--save", "/tmp"], "--save", ("folder",)),
    "train-save-no-folder": ([*TRAIN, "--save", "/nonexistent/run.json"], "--save", ("does not exist",)),
    # /proc/1 exists and is not writable, for root too
    "train-save-no-permission": ([*TRAIN, "--save", "/proc/1/run.json"], "--save", ("no permission",)),
    # -- export init
    "init-activation": ([*INIT, "--activations", "tanh,foo"], "--activations", ()),
    "init-activation-twice": ([*INIT, "--activations", "tanh,tanh"], "--activations", ()),
    "init-std-zero": ([*INIT, "--stds", "0,0.1"], "--stds", ()),
    "init-std-over": ([*INIT, "--stds", f"0.1,{above(STD_RANGE)}"], "--stds", ()),
    "init-std-text": ([*INIT, "--stds", "0.1,abc"], "--stds", ()),
    "init-std-twice": ([*INIT, "--stds", "0.1,0.1"], "--stds", ()),
    "init-std-range-reversed": ([*INIT, "--std-range", "0.3", "0.001"], "--std-range", ()),
    "init-std-range-out": ([*INIT, "--std-range", "0.001", above(STD_RANGE)], "--std-range", ()),
    "init-std-range-text": ([*INIT, "--std-range", "low", "0.1"], "--std-range", ()),
    "init-stds-and-range": ([*INIT, "--stds", "0.1", "--std-range", "0.01", "1"], "--std-range", ("--stds",)),
    "init-gains-for-normal": ([*INIT, "--gains", "1,2"], "--gains", ("normal",)),
    "init-gain-range-for-normal": ([*INIT, "--gain-range", "1", "2"], "--gain-range", ("normal",)),
    "init-gain-range-out": ([*INIT, "--init", "kaiming_normal", "--gain-range", "0.5", above(GAIN_RANGE)], "--gain-range",
                            ()),
    "init-stds-for-kaiming": ([*INIT, "--init", "kaiming_normal", "--stds", "0.1"], "--stds", ("kaiming_normal",)),
    "init-points-zero": ([*INIT, "--points", "0"], "--points", ()),
    "init-points-text": ([*INIT, "--points", "many"], "--points", ()),
    "init-points-with-stds": ([*INIT, "--stds", "0.1,0.2", "--points", "5"], "--points", ("--stds",)),
    "init-zeros": ([*INIT, "--init", "zeros"], "--init", ()),
    "init-depth": (["export", "init", "--width", "64", "--depth", "0"], "--depth", ()),
    "init-width-text": (["export", "init", "--width", "wide"], "--width", ()),
    "init-batch": ([*INIT, "--batch", "0"], "--batch", ()),
    "init-norm": ([*INIT, "--norm", "foo"], "--norm", ()),
    "init-norm-place-no-norm": ([*INIT, "--norm-place", "after"], "--norm-place", ("--norm none",)),
    "init-bn-mode": ([*INIT, "--norm", "batch", "--bn-mode", "foo"], "--bn-mode", ()),
    "init-groups": ([*INIT, "--norm", "group", "--groups", "5"], "--groups", ()),
    "init-seed": ([*INIT, "--seed", "-1"], "--seed", ()),
    "init-device": ([*INIT, "--device", "tpu"], "--device", ()),
    "init-max-mb": ([*INIT, "--max-mb", "lots"], "--max-mb", ()),
    "init-max-mb-zero": ([*INIT, "--max-mb", "0"], "--max-mb", ()),
    "init-out-not-html": ([*INIT, "--out", "init.txt"], "--out", ()),
    "init-out-no-folder": ([*INIT, "--out", "/nonexistent/init.html"], "--out", ()),
    # -- export optimizers
    "race-optimizer": ([*RACE, "--optimizers", "sgd,foo"], "--optimizers", ()),
    "race-optimizer-twice": ([*RACE, "--optimizers", "sgd,sgd"], "--optimizers", ()),
    "race-optimizers-none": ([*RACE, "--optimizers", ","], "--optimizers", ()),
    "race-preset": ([*RACE, "--preset", "no such lesson"], "--preset", ()),
    "race-surface": ([*RACE, "--surface", "moon"], "--surface", ()),
    "race-condition": ([*RACE, "--surface", "quadratic", "--condition", "0.5"], "--condition", ()),
    "race-condition-rosenbrock": ([*RACE, "--condition", "5"], "--surface", ("condition",)),
    "race-angle": ([*RACE, "--surface", "quadratic", "--angle", "inf"], "--angle", ()),
    "race-lr-zero": ([*RACE, "--lr", "0"], "--lr", ()),
    "race-lr-count": ([*RACE, "--optimizers", "sgd,adam,momentum", "--lr", "0.1,0.2"], "--lr", ()),
    "race-steps": ([*RACE, "--steps", "0"], "--steps", ()),
    "race-start": ([*RACE, "--start", "a", "1"], "--start", ()),
    "race-start-out": ([*RACE, "--start", above(START_RANGE), "1"], "--start", ()),
    "race-noise": ([*RACE, "--noise", "-1"], "--noise", ()),
    "race-seed": ([*RACE, "--noise", "1", "--seed", "-1"], "--seed", ()),
    "race-seed-without-noise": ([*RACE, "--seed", "3"], "--seed", ("--noise",)),
    "race-schedule": ([*RACE, "--schedule", "sometimes"], "--schedule", ()),
    "race-momentum": ([*RACE, "--momentum", "1.5"], "--momentum", ()),
    "race-momentum-none-takes": ([*RACE, "--optimizers", "sgd,adam", "--momentum", "0.5"], "--momentum",
                                 ("sgd", "adam")),
    "race-beta1": ([*RACE, "--beta1", "-1"], "--beta1", ()),
    "race-beta2": ([*RACE, "--beta2", "1"], "--beta2", ()),
    "race-decay-none-takes": ([*RACE, "--decay", "0.5"], "--decay", ()),
    "race-eps-sgd": ([*RACE, "--optimizers", "sgd", "--eps", "0.1"], "--eps", ()),
    "race-weight-decay": ([*RACE, "--weight-decay", above(WEIGHT_DECAY)], "--weight-decay", ()),
    "race-frames": ([*RACE, "--frames", below(FRAMES_RANGE)], "--frames", ()),
    "race-state": ([*RACE, "--optimizers", "sgd,adam", "--state", "rmsprop"], "--state", ()),
    "race-max-mb": ([*RACE, "--max-mb", above(MAX_MB_RANGE)], "--max-mb", ()),
    "race-out-folder": ([*RACE, "--out", "/tmp"], "--out", ()),
}

# Values at the edges of what each option accepts, read from the ranges: each must run (status 0).
EDGES = {
    "stats-smallest": ["stats", "--depth", low(DEPTH_RANGE), "--width", low(WIDTH_RANGE), "--batch", low(BATCH_RANGE)],
    "stats-std-max": ["stats", *TINY, "--std", high(STD_RANGE)],
    "stats-std-min": ["stats", *TINY, "--std", low(STD_RANGE)],
    "stats-gain-max": ["stats", *TINY, "--init", "orthogonal", "--gain", high(GAIN_RANGE)],
    "stats-seed-max": ["stats", *TINY, "--seed", high(SEED_RANGE)],
    "stats-groups-width": ["stats", *TINY, "--norm", "group", "--groups", "16"],
    "stats-bn-running-after": ["stats", *TINY, "--norm", "batch", "--bn-mode", "running", "--norm-place", "after"],
    "stats-zeros": ["stats", *TINY, "--init", "zeros", "--bias"],
    "optimize-one-step": ["optimize", "--steps", low(RACE_STEPS)],
    # the largest learning rate diverges at once, so the most steps cost nothing
    "optimize-most-steps": ["optimize", "--surface", "quadratic", "--lr", high(LR), "--steps", high(RACE_STEPS)],
    "optimize-quadratic-min": [*OPTIMIZE, "--surface", "quadratic", "--condition", low(CONDITION_RANGE), "--angle",
                               "-4.5e1"],
    "optimize-quadratic-max": [*OPTIMIZE, "--surface", "quadratic", "--condition", high(CONDITION_RANGE), "--angle",
                               "-30"],
    "optimize-newton-far": [*OPTIMIZE, "--optimizer", "newton", "--start", high(START_RANGE), low(START_RANGE)],
    "optimize-negative-exponent": [*OPTIMIZE, "--start", "-1e5", "1e5"],
    "optimize-noise-max": [*OPTIMIZE, "--noise", high(GRADIENT_NOISE_RANGE), "--seed", high(SEED_RANGE)],
    "optimize-hyperparameter-edges": [*OPTIMIZE, "--optimizer", "adam", "--beta1", low(BETA1), "--beta2", low(BETA2),
                                      "--eps", high(EPS), "--weight-decay", high(WEIGHT_DECAY)],
    "optimize-momentum-zero": [*OPTIMIZE, "--optimizer", "nesterov", "--momentum", low(MOMENTUM), "--schedule",
                               "exponential"],
    "train-one-step": ["train", *TINY, "--steps", low(TRAIN_STEPS)],
    "train-dropout-max": [*TRAIN, "--dropout", high(DROPOUT_RANGE), "--patience", "1"],
    "train-moons-smallest": [*TRAIN, "--dataset", "moons", "--samples", low(datasets.SAMPLES_RANGE), "--noise",
                             low(datasets.NOISE_RANGE), "--val-fraction", high(datasets.VAL_FRACTION_RANGE),
                             "--batch", low(BATCH_RANGE)],
    "train-spirals-noisiest": [*TRAIN, "--dataset", "spirals", "--noise", high(datasets.NOISE_RANGE),
                               "--val-fraction", low(datasets.VAL_FRACTION_RANGE)],
    "train-subset-classes": [*TRAIN, "--train-subset", str(datasets.CLASSES["digits"]), "--batch", "10"],
    "train-warmup-max": [*TRAIN, "--warmup", "19", "--schedule", "cosine", "--record-every", high(TRAIN_STEPS)],
    "train-seeds-max": [*TRAIN, "--seed", high(SEED_RANGE), "--data-seed", high(SEED_RANGE)],
    "train-rmsprop": [*TRAIN, "--optimizer", "rmsprop", "--decay", low(DECAY), "--eps", high(EPS), "--weight-decay",
                      high(WEIGHT_DECAY)],
    "init-one-point": ["export", "init", "--width", "8", "--depth", "1", "--points", low(POINTS_RANGE),
                       "--activations", "relu"],
    "race-two-frames": [*RACE, "--steps", "1", "--frames", low(FRAMES_RANGE), "--noise", high(GRADIENT_NOISE_RANGE),
                        "--seed", high(SEED_RANGE)],
}


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


# Not an option-value error but a configuration validate() accepts: see the test below.
BATCH_ONE_RUNNING = ["stats", *SMALL, "--norm", "batch", "--bn-mode", "running", "--batch", "1"]


# -- stats: output -------------------------------------------------------------------------------
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


# -- bad values: one line, status 2 ----------------------------------------------------------------
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


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_a_bad_input_is_one_line_naming_the_option(case: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    argv, option, also = BAD_INPUT[case]
    if argv[0] == "export":
        no_compute(monkeypatch)  # what an export refuses, it refuses before computing
        if "--out" not in argv:
            argv = [*argv, "--out", str(tmp_path / "out.html")]
    monkeypatch.chdir(tmp_path)  # a relative --out would land here
    status, out, err = _main(argv, capsys)
    assert "Traceback" not in err, err
    assert status == 2, (status, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"trainlab: error: {option}"), lines[0]
    for word in also:
        assert word in lines[0], (word, lines[0])
    assert not list(tmp_path.iterdir()), "nothing is written"
    if argv[0] != "export":  # export says what it computes only once every option is checked
        assert out == ""


def _options_of(path: list[str]) -> tuple[set[str], set[str]]:
    """The options `trainlab <path> --help` lists: (those taking a value, the flags)."""
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), pytest.raises(SystemExit):
        main([*path, "--help"])
    found = re.findall(r"^  (--[a-z0-9-]+)( [A-Z]+)?", help_text.getvalue(), re.M)
    valued = {name for name, metavar in found if metavar}
    return valued, {name for name, metavar in found if not metavar} - {"--help"}


@pytest.mark.parametrize("path", [["stats"], ["optimize"], ["train"], ["export", "init"], ["export", "optimizers"]],
                         ids=" ".join)
def test_every_option_has_a_bad_case(path: list[str]) -> None:
    valued, flags = _options_of(path)
    assert {"--steps", "--depth"} & valued, valued  # the help was read
    covered = {option for argv, option in BAD.values() if argv[:len(path)] == path}
    covered |= {option for argv, option, _ in BAD_INPUT.values() if argv[:len(path)] == path}
    assert valued - covered == set(), "options with no bad case"
    assert flags <= {"--json", "--bias"}, "a flag takes no value, so it has no bad one"


@pytest.mark.parametrize("case", list(EDGES))
def test_an_edge_value_runs(case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = EDGES[case]
    if argv[0] == "export":
        argv = [*argv, "--out", str(tmp_path / "edge.html")]
    status, out, err = _main(argv, capsys)
    assert status == 0, err
    assert "error" not in err and "Traceback" not in err, err
    assert out.strip()


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


# -- every option reaches the computation ------------------------------------------------------------
# A value other than the default for every network setting, with the options it needs.
NETWORK_VALUES = {
    "depth": ("3", [], 3), "width": ("32", [], 32), "batch": ("8", [], 8), "activation": ("gelu", [], "gelu"),
    "init": ("xavier_uniform", [], "xavier_uniform"), "std": ("0.05", ["--init", "uniform"], 0.05),
    "gain": ("1.5", ["--init", "orthogonal"], 1.5), "norm": ("layer", [], "layer"),
    "norm_place": ("after", ["--norm", "layer"], "after"), "bn_mode": ("running", ["--norm", "batch"], "running"),
    "groups": ("4", ["--norm", "group"], 4), "bias": (None, [], True), "seed": ("7", [], 7),
}
TRAIN_VALUES = {
    **{name: NETWORK_VALUES[name] for name in NETWORK_SETTINGS if name not in ("bn_mode", "init")},
    "init": ("xavier_uniform", [], "xavier_uniform"), "bn_mode": ("train", ["--norm", "batch"], "train"),
    "dataset": ("moons", [], "moons"), "preprocessing": ("pca_whiten", [], "pca_whiten"),
    "train_subset": ("100", [], 100), "fit_on": ("all", [], "all"), "noise": ("0.3", ["--dataset", "spirals"], 0.3),
    "samples": ("500", ["--dataset", "moons"], 500), "val_fraction": ("0.3", [], 0.3), "data_seed": ("5", [], 5),
    "optimizer": ("sgd", [], "sgd"), "lr": ("0.02", [], 0.02), "momentum": ("0.5", ["--optimizer", "momentum"], 0.5),
    "beta1": ("0.8", [], 0.8), "beta2": ("0.99", [], 0.99), "eps": ("1e-6", [], 1e-6),
    "decay": ("0.9", ["--optimizer", "rmsprop"], 0.9), "weight_decay": ("0.01", [], 0.01),
    "schedule": ("cosine", [], "cosine"), "warmup": ("10", [], 10), "steps": ("50", [], 50),
    "dropout": ("0.1", [], 0.1), "record_every": ("5", [], 5), "patience": ("3", [], 3),
}


def _argv_for(name: str, value: tuple) -> list[str]:
    text, needs, _expected = value
    flag = "--" + name.replace("_", "-")
    return [*needs, flag] if text is None else [*needs, flag, text]


TRAINER = "trainlab.compute.train.trainer.Trainer"


class _Captured(Exception):
    """Raised by a stand-in for the computation, holding what it was given."""


def _handed_to(what: str, argv: list[str], monkeypatch: pytest.MonkeyPatch):
    """The spec `main(argv)` hands the computation `what` (a stand-in stops there), validated."""
    def stand_in(spec, *args, **kwargs):
        raise _Captured(spec.validate())

    monkeypatch.setattr(what, stand_in)
    with pytest.raises(_Captured) as got:
        main(argv)
    return got.value.args[0]


def test_the_tables_have_every_setting() -> None:
    assert set(NETWORK_VALUES) == set(NETWORK_SETTINGS)
    assert set(TRAIN_VALUES) == set(train_settings())


@pytest.mark.parametrize("name", list(NETWORK_VALUES))
def test_every_stats_option_reaches_the_pass(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _handed_to("trainlab.compute.run_pass", ["stats", *_argv_for(name, NETWORK_VALUES[name])], monkeypatch)
    assert getattr(spec, name) == NETWORK_VALUES[name][2] != getattr(NetworkSpec(), name)


@pytest.mark.parametrize("name", INIT_NETWORK_SETTINGS)
def test_every_init_export_network_option_reaches_the_grid(name: str, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    grids = []
    monkeypatch.setattr(init_grid, "build", lambda grid, device: grids.append(grid) or None)
    monkeypatch.setattr("trainlab.export.write_page", lambda page, path: 0)
    argv = _argv_for(name, NETWORK_VALUES[name])
    knob = ["--stds", "0.1"] if name not in ("init", "gain") else ["--gains", "1"]
    assert main(["export", "init", *argv, *knob, "--out", str(tmp_path / "x.html")]) == 0
    assert getattr(grids[0].spec, name) == NETWORK_VALUES[name][2] != getattr(NetworkSpec(), name)


@pytest.mark.parametrize("name", list(TRAIN_VALUES))
def test_every_train_option_reaches_the_trainer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _handed_to(TRAINER, ["train", *_argv_for(name, TRAIN_VALUES[name])], monkeypatch)
    assert config.flat()[name] == TRAIN_VALUES[name][2]


def _trajectory(capsys: pytest.CaptureFixture[str], *args: str) -> list:
    status, out, err = _main(["optimize", "--surface", "quadratic", "--steps", "20", *args, "--json"], capsys)
    assert status == 0, err
    return json.loads(out)["points"]


# hyperparameter: (an optimizer that takes it, a value other than its default)
HYPERPARAMETER_VALUES = {"lr": ("sgd", 0.03), "momentum": ("momentum", 0.5), "beta1": ("adam", 0.5),
                         "beta2": ("adam", 0.9), "decay": ("rmsprop", 0.5), "eps": ("adagrad", 0.5),
                         "weight_decay": ("sgd", 0.5)}


@pytest.mark.parametrize("name", list(HYPERPARAMETERS))
def test_every_hyperparameter_reaches_the_trajectory(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    optimizer, value = HYPERPARAMETER_VALUES[name]
    mine = _trajectory(capsys, "--optimizer", optimizer, "--" + name.replace("_", "-"), str(value))
    direct = run_optimizer(make_surface("quadratic"), OptimizerSpec(optimizer, **{name: value}), steps=20)
    assert mine == direct.points[:, 0].tolist()
    assert mine != _trajectory(capsys, "--optimizer", optimizer), "the value changes the run"


@pytest.mark.parametrize("args", [["--schedule", "step"], ["--noise", "0.5"], ["--start", "-2", "1e-1"],
                                  ["--angle", "-3e1"], ["--condition", "5"]], ids=lambda a: a[0])
def test_race_options_reach_the_trajectory(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _trajectory(capsys, *args) != _trajectory(capsys)


def test_the_noise_seed_reaches_the_trajectory(capsys: pytest.CaptureFixture[str]) -> None:
    noisy = ["--noise", "0.5"]
    assert _trajectory(capsys, *noisy, "--seed", "1") != _trajectory(capsys, *noisy, "--seed", "2")


def test_a_negative_start_in_exponent_form_is_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert _trajectory(capsys, "--start", "1e-1", "-2.5e-1", "--angle", "-1e1")[0] == [0.1, -0.25]


# -- the registries reach the command line ----------------------------------------------------------
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimize_runs_every_optimizer_in_the_registry(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(["optimize", "--optimizer", name, "--steps", "3", "--json"], capsys)
    assert status == 0, err
    assert json.loads(out)["optimizer"] == name


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_train_takes_exactly_the_trainable_optimizers(name: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    if name in TRAINABLE:
        assert _handed_to(TRAINER, ["train", "--optimizer", name], monkeypatch).optimizer.name == name
    else:
        status, _out, err = _main(["train", "--optimizer", name], capsys)
        assert status == 2 and err.startswith("trainlab: error: --optimizer: ")


# -- trainlab optimize: output -------------------------------------------------------------------
def test_optimize_summary_reports_reaching_the_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(["optimize", "--surface", "quadratic", "--optimizer", "newton", "--steps", "5"], capsys)
    assert status == 0, err
    assert "within 1e-3 of a minimum: after 1 steps" in out
    assert "diverged: no" in out


def test_optimize_json_has_the_full_trajectory(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(["optimize", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.05",
                              "--steps", "40", "--start", "-1", "1", "--json"], capsys)
    assert status == 0, err
    data = json.loads(out)
    assert len(data["points"]) == 41 and len(data["losses"]) == 41
    assert data["points"][0] == [-1.0, 1.0]
    assert data["final_point"] == data["points"][-1]
    assert data["diverged"] is False and data["steps_to_minimum"] is None


def test_optimize_reports_divergence(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _main(["optimize", "--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.5",
                               "--condition", "10", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["diverged"] is True and data["diverged_at"] > 0
    assert all(v is not None for point in data["points"] for v in point)


# -- trainlab train: output and --save ------------------------------------------------------------
def test_train_prints_the_records_and_saves_a_history(capsys, tmp_path) -> None:
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


@pytest.mark.parametrize("save", ["/tmp", "/nonexistent/run.json", "/proc/1/run.json"])
def test_a_bad_save_is_refused_before_training(save: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("trainlab.compute.train.trainer.Trainer.run",
                        lambda self, **kwargs: pytest.fail("trained before refusing --save"))
    status, out, err = _main([*TRAIN, "--save", save], capsys)
    assert status == 2 and out == "" and err.startswith("trainlab: error: --save: ")


def test_a_save_that_fails_at_the_end_loses_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/full passes the check (a writable file) and fails the write, as a full disk does."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    status, out, err = _main([*TRAIN, "--save", "/dev/full"], capsys)
    assert status == 1, "the training ran; only the save failed"
    assert out.splitlines()[-1] == "finished", "the results are printed"
    (line,) = err.splitlines()
    assert line.startswith("trainlab: error: --save: could not write '/dev/full' (No space left on device)")
    (kept,) = tmp_path.glob("trainlab-run-*.json")
    assert str(kept) in line
    assert len(RunHistory.load(kept).runs[0].train_loss) == 20


# -- what the commands import -------------------------------------------------------------------------
UI_MODULES = ("ipywidgets", "plotly", "anywidget")
# scikit-learn (about 1 s of start-up) is the training data's; torch is what the rest need.
UNTRAINED = (*UI_MODULES, "sklearn")


def _cli(argv: list[str]) -> str:
    return ("from trainlab.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: main({argv!r})\n"
            "    except SystemExit: pass\n")


# id: (what the process runs, the modules it must not load)
IMPORTS = {
    "import-compute": ("import trainlab.compute\n", UI_MODULES),
    "help": (_cli(["--help"]), (*UNTRAINED, "torch")),
    "stats-help": (_cli(["stats", "--help"]), UNTRAINED),
    "train-help": (_cli(["train", "--help"]), UI_MODULES),
    "optimize-help": (_cli(["optimize", "--help"]), UNTRAINED),
    "serve-help": (_cli(["serve", "--help"]), (*UNTRAINED, "torch")),
    "stats-run": (_cli(["stats", *TINY]), UNTRAINED),
}


def _modules_loaded(code: str) -> list[str]:
    script = f"import contextlib, io, json, sys\n{code}print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.splitlines()[-1])


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(IMPORTS, pool.map(_modules_loaded, [code for code, _ in IMPORTS.values()])))


@pytest.mark.parametrize("case", list(IMPORTS))
def test_the_command_loads_no_widgets(case: str, loaded: dict[str, list[str]]) -> None:
    modules = set(loaded[case])
    assert "trainlab" in modules, "the process ran trainlab"
    heavy = {name for name in modules if name.split(".")[0] in IMPORTS[case][1]}
    assert heavy == set()
