"""Run the clients of a :class:`~mlcore.federated.FedAvg` under Flower's simulation.

For users who already run Flower (``flwr``, ``pip install "physcore-mlcore[ml]"``): the same
clients, transform, aggregation rule and seeds, driven by Flower's own machinery —
``flwr.simulation.run_simulation`` with its Ray back-end (each client trains in a Ray actor),
a ``ClientApp`` per virtual SuperNode and a ``ServerApp`` whose strategy is Flower's
``flwr.serverapp.strategy.FedAvg``. With the default :class:`WeightedMean` rule the aggregate
is computed by Flower (``FedAvg.aggregate_train``, i.e. ``aggregate_arrayrecords``); another
rule is applied by the strategy to the same replies.

What is ours and why:

* ``configure_train`` is overridden so that clients are sampled by the simulation's seeded
  sampler (Flower's ``sample_nodes`` draws from Python's global ``random``), node ``i`` (in
  ascending node-id order) runs client ``i``, and each message carries the client's
  :class:`~mlcore.federated.client.ClientTask` (seeds, round, batch-schedule offset). A client
  is a pure function of the task and the global weights, so no per-node state is needed.
* Replies are sorted by client before aggregation (Ray returns them in completion order; the
  float sum depends on the order).
* Clients share float64 deltas (exact differences of float32 weights), as in-process.

``run_simulation`` is deprecated in favour of the ``flwr run`` command, which needs an app
project on disk; for a library call the Python entry point is the one that fits.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .aggregation import WeightedMean
from .client import Client, ClientTask, ClientUpdate, LossFn
from .fedavg import FedAvg, FedAvgResult, apply_aggregate, shared_update
from .transforms import UpdateTransform

__all__ = ["run_flower"]

_TASK_KEYS = ("client", "round", "seed", "round-seed", "step-offset")
_NODE_WAIT_S = 120.0


@dataclass
class _ClientRunner:
    """What a Flower ClientApp needs, kept on the CPU so that it pickles into a Ray actor
    (the server's model and sampler stay in the caller's process)."""

    clients: list[Client]
    kind: str
    loss_fn: LossFn | None
    transform: UpdateTransform | None
    template: nn.Module
    X: torch.Tensor
    y: torch.Tensor
    device: str
    threads: int

    @classmethod
    def of(cls, sim: FedAvg, global_model: nn.Module) -> _ClientRunner:
        return cls(
            sim.clients,
            sim.options.share,
            sim.loss_fn,
            sim.transform,
            copy.deepcopy(global_model).cpu(),
            sim.X.cpu(),
            sim.y.cpu(),
            str(sim.device),
            torch.get_num_threads(),
        )

    def __call__(self, task: ClientTask, state: Mapping[str, torch.Tensor]) -> ClientUpdate:
        torch.set_num_threads(self.threads)  # same thread count as the caller: same numbers
        device = torch.device(self.device)
        if self.X.device != device:
            self.X, self.y = self.X.to(device), self.y.to(device)
            self.template = self.template.to(device)
        self.template.load_state_dict(state)
        return shared_update(
            self.clients[task.client],
            task,
            self.template,
            self.X,
            self.y,
            kind=self.kind,
            loss_fn=self.loss_fn,
            transform=self.transform,
        )


def _client_app(runner: _ClientRunner):
    from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    app = ClientApp()

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        config = msg.content["config"]
        task = ClientTask(*(int(config[key]) for key in _TASK_KEYS))
        update = runner(task, msg.content["arrays"].to_torch_state_dict())
        arrays = ArrayRecord({k: v.detach().cpu() for k, v in update.tensors.items()})
        metrics = MetricRecord(
            {"num-examples": update.n_samples, "loss": update.loss, "client": update.client}
        )
        return Message(RecordDict({"arrays": arrays, "metrics": metrics}), reply_to=msg)

    return app


def _strategy_class():
    from flwr.app import ArrayRecord, ConfigRecord, Message, MessageType, MetricRecord, RecordDict
    from flwr.serverapp.strategy import FedAvg as FlowerFedAvg

    class MlcoreFedAvg(FlowerFedAvg):
        """Flower's FedAvg with the simulation's seeded sampling and aggregation rule."""

        def __init__(self, sim: FedAvg):
            n = len(sim.clients)
            super().__init__(
                fraction_train=1.0,
                fraction_evaluate=0.0,
                min_train_nodes=1,
                min_available_nodes=n,
            )
            self.sim = sim
            self._t0 = 0.0

        def configure_train(self, server_round, arrays, config, grid):
            nodes = _wait_for_nodes(grid, len(self.sim.clients))
            self._t0 = time.perf_counter()
            messages = []
            for task in self.sim.plan_round():
                values = (task.client, task.round, task.seed, task.round_seed, task.step_offset)
                record = RecordDict(
                    {"arrays": arrays, "config": ConfigRecord(dict(zip(_TASK_KEYS, values)))}
                )
                messages.append(
                    Message(record, message_type=MessageType.TRAIN, dst_node_id=nodes[task.client])
                )
            return messages

        def aggregate_train(self, server_round, replies):
            replies = list(replies)
            failed = [m for m in replies if m.has_error()]
            if failed:
                raise RuntimeError(f"Flower client failed: {failed[0].error.reason}")
            replies.sort(key=lambda m: int(m.content["metrics"]["client"]))
            sim = self.sim
            updates = [_as_update(m, sim) for m in replies]
            if isinstance(sim.aggregator, WeightedMean):
                flower_arrays, _ = super().aggregate_train(server_round, replies)
                aggregate = {
                    k: v.to(sim.device) for k, v in flower_arrays.to_torch_state_dict().items()
                }
            else:
                aggregate = sim.aggregate(updates)
            model = sim.global_model
            model.load_state_dict(
                apply_aggregate(
                    model.state_dict(), aggregate, sim.options.share, sim.options.server_lr
                )
            )
            record = sim.record_round(updates, aggregate, time.perf_counter() - self._t0)
            arrays = ArrayRecord({k: v.detach().cpu() for k, v in model.state_dict().items()})
            return arrays, MetricRecord({"loss": record.mean_loss})

    return MlcoreFedAvg


def _as_update(message, sim: FedAvg) -> ClientUpdate:
    metrics = message.content["metrics"]
    tensors = {
        k: v.to(sim.device) for k, v in message.content["arrays"].to_torch_state_dict().items()
    }
    return ClientUpdate(
        int(metrics["client"]),
        int(metrics["num-examples"]),
        sim.options.share,
        tensors,
        float(metrics["loss"]),
    )


def _wait_for_nodes(grid, n_nodes: int) -> list[int]:
    deadline = time.monotonic() + _NODE_WAIT_S
    while len(nodes := sorted(grid.get_node_ids())) < n_nodes:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"Flower simulation: {len(nodes)} of {n_nodes} SuperNodes connected after "
                f"{_NODE_WAIT_S:.0f} s"
            )
        time.sleep(0.05)
    return nodes


def _backend_config(sim: FedAvg, user: Mapping[str, Any] | None) -> dict:
    gpus = 0.5 if sim.device.type == "cuda" else 0.0
    config: dict[str, Any] = {
        "client_resources": {"num_cpus": 1, "num_gpus": gpus},
        "init_args": {
            "num_cpus": os.cpu_count() or 1,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
        },
    }
    for key, value in (user or {}).items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, Mapping) else value
    return config


def run_flower(
    sim: FedAvg,
    global_model: nn.Module,
    n_rounds: int,
    *,
    backend_config: Mapping[str, Any] | None = None,
    verbose: bool = False,
) -> FedAvgResult:
    """Run ``n_rounds`` of ``sim`` (started from ``global_model``) under Flower's simulation.

    Parameters
    ----------
    sim : FedAvg
        The simulation whose clients, options, transform, aggregator and seeds are used; it is
        (re)started from ``global_model``, and its rounds and model hold the Flower run.
    global_model : torch.nn.Module
        Initial global model (copied).
    n_rounds : int
        Number of rounds, ``>= 1``.
    backend_config : mapping, optional
        Merged into the Ray back-end configuration (``client_resources``, ``init_args``).
    verbose : bool
        Keep Flower's INFO log (by default only errors: it logs several lines per round).

    Returns
    -------
    FedAvgResult
        As :meth:`FedAvg.run`; the same as the in-process run for the same configuration.
    """
    from flwr.app import ArrayRecord, Context
    from flwr.serverapp import Grid, ServerApp
    from flwr.simulation import run_simulation

    if isinstance(n_rounds, bool) or not isinstance(n_rounds, int) or n_rounds < 1:
        raise ValueError(f"run_flower: n_rounds must be an integer >= 1; got {n_rounds!r}")
    sim.start(global_model)
    runner = _ClientRunner.of(sim, global_model)
    errors: list[BaseException] = []
    server_app = ServerApp()

    @server_app.main()
    def main(grid: Grid, context: Context) -> None:
        try:
            state = {k: v.detach().cpu() for k, v in sim.global_model.state_dict().items()}
            strategy.start(grid=grid, initial_arrays=ArrayRecord(state), num_rounds=n_rounds)
        except BaseException as error:  # re-raised in the caller's thread below
            errors.append(error)
            raise

    logger = logging.getLogger("flwr")
    level = logger.level
    logger.setLevel(logging.INFO if verbose else logging.ERROR)
    try:
        strategy = _strategy_class()(sim)
        run_simulation(
            server_app,
            _client_app(runner),
            num_supernodes=len(sim.clients),
            backend_config=_backend_config(sim, backend_config),
        )
    finally:
        logger.setLevel(level)
    if errors:
        raise RuntimeError("the Flower simulation failed") from errors[0]
    if len(sim.result().rounds) != n_rounds:
        raise RuntimeError(
            f"the Flower simulation ran {len(sim.result().rounds)} of {n_rounds} rounds"
        )
    return sim.result()
