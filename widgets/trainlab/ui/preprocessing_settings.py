"""The preprocessing lab's settings as the widget holds them: which view, the point cloud (a
CloudSpec: the cloud view and the contours share it), gradient descent's steps and step size (the
contours), and the digit shown (the images)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainlab.compute.checks import choice, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.preprocess.conditioning import DescentSpec
from trainlab.compute.preprocess.digit_images import EXAMPLE_RANGE
from trainlab.compute.preprocess.point_cloud import CloudSpec
from trainlab.ui.kit.state import Parser, parse_choice, parse_float, parse_int

VIEWS = ("cloud", "contours", "images")
CLOUD_FIELDS = tuple(f.name for f in dataclasses.fields(CloudSpec))
DESCENT_FIELDS = tuple(f.name for f in dataclasses.fields(DescentSpec))
INT_FIELDS = ("points", "seed", "steps", "example")


@dataclass(frozen=True)
class PreprocessingSettings:
    view: str = "cloud"
    cloud: CloudSpec = field(default_factory=CloudSpec)
    descent: DescentSpec = field(default_factory=DescentSpec)
    example: int = 0  # an image of the digits' training split


class PreprocessingModel:
    """The settings model (see kit/lab_widget.py) of PreprocessingStages."""

    def defaults(self) -> PreprocessingSettings:
        return PreprocessingSettings()

    def parsers(self) -> dict[str, Parser]:
        numbers = {name: parse_int if name in INT_FIELDS else parse_float for name in (*CLOUD_FIELDS, *DESCENT_FIELDS)}
        return {"view": parse_choice(list(VIEWS)), **numbers, "example": parse_int}

    def flat(self, settings: PreprocessingSettings) -> dict[str, Any]:
        return {"view": settings.view, **dataclasses.asdict(settings.cloud), **dataclasses.asdict(settings.descent),
                "example": settings.example}

    def control_values(self, settings: PreprocessingSettings) -> dict[str, Any]:
        return self.flat(settings)

    def apply(self, settings: PreprocessingSettings, changes: Mapping[str, Any]) -> PreprocessingSettings:
        unknown = sorted(set(changes) - {"view", *CLOUD_FIELDS, *DESCENT_FIELDS, "example"})
        if unknown:
            raise SpecError(unknown[0], "is not a setting of the preprocessing lab")
        view = changes.get("view", settings.view)
        choice("view", view, VIEWS)
        cloud = dataclasses.replace(settings.cloud, **{k: v for k, v in changes.items() if k in CLOUD_FIELDS})
        descent = dataclasses.replace(settings.descent, **{k: v for k, v in changes.items() if k in DESCENT_FIELDS})
        example = changes.get("example", settings.example)
        whole_in("example", example, EXAMPLE_RANGE)
        return PreprocessingSettings(view, cloud.validate(), descent.validate(), example)
