"""The options of `trainlab serve`: the command-line arguments, and their check into one
ServeOptions. Every bad value, and every pair of options that contradict each other, is one
OptionError whose text is the single error line the command prints (exit status 2).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from trainlab.serve.network import Address, listen_problem, parse_ip

CULL_IDLE_SECONDS = 600
RECONNECT_GRACE_SECONDS = 60
POOL_SIZE_MAX = 10
MAX_KERNELS_MAX = 1000


class OptionError(ValueError):
    """A bad value of a `trainlab serve` option; str() is "--option: why", as the error line says."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(f"{option}: {reason}")
        self.option = option


@dataclass(frozen=True)
class ServeOptions:
    """What `trainlab serve` was asked for, checked."""

    labs: Path
    port: int = 8866
    ip: Address = parse_ip("127.0.0.1")
    pool_size: int = 1  # preheated kernels kept ready per notebook; 0: start kernels on demand
    cull_idle: int = CULL_IDLE_SECONDS
    reconnect_grace: int = RECONNECT_GRACE_SECONDS  # a kernel whose page is gone is stopped after this
    max_kernels: int = 0  # kernels running at once, pooled ones included; 0: not given, serve() derives it
    open_browser: bool = True


def find_labs() -> Path | None:
    """labs/ of the source checkout trainlab runs from, else ./labs."""
    checkout = Path(__file__).resolve().parents[3]  # widgets/trainlab/serve/options.py
    for candidate in (checkout / "labs", Path.cwd() / "labs"):
        if (candidate / "index.ipynb").is_file():
            return candidate
    return None


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `trainlab serve`, as text: options_from_args checks them."""
    parser.add_argument("--port", default="8866", metavar="N", help="port to listen on, 1..65535 (default 8866)")
    parser.add_argument("--ip", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default 127.0.0.1, this machine only); 0.0.0.0 for a classroom "
                             "network. The server has no authentication: anyone who can reach it can use it")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--labs", default=None, metavar="DIR", help="folder of lab notebooks (default: the repository's labs/)")
    parser.add_argument("--pool-size", dest="pool_size", default=None, metavar="N",
                        help=f"preheated kernels kept ready per lab, 0..{POOL_SIZE_MAX} (default 1): a page that gets "
                             "one opens about 3 s sooner; each idle one holds up to about 0.8 GB")
    parser.add_argument("--no-preheat", action="store_true", help="same as --pool-size 0")
    parser.add_argument("--cull-idle", default=str(CULL_IDLE_SECONDS), metavar="SECONDS",
                        help=f"stop a kernel whose page is closed after this many idle seconds (default {CULL_IDLE_SECONDS})")
    parser.add_argument("--reconnect-grace", default=str(RECONNECT_GRACE_SECONDS), metavar="SECONDS",
                        help="stop a kernel this many seconds after its page went away without closing the tab (a "
                             "crashed browser, a lost network), even while it computes; a page back sooner keeps it "
                             f"(default {RECONNECT_GRACE_SECONDS})")
    parser.add_argument("--max-kernels", default=None, metavar="N",
                        help=f"most kernels running at once, pooled ones included, 1..{MAX_KERNELS_MAX}; visitors beyond "
                             "it get a 'server is full' page (default: what the free memory holds, printed at start)")


def _whole_number(option: str, text: str, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise OptionError(option, f"must be a whole number {bounds}, not {text!r}")
    return value


def _pool_size(args: argparse.Namespace) -> int:
    if args.pool_size is None:
        return 0 if args.no_preheat else 1
    pool_size = _whole_number("--pool-size", args.pool_size, 0, POOL_SIZE_MAX)
    if args.no_preheat and pool_size:
        raise OptionError("--no-preheat", f"contradicts --pool-size {pool_size} (--no-preheat means --pool-size 0); "
                                          "give one of them")
    return pool_size


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Check every option of `trainlab serve`; raise OptionError naming the first bad one."""
    port = _whole_number("--port", args.port, 1, 65535)
    try:
        ip = parse_ip(args.ip)
    except ValueError as error:
        raise OptionError("--ip", str(error)) from None
    pool_size = _pool_size(args)
    cull_idle = _whole_number("--cull-idle", args.cull_idle, 1)
    reconnect_grace = _whole_number("--reconnect-grace", args.reconnect_grace, 1)
    max_kernels = 0 if args.max_kernels is None else _whole_number("--max-kernels", args.max_kernels, 1, MAX_KERNELS_MAX)
    labs = Path(args.labs) if args.labs else find_labs()
    if labs is None or not (labs / "index.ipynb").is_file():
        raise OptionError("--labs", f"no labs/index.ipynb found in {args.labs or 'the repository or the current folder'}")
    problem = listen_problem(ip, port)
    if problem is not None:
        raise OptionError(*problem)
    return ServeOptions(labs=labs.resolve(), port=port, ip=ip, pool_size=pool_size, cull_idle=cull_idle,
                        reconnect_grace=reconnect_grace, max_kernels=max_kernels, open_browser=not args.no_browser)
