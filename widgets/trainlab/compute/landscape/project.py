"""A training run's path seen on a slice: each snapshot of the weights projected on the plane of
two directions, and how far it is from that plane.

Li et al.'s readers ask why a projected path does not follow the contours. A path in millions of
dimensions is not in the plane: its projection sits where the slice has another loss than the
network really had. Here both are computed, so the gap is there to see: the true loss along the
path, and the slice's loss at the projected points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from trainlab.compute.landscape.evaluate import EvalSet, evaluate_one, evaluate_plane
from trainlab.compute.landscape.weights import difference, flatten

Tensor = torch.Tensor


@dataclass(frozen=True)
class ProjectedPath:
    coords: Tensor  # (n, 2): each snapshot's (a, b) on the plane
    off_plane: Tensor  # (n,): the part of theta_i - theta* outside the plane, as a share of its length
    true_loss: Tensor  # (n,): the network's loss at each snapshot
    slice_loss: Tensor  # (n,): the slice's loss at the projected point


def project(path: Sequence[Mapping[str, Tensor]], base: Mapping[str, Tensor], first: Mapping[str, Tensor],
            second: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
    """Least-squares (a, b) of every theta_i - base on the two directions, and the share of each
    difference the plane leaves out."""
    basis = torch.stack([flatten(first), flatten(second)], dim=1).double()  # (p, 2)
    coords, off = [], []
    for theta in path:
        r = flatten(difference(theta, base)).double()
        c = torch.linalg.lstsq(basis, r.unsqueeze(1)).solution.squeeze(1)
        coords.append(c)
        length = r.norm()
        off.append((r - basis @ c).norm() / length if length > 0 else torch.zeros((), dtype=r.dtype))
    return torch.stack(coords), torch.stack(off)


def projected_path(model: nn.Module, path: Sequence[Mapping[str, Tensor]], base: Mapping[str, Tensor],
                   first: Mapping[str, Tensor], second: Mapping[str, Tensor], data: EvalSet) -> ProjectedPath:
    coords, off = project(path, base, first, second)
    true = torch.tensor([evaluate_one(model, theta, data)[0] for theta in path], dtype=torch.float64)
    on_slice, _ = evaluate_plane(model, base, first, second, coords.float(), data)
    return ProjectedPath(coords, off, true, on_slice.double().cpu())
