"""The `trainlab` command: serve the labs with Voila, or run the deep net from a script.

  trainlab serve [--port N] [--ip ADDRESS] [--pool-size N] [--max-kernels N] [--cull-idle SECONDS] [--labs DIR]
  trainlab stats [network options] [--device NAME] [--json]
  trainlab optimize [--surface NAME] [--optimizer NAME] [hyperparameters] [--steps N] [--start X Y] ... [--json]
  trainlab train [any training setting] [--device NAME] [--json] [--save FILE]
  trainlab landscape [--runs NAME,...] [--directions filter|random|pca] [--grid N] ... [--json]
  trainlab export init|optimizers|landscape|preprocessing [options] --out FILE.html [--max-mb N]

The options and their help come from the compute layer's registries and ranges (cli_options),
and every setting goes through the spec that owns it: a bad value or a conflict is refused by the
spec, by name, as one line on stderr naming the option and what it accepts, with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from trainlab.serve import add_serve_arguments, serve


class _Parser(argparse.ArgumentParser):
    """Errors in one line; a negative number in exponent form (-1e5) is a value, not an option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Python 3.11 takes only "-1" and "-1.5" for negative numbers, so in `--start 1e5 -1e5`
        # "-1e5" was an unknown option. This is the pattern Python 3.14 widened it to (cpython
        # gh-105712); argparse has no public switch for it.
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> NoReturn:
        # "argument --std: expected one argument": the option first, as in trainlab's own errors.
        self.exit(2, f"trainlab: error: {message.removeprefix('argument ')}\n")


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"trainlab: error: {message}\n")
    raise SystemExit(2)


# -- trainlab stats ----------------------------------------------------------------------------
def _stats_options(p: argparse.ArgumentParser) -> None:
    from trainlab.cli_options import add_device_option, add_options, network_options
    from trainlab.compute.net.spec import NetworkSpec

    add_options(p, network_options(NetworkSpec()))
    add_device_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


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
    from trainlab.cli_options import NETWORK_SETTINGS, given, network_from
    from trainlab.compute import NetworkSpec, run_pass

    result = run_pass(network_from(NetworkSpec(), given(args, NETWORK_SETTINGS)), device=args.device)
    print(json.dumps(_clean(result.to_dict())) if args.json else _table(result))
    return 0


# -- trainlab optimize -------------------------------------------------------------------------
def _optimize_options(p: argparse.ArgumentParser) -> None:
    from trainlab.cli_options import Option, add_options, one_of, race_options
    from trainlab.compute.optim.race import Race
    from trainlab.compute.optim.registry import OPTIMIZERS
    from trainlab.compute.optim.spec import OptimizerSpec

    optimizer = Option(f"{one_of(OPTIMIZERS)} (default {OptimizerSpec().name})", str)
    add_options(p, {"optimizer": optimizer, **race_options(Race())})
    p.add_argument("--json", action="store_true", help="print JSON with the full trajectory")


def run_optimize(args: argparse.Namespace) -> int:
    from trainlab.cli_options import given, race_settings, race_with
    from trainlab.compute.optim.race import Race
    from trainlab.compute.optim.registry import HYPERPARAMETERS
    from trainlab.compute.optim.spec import OptimizerSpec

    settings = given(args, ("optimizer", *HYPERPARAMETERS, "schedule"))
    racer = OptimizerSpec(settings.pop("optimizer", OptimizerSpec().name), **settings)
    (run,) = race_with(Race(), race_settings(args), racers=(racer,)).run()
    summary = run.summary()
    if args.json:
        summary.update(points=run.points[:, 0].tolist(), losses=run.losses[:, 0].tolist())
        print(json.dumps(_clean(summary)))
        return 0
    reached = summary["steps_to_minimum"]
    print(f"{racer.label} on {run.surface.description}, lr {racer.learning_rate:g}, {run.steps} steps")
    print(f"final point  ({summary['final_point'][0]:.6g}, {summary['final_point'][1]:.6g})")
    print(f"final loss   {summary['final_loss']:.6g}")
    print(f"within 1e-3 of a minimum: {'not reached' if reached is None else f'after {reached} steps'}")
    print(f"diverged: {'at step ' + str(summary['diverged_at']) if summary['diverged'] else 'no'}")
    return 0


