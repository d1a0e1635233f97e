"""What every trainlab figure shares: its font and the colours that mean the same in each."""

from __future__ import annotations

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12}
ACT_COLOUR = "#1f77b4"  # blue and orange: told apart with every common colour-vision deficiency
GRAD_COLOUR = "#e66100"
THEORY_COLOUR = "#5d3a9b"
TRANSITION = {"duration": 150, "easing": "cubic-in-out"}
