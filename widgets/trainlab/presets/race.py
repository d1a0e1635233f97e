"""The optimizer race's lecture points: each a whole Race and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainlab.compute.optim.race import Race
from trainlab.compute.optim.spec import OptimizerSpec


@dataclass(frozen=True)
class RacePreset:
    """A lecture point for the optimizer race: the race itself and what it shows."""

    label: str
    race: Race
    lesson: str


def _race(surface: str, racers: dict[str, dict[str, Any]], steps: int, noise: float = 0.0,
          **surface_params: float) -> Race:
    return Race(surface=surface, racers=tuple(OptimizerSpec(name, **kw) for name, kw in racers.items()), steps=steps,
                noise=noise, **surface_params)


RACE_PRESETS: dict[str, RacePreset] = {
    p.label: p
    for p in (
        RacePreset("zig-zag: SGD vs momentum",
                   _race("quadratic", {"sgd": {"lr": 0.075}, "momentum": {"lr": 0.01, "momentum": 0.9}}, 150,
                         condition=25.0, angle=0.0),
                   "With condition number 25, SGD's step that suits the steep axis makes it bounce across the "
                   "valley; momentum averages the bounces away and builds up speed along the valley floor."),
        RacePreset("saddle: SGD stuck vs momentum",
                   _race("flat_saddle", {"sgd": {"lr": 0.05}, "momentum": {"lr": 0.05, "momentum": 0.9}}, 200),
                   "Near a flat saddle the gradient is almost zero: SGD creeps, momentum keeps its velocity and "
                   "rolls off into a minimum."),
        RacePreset("AdaGrad stalls vs RMSProp",
                   _race("quadratic", {"adagrad": {"lr": 0.3}, "rmsprop": {"lr": 0.05, "decay": 0.99}}, 300,
                         condition=10.0, angle=30.0),
                   "AdaGrad's sum of squared gradients only grows, so its steps shrink towards zero before it "
                   "arrives; RMSProp's moving average forgets old gradients and keeps going."),
        RacePreset("Adam vs SGD+momentum on Rosenbrock",
                   _race("rosenbrock", {"adam": {"lr": 0.05}, "momentum": {"lr": 0.001, "momentum": 0.9}}, 600),
                   "Both find the banana valley; Adam's per-coordinate step sizes follow it without tuning, "
                   "momentum needs a small learning rate to stay stable."),
        RacePreset("Adam with and without bias correction",
                   _race("quadratic", {"adam": {"lr": 0.3}, "adam_no_bias_correction": {"lr": 0.3}}, 80,
                         condition=10.0, angle=20.0),
                   "Without bias correction, the first steps divide a first moment shrunk by (1 - beta1) by the "
                   "root of one shrunk by (1 - beta2): they come out about 3x too large and overshoot."),
        RacePreset("too large a learning rate",
                   _race("quadratic", {"sgd": {"lr": 0.085}, "nesterov": {"lr": 0.01, "momentum": 0.9}}, 100,
                         condition=25.0, angle=0.0),
                   "Above 2 / (largest curvature) = 0.08, every SGD step overshoots the steep axis by more than "
                   "it corrects: the run diverges and is stopped."),
        RacePreset("L-BFGS, deterministic",
                   _race("rosenbrock", {"lbfgs_line_search": {"lr": 1.0}, "adam": {"lr": 0.05}}, 200),
                   "With exact gradients L-BFGS builds a curvature model and reaches the minimum in a few dozen "
                   "steps."),
        RacePreset("L-BFGS, noisy gradients",
                   _race("rosenbrock", {"lbfgs_line_search": {"lr": 1.0}, "adam": {"lr": 0.05}}, 200, noise=2.0),
                   "Noise standing for minibatches corrupts L-BFGS's curvature estimates and line search: it "
                   "wanders, which is why it is rarely used to train deep nets."),
    )
}
