"""How big an exported HTML file will be, estimated before anything is computed, and the limit.

An export is plotly.js (inlined, the same for every file) plus the figure's JSON: the first
frame's traces, then every frame again. Each export kind counts its traces and numbers; the
bytes per trace and per number it uses were measured on real exports (tests/test_export.py
checks that the estimate stays within ESTIMATE_FACTOR of the written file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import plotly

DEFAULT_MAX_MB = 25.0
# The tests hold the estimate (its total, and its part besides plotly.js) to within this factor
# of the real size, both ways; 0.93 to 1.09 measured on init and race exports of 3 to 200 frames.
ESTIMATE_FACTOR = 1.25
# The page around the figure: heading, notes, styles, plotly's own loader script.
PAGE_BYTES = 6_000
# A slider step: its label and the animate call that shows its frame (140 to 240 bytes measured).
SLIDER_STEP_BYTES = 200
MB = 1e6


@lru_cache(maxsize=1)
def plotlyjs_bytes() -> int:
    """Size of the plotly.min.js the export inlines (plotly's own package data)."""
    return os.path.getsize(Path(plotly.__file__).parent / "package_data" / "plotly.min.js")


def megabytes(n: float) -> str:
    return f"{n / MB:.1f} MB"


class ExportTooLarge(ValueError):
    """The estimated file is over the limit; the message says by how much and what to shrink."""

    def __init__(self, estimate: int, limit_mb: float, shape: str, shrink: str) -> None:
        super().__init__(f"the export would be about {megabytes(estimate)} ({shape}), over the {limit_mb:g} MB "
                         f"limit: {shrink}, or raise --max-mb")
        self.estimate = estimate
        self.limit_mb = limit_mb


@dataclass(frozen=True)
class SizeEstimate:
    """An export's estimated size: fixed bytes (plotly.js, page, base traces) plus its frames."""

    fixed: int
    frames: int

    @property
    def total(self) -> int:
        return self.fixed + self.frames

    def check(self, limit_mb: float, shape: str, shrink: str) -> SizeEstimate:
        """Raise ExportTooLarge if the total is over `limit_mb`; `shape` says what makes it this
        big (its frames), `shrink` how to get under the limit."""
        if self.fixed > limit_mb * MB:
            shrink = f"plotly.js and the page alone take {megabytes(self.fixed)}, so no grid fits"
        if self.total > limit_mb * MB:
            raise ExportTooLarge(self.total, limit_mb, shape, shrink)
        return self


def traces_bytes(traces: int, numbers: int, trace_bytes: float, number_bytes: float) -> int:
    """JSON bytes of `traces` traces of `trace_bytes` fixed keys each, holding `numbers` numbers
    of `number_bytes` each (with their commas) between them."""
    return round(traces * trace_bytes + numbers * number_bytes)
