"""The optimizer race's loss surface as a picture under the map's axes (a PNG in a data URI).

plotly.js draws the traces of an animation frame by plotting only the traces the frame names,
and removes every layer of trace types that have none among them (cartesian `plot` with a trace
list: the layers joined to the listed modules, the others exit). A contour map that the frames
do not touch therefore vanished at every frame of a race and came back only with the full redraw
after it: blank for seconds on a slow machine, and for good when the redraw did not come (seen in
the live race and the export, in Chromium). A layout image is not a trace, so frames leave it
alone. The picture draws what the filled contour map drew: log levels cut at the round step
plotly picks for at most LEVELS contours, white to blue, a thin darker line where bands meet.
"""

from __future__ import annotations

import base64
import struct
import zlib
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from trainlab.compute.optim.surfaces import Surface, make_surface

# Low loss light, high loss a pale blue: the coloured paths stay the boldest thing on the map.
SURFACE_COLOURS = [[0.0, "#ffffff"], [1.0, "#4a90c4"]]
LEVELS = 30  # as a contour trace's ncontours: the most levels plotly would draw
PIXELS = 400  # per side: about the size the map is drawn at (plotly stretches it to the axes)
_LINE = np.array([60, 60, 60]), 0.25  # level lines: rgba(60, 60, 60, 0.25)


def log_levels(z: torch.Tensor) -> torch.Tensor:
    """log10 of the loss above its minimum on the grid: equal steps here are log-spaced levels."""
    low, high = float(z.min()), float(z.max())
    return torch.log10(z - low + 1e-3 * (high - low) + 1e-12)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _png(pixels: np.ndarray) -> bytes:
    """A PNG file of an (H, W, 3) uint8 array: 8-bit RGB, no filtering."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def round_step(rough: float) -> float:
    """The contour step plotly's automatic levels use: `rough` rounded up to 1, 2 or 5 x 10^k."""
    if rough <= 0:
        return 1.0
    base = 10 ** np.floor(np.log10(rough))
    return float(base * next(m for m in (1, 2, 5, 10) if m * base >= rough * (1 - 1e-9)))


def surface_pixels(surface: Surface, pixels: int = PIXELS) -> np.ndarray:
    """(pixels, pixels, 3) uint8: the banded map, top row at the view box's largest y."""
    _, _, z = surface.grid(pixels)
    level = log_levels(z).numpy()
    lo, hi = float(level.min()), float(level.max())
    step = round_step((hi - lo) / LEVELS)
    band = np.floor(level / step)  # levels at whole multiples of the step, as plotly places them
    low, high = _rgb(SURFACE_COLOURS[0][1]), _rgb(SURFACE_COLOURS[-1][1])
    t = np.clip(((band + 0.5) * step - lo) / max(hi - lo, 1e-12), 0.0, 1.0)[..., None]
    image = low * (1 - t) + high * t
    edge = np.zeros_like(band, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    line, alpha = _LINE
    image[edge] = image[edge] * (1 - alpha) + line * alpha
    return np.round(image[::-1]).astype(np.uint8)  # grid rows go up in y, image rows down


def surface_image(surface: Surface, pixels: int = PIXELS) -> dict[str, Any]:
    """A plotly layout image that fills the race map's axes (x, y) with the banded surface."""
    return dict(_image(surface.name, tuple(sorted(surface.params.items())), pixels))


@lru_cache(maxsize=16)
def _image(name: str, params: tuple, pixels: int) -> dict[str, Any]:
    """Built once per surface (a few hundred ms: the grid and the PNG's compression)."""
    surface = make_surface(name, **dict(params))
    x0, x1, y0, y1 = surface.view
    source = "data:image/png;base64," + base64.b64encode(_png(surface_pixels(surface, pixels))).decode("ascii")
    return {"source": source, "xref": "x", "yref": "y", "x": x0, "y": y1, "sizex": x1 - x0, "sizey": y1 - y0,
            "sizing": "stretch", "xanchor": "left", "yanchor": "top", "layer": "below"}
