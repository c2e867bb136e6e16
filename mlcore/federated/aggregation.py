"""Server aggregation rules: how the shares of the sampled clients become one.

A rule is a callable ``rule(updates) -> tensors`` taking the (transformed)
:class:`~mlcore.federated.client.ClientUpdate` of every sampled client, in client order, and
returning one dict of float64 tensors with the same keys. The server then moves the global
weights by it (:class:`~mlcore.federated.FedAvg`). Subset aggregation and robust rules plug in
here; :class:`WeightedMean` (FedAvg) is the default and :class:`CoordinateMedian` is the
coordinate-wise median of Yin et al. 2018 (arXiv:1803.01498, Sec. 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .client import ClientUpdate

__all__ = ["AggregationRule", "WeightedMean", "CoordinateMedian"]

AggregationRule = Callable[[Sequence[ClientUpdate]], dict[str, torch.Tensor]]


class WeightedMean:
    """FedAvg's rule: ``sum_k (n_k / N) t_k`` with ``N = sum_k n_k`` (McMahan et al. 2017,
    Algorithm 1).

    The sum runs in the order given, as ``acc = acc + t_k * (n_k / N)`` in float64: the same
    operations, in the same order, as Flower's ``aggregate_arrayrecords``, so that the Flower
    adapter and the in-process simulation agree bit for bit.
    """

    def __call__(self, updates: Sequence[ClientUpdate]) -> dict[str, torch.Tensor]:
        if not updates:
            raise ValueError("WeightedMean needs at least one client update")
        total = sum(u.n_samples for u in updates)
        out: dict[str, torch.Tensor] = {}
        for u in updates:
            factor = u.n_samples / total
            for key, value in u.tensors.items():
                out[key] = value * factor if key not in out else out[key] + value * factor
        return out

    def __repr__(self) -> str:
        return "WeightedMean()"


class CoordinateMedian:
    """Coordinate-wise median of the shares, unweighted (Yin et al. 2018, arXiv:1803.01498):
    for an even number of clients the mean of the two middle values."""

    def __call__(self, updates: Sequence[ClientUpdate]) -> dict[str, torch.Tensor]:
        if not updates:
            raise ValueError("CoordinateMedian needs at least one client update")
        m = len(updates)
        out = {}
        for key in updates[0].tensors:
            ordered = torch.stack([u.tensors[key] for u in updates]).sort(dim=0).values
            out[key] = 0.5 * (ordered[(m - 1) // 2] + ordered[m // 2])
        return out

    def __repr__(self) -> str:
        return "CoordinateMedian()"
