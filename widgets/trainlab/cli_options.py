"""The command line's options, defined from the compute layer's registries and ranges.

An option is a setting of a compute spec under the same name, with dashes for underscores
(`--norm-place` is NetworkSpec.norm_place). Its --help lists the names the registry offers and
the range the spec checks, both read from compute/. Its text is read as a number where it is
one; text that is not (a word for a number) is passed on as it is, so that the spec's validate()
refuses it with the same one-line message, range included, as an out-of-range value: what a
setting accepts is stated once, in compute/. A setting not given is None, so that the spec's own
default holds. `trainlab stats`, `train`, `optimize` and `trainlab export` share these definitions.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trainlab.compute.checks import SEED_RANGE
from trainlab.compute.devices import DEVICE_CHOICES
from trainlab.compute.errors import SpecError
from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.net.init_schemes import INIT_SCHEMES
from trainlab.compute.net.spec import (
    BATCH_RANGE,
    BIAS_VALUE,
    BN_MODES,
    DEPTH_RANGE,
    GAIN_RANGE,
    NORM_PLACES,
    NORMS,
    STD_RANGE,
    WIDTH_RANGE,
    NetworkSpec,
)
from trainlab.compute.optim.race import START_RANGE, Race
from trainlab.compute.optim.registry import HYPERPARAMETERS, OPTIMIZERS, TRAINABLE
from trainlab.compute.optim.runs import NOISE_RANGE as GRADIENT_NOISE_RANGE
from trainlab.compute.optim.runs import STEPS_RANGE as RACE_STEPS_RANGE
from trainlab.compute.optim.schedules import SCHEDULES
from trainlab.compute.optim.spec import RACE_SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import ANGLE_RANGE, CONDITION_RANGE, SURFACES

if TYPE_CHECKING:
    from trainlab.compute.train.config import TrainConfig

NETWORK_SETTINGS = tuple(f.name for f in dataclasses.fields(NetworkSpec))
SWEPT_SETTINGS = ("activation", "std", "gain")  # what an init export sweeps, so not options of it
RACE_SETTINGS = ("surface", "condition", "angle", "steps", "start", "noise", "seed")
# The options that tune one kind of normalization: with another they would change nothing.
_NORM_OPTIONS = {"groups": ("group",), "bn_mode": ("batch",), "norm_place": tuple(n for n in NORMS if n != "none")}
_METAVARS = {int: "N", float: "X", str: "NAME"}

R = TypeVar("R", bound=Race)


@dataclass(frozen=True)
class Option:
    """A setting as an option: what --help says of it, and how its text is read. `kind` is int or
    float (a number), str (a name or a list of names) or bool (a flag)."""

    help: str
    kind: type = float
    nargs: int | None = None
    metavar: str | tuple[str, ...] | None = None


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def option_for(field: str) -> str:
    """The option a SpecError's field stands for (the memory a network needs is its --width's)."""
    return flag("width" if field == "size" else field)


def span(bounds: tuple[float, float]) -> str:
    """The bounds as "1..50" or "0.0001..10", whole numbers in full ("0..2147483647")."""
    return "..".join(str(b) if isinstance(b, int) else f"{b:g}" for b in bounds)


def one_of(names: Iterable[str]) -> str:
    return "one of " + ", ".join(names)


def reader(kind: type) -> Callable[[str], Any]:
    """Text to a `kind` number, or the text itself when it is none, for the spec to refuse."""
    def read(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            return text
    return read


read_number = reader(float)
read_whole = reader(int)


def add_options(parser: argparse.ArgumentParser, options: Mapping[str, Option]) -> None:
    """An option per setting, None when not given."""
    for name, option in options.items():
        if option.kind is bool:
            parser.add_argument(flag(name), dest=name, action="store_true", default=None, help=option.help)
        else:
            parser.add_argument(flag(name), dest=name, default=None, help=option.help, nargs=option.nargs,
                                type=None if option.kind is str else reader(option.kind),
                                metavar=option.metavar or _METAVARS[option.kind])


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", metavar="NAME", help=f"{one_of(DEVICE_CHOICES)} (default auto)")


def given(args: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The settings among `names` given on the command line."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


# -- the network -------------------------------------------------------------------------------
def inits(knob: str) -> str:
    """The init schemes set by `knob` (std or gain), as a list in words."""
    return ", ".join(name for name, scheme in INIT_SCHEMES.items() if scheme.knob == knob)


def network_options(spec: NetworkSpec, names: Iterable[str] = NETWORK_SETTINGS) -> dict[str, Option]:
    """NetworkSpec's settings among `names`, with `spec`'s values as the defaults shown."""
    options = {
        "depth": Option(f"hidden layers, {span(DEPTH_RANGE)} (default {spec.depth})", int),
        "width": Option(f"units per layer, {span(WIDTH_RANGE)}, as memory allows (default {spec.width})", int),
        "batch": Option(f"examples per batch, {span(BATCH_RANGE)} (default {spec.batch})", int),
        "activation": Option(f"{one_of(ACTIVATIONS)} (default {spec.activation})", str),
        "init": Option(f"{one_of(INIT_SCHEMES)} (default {spec.init})", str),
        "std": Option(f"the std of {inits('std')} init (constant's value), {span(STD_RANGE)} "
                      f"(default {spec.std:g})"),
        "gain": Option(f"the gain of {inits('gain')} init, {span(GAIN_RANGE)} (default: the scheme's)"),
        "norm": Option(f"{one_of(NORMS)} (default {spec.norm})", str),
        "norm_place": Option(f"the norm's place around the activation, {one_of(NORM_PLACES)} "
                             f"(default {spec.norm_place})", str),
        "bn_mode": Option(f"BatchNorm's statistics, {one_of(BN_MODES)} (default {spec.bn_mode})", str),
        "groups": Option(f"GroupNorm's groups, a divisor of the width (default {spec.groups})", int),
        "bias": Option(f"add a {BIAS_VALUE:g} bias to every layer", bool),
        "seed": Option(f"seed of the weights and inputs, {span(SEED_RANGE)} (default {spec.seed})", int),
    }
    return {name: options[name] for name in names}


def check_norm_options(spec: NetworkSpec, settings: Mapping[str, Any]) -> None:
    """Refuse an option given for a norm the network does not have, rather than ignore it."""
    for name, norms in _NORM_OPTIONS.items():
        if name in settings and spec.norm not in norms:
            listed = " or ".join([", ".join(norms[:-1]), norms[-1]] if len(norms) > 1 else norms)
            raise SpecError(name, f"applies to --norm {listed} only, not to --norm {spec.norm}")


def network_from(base: NetworkSpec, settings: Mapping[str, Any]) -> NetworkSpec:
    """`base` with the settings given, validated: a std or gain the init scheme is not set by
    (NetworkSpec.with_settings), or an option of another norm, is refused by name."""
    spec = base.with_settings(**settings)
    check_norm_options(spec, settings)
    return spec.validate()


# -- optimizers ------------------------------------------------------------------------------
def hyperparameter_options(optimizers: Iterable[str]) -> dict[str, Option]:
    """An option per hyperparameter in the registry, saying which of `optimizers` take it."""
    names = list(optimizers)
    options = {}
    for name, hyperparameter in HYPERPARAMETERS.items():
        takers = [o for o in names if name in OPTIMIZERS[o].hyperparameters]
        who = "every optimizer" if takers == names else ", ".join(takers)
        bounds = (hyperparameter.low, hyperparameter.high)
        options[name] = Option(f"{name.replace('_', ' ')}, {span(bounds)}, for {who} (default: the optimizer's)")
    return options


# -- training ----------------------------------------------------------------------------------
# The training modules are imported where they are used: they load scikit-learn (about 1 s of
# start-up), which only `trainlab train` needs.
def train_settings() -> tuple[str, ...]:
    """Every training setting but the histogram bins: the command prints curves, never a histogram."""
    from trainlab.compute.train.config import SETTINGS

    return tuple(name for name in SETTINGS if name != "bins")


def training_options(config: TrainConfig) -> dict[str, Option]:
    """Every setting of train_settings(), with `config`'s values as the defaults shown."""
    from trainlab.compute.train import datasets
    from trainlab.compute.train.config import DROPOUT_RANGE
    from trainlab.compute.train.config import STEPS_RANGE as TRAIN_STEPS_RANGE

    data, schedule = config.data, config.schedule
    options = {
        **network_options(config.network),
        "dataset": Option(f"{one_of(datasets.DATASETS)} (default {data.name})", str),
        "preprocessing": Option(f"{one_of(datasets.PREPROCESSING)} (default {data.preprocessing})", str),
        "fit_on": Option(f"the examples the preprocessing statistics come from, {one_of(datasets.FIT_ON)} "
                         f"(default {data.fit_on}; the others leak, for the lab to measure)", str),
        "train_subset": Option("train on the first N training examples, at least one per class (default: all)", int),
        "noise": Option(f"the noise of {', '.join(datasets.DATASETS[1:])}, {span(datasets.NOISE_RANGE)} "
                        f"(default {datasets.DEFAULT_NOISE:g})"),
        "samples": Option(f"the points of {', '.join(datasets.DATASETS[1:])}, {span(datasets.SAMPLES_RANGE)} "
                          f"(default {datasets.DEFAULT_SAMPLES})", int),
        "val_fraction": Option(f"the fraction held out for validation, {span(datasets.VAL_FRACTION_RANGE)} "
                               f"(default {data.val_fraction:g})"),
        "data_seed": Option(f"seed of the split and the batch order, {span(SEED_RANGE)} (default {data.seed})", int),
        "optimizer": Option(f"{one_of(TRAINABLE)} (default {config.optimizer.name})", str),
        **hyperparameter_options(TRAINABLE),
        "schedule": Option(f"learning-rate schedule, {one_of(SCHEDULES)} (default {schedule.name})", str),
        "warmup": Option(f"steps of linear warm-up, fewer than --steps (default {schedule.warmup})", int),
        "steps": Option(f"training steps, {span(TRAIN_STEPS_RANGE)} (default {config.steps})", int),
        "dropout": Option(f"dropout probability, {span(DROPOUT_RANGE)} (default {config.dropout:g})"),
        "record_every": Option(f"steps between records of the validation curves, {span(TRAIN_STEPS_RANGE)} "
                               f"(default {config.record_every})", int),
        "patience": Option("stop after N records without a better validation loss (default: never)", int),
    }
    return {name: options[name] for name in train_settings()}


