"""PreprocessingStages: what preprocessing does to data and to learning. Three views: a 2-D point
cloud played through its stages (raw, zero-centred, normalized, decorrelated, whitened) with each
stage's covariance; the least-squares loss's contours with gradient descent's path on raw,
normalized and whitened inputs, and each one's condition number; the digits' mean image and an
example after the AlexNet, VGG and ResNet recipes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trainlab.compute.cancel import CancelToken
from trainlab.compute.preprocess.conditioning import STEP_RANGE, Descent, descents
from trainlab.compute.preprocess.digit_images import DigitImages, digit_images
from trainlab.compute.preprocess.point_cloud import (ANGLE_RANGE, CENTRE_RANGE, SCALE_RANGE, CloudStages,
                                                     cloud_stages)
from trainlab.figures.preprocessing import cloud_figure, contours_figure, images_figure
from trainlab.presets import PREPROCESSING_PRESETS
from trainlab.ui.kit.controls import Control, dropdown, int_box, slider, wrap
from trainlab.ui.kit.embedding import COMPACT_HEIGHT, Embedding
from trainlab.ui.kit.lab_widget import LabPreset, LabWidget
from trainlab.ui.kit.plotly_view import PlotlyView, plotly_bootstrap
from trainlab.ui.kit.worker import Job
from trainlab.ui.preprocessing_settings import VIEWS, PreprocessingModel, PreprocessingSettings

Result = CloudStages | tuple[Descent, ...] | DigitImages


class PreprocessingStages(LabWidget[PreprocessingSettings]):
    """PreprocessingStages(view="cloud", points=300, centre_x=3, centre_y=2, scale_x=3, scale_y=0.5,
    angle=30, seed=0, steps=50, step=1.0, example=0), or a lecture case:
    PreprocessingStages(preset="raw -> whitened: the four stages")."""

    css_class = "trainlab-preprocessing"

    def __init__(self, *, preset: str | None = None, controls: Iterable[str] | None = None,
                 locked: Iterable[str] | None = None, compact: bool = False, **settings: Any) -> None:
        embedding = Embedding.of(controls, locked, compact)
        model = PreprocessingModel()
        start = model.defaults()
        self.stages: CloudStages | None = None  # the cloud view's stages, as drawn
        self.descents: tuple[Descent, ...] | None = None  # the contour view's descents (raw, normalized, whitened)
        self.images: DigitImages | None = None  # the image view's statistics and example
        cloud, descent = start.cloud, start.descent
        self.view = dropdown("view", list(VIEWS), start.view)
        on_cloud = lambda s: s.view != "images"  # noqa: E731
        made = {
            "view": Control(self.view),
            "points": Control(int_box("points", cloud.points), shown=on_cloud),
            "centre_x": Control(slider("centre x", cloud.centre_x, CENTRE_RANGE, 0.1, "230px"), shown=on_cloud),
            "centre_y": Control(slider("centre y", cloud.centre_y, CENTRE_RANGE, 0.1, "230px"), shown=on_cloud),
            "scale_x": Control(slider("scale x", cloud.scale_x, SCALE_RANGE, 0.05, "230px"), shown=on_cloud),
            "scale_y": Control(slider("scale y", cloud.scale_y, SCALE_RANGE, 0.05, "230px"), shown=on_cloud),
            "angle": Control(slider("angle °", cloud.angle, ANGLE_RANGE, 1.0, "230px"), shown=on_cloud),
            "seed": Control(int_box("seed", cloud.seed)),
            "steps": Control(int_box("GD steps", descent.steps, "150px"), shown=lambda s: s.view == "contours"),
            "step": Control(slider("step × 1/λmax", descent.step, STEP_RANGE, 0.05, "260px", ".2f"),
                            shown=lambda s: s.view == "contours"),
            "example": Control(int_box("example", start.example, "150px"), shown=lambda s: s.view == "images"),
        }
        presets = [LabPreset(p.label, p.settings, p.lesson) for p in PREPROCESSING_PRESETS.values()]
        super().__init__(model=model, controls=made, presets=presets, preset=preset, settings=settings,
                         embedding=embedding)
        self.plot = PlotlyView(text_scale=embedding.text_scale, height=COMPACT_HEIGHT if compact else None)
        c = {name: control.widget for name, control in made.items()}
        self._layout({"preset": self.preset, **c, "link": self.share},
                     [wrap([self.preset, self.share]), wrap([c["view"], c["seed"], c["points"], c["example"]]),
                      wrap([c["centre_x"], c["centre_y"], c["scale_x"], c["scale_y"], c["angle"]]),
                      wrap([c["steps"], c["step"]])],
                     [self.plot], [plotly_bootstrap()])

    @property
    def condition(self) -> dict[str, float] | None:
        """The contour view's condition numbers by input (raw, normalized, whitened), as drawn."""
        return None if self.descents is None else {d.inputs: d.condition for d in self.descents}

    @property
    def converged_in(self) -> dict[str, int | None] | None:
        """The contour view's steps to within 1 % of the lowest loss by input (None: not within the steps)."""
        return None if self.descents is None else {d.inputs: d.converged_in for d in self.descents}

    # -- the kit's hooks ---------------------------------------------------------------------
    def _settings_changed(self) -> None:
        settings = self.settings
        job = Job(self._describe(settings), lambda cancel: self._compute(settings, cancel),
                  lambda result: self._draw(settings, result))
        self._run(job)

    def _describe(self, settings: PreprocessingSettings) -> str:
        cloud = f"{settings.cloud.points} points, seed {settings.cloud.seed}"
        if settings.view == "cloud":
            return f"the cloud's stages ({cloud})"
        if settings.view == "contours":
            return f"{settings.descent.steps} steps of gradient descent on raw, normalized and whitened inputs ({cloud})"
        return f"the digits' statistics and example {settings.example} (split seed {settings.cloud.seed})"

    def _line(self) -> list[tuple[str, str]]:
        view = self.settings.view
        if view == "cloud" and self.stages is not None:
            drawn = f"{self.stages.spec.points} points through {len(self.stages.stages)} stages, raw to whitened"
        elif view == "contours" and self.descents is not None:
            drawn = "condition number " + ", ".join(f"{d.condition:.3g} {d.inputs}" for d in self.descents)
        elif view == "images" and self.images is not None:
            drawn = (f"digit {self.images.index} (a {self.images.label}); channel mean {self.images.channel_mean:.2f}, "
                     f"std {self.images.channel_std:.2f}")
        else:
            drawn = "nothing drawn yet"
        return [("trainlab-drawn", drawn)]

    # -- worker thread: compute; main thread: draw ---------------------------------------------
    def _compute(self, settings: PreprocessingSettings, cancel: CancelToken) -> Result:
        if settings.view == "cloud":
            return cloud_stages(settings.cloud)
        if settings.view == "contours":
            return descents(settings.cloud, settings.descent, cancel)
        return digit_images(settings.example, settings.cloud.seed)

    def _draw(self, settings: PreprocessingSettings, result: Result) -> None:
        if settings.view == "cloud":
            self.stages = result
            self.plot.show(cloud_figure(result))
        elif settings.view == "contours":
            self.descents = result
            self.plot.show(contours_figure(result))
        else:
            self.images = result
            self.plot.show(images_figure(result))
        self._drawn = (settings, result)
        self._notes["result"] = self._result_notes() or []
        self._show_status()

    def _result_notes(self) -> list[tuple[str, str]] | None:
        """The lecture case's numbers, from the result drawn, if it is drawn for the settings in use."""
        drawn = getattr(self, "_drawn", None)
        if drawn is None or drawn[0] != self.settings:
            return None
        case = PREPROCESSING_PRESETS.get(self.preset.value)
        return [("info", case.caption(drawn[1]))] if case is not None and case.caption is not None else []
