"""A loss-landscape slice as a static export: the study computed once (compute/landscape/study.py)
and drawn as the widget draws it, the contour map with the runs' projected paths beside their true
and sliced losses, or the 3-D surface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import trainlab
from trainlab.compute.checks import choice
from trainlab.compute.landscape.study import SNAPSHOTS, Landscape, LandscapeSpec, compute_landscape
from trainlab.export import size
from trainlab.export.page import ExportPage
from trainlab.figures.landscape import drawn_paths, landscape_figure, landscape_figure_3d

VIEWS = ("contour", "3-D")
# Measured JSON bytes: a grid point's log loss and its hover text ("loss 0.1234, accuracy 97.5 %"
# with quotes and comma); a path point's coordinates, hover text and two losses; the layout.
GRID_POINT_BYTES = 40
PATH_POINT_BYTES = 140
TRACE_BYTES = 150
LAYOUT_BYTES = 1_500
FRAME_POINT_BYTES = 120  # a path point in one frame: its place, its hover text and its two losses


@dataclass(frozen=True)
class LandscapeExport(LandscapeSpec):
    """A landscape study and the view the page shows."""

    view: str = "contour"

    def validate(self) -> LandscapeExport:
        super().validate()
        choice("view", self.view, VIEWS)
        return self

    def estimate(self) -> size.SizeEstimate:
        """The file's size before anything is trained: the grid, and each run's path of about
        SNAPSHOTS points; the contour view also has a frame per snapshot, each path drawn up to it."""
        points = self.steps // max(1, self.steps // SNAPSHOTS) + 2  # the records, and the trained weights
        body = (self.grid ** 2 * GRID_POINT_BYTES + len(self.runs) * (points * PATH_POINT_BYTES + 4 * TRACE_BYTES)
                + LAYOUT_BYTES)
        if self.view == "contour":
            body += (len(self.runs) * points * (points + 1) // 2 * FRAME_POINT_BYTES
                     + points * size.SLIDER_STEP_BYTES)
        return size.SizeEstimate(size.plotlyjs_bytes() + size.PAGE_BYTES + body, 0)

    @property
    def shape(self) -> str:
        return f"a {self.grid} x {self.grid} slice with {len(self.runs)} paths"

    @property
    def shrink_hint(self) -> str:
        return "use a smaller --grid or fewer --runs"


def landscape_page(job: LandscapeExport, landscape: Landscape) -> ExportPage:
    """The export page: the widget's figure and what it shows, in words."""
    paths = drawn_paths(landscape)
    words = job.directions_label
    if job.view == "3-D":
        figure = landscape_figure_3d(landscape.slice, paths, words)
    else:
        figure = landscape_figure(landscape.slice, paths, words, landscape.explained)
    runs = " vs ".join(path.label for path in landscape.paths)
    notes = [
        (f"{job.describe()}. The slice is L(θ* + α d1 + β d2) around the trained weights θ* of "
         f"{landscape.paths[0].label}'s run, evaluated on {job.eval_samples} fixed examples with BatchNorm (if any) "
         "on its running statistics."),
        ("Each path is a run's weights projected on the plane. Right: the run's true loss (solid) against the "
         "slice's loss at the projected point (dashed): where they part, the map does not show where the run "
         "really was."),
        f"Computed by trainlab {trainlab.__version__} with torch.func on {date.today().isoformat()}.",
    ]
    return ExportPage(figure, f"trainlab: loss landscape of the digits net, {runs}", notes)


def build(job: LandscapeExport) -> ExportPage:
    """Train the runs, compute the slice and build the export page."""
    return landscape_page(job, compute_landscape(job.validate()))
