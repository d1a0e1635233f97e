"""The explorer's text parts: the per-layer table and what a student should not miss in a result."""

from __future__ import annotations

import math

from trainlab.compute.net.results import PassResult
from trainlab.ui.kit.status import Notice

TABLE_CSS = (
    "<style>.trainlab-table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}"
    ".trainlab-table td,.trainlab-table th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}"
    ".trainlab-table th{color:#555;font-weight:600}</style>"
)

# A last layer's std this far below or above the input's std of 1: the signal vanishes or explodes.
VANISHING, EXPLODING = 1e-3, 1e3


def _num(x: float | None, percent: bool = False) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else "inf"
    return f"{100 * x:.0f}%" if percent else f"{x:.3g}"


def layer_table(result: PassResult) -> str:
    head = ("layer", "mean", "std", "theory std", "saturated", "dead", "inf/NaN", "dL/dh std", "dL/dW std")
    rows = []
    for layer in result.layers:
        cells = (
            str(layer.layer), _num(layer.mean), _num(layer.std), _num(layer.theory_std),
            _num(layer.saturated_fraction, True), _num(layer.dead_fraction, True),
            f"<b style='color:#c81e1e'>{layer.nonfinite}</b>" if layer.nonfinite else "0",
            _num(layer.grad_std), _num(layer.weight_grad_std),
        )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
    return ("<table class='trainlab-table'>" + header + "".join(rows) + "</table>")


def notices_for(result: PassResult) -> list[Notice]:
    """What a student should not miss in this result, as (level, text)."""
    notes = []
    bad = result.nonfinite
    if bad:
        first = next(layer.layer for layer in result.layers if layer.nonfinite)
        notes.append(("warning", f"{bad} activations overflowed to inf/NaN (from layer {first} on): the "
                                 "histograms show the finite values only."))
    last = result.layers[-1]
    if last.saturated_fraction is not None and last.saturated_fraction > 0.5:
        notes.append(("warning", f"{last.saturated_fraction:.0%} of the last layer's units are saturated: "
                                 "their local gradient is about zero."))
    if last.dead_fraction is not None and last.dead_fraction > 0.5:
        notes.append(("warning", f"{last.dead_fraction:.0%} of the last layer's units are dead (never fire on "
                                 "this batch)."))
    if math.isfinite(last.std) and 0 < last.std < VANISHING and not bad:
        notes.append(("info", f"The last layer's activations have std {last.std:.2g}: the signal is vanishing."))
    if math.isfinite(last.std) and last.std > EXPLODING and not bad:
        per_layer = last.std ** (1 / len(result.layers))  # from the input's std of 1
        notes.append(("warning", f"The activations are exploding: the last layer's std is {last.std:.2g}, "
                                 f"about {per_layer:.3g}x larger per layer, and the loss is {result.loss:.2g}."))
    if result.spec.init == "zeros" or all(layer.std == 0 for layer in result.layers):
        notes.append(("info", "Every unit of a layer computes the same value: nothing breaks the symmetry."))
    return notes
