"""Federated node classification: the solver behind local training, FedAvg and GraphFL.

:class:`FederatedNodeClassification` runs rounds (``start`` / ``step`` / ``run``) of one method
over clients that each hold a view of a graph and a few labelled nodes
(:class:`~mlcore.graphfl.selftrain.ClientTraining`):

``"local"``
    No communication: every client trains its own model on its nodes every round (SGD,
    ``local_steps`` steps). Scored by each client's model on the evaluation nodes of its view.
``"fedavg"``
    FedAvg (McMahan et al. 2017, arXiv:1602.05629, Algorithm 1): each sampled client takes
    ``local_steps`` SGD steps from the global weights on all its training nodes; the server
    averages the weights, weighted by the clients' labelled nodes (FedAvg's rule,
    :class:`mlcore.federated.WeightedMean`).
``"graphfl"``
    GraphFL for non-IID clients (arXiv:2012.04187, reference code ``GraphFL_*_nonIID.py``): a
    MAML meta step on the sampled clients' support/query nodes and the server update
    (:mod:`mlcore.graphfl.meta`), then each sampled client fine-tunes the meta-updated weights
    on its support nodes (``finetune_steps`` SGD steps) and the server averages them as FedAvg
    does. With equal client sizes (the reference setting) that is the reference's plain mean.

After every round the global model (or, for ``"local"``, each client's model) is scored on the
validation and test nodes. :class:`NodeClassificationResult` reports the test accuracy at the
round of best validation accuracy (model selection that never reads test labels) beside the
best test accuracy over rounds (the reference code's selection, optimistic by construction).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..federated import ClientUpdate, WeightedMean, apply_aggregate
from ..params import Interval, Options, Params, parameter
from ..rng import RandomState, as_seed_sequence, global_rng_seeded, seed_from
from .functional import (
    ComputationGraph,
    Weights,
    accuracy,
    computation_subgraph,
    sgd_adapt,
    sparse_features,
    weights_of,
)
from .meta import ORDERS, SERVER_STEPS, MetaTask, meta_gradient, server_step
from .selftrain import ClientTraining

__all__ = [
    "METHODS",
    "FederatedOptions",
    "RoundStats",
    "NodeClassificationResult",
    "FederatedNodeClassification",
]

#: Methods of :class:`FederatedNodeClassification`.
METHODS = ("local", "fedavg", "graphfl")

_POSITIVE = Interval(float, 0, None, closed="neither")


@dataclass(frozen=True)
class FederatedOptions(Params):
    """Options of :class:`FederatedNodeClassification` (defaults: GraphFL's reference code for
    GCN on Cora: 10 clients per round, step size 0.01, 10 inner and 10 fine-tuning steps, meta
    step 0.02 with weight decay 5e-4)."""

    method: str = parameter("graphfl", Options(*METHODS), "training method")
    clients_per_round: int = parameter(
        10, Interval(int, 1, None), "clients sampled per round (not used by 'local')"
    )
    lr: float = parameter(0.01, _POSITIVE, "client SGD step size (every method)")
    local_steps: int = parameter(
        20, Interval(int, 1, None), "SGD steps per round of 'local' and 'fedavg'", unit="steps"
    )
    inner_steps: int = parameter(
        10, Interval(int, 0, None), "GraphFL adaptation steps on the support nodes", unit="steps"
    )
    finetune_steps: int = parameter(
        10, Interval(int, 0, None), "GraphFL fine-tuning steps after the meta step", unit="steps"
    )
    meta_lr: float = parameter(0.02, _POSITIVE, "GraphFL server step size")
    weight_decay: float = parameter(5e-4, Interval(float, 0, None), "server-step weight decay")
    order: str = parameter("first", Options(*ORDERS), "MAML meta-gradient order")
    server_step: str = parameter(
        "adam_sign", Options(*SERVER_STEPS), "GraphFL server update (see mlcore.graphfl.meta)"
    )


@dataclass(frozen=True)
class RoundStats:
    """One round: the clients that took part, mean training loss (support loss for GraphFL),
    mean query loss at the adapted weights (GraphFL; NaN otherwise), accuracies after the
    round and its wall time in seconds."""

    round: int
    clients: tuple[int, ...]
    train_loss: float
    query_loss: float
    val_accuracy: float
    test_accuracy: float
    wall_time_s: float


@dataclass(frozen=True, eq=False)
class NodeClassificationResult:
    """A finished run: its rounds, the final global weights (None for ``"local"``) and the
    accuracies under the two model selections."""

    rounds: tuple[RoundStats, ...]
    weights: Weights | None

    @property
    def best_val_round(self) -> int:
        """The first round with the highest validation accuracy."""
        return int(np.argmax([r.val_accuracy for r in self.rounds]))

    @property
    def test_at_best_val(self) -> float:
        """Test accuracy at :attr:`best_val_round` (selected on validation nodes)."""
        return self.rounds[self.best_val_round].test_accuracy

    @property
    def max_test(self) -> float:
        """Best test accuracy over rounds (the reference code's selection)."""
        return max(r.test_accuracy for r in self.rounds)

    @property
    def final_test(self) -> float:
        return self.rounds[-1].test_accuracy


def _to_update(client: int, n: int, start: Weights, end: Weights, loss: float) -> ClientUpdate:
    delta = {k: end[k].detach().double() - start[k].detach().double() for k in start}
    return ClientUpdate(client=client, n_samples=n, kind="delta", tensors=delta, loss=loss)


class FederatedNodeClassification:
    """Rounds of a federated node-classification method (module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The computation (a :mod:`mlcore.graphfl.models` network, which declares ``hops``); the
        run's weights start from its parameters (initialise it under a seed) and live outside
        it. Training steps run on each client's computation subgraph
        (:func:`mlcore.graphfl.functional.computation_subgraph`): the same numbers as on its
        whole view.
    clients : sequence of ClientTraining
        What each client trains on.
    evaluation : sequence of EvalView
        Validation and test nodes with their graphs
        (:meth:`mlcore.graphfl.clients.FederatedGraph.evaluation_views`): one for a shared
        graph, or one per client (in client order) for subgraph clients.
    options : FederatedOptions or dict
    random_state : int, Generator or SeedSequence
        Client sampling and every client's dropout draws.
    """

    def __init__(
        self,
        model: nn.Module,
        clients: Sequence[ClientTraining],
        evaluation: Sequence,
        options: FederatedOptions | dict | None = None,
        *,
        random_state: RandomState = 0,
    ):
        if not isinstance(getattr(model, "hops", None), int):
            raise ValueError(
                "model must declare `hops`, the propagation steps behind each output "
                "(the mlcore.graphfl.models networks do)"
            )
        if isinstance(options, FederatedOptions):
            self.options = options
        else:
            self.options = FederatedOptions.from_dict(options or {})
        if not clients:
            raise ValueError("clients must hold at least one client")
        if len(evaluation) not in (1, len(clients)):
            raise ValueError(
                f"evaluation must hold 1 view or one per client ({len(clients)}); "
                f"got {len(evaluation)}"
            )
        n_val = sum(int(ev.val.numel()) for ev in evaluation)
        n_test = sum(int(ev.test.numel()) for ev in evaluation)
        if n_val == 0 or n_test == 0:  # accuracies would be 0 / 0
            raise ValueError(
                "evaluation must hold at least one validation and one test node; got "
                f"{n_val} and {n_test}"
            )
        o = self.options
        if o.method != "local" and o.clients_per_round > len(clients):
            raise ValueError(
                f"clients_per_round must be <= the number of clients ({len(clients)}); "
                f"got {o.clients_per_round}"
            )
        self.model = model
        self.clients = list(clients)
        self.evaluation = list(evaluation)
        self._root = as_seed_sequence(random_state)
        self._features: dict[int, torch.Tensor] = {}
        self._computations: dict[int, tuple] = {}
        self._round = 0
        self._rounds: list[RoundStats] = []
        self._weights: Weights | None = None
        self._local: list[Weights] | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` as sparse CSR (bag-of-words features are ~1 % non-zero: the first layer's
        product is then ~2x faster), converted once per feature tensor."""
        key = id(x)
        if key not in self._features:
            self._features[key] = sparse_features(x)
        return self._features[key]

    def _seed(self, *key: int) -> int:
        return seed_from(np.random.SeedSequence(self._root.entropy, spawn_key=key))

    def _sample(self) -> list[int]:
        rng = np.random.default_rng(np.random.SeedSequence(self._root.entropy, spawn_key=(0,)))
        for _ in range(self._round):  # one draw per finished round: resumable from any round
            rng.permutation(len(self.clients))
        order = rng.permutation(len(self.clients))
        return sorted(int(k) for k in order[: self.options.clients_per_round])

    def _computation(self, k: int) -> tuple[ComputationGraph, torch.Tensor, torch.Tensor]:
        """Client ``k``'s computation subgraph around its training nodes, and the positions
        of its support and query nodes in it (built once: training on it gives the numbers
        of the whole view, at a fraction of the cost)."""
        if k not in self._computations:
            c = self.clients[k]
            comp = computation_subgraph(
                self.features(c.view.x), c.view.edge_index, c.nodes, self.model.hops
            )
            n_support = c.support.numel()
            self._computations[k] = (comp, comp.local(0, n_support), comp.position[n_support:])
        return self._computations[k]

    def _train(self, weights: Weights, k: int, steps: int, *, support_only=False) -> tuple:
        c = self.clients[k]
        comp, support, query = self._computation(k)
        if support_only:
            nodes, labels = support, c.support_labels
        else:
            nodes, labels = torch.cat([support, query]), c.labels
        with global_rng_seeded(self._seed(1, self._round, k)):
            return sgd_adapt(
                self.model, weights, comp.x, comp.edge_index, nodes, labels,
                steps=steps, lr=self.options.lr, edge_weight=comp.edge_weight,
            )  # fmt: skip

    def _aggregate(self, start: Weights, finished: Sequence[tuple[int, Weights, float]]):
        updates = [
            _to_update(k, self.clients[k].n_labelled, start, w, loss) for k, w, loss in finished
        ]
        new = apply_aggregate(start, WeightedMean()(updates), "delta", 1.0)
        return {k: v.detach() for k, v in new.items()}

    def _score(self, scored: Sequence[tuple[int, Weights]]) -> tuple[float, float]:
        """Accuracy over the validation and test nodes of every ``(view, weights)`` pair in
        ``scored`` (all nodes pooled; a shared view scored with every client's local weights
        gives the mean accuracy over clients)."""
        counts = np.zeros(4)  # correct val, val nodes, correct test, test nodes
        for i, weights in scored:
            ev = self.evaluation[i]
            x = self.features(ev.view.x)
            for j, (nodes, labels) in enumerate(((ev.val, ev.y_val), (ev.test, ev.y_test))):
                if nodes.numel():
                    acc = accuracy(self.model, weights, x, ev.view.edge_index, nodes, labels)
                    counts[2 * j] += acc * nodes.numel()
                    counts[2 * j + 1] += nodes.numel()
        return counts[0] / counts[1], counts[2] / counts[3]

    def _scored(self) -> list[tuple[int, Weights]]:
        if self.options.method != "local":
            return [(i, self._weights) for i in range(len(self.evaluation))]
        shared = len(self.evaluation) == 1
        return [(0 if shared else k, w) for k, w in enumerate(self._local)]

    # -- rounds -----------------------------------------------------------------------------

    def start(self, weights: Weights | None = None) -> None:
        """Begin at round 0 from ``weights`` (default: the model's parameters)."""
        start = weights_of(self.model) if weights is None else dict(weights)
        self._weights = {k: v.detach() for k, v in start.items()}
        self._local = [dict(self._weights) for _ in self.clients]
        self._round = 0
        self._rounds = []

    def step(self) -> RoundStats:
        """One round of the method; returns its statistics."""
        if self._weights is None:
            raise RuntimeError("call start() before step()")
        began = time.perf_counter()
        self.model.train()
        method = self.options.method
        if method == "local":
            clients, loss, query_loss = self._local_round()
        else:
            clients = self._sample()
            if method == "fedavg":
                loss, query_loss = self._fedavg_round(clients), float("nan")
            else:
                loss, query_loss = self._graphfl_round(clients)
        val, test = self._score(self._scored())
        stats = RoundStats(
            self._round, tuple(clients), loss, query_loss, val, test,
            round(time.perf_counter() - began, 4),
        )  # fmt: skip
        self._rounds.append(stats)
        self._round += 1
        return stats

    def run(self, n_rounds: int, weights: Weights | None = None) -> NodeClassificationResult:
        """``start(weights)`` then ``n_rounds`` rounds."""
        if isinstance(n_rounds, bool) or not isinstance(n_rounds, int) or n_rounds < 1:
            raise ValueError(f"n_rounds must be an integer >= 1; got {n_rounds!r}")
        self.start(weights)
        for _ in range(n_rounds):
            self.step()
        return self.result()

    def result(self) -> NodeClassificationResult:
        """The rounds so far and the current global weights."""
        final = None if self.options.method == "local" else self._weights
        return NodeClassificationResult(tuple(self._rounds), final)

    def _local_round(self) -> tuple[list[int], float, float]:
        losses = []
        for k in range(len(self.clients)):
            self._local[k], loss = self._train(self._local[k], k, self.options.local_steps)
            losses.append(loss)
        return list(range(len(self.clients))), float(np.mean(losses)), float("nan")

    def _fedavg_round(self, clients: list[int]) -> float:
        finished = [(k, *self._train(self._weights, k, self.options.local_steps)) for k in clients]
        self._weights = self._aggregate(self._weights, finished)
        return float(np.mean([loss for _, _, loss in finished]))

    def _graphfl_round(self, clients: list[int]) -> tuple[float, float]:
        o = self.options
        tasks = []
        for k in clients:
            c = self.clients[k]
            comp, support, query = self._computation(k)
            seed = self._seed(2, self._round, k)
            tasks.append(
                MetaTask(
                    comp.x,
                    comp.edge_index,
                    support,
                    c.support_labels,
                    query,
                    c.query_labels,
                    seed,
                    edge_weight=comp.edge_weight,
                )  # fmt: skip
            )
        meta = meta_gradient(
            self.model, self._weights, tasks,
            inner_steps=o.inner_steps, inner_lr=o.lr, order=o.order,
        )  # fmt: skip
        theta = server_step(
            self._weights, meta.gradient,
            kind=o.server_step, lr=o.meta_lr, weight_decay=o.weight_decay,
        )  # fmt: skip
        finished = [
            (k, *self._train(theta, k, o.finetune_steps, support_only=True)) for k in clients
        ]
        self._weights = self._aggregate(theta, finished)
        return meta.support_loss, meta.query_loss
