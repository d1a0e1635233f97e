"""The explorer's histogram figure while the backward pass runs: the new activation row over the
gradient row as it was last drawn.

A pass is a forward half and a backward half of about the same cost. Drawing the activations as
soon as the forward half is done shows a change in half the time; the gradient row keeps the
previous figure's traces and titles (the figure is marked stale meanwhile) rather than flashing
empty, and the whole figure follows when the backward pass is done.
"""

from __future__ import annotations

import re
from typing import Any

_AXIS = re.compile(r"^[xy](\d*)")


def _index(ref: str | None) -> int:
    """The subplot number of an axis reference ("x", "y3", "x4 domain"); 0 for the paper."""
    match = _AXIS.match(ref or "")
    return 0 if match is None else int(match.group(1) or 1)


def _structure(figure: dict[str, Any]) -> tuple:
    return tuple((t.get("xaxis"), t.get("yaxis")) for t in figure["data"])


def forward_figure(forward: dict[str, Any], drawn: dict[str, Any] | None) -> dict[str, Any] | None:
    """`forward` (the histogram figure of a forward-only result, whose gradient row is empty) with
    the gradient row of `drawn` (the last full figure), or None when there is no such figure with
    the same panels to take it from. A grid of C columns has one activation and one gradient trace
    per column: panels 1..C are the activations, C+1..2C the gradients."""
    if drawn is None or _structure(drawn) != _structure(forward):
        return None
    columns = len(forward["data"]) // 2

    def gradients(ref: str | None) -> bool:
        """Whether a trace, title or axis (by its axis reference) is in the gradient row."""
        return _index(ref) > columns

    data = [old if gradients(new.get("yaxis")) else new for new, old in zip(forward["data"], drawn["data"])]
    layout = dict(forward["layout"])
    titles = [a for a in drawn["layout"].get("annotations", []) if gradients(a.get("xref"))]
    layout["annotations"] = [a for a in layout.get("annotations", []) if not gradients(a.get("xref"))] + titles
    for name, axis in drawn["layout"].items():
        if name.startswith(("xaxis", "yaxis")) and gradients(name[0] + name[5:]):
            layout[name] = axis
    return {**forward, "data": data, "layout": layout}
