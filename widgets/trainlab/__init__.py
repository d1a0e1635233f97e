"""trainlab: interactive, visual labs on how deep networks train.

`from trainlab import InitExplorer` gives the initialization & normalization explorer,
`OptimizerRace` the optimizer race, `TrainingDashboard` live training on real data,
and `PredictReveal` a predict-then-reveal question attached to one of them; `trainlab.compute` is
the pure-PyTorch layer behind it, usable from scripts.
"""

from trainlab.compute import NetworkSpec, PassResult, SpecError, run_pass, run_sweep
from trainlab.compute.train.trainer import TrainConfig, Trainer
from trainlab.ui.init_explorer import InitExplorer
from trainlab.ui.optimizer_race import OptimizerRace
from trainlab.ui.predict_reveal import PredictReveal
from trainlab.ui.training_dashboard import TrainingDashboard

__version__ = "0.1.0"
__all__ = ["InitExplorer", "OptimizerRace", "TrainingDashboard", "PredictReveal", "NetworkSpec",
           "PassResult", "SpecError", "TrainConfig", "Trainer", "run_pass", "run_sweep"]
