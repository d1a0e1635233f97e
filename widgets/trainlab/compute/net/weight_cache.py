"""Base matrices drawn once per (layer, shape, family, seed, device) and kept, within a budget.

Drawing six 4096 x 4096 matrices costs most of a second on a CPU; turning a std knob should
not. The cache is least-recently-used and bounded in bytes, so switching between families
(normal, uniform, orthogonal) or seeds cannot grow a kernel's memory without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import torch

from trainlab.compute.net.init_schemes import Family, draw_base

# One family of the explorer's six 4096 x 4096 float32 matrices (64 MB each): switching family
# redraws (under a second) rather than holding two, which kept a lab kernel over Binder's share.
DEFAULT_BUDGET_BYTES = 384 * 2**20


class BaseKey(NamedTuple):
    layer: int
    fan_in: int
    fan_out: int
    family: Family
    seed: int
    device: str


def _layer_seed(seed: int, layer: int) -> int:
    # Distinct, reproducible streams per layer (and for the inputs, layer = -1).
    return (seed * 1_000_003 + layer + 17) % (2**63)


def seeded_generator(seed: int, layer: int, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(_layer_seed(seed, layer))
    return generator


class WeightCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[BaseKey, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.draws = 0  # how many base matrices were drawn: tests use it to prove reuse

    @property
    def nbytes(self) -> int:
        return sum(t.element_size() * t.nelement() for t in self._entries.values())

    def contains(self, key: BaseKey) -> bool:
        return key in self._entries

    def get(self, key: BaseKey, keep: frozenset[BaseKey] = frozenset()) -> torch.Tensor:
        """The base matrix for `key`, drawn if missing; entries in `keep` are never evicted."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            device = torch.device(key.device)
            base = draw_base(
                key.family, key.fan_in, key.fan_out,
                seeded_generator(key.seed, key.layer, device), device,
            )
            self.draws += 1
            self._entries[key] = base
            self._evict(keep | {key})
            return base

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _evict(self, keep: frozenset[BaseKey]) -> None:
        for key in list(self._entries):
            if self.nbytes <= self.budget_bytes:
                return
            if key not in keep:
                del self._entries[key]


shared_cache = WeightCache()
