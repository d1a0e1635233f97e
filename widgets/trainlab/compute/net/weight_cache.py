"""Base matrices drawn once per (layer, shape, family, seed, device) and kept, within a budget.

Drawing six 4096 x 4096 matrices costs most of a second on a CPU; turning a std knob should
not. The cache is least-recently-used and bounded in bytes, so switching between families
(normal, uniform, orthogonal) or seeds cannot grow a kernel's memory without limit.

On a CPU the cache can sit on a WeightStore (weight_store.py): a matrix missing here is mapped
from the machine's store, and drawn into it first if no kernel has drawn it yet. Matrices that
must be drawn are drawn on a few threads at once: torch's generators fill one tensor on one core.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import torch

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.net import budget
from trainlab.compute.net.init_schemes import Family, draw_base
from trainlab.compute.net.weight_store import WeightStore, machine_store

# One family of the explorer's six 4096 x 4096 float32 matrices (64 MB each): switching family
# redraws (under a second) rather than holding two, which kept a lab kernel over Binder's share.
DEFAULT_BUDGET_BYTES = 384 * 2**20
# Families whose draw fills a tensor on one core (normal, uniform): drawn this many at a time.
# Orthogonal's QR factorization already uses every core (and its bits depend on the thread count).
PARALLEL_FAMILIES = ("normal", "uniform")


class BaseKey(NamedTuple):
    layer: int
    fan_in: int
    fan_out: int
    family: Family
    seed: int
    device: str

    @property
    def name(self) -> str:
        """The key as a file name (the device is not in it: the store holds CPU draws only)."""
        return f"{self.family}-{self.fan_in}x{self.fan_out}-seed{self.seed}-layer{self.layer}"


def _layer_seed(seed: int, layer: int) -> int:
    # Distinct, reproducible streams per layer (and for the inputs, layer = -1).
    return (seed * 1_000_003 + layer + 17) % (2**63)


def seeded_generator(seed: int, layer: int, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(_layer_seed(seed, layer))
    return generator


def _draw(key: BaseKey) -> torch.Tensor:
    device = torch.device(key.device)
    start = time.perf_counter()
    base = draw_base(key.family, key.fan_in, key.fan_out, seeded_generator(key.seed, key.layer, device), device)
    budget.note_draw(device, key.family, key.fan_in, key.fan_out, time.perf_counter() - start)
    return base


class WeightCache:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES, store: WeightStore | None = None,
                 threads: int | None = None) -> None:
        self.budget_bytes = budget_bytes
        self.store = store
        self.threads = threads if threads is not None else min(4, os.cpu_count() or 1)
        self._entries: OrderedDict[BaseKey, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.draws = 0  # how many base matrices were drawn (not mapped from the store): tests use it

    @property
    def nbytes(self) -> int:
        return sum(t.element_size() * t.nelement() for t in self._entries.values())

    def contains(self, key: BaseKey) -> bool:
        return key in self._entries

    def stored(self, key: BaseKey) -> bool:
        """Whether `key` can be had without drawing it: cached here or in the machine's store."""
        return key in self._entries or self._store_for(key) is not None and self.store.contains(
            key.name, key.fan_in, key.fan_out)

    def get(self, key: BaseKey, keep: frozenset[BaseKey] = frozenset()) -> torch.Tensor:
        """The base matrix for `key`, drawn if missing; entries in `keep` are never evicted."""
        return self.get_many([key], keep)[0]

    def get_many(self, keys: Sequence[BaseKey], keep: frozenset[BaseKey] = frozenset(),
                 cancel: CancelToken = NEVER) -> list[torch.Tensor]:
        """The base matrices for `keys`, those missing drawn (several at a time where that is
        faster) or mapped from the store; Cancelled between matrices once `cancel` is."""
        keep = keep | frozenset(keys)
        with self._lock:
            missing = [key for key in dict.fromkeys(keys) if key not in self._entries]
            parallel = [key for key in missing if key.family in PARALLEL_FAMILIES]
            futures: dict[BaseKey, Future] = {}
            if len(parallel) > 1 and self.threads > 1:
                pool = ThreadPoolExecutor(self.threads, thread_name_prefix="trainlab-draw")
                futures = {key: pool.submit(self._fetch, key, cancel) for key in parallel}
            try:
                for key in missing:
                    cancel.check()
                    base, drawn = futures[key].result() if key in futures else self._fetch(key, cancel)
                    self.draws += drawn
                    self._entries[key] = base
                    self._evict(keep)
            finally:
                if futures:
                    for future in futures.values():
                        future.cancel()
                    pool.shutdown(wait=True)
            for key in keys:
                self._entries.move_to_end(key)
            return [self._entries[key] for key in keys]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _store_for(self, key: BaseKey) -> WeightStore | None:
        return self.store if self.store is not None and key.device == "cpu" else None

    def _fetch(self, key: BaseKey, cancel: CancelToken) -> tuple[torch.Tensor, bool]:
        """One missing matrix, mapped from the store (drawn into it first if need be) or drawn;
        and whether it was drawn here."""
        cancel.check()
        store = self._store_for(key)
        if store is not None:
            drew = []

            def draw() -> torch.Tensor:
                drew.append(True)
                return _draw(key)

            try:
                return store.load(key.name, key.fan_in, key.fan_out, draw, cancel), bool(drew)
            except OSError:  # a read-only or full disk: draw in memory, as without a store
                pass
        return _draw(key), True

    def _evict(self, keep: frozenset[BaseKey]) -> None:
        for key in list(self._entries):
            if self.nbytes <= self.budget_bytes:
                return
            if key not in keep:
                del self._entries[key]


shared_cache = WeightCache(store=machine_store())
