"""`trainlab serve`: the labs as a standalone Voila app, on this machine or for a classroom.

Bound to 127.0.0.1 unless --ip says otherwise (the server has no authentication), notebook
sources stripped, tracebacks hidden from users, a pool of preheated kernels per lab, a cap on
running kernels (one in use holds about 1.2 GB) with a "server is full" page beyond it, a page's
kernel stopped when its tab closes and idle kernels culled as a backstop.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from dataclasses import dataclass, replace
from pathlib import Path

import trainlab
from trainlab.serve_capacity import GB, VISITOR_KERNEL_BYTES, default_kernel_cap
from trainlab.serve_network import (
    OptionError, check_can_listen, is_loopback, local_address, page_url, parse_ip, public_address,
)

CULL_IDLE_SECONDS = 600
CULL_INTERVAL_SECONDS = 60
POOL_SIZE_MAX = 10
MAX_KERNELS_MAX = 1000
INDEX_PAGE = "voila/render/index.ipynb"
# Holds voila/templates/lab/503.html, the "server is full" page (see TrainlabKernelManager).
TEMPLATES = Path(__file__).resolve().parent / "serve_templates"


@dataclass(frozen=True)
class ServeOptions:
    """What `trainlab serve` was asked for, checked."""

    labs: Path
    port: int = 8866
    ip: str = "127.0.0.1"
    pool_size: int = 1  # preheated kernels kept ready per notebook; 0: start kernels on demand
    cull_idle: int = CULL_IDLE_SECONDS
    max_kernels: int = 0  # kernels running at once, pooled ones included; 0: not given, serve() derives it
    open_browser: bool = True


def find_labs() -> Path | None:
    """labs/ of the source checkout trainlab runs from, else ./labs."""
    for candidate in (Path(trainlab.__file__).resolve().parents[2] / "labs", Path.cwd() / "labs"):
        if (candidate / "index.ipynb").is_file():
            return candidate
    return None


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", default="8866", metavar="N", help="port to listen on, 1..65535 (default 8866)")
    parser.add_argument("--ip", default="127.0.0.1", metavar="ADDRESS",
                        help="address to listen on (default 127.0.0.1, this machine only); 0.0.0.0 for a classroom "
                             "network. The server has no authentication: anyone who can reach it can use it")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--labs", default=None, metavar="DIR", help="folder of lab notebooks (default: the repository's labs/)")
    parser.add_argument("--pool-size", dest="pool_size", default="1", metavar="N",
                        help=f"preheated kernels kept ready per lab, 0..{POOL_SIZE_MAX} (default 1): a page that gets "
                             "one opens about 3 s sooner; each idle one holds up to about 0.8 GB")
    parser.add_argument("--no-preheat", dest="pool_size", action="store_const", const="0",
                        help="same as --pool-size 0")
    parser.add_argument("--cull-idle", default=str(CULL_IDLE_SECONDS), metavar="SECONDS",
                        help=f"stop a kernel whose page is closed after this many idle seconds (default {CULL_IDLE_SECONDS})")
    parser.add_argument("--max-kernels", default=None, metavar="N",
                        help=f"most kernels running at once, pooled ones included, 1..{MAX_KERNELS_MAX}; visitors beyond "
                             "it get a 'server is full' page (default: what the free memory holds, printed at start)")


def _whole_number(option: str, text: str, low: int, high: int, what: str = "a whole number") -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise OptionError(option, f"must be {what} from {low} to {high}, not {text!r}")
    return value


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Check every option of `trainlab serve`; raise OptionError naming the first bad one."""
    port = _whole_number("--port", args.port, 1, 65535)
    ip = parse_ip(args.ip)
    pool_size = _whole_number("--pool-size", args.pool_size, 0, POOL_SIZE_MAX)
    try:
        cull_idle = int(args.cull_idle)
    except ValueError:
        cull_idle = 0
    if cull_idle < 1:
        raise OptionError("--cull-idle", f"must be a whole number of seconds >= 1, not {args.cull_idle!r}")
    max_kernels = 0 if args.max_kernels is None else _whole_number("--max-kernels", args.max_kernels, 1, MAX_KERNELS_MAX)
    labs = Path(args.labs) if args.labs else find_labs()
    if labs is None or not (labs / "index.ipynb").is_file():
        raise OptionError("--labs", f"no labs/index.ipynb found in {args.labs or 'the repository or the current folder'}")
    check_can_listen(ip, port)
    return ServeOptions(labs=labs.resolve(), port=port, ip=str(ip), pool_size=pool_size, cull_idle=cull_idle,
                        max_kernels=max_kernels, open_browser=not args.no_browser)


