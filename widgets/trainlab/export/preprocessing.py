"""A point cloud's preprocessing stages as a static export: the preprocessing lab's animated
figure (raw, zero-centred, normalized, decorrelated, whitened), with each stage's covariance, for
a slide or a page that has no Python behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import trainlab
from trainlab.compute.preprocess.point_cloud import STAGES, CloudSpec, CloudStages, cloud_stages
from trainlab.export import size
from trainlab.export.page import ExportPage
from trainlab.figures.preprocessing import cloud_figure, covariance_text

# Measured JSON bytes (10 to 5,000 points): a point's two coordinates (rounded, with commas) in
# one frame; a frame's own keys besides its slider step; the layout beyond the page's share.
POINT_BYTES = 16
FRAME_BYTES = 60
LAYOUT_BYTES = 300


@dataclass(frozen=True)
class PreprocessingExport(CloudSpec):
    """The cloud the page shows: CloudSpec's settings."""

    def estimate(self) -> size.SizeEstimate:
        """The file's size before anything is computed: the first stage's points, then every stage again."""
        frames = len(STAGES) * (self.points * POINT_BYTES + FRAME_BYTES + size.SLIDER_STEP_BYTES)
        fixed = size.plotlyjs_bytes() + size.PAGE_BYTES + LAYOUT_BYTES + self.points * POINT_BYTES
        return size.SizeEstimate(fixed, frames)

    @property
    def shape(self) -> str:
        return f"{self.points} points in {len(STAGES)} stages"

    @property
    def shrink_hint(self) -> str:
        return "use fewer --points"

    def describe(self) -> str:
        return (f"{self.points} points, std {self.scale_x:g} and {self.scale_y:g} turned by {self.angle:g}°, centred at "
                f"({self.centre_x:g}, {self.centre_y:g}), seed {self.seed}")


def preprocessing_page(job: PreprocessingExport, cloud: CloudStages) -> ExportPage:
    """The export page: the lab's figure, and each stage's covariance in words."""
    covariances = "; ".join(f"{stage.name} {' '.join(covariance_text(stage).replace('<br>', ' ').split())}"
                            for stage in cloud.stages)
    notes = [
        f"A 2-D Gaussian point cloud: {job.describe()}.",
        ("Zero-centring subtracts the mean; normalizing divides each feature by its std; PCA decorrelation turns "
         "the cloud onto its principal axes (diagonal covariance); whitening scales those axes to variance 1 "
         "(covariance the identity). Statistics are population ones (divided by n)."),
        f"Covariance at each stage: {covariances}.",
        f"Computed by trainlab {trainlab.__version__} with PyTorch on {date.today().isoformat()}.",
    ]
    return ExportPage(cloud_figure(cloud), "trainlab: a point cloud centred, normalized, decorrelated and whitened",
                      notes)


def build(job: PreprocessingExport) -> ExportPage:
    """Compute the stages and build the export page."""
    return preprocessing_page(job, cloud_stages(job.validate()))
