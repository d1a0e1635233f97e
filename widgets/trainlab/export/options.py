"""The `trainlab export` options: their definitions, and turning their text into an InitGrid, a
RaceExport and an output target. Every bad value raises SpecError naming the option (its field,
with dashes for underscores), which the CLI prints as one line."""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from trainlab.compute import ACTIVATIONS, NetworkSpec, SpecError
from trainlab.compute.checks import number_in, whole_in
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.spec import RACE_SCHEDULES as SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import SURFACES
from trainlab.export.init_grid import DEFAULT_ACTIVATIONS, DEFAULT_POINTS, DEFAULT_RANGES, KNOB_RANGES, InitGrid, log_spaced
from trainlab.export.race import FRAMES_RANGE, RaceExport
from trainlab.export.size import DEFAULT_MAX_MB
from trainlab.presets import RACE_PRESETS

POINTS_RANGE = (1, 1000)
MAX_MB_RANGE = (1.0, 2000.0)
_HYPERPARAMETERS = ("momentum", "beta1", "beta2", "decay")
_RACE_DEFINING = ("surface", "optimizers", "lr", "steps", "start", "noise", "seed", "schedule", "condition", "angle",
                  *_HYPERPARAMETERS)


def _number(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SpecError(option, f"must be a number, not {text!r}") from None


def _whole(option: str, text: str, bounds: tuple[int, int]) -> int:
    try:
        value: object = int(text)
    except ValueError:
        value = text
    whole_in(option, value, bounds)
    return value  # type: ignore[return-value]


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# -- output ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    path: Path
    max_mb: float


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write")
    p.add_argument("--max-mb", default=str(DEFAULT_MAX_MB),
                   help=f"refuse a grid whose file would be larger than this (default {DEFAULT_MAX_MB:g})")


def output_from_args(args: argparse.Namespace) -> Output:
    """The target file, checked before anything is computed: an .html name in a writable folder."""
    max_mb = _number("max_mb", args.max_mb)
    number_in("max_mb", max_mb, MAX_MB_RANGE)
    path = Path(args.out).expanduser()
    if path.suffix.lower() not in (".html", ".htm"):
        raise SpecError("out", f"must name an .html file, not {args.out!r}")
    if path.is_dir():
        raise SpecError("out", f"{args.out!r} is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise SpecError("out", f"folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SpecError("out", f"cannot write {args.out!r} (no permission)")
    return Output(path, max_mb)


# -- export init -------------------------------------------------------------------------------
def add_init_arguments(p: argparse.ArgumentParser) -> None:
    """The grid options of `export init` (the network options are `trainlab stats`'s)."""
    p.add_argument("--activations", default=",".join(DEFAULT_ACTIVATIONS),
                   help=f"comma-separated, from {', '.join(ACTIVATIONS)} (default {','.join(DEFAULT_ACTIVATIONS)})")
    values = p.add_mutually_exclusive_group()
    lo, hi = DEFAULT_RANGES["std"]
    values.add_argument("--stds", default=None, help="comma-separated std values (inits normal, uniform, constant)")
    values.add_argument("--std-range", nargs=2, default=None, metavar=("LO", "HI"),
                        help=f"--points log-spaced std values from LO to HI (default {lo:g} {hi:g})")
    lo, hi = DEFAULT_RANGES["gain"]
    values.add_argument("--gains", default=None, help="comma-separated gain values (xavier, kaiming, lecun, orthogonal)")
    values.add_argument("--gain-range", nargs=2, default=None, metavar=("LO", "HI"),
                        help=f"--points log-spaced gain values from LO to HI (default {lo:g} {hi:g})")
    p.add_argument("--points", default=str(DEFAULT_POINTS), help=f"values in a range, {POINTS_RANGE[0]}..{POINTS_RANGE[1]} "
                   f"(default {DEFAULT_POINTS})")


def _knob_values(args: argparse.Namespace, knob: str) -> tuple[float, ...]:
    other = "gain" if knob == "std" else "std"
    for option in (f"{other}s", f"{other}_range"):
        if getattr(args, option) is not None:
            raise SpecError(option, f"init {args.init} is set by its {knob}: use --{knob}s or --{knob}-range")
    listed, bounds = getattr(args, f"{knob}s"), getattr(args, f"{knob}_range")
    if listed is not None:
        values = tuple(_number(f"{knob}s", text) for text in _names(listed))
        return tuple(sorted(values))
    points = _whole("points", args.points, POINTS_RANGE)
    if bounds is None:
        return log_spaced(*DEFAULT_RANGES[knob], points)
    option = f"{knob}_range"
    lo, hi = (_number(option, text) for text in bounds)
    for value in (lo, hi):
        number_in(option, value, KNOB_RANGES[knob])
    if lo >= hi and points > 1:
        raise SpecError(option, f"LO must be below HI, not {lo:g} {hi:g}")
    return log_spaced(lo, hi, points)


def init_grid_from_args(args: argparse.Namespace, spec: NetworkSpec) -> InitGrid:
    """The validated grid: `spec` (from the network options) over activations x knob values."""
    knob = spec.scheme.knob
    if knob == "none":
        raise SpecError("init", f"{spec.init} has no std or gain to sweep; choose one of normal, uniform, constant "
                                "(std) or xavier, kaiming, lecun, orthogonal (gain)")
    grid = InitGrid(spec, _names(args.activations), _knob_values(args, knob))
    return grid.validate()


# -- export optimizers -------------------------------------------------------------------------
def add_race_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default=None, help="a lecture point: " + "; ".join(RACE_PRESETS))
    p.add_argument("--surface", default=None, help=", ".join(SURFACES) + " (default rosenbrock, or the preset's)")
    p.add_argument("--optimizers", default=None, help="comma-separated, from " + ", ".join(OPTIMIZERS))
    p.add_argument("--lr", default=None, help="learning rate, one for all or one per optimizer, comma-separated "
                   "(default: each optimizer's, or the preset's)")
    p.add_argument("--steps", default=None, help="steps, 1..10000 (default 300, or the preset's)")
    p.add_argument("--start", nargs=2, default=None, metavar=("X", "Y"), help="start point (default: the surface's)")
    p.add_argument("--noise", default=None, help="std of Gaussian noise added to each gradient, 0..100")
    p.add_argument("--seed", default=None, help="noise seed")
    p.add_argument("--schedule", default=None, help=", ".join(SCHEDULES))
    for name, what in (("momentum", "momentum / Nesterov rho"), ("beta1", "Adam beta1"), ("beta2", "Adam beta2"),
                       ("decay", "RMSProp decay")):
        p.add_argument(f"--{name}", default=None, help=f"{what}, in [0, 1), for every optimizer that has it")
    p.add_argument("--condition", default=None, help="quadratic only: condition number, 1..1000")
    p.add_argument("--angle", default=None, help="quadratic only: rotation in degrees")
    p.add_argument("--frames", default=None, help=f"animation frames, {FRAMES_RANGE[0]}..{FRAMES_RANGE[1]} "
                   f"(default {RaceExport().frames})")
    p.add_argument("--state", default=None, help="the optimizer whose state the panel shows (default: the first)")


def _racers(args: argparse.Namespace, base: tuple[OptimizerSpec, ...]) -> tuple[OptimizerSpec, ...]:
    racers = base if args.optimizers is None else tuple(OptimizerSpec(n) for n in _names(args.optimizers))
    if not racers:
        raise SpecError("optimizers", "needs at least one optimizer")
    given = {name: _number(name, getattr(args, name)) for name in _HYPERPARAMETERS if getattr(args, name) is not None}
    for name, value in given.items():
        # "for every optimizer that has it": one that none of the racers takes is refused.
        takers = [r for r in racers if name in r.info.hyperparameters]
        if not takers:
            raise SpecError(name, f"none of {', '.join(r.name for r in racers)} takes a {name}")
        racers = tuple(dataclasses.replace(r, **{name: value}) if r in takers else r for r in racers)
    if args.schedule is not None:
        racers = tuple(dataclasses.replace(r, schedule=args.schedule) for r in racers)
    if args.lr is not None:
        lrs = [_number("lr", text) for text in _names(args.lr)]
        if len(lrs) == 1:
            lrs *= len(racers)
        if len(lrs) != len(racers):
            raise SpecError("lr", f"gives {len(lrs)} learning rates for {len(racers)} optimizers: give one, or one each")
        racers = tuple(dataclasses.replace(r, lr=lr) for r, lr in zip(racers, lrs))
    return racers


def race_from_args(args: argparse.Namespace) -> RaceExport:
    """The validated race: the preset's (or the default race), with every option given on top."""
    race = RaceExport.from_preset(args.preset) if args.preset is not None else RaceExport()
    changes: dict[str, object] = {"racers": _racers(args, race.racers)}
    if args.surface is not None and args.surface != race.surface:
        changes.update(surface=args.surface, condition=None, angle=None)
    for name in ("condition", "angle", "noise"):
        if getattr(args, name) is not None:
            changes[name] = _number(name, getattr(args, name))
    for name, bounds in (("steps", (1, 10_000)), ("seed", (0, 2**31 - 1)), ("frames", FRAMES_RANGE)):
        if getattr(args, name) is not None:
            changes[name] = _whole(name, getattr(args, name), bounds)
    if args.start is not None:
        changes["start"] = tuple(_number("start", text) for text in args.start)
    if args.state is not None:
        changes["show_state"] = args.state
    # A preset's lesson describes the preset's race only: any change to what runs drops it.
    if any(getattr(args, name) is not None for name in _RACE_DEFINING):
        changes["preset"] = None
    return race.replace(**changes).validate()
