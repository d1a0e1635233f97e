"""Race: the one description of an optimizer race, which the widget, the export, the presets and
the command line share: a surface, the racers, and how long and from where they run."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.checks import SEED_RANGE, number_in, whole_in
from trainlab.compute.errors import SpecError
from trainlab.compute.optim.runs import NOISE_RANGE, STEPS_RANGE, Trajectory, run_optimizer
from trainlab.compute.optim.spec import OptimizerSpec
from trainlab.compute.optim.surfaces import Surface, make_surface

START_RANGE = (-1e6, 1e6)  # farther out, second-order steps overflow before the box check stops them


@dataclass(frozen=True)
class Race:
    """Racers on a surface. condition and angle belong to the quadratic (None: its defaults) and
    are refused on any other surface; start None is the surface's own start point."""

    surface: str = "rosenbrock"
    condition: float | None = None
    angle: float | None = None
    racers: tuple[OptimizerSpec, ...] = (OptimizerSpec("momentum", lr=0.001), OptimizerSpec("adam", lr=0.05))
    steps: int = 300
    start: tuple[float, float] | None = None
    noise: float = 0.0
    seed: int = 0

    def replace(self, **changes: object) -> Race:
        return dataclasses.replace(self, **changes)

    @property
    def surface_params(self) -> dict[str, float]:
        return {k: v for k, v in (("condition", self.condition), ("angle", self.angle)) if v is not None}

    def make_surface(self) -> Surface:
        return make_surface(self.surface, **self.surface_params)

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.make_surface().start

    def racer(self, name: str) -> OptimizerSpec:
        return next(r for r in self.racers if r.name == name)

    def validate(self) -> Race:
        """SpecError naming the first setting at fault: everything run_optimizer would refuse, first."""
        self.make_surface()
        if not self.racers:
            raise SpecError("optimizers", "needs at least one optimizer")
        names = [r.name for r in self.racers]
        if len(set(names)) < len(names):
            raise SpecError("optimizers", f"lists an optimizer twice: {','.join(names)}")
        for racer in self.racers:
            racer.validate()
        whole_in("steps", self.steps, STEPS_RANGE)
        whole_in("seed", self.seed, SEED_RANGE)
        number_in("noise", self.noise, NOISE_RANGE)
        if self.start is not None:
            if not isinstance(self.start, (tuple, list)) or len(self.start) != 2:
                raise SpecError("start", f"must be a point (x, y), not {self.start!r}")
            for value in self.start:
                number_in("start", value, START_RANGE)
        return self

    def run(self, cache: TrajectoryCache | None = None, cancel: CancelToken = NEVER) -> list[Trajectory]:
        """Every racer's trajectory (from `cache` where it has them); Cancelled between racers
        once `cancel` is cancelled."""
        self.validate()
        surface = self.make_surface()
        runs = []
        for racer in self.racers:
            cancel.check()
            runs.append(cache.run(self, surface, racer) if cache is not None else
                        run_optimizer(surface, racer, self.start, self.steps, self.noise, self.seed))
        return runs


class TrajectoryCache:
    """Recent trajectories by everything they depend on: a change to one racer recomputes only it."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._runs: OrderedDict[tuple, Trajectory] = OrderedDict()

    def run(self, race: Race, surface: Surface, racer: OptimizerSpec) -> Trajectory:
        key = (surface.name, tuple(sorted(surface.params.items())), racer.resolved(), race.start, race.steps,
               race.noise, race.seed)
        if key not in self._runs:
            self._runs[key] = run_optimizer(surface, racer, race.start, race.steps, race.noise, race.seed)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        self._runs.move_to_end(key)
        return self._runs[key]
