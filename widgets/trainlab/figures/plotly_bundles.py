"""The plotly.js bundles a lab page can draw with, smallest first, and the trace types each one has.

The whole of plotly.js (4.8 MB, the copy plotly.py ships) took 0.5-1.5 s of a page's main thread
to start, most of it for trace types no lab draws (maps, 3-D, finance). plotly.js also comes in
partial bundles, made and published by its authors; trainlab vendors two (serve/static/README.md).
Each plot is drawn by the smallest bundle that has every trace type of its figure
(PlotlyView.bundle), so the explorer's histograms need only the basic one and the full bundle
loads only for a 3-D view. serve/plotly_route.py serves them; ui/kit/static/plotly_view.js loads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PlotlyBundle:
    """A plotly.js bundle: its file name and its trace types (None: every one)."""

    file: str
    traces: frozenset[str] | None

    def draws(self, types: set[str]) -> bool:
        return self.traces is None or types <= self.traces


# The trace types as each bundle's README lists them (npm: plotly.js-basic-dist-min,
# plotly.js-cartesian-dist-min); a browser test checks them against the bundles themselves.
BUNDLES = (
    PlotlyBundle("plotly-basic.min.js", frozenset({"bar", "pie", "scatter"})),
    PlotlyBundle("plotly-cartesian.min.js", frozenset({
        "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
        "scatter", "scatterternary", "violin"})),
    PlotlyBundle("plotly.min.js", None),
)
FULL = BUNDLES[-1]


def full_bundle_path() -> Path:
    """The full bundle: plotly.py's own copy (the kernel sends it to a page that has no other)."""
    return Path(str(resources.files("plotly").joinpath("package_data", FULL.file)))


def trace_types(figure: dict[str, Any], base: Iterable[dict[str, Any]] = ()) -> set[str]:
    """Every trace type a figure draws (its data, its frames' data and the `base` traces);
    plotly.js draws a trace without a type as a scatter."""
    traces = [*base, *figure.get("data", []), *(t for frame in figure.get("frames", []) for t in frame.get("data", []))]
    return {trace.get("type", "scatter") for trace in traces}


def bundle_for(types: set[str]) -> PlotlyBundle:
    """The smallest bundle that draws every one of `types`."""
    return next(bundle for bundle in BUNDLES if bundle.draws(types))


def rank(file: str) -> int:
    """A bundle's place by size (0: the smallest)."""
    return [bundle.file for bundle in BUNDLES].index(file)
