"""How long a pass will take, estimated before anything is drawn or multiplied.

A live figure should answer within seconds. A setting whose every pass would take longer (the
largest batch at width 4096, a sweep of it) is refused up front with the estimate, instead of
leaving a student in front of a spinner for a minute; a setting that is slow only the first time
on a machine (orthogonal's QR factorizations, fifty new matrices for depth 50) is not refused,
and the estimate of that first time says what the wait is for.

The matrix products dominate a pass: 2 x rows x fan_in x fan_out flops each, forward and
backward. They are counted at the best rate a whole pass has reached in this process (a loaded
machine slows some passes; the best one is the machine's), separately for a few rows (memory
bound: the matrix is streamed for little arithmetic) and for many (compute bound). Before any
pass a low rate is assumed, and where that would refuse, one product is timed instead. Drawing is
counted at the rate drawing has taken here, or at defaults measured on a 2-core CPU.
"""

from __future__ import annotations

import threading
import time

import torch

from trainlab.compute.net.memory import RUNNING_STAT_BATCHES
from trainlab.compute.net.spec import NetworkSpec

LIVE_SECONDS = 5.0  # a widget's limit for one pass
SWEEP_SECONDS = 20.0  # and for a sweep, which shows its first value after one pass, then plays
# Seconds per element drawn (normal, uniform) or per n^3 of an orthogonal n x n (QR); measured on
# 2 cores of an AMD EPYC (torch 2.13): 0.15 s for a 4096 x 4096 normal, 4-8 s for an orthogonal.
DRAW_DEFAULTS = {"normal": 9e-9, "uniform": 8e-9, "orthogonal": 8e-11}
# Before any pass, flops per second assumed (low, so that a first estimate errs long) ...
ASSUMED_FLOPS = {"cpu": 2e10, "cuda": 2e12, "mps": 1e12}
# ... and, if that already exceeds a limit, one product timed, counting a pass at this many times
# its products (the statistics and the elementwise work; 1.4x at batch 16 on 2 cores).
PASS_OVER_PRODUCTS = 2.0
WIDE_ROWS = 256  # from about here a product is compute bound (on a 2-core CPU)
_lock = threading.Lock()
_flop_seconds: dict[tuple[str, bool], float] = {}  # (device type, wide) -> best seconds per product flop
_draw_seconds: dict[tuple[str, str], float] = {}  # (device type, family) -> best seconds per unit


def product_flops(spec: NetworkSpec, configs: int) -> float:
    """Flops of a pass's matrix products: depth forward, depth - 1 backward (none to the input),
    and the running-statistics warm-up's forward products."""
    rows = configs * spec.batch
    products = 2 * spec.depth - 1
    if spec.norm == "batch" and spec.bn_mode == "running":
        products += spec.depth * RUNNING_STAT_BATCHES
    return 2.0 * rows * spec.width * spec.width * products


def _draw_units(family: str, fan_in: int, fan_out: int) -> float:
    return float(max(fan_in, fan_out)) ** 3 if family == "orthogonal" else float(fan_in * fan_out)


def note_pass(device: torch.device, rows: int, flops: float, seconds: float) -> None:
    """Record how long a pass of `rows` rows and `flops` of products took (a faster rate replaces
    a slower one)."""
    if flops < 1e8 or seconds <= 0:  # tiny passes measure overhead, not the products
        return
    key = (device.type, rows >= WIDE_ROWS)
    with _lock:
        _flop_seconds[key] = min(seconds / flops, _flop_seconds.get(key, seconds / flops))


def note_draw(device: torch.device, family: str, fan_in: int, fan_out: int, seconds: float) -> None:
    """Record how long drawing one base matrix took (small ones measure overhead: not recorded)."""
    if fan_in * fan_out < 2**20:
        return
    key = (device.type, family)
    rate = seconds / _draw_units(family, fan_in, fan_out)
    with _lock:
        _draw_seconds[key] = min(rate, _draw_seconds.get(key, rate))


def _timed_product_rate(device: torch.device, rows: int, width: int) -> float:
    """Seconds per flop of a pass, from one (rows, width) @ (width, width) product timed now."""
    size, rows = min(width, 4096), min(rows, WIDE_ROWS)
    a, b = torch.randn(rows, size, device=device), torch.randn(size, size, device=device)
    (a @ b).sum().item()  # a warm-up, and a sync on an accelerator
    start = time.perf_counter()
    (a @ b).sum().item()
    return PASS_OVER_PRODUCTS * (time.perf_counter() - start) / (2.0 * rows * size * size)


def pass_seconds(spec: NetworkSpec, configs: int, device: torch.device, limit: float | None = None) -> float:
    """How long a pass of `configs` configurations takes on `device`, at the faster of the best
    rate seen here and the assumed one. With a `limit`, a pass the assumed rate puts over it is
    checked against one product timed now (a faster machine answers it in time)."""
    flops, rows = product_flops(spec, configs), configs * spec.batch
    key = (device.type, rows >= WIDE_ROWS)
    assumed = 1.0 / ASSUMED_FLOPS.get(device.type, ASSUMED_FLOPS["cpu"])
    with _lock:
        seen = _flop_seconds.get(key)
    if seen is None and limit is not None and flops * assumed > limit:
        seen = _timed_product_rate(device, rows, spec.width)
        with _lock:
            _flop_seconds.setdefault(key, seen)
    # Never slower than the assumed rate: a rate seen on a loaded machine, or in a first pass with
    # its one-time costs, refused the labs' own default setting ("would take about 6 s") and then
    # every pass of that size for good, since a refused pass cannot show that the machine is faster.
    return flops * (assumed if seen is None else min(seen, assumed))


def draw_seconds(family: str, fan_in: int, fan_out: int, count: int, device: torch.device, parallel: int = 1) -> float:
    """How long drawing `count` base matrices takes, `parallel` at a time."""
    if not count:
        return 0.0
    with _lock:
        rate = _draw_seconds.get((device.type, family), DRAW_DEFAULTS.get(family, 0.0))
    rounds = -(-count // max(1, parallel))
    return rounds * rate * _draw_units(family, fan_in, fan_out)


def _about(seconds: float) -> str:
    return f"about {seconds:.0f} s" if seconds >= 2 else f"about {seconds:.1f} s"


def first_use(family: str, width: int, count: int, seconds: float) -> str:
    """What a first use waits for, e.g. "drawing 6 orthogonal 4096 x 4096 matrices (about 25 s,
    once per machine)"; "" when nothing is to be drawn."""
    if not count:
        return ""
    return f"drawing {count} {family} {width}×{width} matrices ({_about(seconds)}, once per machine)"


def too_slow(what: str, seconds: float, limit: float) -> str:
    return (f"{what} would take {_about(seconds)} here, over the {limit:.0f} s a live figure waits: choose a "
            "smaller batch, width or depth (or run it with trainlab stats)")
