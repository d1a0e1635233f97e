"""`trainlab serve`: the labs as a standalone Voila app on this machine.

Bound to 127.0.0.1 (the server has no authentication), notebook sources stripped, tracebacks
hidden from users, a kernel preheated per lab, a page's kernel stopped when its tab closes and
idle kernels culled as a backstop (each holds about 700 MB of cached base matrices).
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path

import trainlab

CULL_IDLE_SECONDS = 600
CULL_INTERVAL_SECONDS = 60


def find_labs() -> Path | None:
    """labs/ of the source checkout trainlab runs from, else ./labs."""
    for candidate in (Path(trainlab.__file__).resolve().parents[2] / "labs", Path.cwd() / "labs"):
        if (candidate / "index.ipynb").is_file():
            return candidate
    return None


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", default="8866", help="port to listen on, 1..65535 (default 8866)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--labs", default=None, help="folder of lab notebooks (default: the repository's labs/)")
    parser.add_argument("--no-preheat", action="store_true",
                        help="start kernels on demand instead of keeping one executed kernel per lab ready "
                             "(saves about 700 MB per lab, pages open about 3 s slower)")
    parser.add_argument("--cull-idle", default=str(CULL_IDLE_SECONDS),
                        help=f"stop a kernel whose page is closed after this many idle seconds (default {CULL_IDLE_SECONDS})")


def voila_command(labs: Path, port: int, cull_idle: int = CULL_IDLE_SECONDS, preheat: bool = True) -> list[str]:
    return [
        sys.executable, "-m", "voila", str(labs),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={min(CULL_INTERVAL_SECONDS, max(1, cull_idle // 2))}",
        "--MappingKernelManager.cull_connected=False",
        "--VoilaConfiguration.multi_kernel_manager_class=trainlab.kernel_manager.TrainlabKernelManager",
        "--no-browser",
        # One kernel per lab runs the notebook before anyone asks: measured here, a page then shows
        # its first figure in about 4.5 s instead of 7.5 s (kernel start, torch import and the
        # first pass are already done). Voila never culls pooled kernels.
        *(["--preheat_kernel=True", "--pool_size=1"] if preheat else []),
    ]


# Voila's page asks the server to stop its kernel when the tab closes (a beacon that carries the
# _xsrf cookie, which standalone Voila never sets, so it is refused with 403 and every visit
# leaked a kernel). The server has no authentication to protect and listens on loopback; without
# the check the beacon works. A dict setting goes in voila.json: on the command line traitlets
# either warns (a literal) or turns True into the string "True" (key=value).
VOILA_JSON = {"Voila": {"tornado_settings": {"disable_check_xsrf": True}}}


def write_voila_config(folder: Path) -> Path:
    """Put voila.json in `folder`; Voila reads it from its working directory."""
    (folder / "voila.json").write_text(json.dumps(VOILA_JSON))
    return folder


def _open_when_up(url: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                webbrowser.open(url)
                return
        time.sleep(0.25)


def _whole_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def serve(args: argparse.Namespace) -> int:
    port = _whole_number(args.port)
    if port is None or not 1 <= port <= 65535:
        sys.stderr.write(f"trainlab: error: --port: must be a whole number from 1 to 65535, not {args.port!r}\n")
        return 2
    cull_idle = _whole_number(args.cull_idle)
    if cull_idle is None or cull_idle < 1:
        sys.stderr.write(f"trainlab: error: --cull-idle: must be a whole number of seconds >= 1, not {args.cull_idle!r}\n")
        return 2
    labs = Path(args.labs) if args.labs else find_labs()
    if labs is None or not (labs / "index.ipynb").is_file():
        where = args.labs or "the repository or the current folder"
        sys.stderr.write(f"trainlab: error: --labs: no labs/index.ipynb found in {where}\n")
        return 2
    url = f"http://127.0.0.1:{port}/voila/render/index.ipynb"
    print(f"trainlab: serving {labs} at {url}", flush=True)
    if not args.no_browser:
        threading.Thread(target=_open_when_up, args=(url, port), daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="trainlab-voila-") as folder:
        voila = subprocess.Popen(voila_command(labs.resolve(), port, cull_idle, not args.no_preheat),
                                 cwd=write_voila_config(Path(folder)))

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
