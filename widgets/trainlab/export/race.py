"""The optimizer race as a static export: every racer's trajectory computed once, drawn as the
live race draws it (race_figure after its surface_traces), animated from precomputed frames."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import trainlab
from trainlab.compute.checks import choice, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.race import Race
from trainlab.compute.optim.runs import Trajectory
from trainlab.export import size
from trainlab.export.page import ExportPage
from trainlab.figures.race import MAX_FRAMES, frame_steps, race_figure, surface_traces
from trainlab.presets import RACE_PRESETS

FRAMES_RANGE = (2, 2000)
# Measured JSON bytes: a racer's trace's fixed keys; a path coordinate (5 significant digits) and
# a loss curve's number (a step, then a loss: shorter on average); a frame's state panel, step
# marker and keys; the surface picture (6 to 23 kB of base64 PNG over the seven surfaces).
TRACE_BYTES = 160
PATH_NUMBER_BYTES = 7.5
LOSS_NUMBER_BYTES = 5.0
FRAME_EXTRA_BYTES = 500
IMAGE_BYTES = 14_000
LAYOUT_BYTES = 3_000


@dataclass(frozen=True)
class RaceExport(Race):
    """A race (the live race's first view by default: momentum and Adam on Rosenbrock's valley)
    and how its export animates: how many frames, whose state the panel shows (None: the first
    racer's), and the lecture point it came from, whose lesson the page states."""

    frames: int = MAX_FRAMES
    show_state: str | None = None
    preset: str | None = None

    @classmethod
    def from_preset(cls, name: str) -> RaceExport:
        choice("preset", name, tuple(RACE_PRESETS))
        race = RACE_PRESETS[name].race
        return cls(**{f.name: getattr(race, f.name) for f in dataclasses.fields(Race)}, preset=name)

    def validate(self) -> RaceExport:
        """Raise SpecError naming the option at fault; everything run_optimizer would refuse, first."""
        try:
            super().validate()
        except SpecError as error:
            # The command line names its racers with --optimizers.
            raise SpecError("optimizers" if error.field == "optimizer" else error.field, error.reason) from None
        whole_in("frames", self.frames, FRAMES_RANGE)
        if self.show_state is not None:
            choice("state", self.show_state, tuple(r.name for r in self.racers))
        return self

    def estimate(self) -> size.SizeEstimate:
        """The exported file's size before any step is run, as if no racer diverges (a diverged
        racer's path stops) and every step is drawn: a frame draws every step up to path_thinning's
        KEEP_EVERY_STEP, so this is the size of a race that long, and at most the size of a longer
        one, whose converged tail costs far fewer points (0.84 of the estimate for 800 steps)."""
        def frame_bytes(step: int) -> int:
            points = step + 1
            # Per racer: its path (x, y), its head marker (one point) and its loss curve (step, loss).
            per_racer = (3 * TRACE_BYTES + (2 * points + 2) * PATH_NUMBER_BYTES + 2 * points * LOSS_NUMBER_BYTES)
            return round(len(self.racers) * per_racer) + FRAME_EXTRA_BYTES

        steps = frame_steps(self.steps, self.frames)
        frames = sum(frame_bytes(s) + size.SLIDER_STEP_BYTES for s in steps)
        fixed = size.plotlyjs_bytes() + size.PAGE_BYTES + LAYOUT_BYTES + IMAGE_BYTES + frame_bytes(self.steps)
        return size.SizeEstimate(fixed, frames)

    @property
    def shape(self) -> str:
        return f"{len(frame_steps(self.steps, self.frames))} frames of {len(self.racers)} optimizers"

    @property
    def shrink_hint(self) -> str:
        return "use fewer frames (--frames) or optimizers (--optimizers)"

    def describe(self) -> str:
        return f"{len(self.racers)} optimizers for {self.steps} steps on {self.surface}"


def _racer_text(run: Trajectory) -> str:
    at = int(run.diverged_at[0])
    outcome = f"diverged at step {at}" if at >= 0 else f"final loss {float(run.losses[-1, 0]):.4g}"
    return f"{run.optimizer.label} (lr {run.optimizer.learning_rate:g}): {outcome}"


def race_page(race: RaceExport, runs: list[Trajectory]) -> ExportPage:
    """The export page: the live race's figure (map picture, paths, losses, state panel), animated."""
    surface = race.make_surface()
    figure = race_figure(surface, runs, race.show_state, frames=race.frames)
    figure["data"] = [*surface_traces(surface), *figure["data"]]
    start = race.start or surface.start
    title = (f"trainlab: optimizer race on {surface.description}, "
             f"{' vs '.join(r.optimizer.label for r in runs)}")
    notes = [
        (f"{race.preset}: {RACE_PRESETS[race.preset].lesson}" if race.preset else ""),
        f"{race.steps} steps from ({start[0]:g}, {start[1]:g})"
        + (f" with gradient noise {race.noise:g} (seed {race.seed})" if race.noise else "")
        + f"; schedule {race.racers[0].schedule}. " + "; ".join(_racer_text(run) for run in runs) + ".",
        f"Left: the paths over the loss surface (bands of log-spaced levels, stars mark the minima); right: the loss per "
        f"step and the optimizer's own numbers at the step shown. Play animates the race, the slider scrubs "
        f"through {len(figure['frames'])} precomputed steps: no Python runs here.",
        f"Computed by trainlab {trainlab.__version__} with torch.optim on {date.today().isoformat()}.",
    ]
    return ExportPage(figure, title, [note for note in notes if note])


def build(race: RaceExport) -> ExportPage:
    """Run every racer and build the export page."""
    return race_page(race, race.validate().run())
