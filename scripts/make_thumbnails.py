"""Take the thumbnails of the labs index: a real screenshot of every lab, as a student first sees it.

    python scripts/make_thumbnails.py [NOTEBOOK ...] [--out DIR]
    python scripts/make_thumbnails.py --readme


Starts `trainlab serve` on a free port, opens each notebook of labs/ (all but the index, or the
ones named) in headless Chromium, drives the lab to a telling state (a lecture case, a finished
training run), waits until its figure has drawn and stopped moving, and writes a 480-pixel-wide
PNG of the figure to labs/images/thumbs/<notebook>.png. A notebook with no recipe below (the
instructor's guide) is shot from the top of its page. A notebook the index links to that is not
written yet gets a neutral placeholder card, so the index never shows a broken image.

`--readme` takes instead the README's three pictures: the whole explorer, race and training widget
(controls included) at full size, in the same states, written to labs/images/.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' Chromium settings and page helpers, reused below. Importing them also points
# Jupyter's and IPython's state folders (inherited by the server) at a temporary folder.
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from labdriver.chromium import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from labdriver.lab_page import (  # noqa: E402
    TRAINING, choose, settled_signature, wait_for_change, wait_for_dashboard, wait_for_drawn, wait_for_figure,
)

LABS = ROOT / "labs"
OUT = LABS / "images" / "thumbs"
THUMB_WIDTH = 480
ASPECT = 10 / 16  # height / width: every card's picture has the same shape, so the grid lines up
# Chromium renders the page at half resolution: vector plots and text are drawn at thumbnail size
# (crisper than shrinking a full-size screenshot), while the page lays out exactly as at 960 px.
# That is the size optimization: 20-35 KB per PNG instead of 100-220 KB at full size. Re-encoding
# Chromium's PNGs (zlib level 9, best filter per row) was tried and saved nothing.
SCALE = 0.5
PAGE_WIDTH = round(THUMB_WIDTH / SCALE) + 30  # Voila's page puts 15 px of margin on either side
PAGE_HEIGHT = 2400  # tall enough that every figure shot is in view without scrolling
LOAD_MS = 180_000  # a lab page on 2 busy cores: kernel start, torch import, first pass
TRAIN_MS = 300_000


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"make_thumbnails: error: {message}\n")
    raise SystemExit(2)


# -- driving each lab to the state its thumbnail shows ---------------------------------------------

def _explorer(preset: str | None = None) -> Callable[[Page], None]:
    def prepare(page: Page) -> None:
        before = wait_for_figure(page, LOAD_MS)
        if preset is not None:
            choose(page, "lecture case", preset)
            wait_for_change(page, before)
        settled_signature(page)
    return prepare


def _race(page: Page) -> None:
    wait_for_figure(page, LOAD_MS)
    page.wait_for_selector(".trainlab-plot .imagelayer image", timeout=LOAD_MS)
    settled_signature(page)


def _trained(preset: str | None = None) -> Callable[[Page], None]:
    """Run the lecture case to the end: a thumbnail of empty axes would teach nothing."""
    def prepare(page: Page) -> None:
        wait_for_dashboard(page, LOAD_MS)
        dashboard = page.locator(TRAINING).first
        if preset is not None:
            choose(page, "lecture case", preset)
        dashboard.get_by_role("button", name="▶ Train").click()
        stop = dashboard.get_by_role("button", name="■ Stop")
        page.wait_for_function("(b) => !b.disabled", arg=stop.element_handle(), timeout=LOAD_MS)
        page.wait_for_function("(b) => b.disabled", arg=stop.element_handle(), timeout=TRAIN_MS)
        settled_signature(page)
    return prepare


def _landscape(page: Page) -> None:
    """The finest slice: the coarse pictures before it would show a blockier map."""
    wait_for_figure(page, LOAD_MS)
    wait_for_drawn(page, "41 x 41 slice", timeout_ms=LOAD_MS)
    settled_signature(page)


def _gallery(page: Page) -> None:
    """The saturated tanh case, its layer's pre-activations drawn under the curve."""
    wait_for_figure(page, LOAD_MS)
    wait_for_drawn(page, "where f is flat", timeout_ms=LOAD_MS)
    settled_signature(page)


def _stages(page: Page) -> None:
    """The point cloud's stages, drawn."""
    wait_for_figure(page, LOAD_MS)
    wait_for_drawn(page, "through 5 stages", timeout_ms=LOAD_MS)
    settled_signature(page)


