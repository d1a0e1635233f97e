"""The `trainlab export` options: their definitions, and turning their text into an InitGrid, a
RaceExport and an output target. The options shared with `trainlab stats` and `trainlab optimize`
come from cli_options (`export landscape` takes those of `trainlab landscape`); every bad value raises SpecError naming the option (its field, with dashes
for underscores), which the CLI prints as one line."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from trainlab.cli_options import (
    NETWORK_SETTINGS,
    RACE_SETTINGS,
    SWEPT_SETTINGS,
    Option,
    add_device_option,
    add_options,
    given,
    inits,
    landscape_from,
    landscape_options,
    network_from,
    network_options,
    one_of,
    race_options,
    race_settings,
    race_with,
    read_number,
    read_whole,
    span,
    writable_file,
)
from trainlab.compute import ACTIVATIONS, NetworkSpec, SpecError, pick_device
from trainlab.compute.checks import SEED_RANGE, number_in, whole_in
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.export.init_grid import (
    DEFAULT_ACTIVATIONS,
    DEFAULT_POINTS,
    DEFAULT_RANGES,
    KNOB_RANGES,
    InitGrid,
    log_spaced,
)
from trainlab.export.landscape import VIEWS as LANDSCAPE_VIEWS
from trainlab.export.landscape import LandscapeExport
from trainlab.export.preprocessing import PreprocessingExport
from trainlab.export.race import FRAMES_RANGE, RaceExport
from trainlab.export.size import DEFAULT_MAX_MB
from trainlab.presets import RACE_PRESETS

POINTS_RANGE = (1, 1000)
MAX_MB_RANGE = (1.0, 2000.0)
INIT_NETWORK_SETTINGS = tuple(name for name in NETWORK_SETTINGS if name not in SWEPT_SETTINGS)
# "For every optimizer that takes it"; --lr is a list of its own, one per optimizer.
_RACER_SETTINGS = tuple(name for name in HYPERPARAMETERS if name != "lr")
# Given any of these, the race is no longer the preset's, whose lesson is then dropped.
_RACE_DEFINING = (*RACE_SETTINGS, "optimizers", "lr", "schedule", *_RACER_SETTINGS)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# -- output ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    path: Path
    max_mb: float


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write")
    p.add_argument("--max-mb", default=None, type=read_number, metavar="X",
                   help=f"refuse a grid whose file would be larger than this, {span(MAX_MB_RANGE)} "
                        f"(default {DEFAULT_MAX_MB:g})")


def output_from_args(args: argparse.Namespace) -> Output:
    """The target file, checked before anything is computed: an .html name in a writable folder."""
    max_mb = DEFAULT_MAX_MB if args.max_mb is None else args.max_mb
    number_in("max_mb", max_mb, MAX_MB_RANGE)
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise SpecError("out", f"must name an .html file, not {args.out!r}")
    return Output(writable_file("out", args.out), max_mb)


# -- export init -------------------------------------------------------------------------------
def add_init_arguments(p: argparse.ArgumentParser) -> None:
    """The network options of `trainlab stats` but the swept ones, and the grid's."""
    add_options(p, network_options(NetworkSpec(), INIT_NETWORK_SETTINGS))
    add_device_option(p)
    p.add_argument("--activations", default=",".join(DEFAULT_ACTIVATIONS),
                   help=f"comma-separated, from {', '.join(ACTIVATIONS)} (default {','.join(DEFAULT_ACTIVATIONS)})")
    values = p.add_mutually_exclusive_group()
    lo, hi = DEFAULT_RANGES["std"]
    values.add_argument("--stds", default=None, help=f"comma-separated std values (inits {inits('std')})")
    values.add_argument("--std-range", nargs=2, default=None, type=read_number, metavar=("LO", "HI"),
                        help=f"--points log-spaced std values from LO to HI (default {lo:g} {hi:g})")
    lo, hi = DEFAULT_RANGES["gain"]
    values.add_argument("--gains", default=None, help=f"comma-separated gain values (inits {inits('gain')})")
    values.add_argument("--gain-range", nargs=2, default=None, type=read_number, metavar=("LO", "HI"),
                        help=f"--points log-spaced gain values from LO to HI (default {lo:g} {hi:g})")
    p.add_argument("--points", default=None, type=read_whole, metavar="N",
                   help=f"values in a range, {span(POINTS_RANGE)} (default {DEFAULT_POINTS})")


def _knob_values(args: argparse.Namespace, spec: NetworkSpec) -> tuple[float, ...]:
    """The knob values the options give: listed, or log-spaced over a range."""
    knob = spec.scheme.knob
    other = "gain" if knob == "std" else "std"
    for option in (f"{other}s", f"{other}_range"):
        if getattr(args, option) is not None:
            raise SpecError(option, f"init {spec.init} is set by its {knob}: use --{knob}s or --{knob}-range")
    listed, bounds = getattr(args, f"{knob}s"), getattr(args, f"{knob}_range")
    if listed is not None:
        if args.points is not None:
            raise SpecError("points", f"counts the values of a range, and --{knob}s lists them")
        return tuple(read_number(text) for text in _names(listed))  # InitGrid.validate checks them
    points = DEFAULT_POINTS if args.points is None else args.points
    whole_in("points", points, POINTS_RANGE)
    if bounds is None:
        return log_spaced(*DEFAULT_RANGES[knob], points)
    option = f"{knob}_range"
    for value in bounds:
        number_in(option, value, KNOB_RANGES[knob])
    lo, hi = bounds
    if lo >= hi and points > 1:
        raise SpecError(option, f"LO must be below HI, not {lo:g} {hi:g}")
    return log_spaced(lo, hi, points)


