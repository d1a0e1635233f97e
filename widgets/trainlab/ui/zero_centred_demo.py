"""ZeroCentredDemo: why zero-centred inputs matter. One linear neuron with two weights learns the
same targets by SGD, one example per step, from positive inputs (sigmoid or ReLU outputs) and from
the same inputs minus their mean, side by side: the positive side's every step points into the
(+,+) or (−,−) quadrant and zig-zags, the centred side's goes nearly straight."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from trainlab.compute.cancel import CancelToken
from trainlab.compute.optim.zero_centred import (INPUTS, LR_RANGE, NOISE_RANGE, WEIGHT_RANGE, Comparison,
                                                 ZeroCentredSpec, compare)
from trainlab.figures.zero_centred import SIDES, zero_centred_figure
from trainlab.presets import ZERO_CENTRED_PRESETS
from trainlab.ui.kit.controls import Control, dropdown, int_box, log_slider, slider, wrap
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.zero_centred_settings import ZeroCentredModel


class ZeroCentredDemo(LabWidget[ZeroCentredSpec]):
    """ZeroCentredDemo(inputs="sigmoid", lr=3.0, start_1=-1, start_2=1, target_1=1, target_2=-1), or
    a lecture case: ZeroCentredDemo(preset="sigmoid outputs vs centred: zig-zag")."""

    css_class = "trainlab-zero-centred"

    def __init__(self, *, preset: str | None = None, controls: Iterable[str] | None = None,
                 locked: Iterable[str] | None = None, compact: bool = False, **settings: Any) -> None:
        embedding = Embedding.of(controls, locked, compact)
        model = ZeroCentredModel()
        start = model.defaults()
        self.comparison: Comparison | None = None  # the runs drawn
        # The numbers shown, by side ("positive", "centred"): the step each run came within
        # tolerance of the target (None: it did not), and its share of same-sign updates.
        self.steps_to_converge: dict[str, int | None] = {}
        self.same_sign_share: dict[str, float] = {}
        self.inputs = dropdown("inputs", list(INPUTS), start.inputs)
        self.lr = log_slider("learning rate", start.lr, LR_RANGE, "300px", ".3g")
        self.steps = int_box("max steps", start.steps, "160px")
        self.examples = int_box("examples", start.examples, "160px")
        self.noise = slider("target noise", start.noise, NOISE_RANGE, 0.01, "250px", ".2f")
        self.seed = int_box("seed", start.seed, "130px")
        self.start_1, self.start_2, self.target_1, self.target_2 = (
            slider(label, getattr(start, name), WEIGHT_RANGE, 0.1, "220px", ".1f")
            for name, label in (("start_1", "start w₁"), ("start_2", "start w₂"), ("target_1", "target w₁*"),
                                ("target_2", "target w₂*")))
        weights = {"start_1": self.start_1, "start_2": self.start_2, "target_1": self.target_1,
                   "target_2": self.target_2}
        controls_map = {"inputs": Control(self.inputs), "lr": Control(self.lr), "steps": Control(self.steps),
                        "examples": Control(self.examples), "noise": Control(self.noise),
                        "seed": Control(self.seed), **{name: Control(w) for name, w in weights.items()}}
        presets = [LabPreset(p.label, p.settings, p.lesson) for p in ZERO_CENTRED_PRESETS.values()]
        super().__init__(model=model, controls=controls_map, presets=presets, preset=preset, settings=settings,
                         embedding=embedding)
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        c = {name: control.widget for name, control in controls_map.items()}
        self._layout({"preset": self.preset, **c, "link": self.share},
                     [wrap([self.preset, self.share]), wrap([c["inputs"], c["lr"], c["steps"]]),
                      wrap([c["start_1"], c["start_2"], c["target_1"], c["target_2"]]),
                      wrap([c["examples"], c["noise"], c["seed"]])],
                     [self.plot], [plotly_bootstrap()])

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        spec = self.settings
        self._run(Job(spec.describe(), lambda cancel: self._compute(spec, cancel), self._draw))

    def _line(self) -> list[tuple[str, str]]:
        if self.comparison is None:
            return [("trainlab-drawn", "nothing drawn yet")]
        name = self.comparison.spec.inputs
        parts = []
        for side, label in zip(SIDES, (name, f"{name} centred")):
            run = getattr(self.comparison, side)
            share = self.same_sign_share[side]
            shown = "no update" if math.isnan(share) else f"{100 * share:.0f} % same-sign updates"
            parts.append(f"{label}: {run.outcome()}, {shown}")
        return [("trainlab-drawn", " · ".join(parts))]

    # -- worker thread: both runs and the figure; main thread: draw ----------------------------
    @staticmethod
    def _compute(spec: ZeroCentredSpec, cancel: CancelToken) -> tuple[Comparison, dict[str, Any]]:
        comparison = compare(spec, cancel)
        cancel.check()
        return comparison, zero_centred_figure(comparison)

    def _draw(self, computed: tuple[Comparison, dict[str, Any]]) -> None:
        comparison, figure = computed
        self.comparison = comparison
        self.steps_to_converge = {side: getattr(comparison, side).converged_at for side in SIDES}
        self.same_sign_share = {side: getattr(comparison, side).same_sign_share for side in SIDES}
        self.plot.show(figure)
        self._notes["result"] = self._result_notes() or []
        self._show_status()

    def _result_notes(self) -> list[tuple[str, str]] | None:
        if self.comparison is None or self.comparison.spec != self.settings:
            return None
        case = ZERO_CENTRED_PRESETS.get(self.preset.value)
        return [("info", case.caption(self.comparison))] if case is not None else []
