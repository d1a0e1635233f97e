"""Compute layer of trainlab: pure PyTorch, no UI imports.

A widget or script describes a network with :class:`NetworkSpec`, asks :func:`run_pass` (or
:func:`run_sweep`) for a :class:`PassResult`, and draws the small per-layer summaries it holds.
"""

from trainlab.compute.net.activations import ACTIVATIONS
from trainlab.compute.devices import pick_device
from trainlab.compute.errors import SpecError
from trainlab.compute.net.init_schemes import INIT_SCHEMES
from trainlab.compute.net.network_pass import run_pass, run_sweep
from trainlab.compute.net.results import Histogram, LayerStats, PassResult
from trainlab.compute.net.spec import NORMS, NetworkSpec
from trainlab.compute.net.theory import predicted_std

__all__ = [
    "ACTIVATIONS",
    "INIT_SCHEMES",
    "NORMS",
    "Histogram",
    "LayerStats",
    "NetworkSpec",
    "PassResult",
    "SpecError",
    "pick_device",
    "predicted_std",
    "run_pass",
    "run_sweep",
]
