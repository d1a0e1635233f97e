"""PlotlyView: a small anywidget that draws a plotly figure dict and updates it in place.

Why not plotly's FigureWidget: its front end carries the whole plotly.js bundle through the
widget state and failed to initialize in most page loads on a slow client (see
shared/engineering.md). This module is a few dozen lines; plotly.js comes from trainlab's server
or the page (see static/plotly_view.js), so each bundle of it loads once per page whatever the
number of figures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import ipywidgets as widgets
import traitlets

from trainlab.figures.plotly_bundles import BUNDLES, bundle_for, full_bundle_path, rank, trace_types
from trainlab.ui.kit.embedding import scale_text
from trainlab.ui.kit.kernel_link import STATIC, KernelLinked, front_end

PLOTLY_JS_EVERY = 10.0  # seconds: how often one plot sends plotly.js to a page that asks for it
PLOTLY_MIME = "application/vnd.plotly.v1+json"


@cache
def plotly_js() -> bytes:
    """plotly.js as plotly.py ships it, for front ends whose page has no plotly renderer."""
    return full_bundle_path().read_bytes()


class PlotlyView(KernelLinked):
    _esm = front_end("plotly_view.js")
    _css = (STATIC / "plotly_view.css").read_text()

    figure = traitlets.Dict().tag(sync=True)
    # Traces that rarely change (a contour map), drawn before figure["data"]: sent only when they
    # change, and kept as the same objects in the browser, so Plotly.react does not redraw them.
    base = traitlets.List().tag(sync=True)
    # Bumped on every draw request; the front end writes it to data-revision once drawn.
    revision = traitlets.Int(0).tag(sync=True)
    # The plotly.js bundle to draw with where trainlab serves them (figures/plotly_bundles.py): the
    # smallest that draws every figure shown so far. It only grows, so a plot that once showed a
    # 3-D view does not load the smaller bundle again.
    bundle = traitlets.Enum([b.file for b in BUNDLES], default_value=BUNDLES[0].file).tag(sync=True)

    def __init__(self, figure: dict[str, Any] | None = None, *, text_scale: float = 1.0, height: int | None = None,
                 **kwargs: Any) -> None:
        """text_scale multiplies every font size of the figures shown, height (px) replaces theirs:
        both for the compact slide layout (see embedding.py)."""
        super().__init__(figure=figure or {}, **kwargs)
        self.text_scale = text_scale
        self.fixed_height = height
        self._click_handlers: list[tuple[str | None, Callable[[float, float], None]]] = []
        self._plotly_js_sent = -math.inf
        self.on_msg(self._on_front_end_message)

    @traitlets.observe("figure", "base")
    def _grow_bundle(self, _change: object) -> None:
        needed = bundle_for(trace_types(self.figure, self.base)).file
        if rank(needed) > rank(self.bundle):
            self.bundle = needed

    def on_click(self, handler: Callable[[float, float], None], subplot: str | None = None) -> None:
        """Call handler(x, y) when the user clicks the plot (in `subplot` only, e.g. "xy", if given):
        at a point of a trace, or anywhere in a figure whose layout has clickanywhere."""
        self._click_handlers.append((subplot, handler))

    def show(self, figure: dict[str, Any], base: list[dict[str, Any]] | None = None) -> None:
        """Draw `figure` ({"data", "layout", optional "frames"}) after the `base` traces (None: keep
        the current ones), updating the plot in place.

        A layout transition animates the change from the figure drawn before; plotly.js can
        only do that between figures with the same axes and traces, so otherwise it is dropped.
        """
        if "transition" in figure.get("layout", {}) and _structure(figure) != _structure(self.figure):
            figure = {**figure, "layout": {k: v for k, v in figure["layout"].items() if k != "transition"}}
        figure = self._fitted(figure)
        with self.hold_sync():
            if base is not None and base != self.base:
                self.base = base
            self.figure = figure
            self.revision += 1

    def _fitted(self, figure: dict[str, Any]) -> dict[str, Any]:
        if self.text_scale == 1.0 and self.fixed_height is None:
            return figure
        layout = dict(scale_text(figure.get("layout", {}), self.text_scale))
        if self.fixed_height is not None:
            layout["height"] = self.fixed_height
        fitted = {**figure, "layout": layout}
        if "frames" in figure:
            fitted["frames"] = [{**f, "layout": scale_text(f["layout"], self.text_scale)} if "layout" in f else f
                                for f in figure["frames"]]
        return fitted

    def animate(self, **options: Any) -> None:
        """Play the figure's frames in the browser (plotly.animate options)."""
        self.send({"type": "animate", "options": options})

    def _on_front_end_message(self, _widget: object, content: dict, _buffers: list) -> None:
        if content.get("type") == "ping":  # the front end checks that it hears from the kernel
            self.send({"type": "pong"})
        elif content.get("type") == "plotly-js":
            # A page asks once; a visitor asking in a loop would make the server hold 4.8 MB per
            # answer for a client that may not read them: one answer per model per interval.
            now = time.monotonic()
            if now - self._plotly_js_sent >= PLOTLY_JS_EVERY:
                self._plotly_js_sent = now
                self.send({"type": "plotly-js"}, [plotly_js()])
        elif content.get("type") == "click":
            for subplot, handler in self._click_handlers:
                if subplot is None or content.get("subplot") == subplot:
                    handler(float(content["x"]), float(content["y"]))


def _structure(figure: dict[str, Any]) -> tuple:
    layout = figure.get("layout", {})
    axes = sorted(k for k in layout if k.startswith(("xaxis", "yaxis")))
    return axes, [(t.get("type"), t.get("xaxis"), t.get("yaxis")) for t in figure.get("data", [])]


def plotly_bootstrap() -> widgets.Output:
    """A hidden, empty plotly output: drawing it makes the page's plotly renderer define
    window.Plotly, which every PlotlyView on the page then uses."""
    out = widgets.Output(layout=widgets.Layout(display="none"))
    out.outputs = (
        {"output_type": "display_data", "data": {PLOTLY_MIME: {"data": [], "layout": {}}}, "metadata": {}},
    )
    return out
