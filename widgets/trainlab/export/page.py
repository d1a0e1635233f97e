"""Writes an exported figure as ONE self-contained HTML page: plotly.js inlined from plotly's
own package data, no script or font from the network, so it opens offline from file://."""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly.io as pio

_STYLE = ("body{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;margin:18px 28px;color:#222}"
          "h1{font-size:20px;font-weight:600;margin:0 0 6px}"
          "p.note{font-size:13px;color:#444;margin:2px 0;max-width:1100px;line-height:1.45}")
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="trainlab export">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
{notes}
{figure}
</body>
</html>
"""


@dataclass
class ExportPage:
    """What an export writes: a figure with frames, the page's title, notes (plain text, one
    paragraph each) and an optional script run once the plot exists ({plot_id} names its div)."""

    figure: dict[str, Any]
    title: str
    notes: list[str] = field(default_factory=list)
    post_script: str | None = None


def render(page: ExportPage) -> str:
    """The page's HTML text."""
    height = page.figure["layout"].get("height", 600)
    figure = pio.to_html(page.figure, include_plotlyjs=True, full_html=False, auto_play=False,
                         post_script=page.post_script, default_height=f"{height}px", validate=False,
                         config={"displaylogo": False, "responsive": True})
    notes = "\n".join(f"<p class='note'>{html.escape(note)}</p>" for note in page.notes)
    return _PAGE.format(title=html.escape(page.title), style=_STYLE, notes=notes, figure=figure)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_page(page: ExportPage, path: str | Path) -> int:
    """Write the page to `path` (whole or not at all: via a temporary file beside it); its size in bytes."""
    data = render(page).encode("utf-8")
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # what open() would have given; mkstemp gives 0600
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(data)
