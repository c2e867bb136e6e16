"""Federated learning simulation: FedAvg with pluggable client-update transforms and server
aggregation rules, and an adapter that runs the same clients under Flower.

* :class:`FedAvg` — the solver (``start`` / ``step`` / ``run``), :class:`FedAvgOptions`,
  :class:`RoundRecord`, :class:`FedAvgResult`;
* :class:`Client`, :class:`LocalTraining`, :class:`ClientUpdate` — clients and what they share;
* :class:`ClientTransform`, :class:`Compose` — where defenses act on a client's share;
* :class:`WeightedMean`, :class:`CoordinateMedian` — server aggregation rules;
* :func:`mlcore.federated.flower.run_flower` — the Flower adapter (needs ``flwr[simulation]``,
  imported only when used).

Data partitions for the clients come from :mod:`mlcore.partition`.
"""

from .aggregation import AggregationRule, CoordinateMedian, WeightedMean
from .client import BatchSchedule, Client, ClientTask, ClientUpdate, LocalTraining, local_update
from .fedavg import FedAvg, FedAvgOptions, FedAvgResult, RoundRecord, apply_aggregate
from .transforms import ClientTransform, Compose, UpdateTransform

__all__ = [
    "FedAvg",
    "FedAvgOptions",
    "FedAvgResult",
    "RoundRecord",
    "apply_aggregate",
    "Client",
    "LocalTraining",
    "ClientTask",
    "ClientUpdate",
    "BatchSchedule",
    "local_update",
    "ClientTransform",
    "Compose",
    "UpdateTransform",
    "AggregationRule",
    "WeightedMean",
    "CoordinateMedian",
]
