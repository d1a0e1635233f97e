"""The `trainlab` command: serve the labs with Voila, or run the deep net from a script.

  trainlab serve [--port N] [--ip ADDRESS] [--pool-size N] [--max-kernels N] [--cull-idle SECONDS] [--labs DIR]
  trainlab stats [--depth N] [--width N] ... [--json]
  trainlab optimize --surface NAME --optimizer NAME [--lr X] [--steps N] [--start X Y] [--json]
  trainlab train [--dataset NAME] [--optimizer NAME] [--lr X] [--steps N] ... [--json] [--save FILE]
  trainlab export init|optimizers [options] --out FILE.html [--max-mb N]

A bad option value prints one line on stderr naming the option and what it accepts, and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from trainlab.compute import ACTIVATIONS, INIT_SCHEMES, NORMS, NetworkSpec, SpecError, pick_device, run_pass
from trainlab.compute.devices import DEVICE_CHOICES
from trainlab.compute.optim.registry import OPTIMIZERS
from trainlab.compute.optim.runs import run_optimizer
from trainlab.compute.optim.spec import RACE_SCHEDULES as SCHEDULES, OptimizerSpec
from trainlab.compute.optim.surfaces import SURFACES, make_surface
from trainlab.compute.net.spec import BATCH_RANGE, DEPTH_RANGE, GAIN_RANGE, NORM_PLACES, STD_RANGE, WIDTH_RANGE
from trainlab.serve import add_serve_arguments, serve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"trainlab: error: {message}\n")


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"trainlab: error: {message}\n")
    raise SystemExit(2)


def _stats_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="run one forward/backward pass and print per-layer statistics")
    _network_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _network_arguments(p: argparse.ArgumentParser, knobs: bool = True) -> None:
    """The NetworkSpec options; without `knobs`, not the activation, std and gain (an export sweeps them)."""
    defaults = NetworkSpec()
    p.add_argument("--depth", default=str(defaults.depth), help="hidden layers, 1..50")
    p.add_argument("--width", default=str(defaults.width), help="units per layer, 2..65536")
    p.add_argument("--batch", default=str(defaults.batch), help="batch size, 1..4096")
    if knobs:
        p.add_argument("--activation", default=defaults.activation, help=", ".join(ACTIVATIONS))
    p.add_argument("--init", default=defaults.init, help=", ".join(INIT_SCHEMES))
    if knobs:
        p.add_argument("--std", default=str(defaults.std), help="std of normal/uniform init, value of constant")
        p.add_argument("--gain", default=None, help="gain of xavier/kaiming/lecun/orthogonal init")
    else:
        p.set_defaults(activation=defaults.activation, std=str(defaults.std), gain=None)
    p.add_argument("--norm", default=defaults.norm, help=", ".join(NORMS))
    p.add_argument("--norm-place", default=defaults.norm_place, help=", ".join(NORM_PLACES))
    p.add_argument("--bn-mode", default=defaults.bn_mode, help="train or running")
    p.add_argument("--groups", default=str(defaults.groups), help="GroupNorm groups (must divide the width)")
    p.add_argument("--bias", action="store_true", help="add a 0.01 bias to every layer")
    p.add_argument("--seed", default=str(defaults.seed), help="random seed, 0..2^31-1")
    p.add_argument("--device", default="auto", help=", ".join(DEVICE_CHOICES))


def _between(what: str, bounds: tuple[float, float]) -> str:
    return f"{what} from {bounds[0]:g} to {bounds[1]:g}"


# What each numeric option accepts, as its error message says it.
_ACCEPTS = {
    "depth": _between("a whole number", DEPTH_RANGE), "width": _between("a whole number", WIDTH_RANGE),
    "batch": _between("a whole number", BATCH_RANGE), "std": _between("a number", STD_RANGE),
    "gain": _between("a number", GAIN_RANGE), "seed": _between("a whole number", (0, 2**31 - 1)),
    "groups": _between("a whole number", (1, WIDTH_RANGE[1])),
    "lr": "a number above 0 and at most 10", "steps": "a whole number from 1 to 10000",
    "noise": "a number from 0 to 100", "momentum": "a number in [0, 1)", "beta1": "a number in [0, 1)",
    "beta2": "a number in [0, 1)", "decay": "a number in [0, 1)", "condition": "a number from 1 to 1000",
    "angle": "a number of degrees", "start": "two numbers",
}


def _parse(option: str, text: str | None, kind: type) -> Any:
    """`text` as an int or float, None if the option was not given; a bad value ends the command."""
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        _fail(f"--{option}: must be {_ACCEPTS[option]}, not {text!r}")


def spec_from_args(args: argparse.Namespace) -> NetworkSpec:
    spec = NetworkSpec(
        depth=_parse("depth", args.depth, int), width=_parse("width", args.width, int),
        batch=_parse("batch", args.batch, int), activation=args.activation, init=args.init,
        std=_parse("std", args.std, float), gain=_parse("gain", args.gain, float), norm=args.norm,
        norm_place=args.norm_place, bn_mode=args.bn_mode, groups=_parse("groups", args.groups, int),
        bias=args.bias, seed=_parse("seed", args.seed, int),
    )
    return spec


def _clean(x: Any) -> Any:
    """JSON has no inf or NaN: write them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