# -- races ---------------------------------------------------------------------------------------
def race_options(race: Race) -> dict[str, Option]:
    """A race's settings (surface, steps, start, noise) and its racers' schedule and
    hyperparameters, with `race`'s values as the defaults shown."""
    return {
        "surface": Option(f"{one_of(SURFACES)} (default {race.surface})", str),
        "condition": Option(f"the quadratic's condition number, {span(CONDITION_RANGE)} (default: the quadratic's)"),
        "angle": Option(f"the quadratic's rotation in degrees, {span(ANGLE_RANGE)} (default: the quadratic's)"),
        "steps": Option(f"steps, {span(RACE_STEPS_RANGE)} (default {race.steps})", int),
        "start": Option(f"start point, each coordinate in {span(START_RANGE)} (default: the surface's)",
                        nargs=2, metavar=("X", "Y")),
        "noise": Option(f"std of the Gaussian noise added to each gradient, {span(GRADIENT_NOISE_RANGE)} "
                        f"(default {race.noise:g})"),
        "seed": Option(f"seed of the gradient noise, {span(SEED_RANGE)} (default {race.seed})", int),
        "schedule": Option(f"learning-rate schedule, {one_of(RACE_SCHEDULES)} (default {OptimizerSpec().schedule})",
                           str),
        **hyperparameter_options(OPTIMIZERS),
    }


