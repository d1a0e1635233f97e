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
                   _race("quadratic", {"sgd": {"lr": 0.019}, "momentum": {"lr": 0.003, "momentum": 0.9}}, 150,
                         condition=100.0, angle=0.0),
                   "With condition number 100 the steep axis caps SGD's learning rate below 2/100 = 0.02. At "
                   "0.019 each step multiplies the steep coordinate by 1 - 0.019 · 100 = -0.9: SGD zig-zags "
                   "across the valley, and crawls along it (1.9 % of the way per step), so at step 150 it has "
                   "not arrived; no learning rate makes SGD faster here. Momentum (lr 0.003, ρ 0.9) adds up "
                   "the gradients: the pull along the valley floor builds up speed, and instead of bouncing at "
                   "every step it swings across the valley in smooth arcs (crossing the floor about every five or "
                   "six steps) that die out. At step 150 its loss is over 1,000 times lower than SGD's."),
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
                   "Both find the banana valley and follow it towards the minimum at (1, 1). Momentum is ahead "
                   "here only because its learning rate is tuned: at 0.003 instead of 0.001 it diverges within "
                   "a few steps. Adam's step is about lr per coordinate whatever the gradient's size, so it "
                   "stays stable for any lr from 0.02 to 0.5: it needs no such tuning."),
        RacePreset("Adam with and without bias correction",
                   _race("quadratic", {"adam": {"lr": 0.3}, "adam_no_bias_correction": {"lr": 0.3}}, 80,
                         condition=10.0, angle=20.0),
                   "Without bias correction, the first steps divide a first moment shrunk by (1 - beta1) by the "
                   "root of one shrunk by (1 - beta2): they come out about 3x too large and overshoot."),
        RacePreset("too large a learning rate",
                   _race("quadratic", {"sgd": {"lr": 0.021}, "nesterov": {"lr": 0.003, "momentum": 0.9}}, 100,
                         condition=100.0, angle=0.0),
                   "The zig-zag's valley (condition number 100) with SGD above 2 / (largest curvature) = 0.02: "
                   "each step multiplies the steep coordinate by 1 - 0.021 · 100 = -1.1, overshooting by more "
                   "than it corrects. The run diverges and is stopped; Nesterov momentum converges."),
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