def _table(result: Any) -> str:
    def cell(x: float | None, percent: bool = False) -> str:
        if x is None:
            return "-"
        return f"{100 * x:.1f}%" if percent else f"{x:.4g}"

    lines = [f"device {result.device}, pass {result.ms:.0f} ms, loss {result.loss:.4g}",
             f"{'layer':>5} {'mean':>11} {'std':>11} {'theory':>11} {'saturated':>9} {'dead':>7} "
             f"{'nonfinite':>9} {'grad_std':>11} {'dW_std':>11}"]
    for layer in result.layers:
        lines.append(f"{layer.layer:>5} {cell(layer.mean):>11} {cell(layer.std):>11} {cell(layer.theory_std):>11} "
                     f"{cell(layer.saturated_fraction, True):>9} {cell(layer.dead_fraction, True):>7} "
                     f"{layer.nonfinite:>9} {cell(layer.grad_std):>11} {cell(layer.weight_grad_std):>11}")
    return "\n".join(lines)


def run_stats(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    try:
        result = run_pass(spec, device=args.device)
    except SpecError as error:
        option = "--" + error.field.replace("_", "-")
        _fail(f"{option if error.field != 'size' else '--width'}: {error.reason}")
    if args.json:
        print(json.dumps(_clean(result.to_dict())))
    else:
        print(_table(result))
    return 0


def _optimize_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimize", help="run one optimizer on a 2-D loss surface")
    p.add_argument("--surface", required=True, help=", ".join(SURFACES))
    p.add_argument("--optimizer", required=True, help=", ".join(OPTIMIZERS))
    p.add_argument("--lr", default=None, help="learning rate, above 0 and at most 10 (default: the optimizer's)")
    p.add_argument("--steps", default="200", help="steps, 1..10000")
    p.add_argument("--start", nargs=2, default=None, metavar=("X", "Y"), help="start point (default: the surface's)")
    p.add_argument("--noise", default="0", help="std of Gaussian noise added to each gradient, 0..100")
    p.add_argument("--seed", default="0", help="noise seed")
    p.add_argument("--schedule", default="none", help=", ".join(SCHEDULES))
    p.add_argument("--momentum", default=None, help="momentum / Nesterov rho, in [0, 1) (default 0.9)")
    p.add_argument("--beta1", default=None, help="Adam beta1, in [0, 1) (default 0.9)")
    p.add_argument("--beta2", default=None, help="Adam beta2, in [0, 1) (default 0.999)")
    p.add_argument("--decay", default=None, help="RMSProp decay, in [0, 1) (default 0.99)")
    p.add_argument("--condition", default=None, help="quadratic only: condition number, 1..1000")
    p.add_argument("--angle", default=None, help="quadratic only: rotation in degrees")
    p.add_argument("--json", action="store_true", help="print JSON with the full trajectory")


def run_optimize(args: argparse.Namespace) -> int:
    surface_params = {name: _parse(name, getattr(args, name), float) for name in ("condition", "angle")
                      if getattr(args, name) is not None}
    start = None if args.start is None else [_parse("start", v, float) for v in args.start]
    try:
        surface = make_surface(args.surface, **surface_params)
        spec = OptimizerSpec(args.optimizer, lr=_parse("lr", args.lr, float), momentum=_parse("momentum", args.momentum, float),
                             beta1=_parse("beta1", args.beta1, float), beta2=_parse("beta2", args.beta2, float),
                             decay=_parse("decay", args.decay, float), schedule=args.schedule)
        run = run_optimizer(surface, spec, start, _parse("steps", args.steps, int), noise=_parse("noise", args.noise, float),
                            seed=_parse("seed", args.seed, int))
    except SpecError as error:
        _fail(f"--{error.field.replace('_', '-')}: {error.reason}")
    summary = run.summary()
    if args.json:
        last = run.points.shape[0]
        summary.update(points=run.points[:last, 0].tolist(), losses=run.losses[:last, 0].tolist())
        print(json.dumps(_clean(summary)))
        return 0
    reached = summary["steps_to_minimum"]
    print(f"{spec.label} on {surface.description}, lr {spec.learning_rate:g}, {run.steps} steps")
    print(f"final point  ({summary['final_point'][0]:.6g}, {summary['final_point'][1]:.6g})")
    print(f"final loss   {summary['final_loss']:.6g}")
    print(f"within 1e-3 of a minimum: {'not reached' if reached is None else f'after {reached} steps'}")
    print(f"diverged: {'at step ' + str(summary['diverged_at']) if summary['diverged'] else 'no'}")
    return 0


# trainlab train: every option is a TrainConfig setting (see TrainConfig.with_settings).
_TRAIN_INTS = ("depth", "width", "batch", "groups", "seed", "steps", "warmup", "train_subset", "patience",
               "record_every")
_TRAIN_FLOATS = ("std", "gain", "lr", "momentum", "beta1", "beta2", "weight_decay", "dropout", "noise")
_TRAIN_CHOICES = ("activation", "init", "norm", "norm_place", "bn_mode", "dataset", "preprocessing", "optimizer",
                  "schedule")


def _train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the deep net on a data set and print its curves")
    for name in (*_TRAIN_CHOICES, *_TRAIN_INTS, *_TRAIN_FLOATS):
        p.add_argument("--" + name.replace("_", "-"), dest=name, default=None, help=_TRAIN_HELP.get(name))
    p.add_argument("--device", default="auto", help=", ".join(DEVICE_CHOICES))
    p.add_argument("--json", action="store_true", help="print the run (configuration and curves) as JSON")
    p.add_argument("--save", default=None, metavar="FILE", help="save the run as a run history JSON file")


_TRAIN_HELP = {"dataset": "digits, spirals, moons", "optimizer": "sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw",
               "schedule": "none, step, cosine, linear, inverse_sqrt, exponential", "width": "units per layer (default 256)",
               "weight_decay": "coupled L2, or decoupled for adamw", "patience": "early stopping, in records",
               "train_subset": "train on the first N training examples"}


def run_train(args: argparse.Namespace) -> int:
    from trainlab.compute.train.history import Run, RunHistory
    from trainlab.compute.train.config import TrainConfig
    from trainlab.compute.train.trainer import Trainer

    settings: dict[str, Any] = {name: getattr(args, name) for name in _TRAIN_CHOICES if getattr(args, name)}
    for names, kind in ((_TRAIN_INTS, int), (_TRAIN_FLOATS, float)):
        for name in names:
            text = getattr(args, name)
            if text is not None:
                try:
                    settings[name] = kind(text)
                except ValueError:
                    _fail(f"--{name.replace('_', '-')}: must be {'a whole number' if kind is int else 'a number'}, "
                          f"not {text!r}")
    try:
        trainer = Trainer(TrainConfig().with_settings(**settings), args.device)
        trainer.run()
    except SpecError as error:
        _fail(f"--{error.field.replace('_', '-')}: {error.reason}")
    outcome = trainer.divergence.message if trainer.divergence else (
        f"stopped early at step {trainer.step}" if trainer.stopped_early else "finished")
    run = Run.from_trainer(trainer, outcome)
    if args.save:
        RunHistory([run]).save(args.save)
    if args.json:
        print(json.dumps(run.to_dict()))
        return 0
    print(f"{trainer.config.optimizer.label} lr {trainer.config.optimizer.learning_rate:g} on "
          f"{trainer.config.data.name}, {trainer.config.network.depth}x{trainer.config.network.width}, "
          f"{trainer.step} steps at {trainer.steps_per_second():.0f} steps/s on {trainer.device}")
    print(f"{'step':>6} {'lr':>10} {'train loss':>11} {'val loss':>9} {'val acc':>8} {'train acc':>9}")
    for r in trainer.records:
        print(f"{r.step:>6} {r.lr:>10.3g} {r.train_loss:>11.4f} {r.val_loss:>9.4f} {r.val_accuracy:>8.1%} "
              f"{r.train_eval_accuracy:>9.1%}")
    print(outcome)
    return 0


def _export_parser(sub: argparse._SubParsersAction) -> None:
    from trainlab.export import options

    p = sub.add_parser("export", help="write one self-contained HTML file whose figure animates offline")
    kinds = p.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    init = kinds.add_parser("init", help="the explorer's histograms over a grid of activations x std (or gain)")
    _network_arguments(init, knobs=False)
    options.add_init_arguments(init)
    race = kinds.add_parser("optimizers", help="the optimizer race, animated")
    options.add_race_arguments(race)
    for q in (init, race):
        options.add_output_arguments(q)


def run_export(args: argparse.Namespace) -> int:
    """Check every option and the estimated file size, then compute, write, and print the size."""
    from trainlab.export import ExportTooLarge, init_grid, options, race, write_page
    from trainlab.export.size import megabytes

    try:
        target = options.output_from_args(args)
        if args.kind == "init":
            pick_device(args.device)
            job = options.init_grid_from_args(args, spec_from_args(args))
        else:
            job = options.race_from_args(args)
        estimate = job.estimate().check(target.max_mb, job.shape, job.shrink_hint)
        print(f"computing {job.describe()} (estimated file size {megabytes(estimate.total)})", flush=True)
        page = init_grid.build(job, args.device) if args.kind == "init" else race.build(job)
    except SpecError as error:
        field = "width" if error.field == "size" else error.field
        _fail(f"--{field.replace('_', '-')}: {error.reason}")
    except ExportTooLarge as error:
        _fail(str(error))
    try:
        written = write_page(page, target.path)
    except OSError as error:  # checked before computing, but a disk can fill up or a folder go
        _fail(f"--out: cannot write {args.out!r}: {error.strerror or error}")
    print(f"wrote {target.path} ({megabytes(written)})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="trainlab", description="Interactive labs on how deep networks train.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_serve_arguments(sub.add_parser("serve", help="serve the labs with Voila (127.0.0.1 unless --ip says otherwise)"))
    _stats_parser(sub)
    _optimize_parser(sub)
    _train_parser(sub)
    _export_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "optimize":
        return run_optimize(args)
    if args.command == "train":
        return run_train(args)
    if args.command == "export":
        return run_export(args)
    return run_stats(args)


if __name__ == "__main__":
    raise SystemExit(main())
