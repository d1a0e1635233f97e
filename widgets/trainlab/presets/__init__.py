"""The lecture cases, one module per kind of widget: the explorer's experiments (init.py), the
race's lecture points (race.py), the dashboard's lessons (train.py), the loss landscape's cases
(landscape.py), the activation gallery's (gallery.py), the zero-centred demo's (zero_centred.py)
and the preprocessing lab's (preprocessing.py).
All but the dashboard's and the race's are a Case (case.py)."""

from trainlab.presets.case import Case
from trainlab.presets.gallery import GALLERY_PRESETS
from trainlab.presets.init import INIT_PRESETS
from trainlab.presets.landscape import LANDSCAPE_PRESETS
from trainlab.presets.preprocessing import PREPROCESSING_PRESETS
from trainlab.presets.race import RACE_PRESETS, RacePreset
from trainlab.presets.train import TRAIN_PRESETS, TrainPreset
from trainlab.presets.zero_centred import ZERO_CENTRED_PRESETS

__all__ = ["GALLERY_PRESETS", "INIT_PRESETS", "LANDSCAPE_PRESETS", "PREPROCESSING_PRESETS", "RACE_PRESETS", "TRAIN_PRESETS",
           "ZERO_CENTRED_PRESETS", "Case", "RacePreset", "TrainPreset"]