# -- trainlab train ----------------------------------------------------------------------------
def _train_options(p: argparse.ArgumentParser) -> None:
    from trainlab.cli_options import add_device_option, add_options, training_options
    from trainlab.compute.train.config import TrainConfig

    add_options(p, training_options(TrainConfig()))
    add_device_option(p)
    p.add_argument("--json", action="store_true", help="print the run (configuration and curves) as JSON")
    p.add_argument("--save", default=None, metavar="FILE", help="save the run as a run history JSON file")


def _records_table(trainer: Any, outcome: str) -> str:
    config = trainer.config
    lines = [f"{config.optimizer.label} lr {config.optimizer.learning_rate:g} on {config.data.name}, "
             f"{config.network.depth}x{config.network.width}, {trainer.step} steps at "
             f"{trainer.steps_per_second():.0f} steps/s on {trainer.device}",
             f"{'step':>6} {'lr':>10} {'train loss':>11} {'val loss':>9} {'val acc':>8} {'train acc':>9}"]
    lines += [f"{r.step:>6} {r.lr:>10.3g} {r.train_loss:>11.4f} {r.val_loss:>9.4f} {r.val_accuracy:>8.1%} "
              f"{r.train_eval_accuracy:>9.1%}" for r in trainer.records]
    return "\n".join([*lines, outcome])


def _save_run(history: Any, path: Path) -> int:
    """Write the run file: 0, or 1 with one line on stderr if it fails after all (the folder was
    checked before training, but a disk can fill up). The run then goes to a temporary file, so
    that the training is not lost."""
    try:
        history.save(path)
        return 0
    except OSError as error:
        reason = error.strerror or str(error)
    try:
        with tempfile.NamedTemporaryFile("w", prefix="trainlab-run-", suffix=".json", delete=False) as kept:
            kept.write(history.to_json())
        instead = f"the run is in {kept.name} instead"
    except OSError:
        instead = "the results above are all that is left of it"
    sys.stderr.write(f"trainlab: error: --save: could not write {str(path)!r} ({reason}); {instead}\n")
    return 1


def run_train(args: argparse.Namespace) -> int:
    from trainlab.cli_options import check_norm_options, given, train_settings, writable_file
    from trainlab.compute.train.config import TrainConfig
    from trainlab.compute.train.history import Run, RunHistory
    from trainlab.compute.train.trainer import Trainer

    settings = given(args, train_settings())
    config = TrainConfig().with_settings(**settings)
    check_norm_options(config.network, settings)
    save_to = None if args.save is None else writable_file("save", args.save)
    trainer = Trainer(config, args.device)
    trainer.run()
    outcome = trainer.divergence.message if trainer.divergence else (
        f"stopped early at step {trainer.step}" if trainer.stopped_early else "finished")
    run = Run.from_trainer(trainer, outcome)
    # The results first: whatever happens to the file, they are not lost.
    print(json.dumps(run.to_dict()) if args.json else _records_table(trainer, outcome), flush=True)
    return 0 if save_to is None else _save_run(RunHistory([run]), save_to)


# -- trainlab landscape -----------------------------------------------------------------------
def _landscape_options(p: argparse.ArgumentParser) -> None:
    from trainlab.cli_options import add_options, landscape_options

    add_options(p, landscape_options())
    p.add_argument("--json", action="store_true", help="print the slice and the projected paths as JSON")


def _landscape_table(landscape: Any, timings: list[str]) -> str:
    piece, centre = landscape.slice, landscape.centre_loss
    lines = [landscape.spec.describe(), "  " + ", ".join(timings),
             (f"loss at the centre {centre:.4g}; on the slice from {float(piece.loss.min()):.4g} to "
              f"{float(piece.loss.max()):.4g} over ±{landscape.span:.3g}")]
    if landscape.explained is not None:
        first, second = landscape.explained
        lines.append(f"the PCA directions explain {first:.1%} + {second:.1%} of the centre run's path")
    if landscape.rise is not None:
        radius, rise = landscape.rise
        lines.append(f"sharpness: within ±{radius:g} of the centre the loss rises by {rise:.3g} on average")
    lines.append(f"{'run':<10} {'true loss start → end':>24} {'on the map start → end':>24} {'off the plane':>14}")
    for path in landscape.paths:
        p = path.projected
        lines.append(f"{path.label:<10} {float(p.true_loss[0]):>10.4g} → {float(p.true_loss[-1]):<11.4g} "
                     f"{float(p.slice_loss[0]):>10.4g} → {float(p.slice_loss[-1]):<11.4g} "
                     f"{float(p.off_plane.mean()):>13.0%}")
    return "\n".join(lines)