def _page_top(page: Page) -> None:
    page.wait_for_selector(".jp-RenderedHTMLCommon h1", timeout=LOAD_MS)
    page.wait_for_timeout(1500)  # let fonts and images settle


@dataclass(frozen=True)
class Shot:
    """How to photograph one notebook: what to wait for, and which element holds the picture."""

    prepare: Callable[[Page], None]
    region: str  # CSS selector of the element shown from its top; its first plot if it has one
    note: str


GENERIC = Shot(_page_top, ".jp-RenderedMarkdown", "top of the page")
SHOTS: dict[str, Shot] = {
    "01_activation_functions": Shot(_gallery, ".trainlab-gallery", "lecture case tanh, std 0.05: saturated"),
    "01b_data_preprocessing": Shot(_stages, ".trainlab-preprocessing", "lecture case raw -> whitened: the four stages"),
    "02_weight_initialization": Shot(_explorer(), ".trainlab-explorer", "lecture case tanh, std 0.01"),
    "03_normalization": Shot(_explorer("tanh, std 0.05 + BatchNorm"), ".trainlab-explorer",
                             "lecture case tanh, std 0.05 + BatchNorm"),
    "04_optimizers": Shot(_race, ".trainlab-race", "lecture point zig-zag: SGD vs momentum"),
    "05_training_and_schedules": Shot(_trained("learning rates: the four curves"), TRAINING,
                                      "lecture case learning rates: the four curves, trained"),
    "06_regularization": Shot(_trained(), TRAINING, "lecture case overfit a subset, then regularize, trained"),
    "07_loss_landscapes": Shot(_landscape, ".trainlab-landscape", "lecture case SGD vs Adam paths, the 41 x 41 slice"),
}

@dataclass(frozen=True)
class ReadmeShot:
    """One of the README's pictures: a whole widget of a lab, controls and all."""

    notebook: str
    region: str
    file: str


README_SHOTS = (ReadmeShot("02_weight_initialization", ".trainlab-explorer", "explorer.png"),
                ReadmeShot("04_optimizers", ".trainlab-race", "optimizer-race.png"),
                ReadmeShot("05_training_and_schedules", TRAINING, "training.png"))
README_WIDTH = 1400  # the page width the README's pictures were first taken at

# The box to photograph: the region's first plot (the controls are illegible at thumbnail size) or,
# in a notebook without one, the region itself, from its top, in the thumbnail's aspect ratio.
CLIP_JS = """([selector, aspect]) => {
  const region = document.querySelector(selector);
  const top = region.querySelector('.trainlab-plot') || region;
  const r = top.getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.width * aspect};
}"""


# The whole region (the README's pictures).
WHOLE_JS = """([selector]) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}"""


def settled_clip(page: Page, region: str, whole: bool = False, quiet_ms: int = 700,
                 tries: int = 20) -> dict[str, float]:
    """The box to shoot once it has stopped moving: text typeset below or a notice above can still
    shift the page after the figure has drawn."""
    script, arg = (WHOLE_JS, [region]) if whole else (CLIP_JS, [region, ASPECT])
    clip = page.evaluate(script, arg)
    for _ in range(tries):
        page.wait_for_timeout(quiet_ms)
        again = page.evaluate(script, arg)
        if again == clip:
            if clip["y"] + clip["height"] > PAGE_HEIGHT:
                fail(f"the figure in {region} lies below the {PAGE_HEIGHT}-pixel page shot")
            return clip
        clip = again
    fail(f"the page kept moving around {region}")


def shoot(browser: Browser, url: str, shot: Shot, readme: bool = False) -> bytes:
    """The thumbnail of the lab at url or, for the README, its whole widget at full size."""
    width, scale = (README_WIDTH, 1) if readme else (PAGE_WIDTH, SCALE)
    context = browser.new_context(viewport={"width": width, "height": PAGE_HEIGHT}, device_scale_factor=scale)
    try:
        page = context.new_page()
        page.goto(url, timeout=LOAD_MS)
        shot.prepare(page)
        page.mouse.move(0, 0)  # off the plots: a hovered plotly figure shows its tool bar
        return page.screenshot(clip=settled_clip(page, shot.region, whole=readme))
    finally:
        context.close()  # closing the tab lets the server stop the lab's kernel


# -- a placeholder for a notebook that is not written yet -----------------------------------------