def voila_command(options: ServeOptions) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(options.labs),
        f"--port={options.port}",
        f"--Voila.ip={options.ip}",
        # The port was checked free; without this Voila would move to another port and the URL
        # trainlab printed would be wrong.
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle}",
        f"--MappingKernelManager.cull_interval={min(CULL_INTERVAL_SECONDS, max(1, options.cull_idle // 2))}",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk to the server over Unix sockets, not TCP ports: the pools start several
        # kernels at once, and two of them were given the same free port; one of them then died
        # on every restart ("Address already in use") and its lab never drew.
        "--KernelManager.transport=ipc",
        "--VoilaConfiguration.multi_kernel_manager_class=trainlab.kernel_manager.TrainlabKernelManager",
        f"--TrainlabKernelManager.max_kernels={options.max_kernels}",
        "--no-browser",
        # A pool of kernels per lab runs the notebook before anyone asks: measured here, a page then
        # shows its first figure in about 4.5 s instead of 7.5 s (kernel start, torch import and the
        # first pass are already done). Voila never culls pooled kernels.
        *(["--preheat_kernel=True", f"--pool_size={options.pool_size}"] if options.pool_size else []),
    ]


def voila_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Voila and its kernels: our templates first on JUPYTER_PATH, where Voila
    looks for the "503.html" error page, and an allocator that gives freed memory back."""
    env = dict(os.environ if base is None else base)
    # glibc keeps the freed temporaries of a sweep (hundreds of MB) in the kernel unless blocks
    # over 1 MB are mapped and unmapped on their own: measured, 1.2-1.4 GB after a session, 0.92 with.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", "1048576")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH", "")) if p)
    return env


# Voila's page asks the server to stop its kernel when the tab closes (a beacon that carries the
# _xsrf cookie, which standalone Voila never sets, so it is refused with 403 and every visit
# leaked a kernel). The server has no authentication to protect; without the check the beacon
# works. A dict setting goes in voila.json: on the command line traitlets either warns (a
# literal) or turns True into the string "True" (key=value).
VOILA_JSON = {"Voila": {"tornado_settings": {"disable_check_xsrf": True}}}


def write_voila_config(folder: Path) -> Path:
    """Put voila.json in `folder`; Voila reads it from its working directory."""
    (folder / "voila.json").write_text(json.dumps(VOILA_JSON))
    return folder


def exposure_warning(ip: str, port: int) -> str:
    """What a non-loopback --ip means, for stderr."""
    who = f"this machine on port {port}" if parse_ip(ip).is_unspecified else f"{ip} port {port}"
    return (f"trainlab: warning: listening on {ip}, not a loopback address. The server has no authentication:\n"
            f"trainlab: warning: anyone who can reach {who} can open the labs and run kernels here "
            f"(about {VISITOR_KERNEL_BYTES / GB:.1f} GB of memory each). Use it only on a network you trust.\n")


def _open_when_up(url: str, address: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.25)


def serve(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args)
    except OptionError as error:
        sys.stderr.write(f"trainlab: error: {error}\n")
        return 2
    ip = parse_ip(options.ip)
    if not is_loopback(ip):
        sys.stderr.write(exposure_warning(options.ip, options.port))
    # Voila keeps a pool for every notebook under the folder, checkpoints aside.
    notebooks = sum(1 for path in options.labs.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)
    pooled = options.pool_size * notebooks
    if options.max_kernels:
        cap, why = options.max_kernels, "--max-kernels"
    else:
        default = default_kernel_cap(pooled)
        cap, why = default.kernels, f"{default.reason()}; --max-kernels to change"
    print(f"trainlab: at most {cap} kernel{'s' if cap != 1 else ''} at once ({why})", flush=True)
    if pooled >= cap:
        print(f"trainlab: note: the pools want {pooled} kernels ({notebooks} notebooks x --pool-size "
              f"{options.pool_size}) and the cap is {cap}: a pool is refilled only while there is room", flush=True)
    options = replace(options, max_kernels=cap)
    url = page_url(public_address(ip), options.port, INDEX_PAGE)
    print(f"trainlab: serving {options.labs} at {url}", flush=True)
    if options.open_browser:
        local = local_address(ip)
        threading.Thread(target=_open_when_up, args=(page_url(local, options.port, INDEX_PAGE), local, options.port),
                         daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="trainlab-voila-") as folder:
        voila = subprocess.Popen(voila_command(options), cwd=write_voila_config(Path(folder)), env=voila_environment())

        def stop(_signum: int, _frame: object) -> None:
            # Stopping `trainlab serve` stops Voila and, with it, every kernel it started.
            voila.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            return voila.wait()
        except KeyboardInterrupt:
            voila.terminate()
            voila.wait(30)
            return 0