def race_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Race fields given on the command line, the start as a point."""
    settings = given(args, RACE_SETTINGS)
    if "start" in settings:
        settings["start"] = tuple(settings["start"])
    return settings


def race_with(base: R, settings: Mapping[str, Any], **changes: Any) -> R:
    """`base` with the race settings given and `changes`, validated. A new surface starts from
    its own condition and angle unless they are given; a seed without noise is refused."""
    if settings.get("surface", base.surface) != base.surface:
        base = base.replace(condition=None, angle=None)
    race = base.replace(**settings, **changes).validate()
    if "seed" in settings and race.noise == 0:
        raise SpecError("seed", "seeds the gradient noise, and there is none: give --noise above 0 too")
    return race


# -- files ---------------------------------------------------------------------------------------
def writable_file(option: str, text: str) -> Path:
    """`text` as a file that can be written now: not a folder, in a folder that exists and that
    may be written in. Checked before anything is computed, so that no work is lost to it."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise SpecError(option, f"{text!r} is a folder; name a file in it")
    folder = path.parent
    if not folder.is_dir():
        raise SpecError(option, f"folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SpecError(option, f"cannot write {text!r} (no permission)")
    return path


# -- loss landscapes -----------------------------------------------------------------------------
# Imported where used, as the training modules: a landscape trains its runs.
def landscape_options() -> dict[str, Option]:
    """Every LandscapeSpec setting as an option, with its defaults and ranges from compute/."""
    from trainlab.compute.landscape import study

    spec = study.LandscapeSpec()
    directions = "; ".join(f"{name}: {words}" for name, words in study.DIRECTIONS.items())
    return {
        "runs": Option(f"the optimizers trained, comma-separated, from {', '.join(TRAINABLE)}; the first is the "
                       f"slice's centre (default {','.join(spec.runs)})", str, metavar="NAME,..."),
        "directions": Option(f"the plane's directions, {directions} (default {spec.directions})", str),
        "grid": Option(f"points per side of the slice, {one_of(map(str, study.GRIDS))} (default {spec.grid})", int),
        "span": Option(f"the slice's half-width in units of the directions (PCA: of the path's extent), "
                       f"{span(study.SPAN_RANGE)} (default {spec.span:g})"),
        "width": Option(f"units per layer, {span(study.WIDTH_RANGE)} (default {spec.width})", int),
        "depth": Option(f"hidden layers, {span(DEPTH_RANGE)} (default {spec.depth})", int),
        "norm": Option(f"{one_of(study.NORM_CHOICES)} (default {spec.norm})", str),
        "batch": Option(f"training batch, {one_of(map(str, study.BATCH_CHOICES))} (default {spec.batch})", int),
        "steps": Option(f"training steps per run, {span(study.STEPS_RANGE)} (default {spec.steps})", int),
        "lr_scale": Option(f"every run's learning rate as a multiple of its optimizer's training default, "
                           f"{span(study.LR_SCALE_RANGE)} (default {spec.lr_scale:g})"),
        "eval_samples": Option(f"examples every point is evaluated on, {span(study.EVAL_RANGE)} "
                               f"(default {spec.eval_samples})", int),
        "seed": Option(f"seed of the random directions, {span(SEED_RANGE)} (default {spec.seed})", int),
        "net_seed": Option(f"seed of the initial weights, {span(SEED_RANGE)} (default {spec.net_seed})", int),
    }


def landscape_from(args: argparse.Namespace) -> Any:
    """The validated LandscapeSpec of the options given (the runs as a list of names)."""
    from trainlab.compute.landscape.study import LandscapeSpec

    settings = given(args, landscape_options())
    if "runs" in settings:
        settings["runs"] = tuple(name.strip() for name in settings["runs"].split(",") if name.strip())
    return LandscapeSpec(**settings).validate()