PLACEHOLDER_HTML = """<body style="margin:0">
<div style="width:{w}px;height:{h}px;box-sizing:border-box;display:flex;flex-direction:column;
 justify-content:center;align-items:center;gap:14px;background:#e1effe;color:#1e429f;
 font-family:system-ui,-apple-system,'Segoe UI',helvetica,arial,sans-serif">
 <svg width="220" height="90" viewBox="0 0 220 90" aria-hidden="true">
  <g fill="#1c64f2" fill-opacity="0.25" stroke="#1c64f2" stroke-width="2">
   <rect x="10" y="50" width="30" height="40"/><rect x="50" y="20" width="30" height="70"/>
   <rect x="90" y="5" width="30" height="85"/><rect x="130" y="30" width="30" height="60"/>
   <rect x="170" y="60" width="30" height="30"/></g></svg>
 <div style="font-size:30px;font-weight:600">{title}</div>
</div></body>"""


def placeholder(browser: Browser, title: str) -> bytes:
    width, height = round(THUMB_WIDTH / SCALE), round(THUMB_WIDTH / SCALE * ASPECT)
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=SCALE)
    try:
        page = context.new_page()
        page.set_content(PLACEHOLDER_HTML.format(w=width, h=height, title=title))
        return page.screenshot()
    finally:
        context.close()


# -- the server and the command line ----------------------------------------------------------------

@contextmanager
def trainlab_serve() -> Iterator[str]:
    """`trainlab serve` on a free port, without preheated kernels: each lab is opened once, and six
    idle kernels would take memory and cores from whatever else the machine is doing."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "trainlab", "serve", "--no-browser", f"--port={port}",
                             "--no-preheat"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # it sizes its kernel cap before it listens
        while True:
            if proc.poll() is not None:
                fail(f"trainlab serve exited with status {proc.returncode}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                fail("trainlab serve did not start listening within 180 s")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/voila/render"
    finally:
        proc.terminate()
        proc.wait(30)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.error = fail  # one line and status 2, like the trainlab command
    parser.add_argument("notebooks", nargs="*", help="notebook names in labs/ (default: every one but the index)")
    parser.add_argument("--out", default=str(OUT), help="folder for the PNGs (default labs/images/thumbs)")
    parser.add_argument("--readme", action="store_true", help="take the README's three pictures instead")
    args = parser.parse_args(argv)
    if args.readme and (args.notebooks or args.out != str(OUT)):
        fail("--readme takes no notebooks and no --out: it writes labs/images/{explorer,optimizer-race,training}.png")
    known = sorted({p.stem for p in LABS.glob("*.ipynb") if p.stem != "index"} | set(linked_from_index()))
    args.names = [n.removesuffix(".ipynb") for n in args.notebooks] or known
    unknown = [n for n in args.names if n not in known]
    if unknown:
        fail(f"not a notebook in labs/ nor linked from the index: {', '.join(unknown)} (known: {', '.join(known)})")
    return args


def linked_from_index() -> list[str]:
    """The notebooks the index's cards link to, whether or not they exist yet."""
    cells = json.loads((LABS / "index.ipynb").read_text())["cells"]
    text = "".join("".join(cell["source"]) for cell in cells)
    return list(dict.fromkeys(re.findall(r'href="([\w-]+)\.ipynb"', text)))


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk comes first)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def title_of(name: str) -> str:
    return name.lstrip("0123456789_").replace("_", " ").capitalize()


def readme_pictures(browser: Browser) -> None:
    with trainlab_serve() as base:
        for picture in README_SHOTS:
            png = shoot(browser, f"{base}/{picture.notebook}.ipynb", SHOTS[picture.notebook], readme=True)
            (LABS / "images" / picture.file).write_bytes(png)
            width, height = png_size(png)
            print(f"{picture.file}: {SHOTS[picture.notebook].note}; {width}x{height}, {len(png) // 1024} KB", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.readme:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                readme_pictures(browser)
            finally:
                browser.close()
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            missing = [n for n in args.names if not (LABS / f"{n}.ipynb").is_file()]
            for name in missing:
                png = placeholder(browser, title_of(name))
                (out / f"{name}.png").write_bytes(png)
                print(f"{name}: not in labs/ yet, wrote a placeholder ({len(png) // 1024} KB)", flush=True)
            present = [n for n in args.names if n not in missing]
            if not present:
                return 0
            with trainlab_serve() as base:
                for name in present:
                    shot = SHOTS.get(name, GENERIC)
                    start = time.monotonic()
                    png = shoot(browser, f"{base}/{name}.ipynb", shot)
                    (out / f"{name}.png").write_bytes(png)
                    width, height = png_size(png)
                    print(f"{name}: {shot.note}; {width}x{height}, {len(png) // 1024} KB, "
                          f"{time.monotonic() - start:.0f} s", flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
