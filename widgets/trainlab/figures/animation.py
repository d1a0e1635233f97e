"""Plotly's own play / pause buttons and frame slider, so animations run in the browser."""

from __future__ import annotations

from typing import Any


def animation_controls(frame_names: list[str], prefix: str, frame_ms: int = 450,
                       transition_ms: int = 300) -> dict[str, Any]:
    """Layout entries (updatemenus, sliders) that play, pause, speed up and scrub `frame_names`."""

    def play(ms: int) -> dict[str, Any]:
        return {"frame": {"duration": ms, "redraw": True}, "fromcurrent": True, "mode": "immediate",
                "transition": {"duration": min(transition_ms, ms), "easing": "cubic-in-out"}}

    return {
        "updatemenus": [{
            "type": "buttons", "direction": "left", "x": 0.0, "y": -0.12, "xanchor": "left", "yanchor": "top",
            "showactive": False, "pad": {"t": 0, "r": 10},
            "buttons": [
                {"label": "▶ play", "method": "animate", "args": [None, play(frame_ms)]},
                {"label": "▶▶ fast", "method": "animate", "args": [None, play(max(40, frame_ms // 4))]},
                {"label": "❚❚ pause", "method": "animate",
                 "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]},
            ],
        }],
        "sliders": [{
            "active": 0, "x": 0.22, "len": 0.78, "y": -0.08, "yanchor": "top",
            "currentvalue": {"prefix": prefix, "font": {"size": 13}},
            "transition": {"duration": 0},
            "steps": [{"label": name, "method": "animate",
                       "args": [[name], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                         "transition": {"duration": 0}}]} for name in frame_names],
        }],
    }
