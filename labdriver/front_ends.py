"""Open a notebook of trainlab widget outputs in Voila, JupyterLab and Notebook 7, and check that
every widget drew: a plotly figure with traces in each of its plots, each plot hearing from the
kernel, no notice over a plot, no console error.

One server per front end (started by `FrontEndServer`, stopped when its `with` block ends), and
one fresh browser context per open, so each open loads every script as a first visit does. In
JupyterLab and Notebook 7 each open starts a new kernel (the sessions of the open before are
deleted) and runs all cells from the Run menu, as an instructor does on a first run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import trainlab
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from labdriver.chromium import free_port
from labdriver.console import Console

FRONT_ENDS = ("voila", "lab", "notebook")
NAMES = {"voila": "Voila", "lab": "JupyterLab", "notebook": "Notebook 7"}
NOTEBOOK = Path(__file__).resolve().parents[1] / "tests" / "browser" / "data" / "four_widgets.ipynb"
WIDGETS = 4  # widget outputs in four_widgets.ipynb
# Errors of a front end's own page load that have nothing to do with widgets (seen before any cell ran):
# counted and printed, not failures. Notebook 7.6.5 (JupyterLab 4.6 inside) throws this one as it
# loads its settings (its keyboard-shortcut plugin reads `plugins[id].schema` of a plugin the
# registry does not hold), with an empty notebook as well.
KNOWN_PAGE_LOAD_ERRORS = {"notebook": ("pageerror: Cannot read properties of undefined (reading 'schema')",)}

# One entry per widget output (the output area holding its plots): how many plots it has, how many
# drew the kernel's figure, how many of those have traces, how many hear from the kernel, the
# notices shown. A plot whose kernel figure is still empty shows "Computing the plot…", and the
# dashboard's curves are empty axes before training: both count as drawn, but every widget must
# show traces in one plot at least.
STATE_JS = """() => {
  const plots = [...document.querySelectorAll('.trainlab-plot')];
  const outputs = new Map();
  for (const el of plots) {
    const box = el.closest('.jp-OutputArea-output, .output_subarea, .jp-OutputArea-child') || el.parentElement;
    if (!outputs.has(box)) outputs.set(box, []);
    outputs.get(box).push(el);
  }
  const traces = el => { const plot = el.querySelector('.js-plotly-plot');
    return !!plot && Array.isArray(plot.data) && plot.data.length > 0 && !!plot.querySelector('.main-svg'); };
  const drawn = el => !!el.querySelector('.js-plotly-plot .main-svg');
  const waiting = el => !!el.querySelector('.trainlab-plot-area[data-waiting]');
  return [...outputs.values()].map(els => ({
    plots: els.length,
    drawn: els.filter(el => drawn(el) || waiting(el)).length,
    traced: els.filter(traces).length,
    connected: els.filter(el => el.dataset.connected === '1').length,
    notices: els.map(el => el.querySelector('.trainlab-plot-notice')?.textContent).filter(Boolean),
  }));
}"""
# Widget errors that ipywidgets writes into the page instead of the console.
PAGE_ERRORS_JS = """() => [...document.querySelectorAll('.jupyter-widgets.widget-error, .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.textContent.trim().slice(0, 200)).filter(Boolean)"""


@dataclass
class OpenResult:
    front_end: str
    number: int
    seconds: float
    outputs: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # KNOWN_PAGE_LOAD_ERRORS seen
    mended: int = 0  # anywidget's errors for models trainlab's front end mended (labdriver/console.py)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        drawn = sum(1 for o in self.outputs if o["plots"] and o["drawn"] == o["plots"] and o["traced"])
        status = "ok  " if self.ok else "FAIL"
        text = f"{status} {NAMES[self.front_end]:<10} open {self.number:>2}: {drawn}/{WIDGETS} widgets drawn, " \
               f"{self.seconds:5.1f} s"
        if self.known:
            text += f" (known {NAMES[self.front_end]} page-load error, not a widget's: {'; '.join(self.known)})"
        if self.mended:
            text += f" (anywidget gave up on a model, {self.mended} messages dropped; mended by trainlab)"
        return text + ("" if self.ok else " -- " + "; ".join(self.problems))


def isolated_environment(home: Path) -> dict[str, str]:
    """Jupyter and IPython state of a server kept in `home`, not in the user's home directory."""
    env = dict(os.environ)
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[name] = str(home / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # The server and its kernels import the trainlab this process imports (a checkout's widgets/).
    package_parent = str(Path(trainlab.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([package_parent, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("TRAINLAB_WEIGHT_STORE", str(home / "weights"))
    return env


class FrontEndServer:
    """A Voila (`trainlab serve`), JupyterLab or Notebook 7 server on a free localhost port, serving
    a temporary folder that holds the notebook."""

    def __init__(self, front_end: str, notebook: Path = NOTEBOOK, log: Path | None = None) -> None:
        if front_end not in FRONT_ENDS:
            raise ValueError(f"front end {front_end!r}: one of {', '.join(FRONT_ENDS)}")
        self.front_end = front_end
        self.notebook = notebook
        self.log_path = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen | None = None
        self._home: Path | None = None

    def __enter__(self) -> Self:
        self._home = Path(tempfile.mkdtemp(prefix=f"trainlab-{self.front_end}-"))
        root = self._home / "notebooks"
        root.mkdir()
        shutil.copy(self.notebook, root / self.notebook.name)
        if self.front_end == "voila":
            # trainlab serve wants an index page next to the labs.
            shutil.copy(self.notebook, root / "index.ipynb")
            command = [sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={self.port}",
                       f"--labs={root}", "--pool-size=1", "--cull-idle=60"]
        else:
            command = [sys.executable, "-m", "jupyter", self.front_end, "--no-browser", f"--port={self.port}",
                       "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
                       "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container's root: Jupyter refuses without it
                command.append("--allow-root")
            if self.front_end == "lab":
                command += ["--LabApp.news_url=None",
                            "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        log = self.log_path or self._home / "server.log"
        self._log = open(log, "w")  # closed in __exit__
        self._proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, cwd=root,
                                      env=isolated_environment(self._home), start_new_session=True)
        self._wait_until_up(log)
        return self

    def _wait_until_up(self, log: Path, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{NAMES[self.front_end]} server exited: {log.read_text()[-2000:]}")
            with socket.socket() as probe:
                up = probe.connect_ex(("127.0.0.1", self.port)) == 0
            # Voila: wait for the preheated kernel to have run the notebook, as a classroom would.
            if up and (self.front_end != "voila" or log.read_text().count("is filled with") >= 2):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{NAMES[self.front_end]} server did not start: {log.read_text()[-2000:]}")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._log.close()
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)

    @property
    def url(self) -> str:
        name = self.notebook.name
        return {"voila": f"{self.base}/voila/render/{name}", "lab": f"{self.base}/lab/tree/{name}",
                "notebook": f"{self.base}/notebooks/{name}"}[self.front_end]

    def stop_kernels(self) -> None:
        """Delete every session (JupyterLab, Notebook 7): the next open starts a new kernel."""
        if self.front_end == "voila":
            return
        with urllib.request.urlopen(f"{self.base}/api/sessions", timeout=30) as reply:
            sessions = json.load(reply)
        for session in sessions:
            request = urllib.request.Request(f"{self.base}/api/sessions/{session['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()


def _run_all(page: Page, timeout_ms: int) -> None:
    """Run all cells from the Run menu once the kernel is idle (JupyterLab, Notebook 7), as a user
    does. Chosen while the kernel was still starting, the item was once followed by a "Select
    Kernel" dialog and a second kernel, so this waits for the idle kernel and chooses it once."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    try:
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=timeout_ms)
    except PlaywrightTimeout:
        raise TimeoutError("the notebook's kernel did not become idle") from None
    # The menu item acts on the notebook that has the focus: on a first open JupyterLab once left it
    # in the file browser and Run All Cells did nothing. So: focus a cell, choose the item, and
    # choose it again (the kernel is idle, no cell has run) if no cell started within 15 s.
    for attempt in range(3):
        # A first open may ask which kernel to start (Notebook 7 did): the proposed one, as a user would.
        select = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
        if select.count():
            select.first.click()
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
        page.locator(".lm-MenuBar-itemLabel").get_by_text("Run", exact=True).click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
        try:
            page.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')]"
                                   ".some(p => /[*0-9]/.test(p.textContent))", timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise TimeoutError("Run All Cells started no cell, 3 times") from None


def open_once(browser: Browser, server: FrontEndServer, number: int, timeout_s: float = 150.0,
              settle_s: float = 3.0, screenshot: Path | None = None) -> OpenResult:
    """Open the notebook once in a new browser context and check every widget output."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console = Console(page)
    result = OpenResult(server.front_end, number, 0.0)
    started = time.monotonic()
    try:
        page.goto(server.url, timeout=int(timeout_s * 1000))
        if server.front_end != "voila":
            _run_all(page, int(timeout_s * 1000))
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            outputs = page.evaluate(STATE_JS)
            if len(outputs) >= WIDGETS and all(_complete(o) for o in outputs):
                break
            page.wait_for_timeout(250)
        result.seconds = time.monotonic() - started
        page.wait_for_timeout(int(settle_s * 1000))  # errors and notices that come just after
        result.outputs = page.evaluate(STATE_JS)
        result.problems += _problems(result.outputs)
        result.problems += [f"page shows: {text}" for text in page.evaluate(PAGE_ERRORS_JS)]
    except (PlaywrightError, TimeoutError) as error:  # a timeout or a crashed page fails this open, not the run
        result.seconds = time.monotonic() - started
        result.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
    known = KNOWN_PAGE_LOAD_ERRORS.get(server.front_end, ())
    unexplained = console.unexplained()
    result.mended = len(console.errors) - len(unexplained)
    result.known = [e for e in unexplained if e in known]
    result.problems += [e for e in unexplained if e not in known]
    if screenshot is not None and not result.ok:
        try:
            page.screenshot(path=str(screenshot), full_page=True)
        except PlaywrightError as error:  # a screenshot is a nicety
            result.problems.append(f"no screenshot: {error}")
    context.close()
    return result


def _complete(output: dict) -> bool:
    return output["drawn"] == output["plots"] == output["connected"] and output["traced"] > 0


def _problems(outputs: list[dict]) -> list[str]:
    problems = []
    if len(outputs) != WIDGETS:
        problems.append(f"{len(outputs)} widget outputs with plots, expected {WIDGETS}")
    for i, o in enumerate(outputs, 1):
        if o["drawn"] < o["plots"]:
            problems.append(f"widget {i}: {o['drawn']} of {o['plots']} plots drawn")
        if not o["traced"]:
            problems.append(f"widget {i}: no plot with traces")
        if o["connected"] < o["plots"]:
            problems.append(f"widget {i}: {o['connected']} of {o['plots']} plots hear from the kernel")
        problems += [f"widget {i} notice: {text}" for text in o["notices"]]
    return problems


def prove(browser: Browser, counts: dict[str, int], report: Callable[[OpenResult], None] = lambda r: None,
          artifacts: Path | None = None) -> Iterator[OpenResult]:
    """Open the notebook counts[front_end] times in each front end, one server at a time."""
    for front_end in FRONT_ENDS:
        if not counts.get(front_end):
            continue
        with FrontEndServer(front_end, log=artifacts / f"{front_end}-server.log" if artifacts else None) as server:
            for number in range(1, counts[front_end] + 1):
                shot = artifacts / f"{front_end}-{number}.png" if artifacts else None
                result = open_once(browser, server, number, screenshot=shot)
                report(result)
                yield result
                server.stop_kernels()