def run_landscape(args: argparse.Namespace) -> int:
    import time

    from trainlab.cli_options import landscape_from
    from trainlab.compute.landscape.study import landscape_levels

    spec = landscape_from(args)
    start, timings = time.perf_counter(), []
    for landscape in landscape_levels(spec):
        timings.append(f"{landscape.slice.size} x {landscape.slice.size} after {time.perf_counter() - start:.1f} s")
    print(json.dumps(_clean(landscape.to_dict())) if args.json else _landscape_table(landscape, timings))
    return 0


# -- trainlab export ---------------------------------------------------------------------------
def _export_options(p: argparse.ArgumentParser) -> None:
    from trainlab.export import options

    kinds = p.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    init = kinds.add_parser("init", help="the explorer's histograms over a grid of activations x std (or gain)")
    options.add_init_arguments(init)
    race = kinds.add_parser("optimizers", help="the optimizer race, animated")
    options.add_race_arguments(race)
    landscape = kinds.add_parser("landscape", help="a computed loss-landscape slice with the runs' projected paths")
    options.add_landscape_arguments(landscape)
    preprocessing = kinds.add_parser("preprocessing", help="a point cloud centred, normalized, decorrelated and "
                                                           "whitened, animated")
    options.add_preprocessing_arguments(preprocessing)
    for q in (init, race, landscape, preprocessing):
        options.add_output_arguments(q)


def run_export(args: argparse.Namespace) -> int:
    """Check every option and the estimated file size, then compute, write, and print the size."""
    from trainlab.export import ExportTooLarge, init_grid, landscape, options, preprocessing, race, write_page
    from trainlab.export.size import megabytes

    target = options.output_from_args(args)
    read, build = {"init": (options.init_grid_from_args, lambda job: init_grid.build(job, args.device)),
                   "optimizers": (options.race_from_args, race.build),
                   "landscape": (options.landscape_from_args, landscape.build),
                   "preprocessing": (options.preprocessing_from_args, preprocessing.build)}[args.kind]
    job = read(args)
    try:
        estimate = job.estimate().check(target.max_mb, job.shape, job.shrink_hint)
    except ExportTooLarge as error:
        _fail(str(error))
    print(f"computing {job.describe()} (estimated file size {megabytes(estimate.total)})", flush=True)
    page = build(job)
    try:
        written = write_page(page, target.path)
    except OSError as error:  # checked before computing, but a disk can fill up or a folder go
        _fail(f"--out: cannot write {args.out!r}: {error.strerror or error}")
    print(f"wrote {target.path} ({megabytes(written)})")
    return 0


# -- the command -------------------------------------------------------------------------------
# Each command's help, the function that defines its options, and the one that runs it.
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "serve": ("serve the labs with Voila (127.0.0.1 unless --ip says otherwise)", add_serve_arguments,
              lambda args: serve(args)),  # looked up when run: a test stands in for the server
    "stats": ("run one forward/backward pass and print per-layer statistics", _stats_options, run_stats),
    "optimize": ("run one optimizer on a 2-D loss surface", _optimize_options, run_optimize),
    "train": ("train the deep net on a data set and print its curves", _train_options, run_train),
    "landscape": ("train small digits nets and slice their loss landscape, with their paths on it",
                  _landscape_options, run_landscape),
    "export": ("write one self-contained HTML file whose figure animates offline", _export_options, run_export),
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for `argv`. Only the command it names gets its options: defining them imports
    what the command runs (torch; plotly for export), which `trainlab serve` and `trainlab --help`
    must not wait for."""
    parser = _Parser(prog="trainlab", description="Interactive labs on how deep networks train.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (summary, define, _run) in _COMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary)
        if list(argv[:1]) == [name]:
            define(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    run = _COMMANDS[args.command][2]
    if args.command == "serve":
        return run(args)  # checks its own options, and needs no compute layer
    from trainlab.cli_options import option_for
    from trainlab.compute.errors import SpecError

    try:
        return run(args)
    except SpecError as error:
        _fail(f"{option_for(error.field)}: {error.reason}")


if __name__ == "__main__":
    raise SystemExit(main())
