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

Example
-------
>>> from mlcore.data import load_digits, dirichlet_partition
>>> from mlcore.federated import Client, FedAvg, LocalTraining
>>> data = load_digits()
>>> part = dirichlet_partition(data.y, 10, alpha=0.5, random_state=0)
>>> clients = [Client(idx, LocalTraining(local_epochs=1, lr=0.1)) for idx in part]
>>> sim = FedAvg(clients, data.X, data.y, options={"fraction": 0.3}, random_state=0)
>>> result = sim.run(20, model)          # or: sim.start(model); sim.step() ...
>>> result.mean_losses(), result.seeds
>>> from mlcore.federated.flower import run_flower
>>> same = run_flower(sim, model, 20)    # the same clients under Flower's simulation
"""

from .aggregation import AggregationRule, CoordinateMedian, WeightedMean
from .client import (
    BatchSchedule,
    Client,
    ClientTask,
    ClientUpdate,
    LocalContext,
    LocalTraining,
    local_update,
)
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
    "LocalContext",
    "BatchSchedule",
    "local_update",
    "ClientTransform",
    "Compose",
    "UpdateTransform",
    "AggregationRule",
    "WeightedMean",
    "CoordinateMedian",
]
