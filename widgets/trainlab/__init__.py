"""trainlab: interactive, visual labs on how deep networks train.

`from trainlab import InitExplorer` gives the initialization & normalization explorer,
`OptimizerRace` the optimizer race, `TrainingDashboard` live training on real data,
`LandscapeExplorer` the trained net's loss landscape with the optimizers' paths on it,
`ActivationGallery` an activation function, its derivative and where a real layer's inputs fall on
them,
`ZeroCentredDemo` SGD from positive inputs against the same inputs centred,
`PreprocessingStages` what preprocessing does to a point cloud, to gradient descent and to images,
and `PredictReveal` a predict-then-reveal question attached to one of them; `trainlab.compute` is
the pure-PyTorch layer behind them, usable from scripts.

Names are imported when first used, so that `import trainlab.compute` or the `trainlab` command
load neither ipywidgets nor plotly (nor torch, for `trainlab serve`).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "InitExplorer": "trainlab.ui.init_explorer",
    "OptimizerRace": "trainlab.ui.optimizer_race",
    "TrainingDashboard": "trainlab.ui.training_dashboard",
    "LandscapeExplorer": "trainlab.ui.landscape_explorer",
    "ActivationGallery": "trainlab.ui.activation_gallery",
    "ZeroCentredDemo": "trainlab.ui.zero_centred_demo",
    "PreprocessingStages": "trainlab.ui.preprocessing_stages",
    "PredictReveal": "trainlab.ui.predict_reveal",
    "NetworkSpec": "trainlab.compute.net.spec",
    "PassResult": "trainlab.compute.net.results",
    "SpecError": "trainlab.compute.errors",
    "TrainConfig": "trainlab.compute.train.config",
    "Trainer": "trainlab.compute.train.trainer",
    "run_pass": "trainlab.compute.net.network_pass",
    "run_sweep": "trainlab.compute.net.network_pass",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'trainlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # imported once; later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
