"""Static exports: one self-contained HTML file per figure, interactive offline with no Python.

`trainlab export init` writes the initialization explorer's histograms over a grid of
activation x std (or gain); `trainlab export optimizers` writes the optimizer race; `trainlab export
landscape` a loss-landscape slice with the runs' paths; `trainlab export preprocessing` a point
cloud through the preprocessing stages. Each export is a job (InitGrid, RaceExport,
LandscapeExport, PreprocessingExport) with `estimate()` (its file size, known before anything runs),
`shape` and `shrink_hint` (what makes it big, and what to make smaller when it is over the
limit); its module's `build` computes it and returns an ExportPage, which `write_page` writes.
"""

from trainlab.export.init_grid import InitGrid
from trainlab.export.landscape import LandscapeExport
from trainlab.export.page import ExportPage, render, write_page
from trainlab.export.preprocessing import PreprocessingExport
from trainlab.export.race import RaceExport
from trainlab.export.size import DEFAULT_MAX_MB, ExportTooLarge, SizeEstimate

__all__ = ["DEFAULT_MAX_MB", "ExportPage", "ExportTooLarge", "InitGrid", "LandscapeExport", "PreprocessingExport", "RaceExport", "SizeEstimate", "render",
           "write_page"]