def init_grid_from_args(args: argparse.Namespace) -> InitGrid:
    """The validated grid: the network the options give, over activations x knob values."""
    pick_device(args.device)
    spec = network_from(NetworkSpec(), given(args, INIT_NETWORK_SETTINGS))
    if spec.scheme.knob == "none":
        raise SpecError("init", f"{spec.init} has no std or gain to sweep; choose one of {inits('std')} (std) "
                                f"or {inits('gain')} (gain)")
    grid = InitGrid(spec, _names(args.activations), _knob_values(args, spec)).validate()
    return dataclasses.replace(grid, values=tuple(sorted(grid.values)))


# -- export optimizers -------------------------------------------------------------------------
def add_race_arguments(p: argparse.ArgumentParser) -> None:
    """A preset, the race's options (those of `trainlab optimize`, each for every racer that
    takes it), the racers, and how the export animates."""
    p.add_argument("--preset", default=None, help="a lecture point, whose race the other options change: "
                   + "; ".join(RACE_PRESETS))
    defaults = RaceExport()
    add_options(p, {
        **race_options(defaults),
        "optimizers": Option(f"comma-separated, from {', '.join(OPTIMIZERS)} "
                             f"(default {','.join(r.name for r in defaults.racers)})", str, metavar="NAME,..."),
        "lr": Option("learning rate, one for all or one per optimizer, comma-separated (default: each optimizer's)",
                     str, metavar="X,..."),
        "frames": Option(f"animation frames, {span(FRAMES_RANGE)} (default {defaults.frames})", int),
        "state": Option("the optimizer whose state the panel shows (default: the first)", str),
    })


def _racers(args: argparse.Namespace, base: tuple[OptimizerSpec, ...]) -> tuple[OptimizerSpec, ...]:
    racers = base if args.optimizers is None else tuple(OptimizerSpec(n) for n in _names(args.optimizers))
    if not racers:
        raise SpecError("optimizers", "needs at least one optimizer")
    for name, value in given(args, _RACER_SETTINGS).items():
        # "for every optimizer that has it": one that none of the racers takes is refused.
        takers = [r for r in racers if name in r.info.hyperparameters]
        if not takers:
            raise SpecError(name, f"none of {', '.join(r.name for r in racers)} takes a {name}")
        racers = tuple(dataclasses.replace(r, **{name: value}) if r in takers else r for r in racers)
    if args.schedule is not None:
        racers = tuple(dataclasses.replace(r, schedule=args.schedule) for r in racers)
    if args.lr is not None:
        lrs = [read_number(text) for text in _names(args.lr)]
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
    if args.frames is not None:
        changes["frames"] = args.frames
    if args.state is not None:
        changes["show_state"] = args.state
    if given(args, _RACE_DEFINING):
        changes["preset"] = None
    return race_with(race, race_settings(args), **changes)


# -- export landscape --------------------------------------------------------------------------
def add_landscape_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `trainlab landscape`, and the view."""
    add_options(p, {**landscape_options(),
                    "view": Option(f"{one_of(LANDSCAPE_VIEWS)} (default {LandscapeExport().view})", str)})


def landscape_from_args(args: argparse.Namespace) -> LandscapeExport:
    spec = landscape_from(args)
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    return LandscapeExport(**fields, **given(args, ("view",))).validate()


# -- export preprocessing ----------------------------------------------------------------------
def _cloud_options() -> dict[str, Option]:
    """The point cloud's settings (CloudSpec), with their defaults and ranges from compute/."""
    from trainlab.compute.preprocess import point_cloud as pc

    spec = PreprocessingExport()
    return {
        "points": Option(f"points in the cloud, {span(pc.POINTS_RANGE)} (default {spec.points})", int),
        "centre_x": Option(f"the cloud's centre, first feature, {span(pc.CENTRE_RANGE)} (default {spec.centre_x:g})"),
        "centre_y": Option(f"the cloud's centre, second feature, {span(pc.CENTRE_RANGE)} (default {spec.centre_y:g})"),
        "scale_x": Option(f"std along the cloud's long axis, {span(pc.SCALE_RANGE)} (default {spec.scale_x:g})"),
        "scale_y": Option(f"std along its short axis, {span(pc.SCALE_RANGE)} (default {spec.scale_y:g})"),
        "angle": Option(f"the cloud's turn in degrees, {span(pc.ANGLE_RANGE)} (default {spec.angle:g})"),
        "seed": Option(f"seed of the points, {span(SEED_RANGE)} (default {spec.seed})", int),
    }


def add_preprocessing_arguments(p: argparse.ArgumentParser) -> None:
    add_options(p, _cloud_options())


def preprocessing_from_args(args: argparse.Namespace) -> PreprocessingExport:
    return PreprocessingExport(**given(args, _cloud_options())).validate()
