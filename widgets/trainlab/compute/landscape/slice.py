"""The loss on a plane through the trained weights, L(theta* + a d1 + b d2), computed coarse to fine.

A student should see a picture at once and a sharper one soon after: the grid is computed at 11 x
11 points first, then 21 x 21, then 41 x 41, each level reusing the points of the one before (the
levels are nested: 41 = 4 x 10 + 1). A control change cancels between chunks of points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from trainlab.compute.cancel import NEVER, CancelToken
from trainlab.compute.errors import SpecError
from trainlab.compute.landscape.evaluate import DEFAULT_BUDGET_BYTES, EvalSet, evaluate_plane

Tensor = torch.Tensor
LEVELS = (11, 21, 41)


@dataclass(frozen=True)
class Slice:
    """Loss and accuracy on an n x n grid (rows: b, columns: a) over [-span, span]^2."""

    a: Tensor  # (n,)
    b: Tensor  # (n,)
    loss: Tensor  # (n, n)
    accuracy: Tensor  # (n, n)
    points_computed: int  # new evaluations this level needed

    @property
    def size(self) -> int:
        return self.a.shape[0]


def check_levels(levels: Sequence[int]) -> None:
    finest = levels[-1]
    for n in levels:
        if n < 2 or (finest - 1) % (n - 1):
            raise SpecError("grid", f"each level must nest in the finest: {n} does not nest in {finest}")


def progressive_slice(model: nn.Module, base: Mapping[str, Tensor], first: Mapping[str, Tensor],
                      second: Mapping[str, Tensor], data: EvalSet, span: float = 1.0,
                      levels: Sequence[int] = LEVELS, budget_bytes: int = DEFAULT_BUDGET_BYTES,
                      cancel: CancelToken = NEVER) -> Iterator[Slice]:
    """One Slice per level, coarse to fine; each level evaluates only the points the ones before
    it did not."""
    check_levels(levels)
    finest = levels[-1]
    axis = torch.linspace(-span, span, finest, dtype=torch.float64)
    loss = torch.full((finest, finest), float("nan"), dtype=torch.float64)
    accuracy = torch.full_like(loss, float("nan"))
    for n in levels:
        stride = (finest - 1) // (n - 1)
        index = torch.arange(0, finest, stride)
        rows, cols = torch.meshgrid(index, index, indexing="ij")
        missing = loss[rows, cols].isnan()
        todo_rows, todo_cols = rows[missing], cols[missing]
        if len(todo_rows):
            coords = torch.stack([axis[todo_cols], axis[todo_rows]], dim=-1).float()
            l, acc = evaluate_plane(model, base, first, second, coords, data, budget_bytes, cancel)
            loss[todo_rows, todo_cols] = l.double().cpu()
            accuracy[todo_rows, todo_cols] = acc.double().cpu()
        yield Slice(axis[index], axis[index], loss[rows, cols].clone(), accuracy[rows, cols].clone(), len(todo_rows))
