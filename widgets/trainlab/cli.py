"""The `trainlab` command: serve the labs with Voila, or run the deep net from a script.

  trainlab serve [--port N] [--no-browser] [--labs DIR]
  trainlab stats [--depth N] [--width N] ... [--json]

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

from trainlab.compute import ACTIVATIONS, INIT_SCHEMES, NORMS, NetworkSpec, SpecError, run_pass
from trainlab.compute.devices import DEVICE_CHOICES
from trainlab.compute.spec import BATCH_RANGE, DEPTH_RANGE, GAIN_RANGE, NORM_PLACES, STD_RANGE, WIDTH_RANGE
from trainlab.serve import add_serve_arguments, serve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"trainlab: error: {message}\n")


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"trainlab: error: {message}\n")
    raise SystemExit(2)


def _stats_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="run one forward/backward pass and print per-layer statistics")
    defaults = NetworkSpec()
    p.add_argument("--depth", default=str(defaults.depth), help="hidden layers, 1..50")
    p.add_argument("--width", default=str(defaults.width), help="units per layer, 2..65536")
    p.add_argument("--batch", default=str(defaults.batch), help="batch size, 1..4096")
    p.add_argument("--activation", default=defaults.activation, help=", ".join(ACTIVATIONS))
    p.add_argument("--init", default=defaults.init, help=", ".join(INIT_SCHEMES))
    p.add_argument("--std", default=str(defaults.std), help="std of normal/uniform init, value of constant")
    p.add_argument("--gain", default=None, help="gain of xavier/kaiming/lecun/orthogonal init")
    p.add_argument("--norm", default=defaults.norm, help=", ".join(NORMS))
    p.add_argument("--norm-place", default=defaults.norm_place, help=", ".join(NORM_PLACES))
    p.add_argument("--bn-mode", default=defaults.bn_mode, help="train or running")
    p.add_argument("--groups", default=str(defaults.groups), help="GroupNorm groups (must divide the width)")
    p.add_argument("--bias", action="store_true", help="add a 0.01 bias to every layer")
    p.add_argument("--seed", default=str(defaults.seed), help="random seed, 0..2^31-1")
    p.add_argument("--device", default="auto", help=", ".join(DEVICE_CHOICES))
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


_RANGES = {"depth": DEPTH_RANGE, "width": WIDTH_RANGE, "batch": BATCH_RANGE, "std": STD_RANGE,
           "gain": GAIN_RANGE, "seed": (0, 2**31 - 1), "groups": (1, WIDTH_RANGE[1])}


def _number(option: str, text: str | None, kind: type) -> Any:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        low, high = _RANGES[option]
        what = "a whole number" if kind is int else "a number"
        _fail(f"--{option}: must be {what} from {low:g} to {high:g}, not {text!r}")


def spec_from_args(args: argparse.Namespace) -> NetworkSpec:
    spec = NetworkSpec(
        depth=_number("depth", args.depth, int), width=_number("width", args.width, int),
        batch=_number("batch", args.batch, int), activation=args.activation, init=args.init,
        std=_number("std", args.std, float), gain=_number("gain", args.gain, float), norm=args.norm,
        norm_place=args.norm_place, bn_mode=args.bn_mode, groups=_number("groups", args.groups, int),
        bias=args.bias, seed=_number("seed", args.seed, int),
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="trainlab", description="Interactive labs on how deep networks train.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_serve_arguments(sub.add_parser("serve", help="serve the labs with Voila on 127.0.0.1"))
    _stats_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return run_stats(args)


if __name__ == "__main__":
    raise SystemExit(main())
