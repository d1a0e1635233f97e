"""`trainlab serve`: the labs as a standalone Voila app, on this machine or for a classroom.

Bound to 127.0.0.1 unless --ip says otherwise (the server has no authentication), notebook
sources stripped, tracebacks hidden from users, a pool of preheated kernels per lab, a cap on
running kernels (one in use holds about 1.2 GB) with a "server is full" page beyond it, a page's
kernel stopped when its tab closes or a minute after its page vanished, idle kernels culled as a
backstop, and kernel websockets that no visitor can use to freeze the server or fill its memory.

This module builds the Voila command and its environment and runs it; the options are checked in
options.py; voila_app.py, kernel_manager.py and connection.py are the parts that run inside Voila.
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
from dataclasses import replace
from pathlib import Path

from trainlab.serve.capacity import GB, VISITOR_KERNEL_BYTES, default_kernel_cap
from trainlab.serve.network import Address, is_loopback, local_address, page_url, public_address
from trainlab.serve.options import OptionError, ServeOptions, options_from_args

CULL_INTERVAL_SECONDS = 60
INDEX_PAGE = "voila/render/index.ipynb"
# Put on JUPYTER_PATH: holds voila/templates/trainlab, the page template (Voila's "lab" without
# links to a CDN) and its 503.html, the "server is full" page (see TrainlabKernelManager).
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "trainlab"


# The JupyterLab extensions a lab page loads: Voila's widget manager for ipywidgets 8 and the
# ipywidgets controls it registers, and anywidget (trainlab's own front ends). Not jupyterlab-plotly:
# the page would wait for its 4.8 MB chunk before connecting to the kernel; the plots load plotly.js
# from trainlab's server instead (plotly_route.py).
PAGE_EXTENSIONS = ("@voila-dashboards/widgets-manager8", "@jupyter-widgets/jupyterlab-manager", "anywidget")


def voila_command(options: ServeOptions) -> list[str]:
    """The command line of the Voila server that serves `options`."""
    return [
        # Voila with two fixes of ours (voila_app.py says which).
        sys.executable, "-m", "trainlab.serve.voila_app", str(options.labs),
        f"--port={options.port}",
        f"--Voila.ip={options.ip}",
        # The port was checked free; without this Voila would move to another port and the URL
        # trainlab printed would be wrong.
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        f"--template={TEMPLATE}",
        # A visitor's ?template=... would otherwise pick another template (with the CDN links, or
        # one that does not exist, whose page never finished loading).
        "--VoilaConfiguration.allow_template_override=NO",
        # Only the front-end extensions a lab page uses. Voila otherwise loads every JupyterLab
        # extension installed beside it, and some cannot run outside JupyterLab: with Notebook 7
        # installed, its @jupyter-notebook/lab-extension put "The getter for the shared module is
        # not a function" in every page's console.
        f"--VoilaConfiguration.extension_allowlist={list(PAGE_EXTENSIONS)!r}",
        f"--MappingKernelManager.cull_idle_timeout={options.cull_idle}",
        f"--MappingKernelManager.cull_interval={min(CULL_INTERVAL_SECONDS, max(1, options.cull_idle // 2))}",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk to the server over Unix sockets, not TCP ports: the pools start several
        # kernels at once, and two of them were given the same free port; one of them then died
        # on every restart ("Address already in use") and its lab never drew.
        "--KernelManager.transport=ipc",
        "--VoilaConfiguration.multi_kernel_manager_class=trainlab.serve.kernel_manager.TrainlabKernelManager",
        # Kernel websockets of the v1 protocol only, every frame from a page checked, a bound on
        # what the server holds for a page (connection.py says why).
        "--Voila.kernel_websocket_connection_class=trainlab.serve.connection.TrainlabKernelConnection",
        f"--TrainlabKernelManager.max_kernels={options.max_kernels}",
        f"--TrainlabKernelManager.reconnect_grace={options.reconnect_grace}",
        "--no-browser",
        # A pool of kernels per lab runs the notebook before anyone asks: measured here, a page then
        # shows its first figure in about 4.5 s instead of 7.5 s (kernel start, torch import and the
        # first pass are already done). Voila never culls pooled kernels.
        *(["--preheat_kernel=True", f"--pool_size={options.pool_size}"] if options.pool_size else []),
    ]


def voila_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Voila and its kernels: our templates first on JUPYTER_PATH, where Voila
    looks for templates. (A kernel gives a sweep's freed memory back by itself: compute/heap.py.)"""
    env = dict(os.environ if base is None else base)
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


def exposure_warning(ip: Address, port: int) -> str:
    """What a non-loopback --ip means, for stderr."""
    who = f"this machine on port {port}" if ip.is_unspecified else f"{ip} port {port}"
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
    """Run `trainlab serve` with the parsed command-line `args`; the exit status."""
    try:
        options = options_from_args(args)
    except OptionError as error:
        sys.stderr.write(f"trainlab: error: {error}\n")
        return 2
    ip = options.ip
    if not is_loopback(ip):
        sys.stderr.write(exposure_warning(ip, options.port))
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
