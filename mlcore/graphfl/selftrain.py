"""What each client trains on, and GraphFL's self-training (arXiv:2012.04187, reference code
``utils_gnn.selftraining``).

A :class:`ClientTraining` holds a client's view of the graph and the nodes it trains on: its
labelled support and query nodes with their true labels and, after :func:`self_train`, the
pseudo-labelled nodes added to its support set.

Self-training, per client: a model trained on the client's labelled nodes predicts every node
of its view; walking down the nodes by decreasing confidence (top softmax probability), a node
is accepted for its predicted class while that class has fewer than ``per_class`` accepted
nodes. Only nodes the client has no label for are candidates (:func:`select_pseudo_labels`).
The reference code's choices we keep: no confidence threshold, transductive candidates
(validation and test nodes included, their labels never read). Where we depart from it, and
why:

* each client's pseudo-labeller starts from fresh weights (the reference trains one model
  object client after client, so later clients' labels leak information from earlier ones);
* query nodes keep their true labels (the reference overwrites every label but the client's
  own support labels with predictions, so its meta step is scored on predicted labels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from ..rng import SeedStreams, global_rng_seeded
from .functional import computation_subgraph

__all__ = [
    "ClientTraining",
    "PseudoLabelReport",
    "SelfTrainingOptions",
    "select_pseudo_labels",
    "self_train",
    "training_sets",
]


@dataclass(frozen=True, eq=False)
class ClientTraining:
    """The nodes one client trains on (indices into its view).

    Attributes
    ----------
    view : ClientGraph
        The client's graph (:class:`mlcore.graphfl.clients.ClientGraph`).
    support, support_labels : Tensor
        Support nodes and their training labels (true labels, then pseudo-labels).
    query, query_labels : Tensor
        Query nodes and their true labels (GraphFL's meta step scores them).
    n_pseudo : int
        Pseudo-labelled nodes appended to ``support``.
    """

    view: object
    support: torch.Tensor
    support_labels: torch.Tensor
    query: torch.Tensor
    query_labels: torch.Tensor
    n_pseudo: int = 0

    @property
    def nodes(self) -> torch.Tensor:
        """Every training node (support, then query): what FedAvg and local training use."""
        return torch.cat([self.support, self.query])

    @property
    def labels(self) -> torch.Tensor:
        """The training labels of :attr:`nodes`."""
        return torch.cat([self.support_labels, self.query_labels])

    @property
    def n_labelled(self) -> int:
        """Nodes with a true label (the FedAvg weight of the client)."""
        return int(self.support.numel() + self.query.numel()) - self.n_pseudo


def training_sets(clients: Sequence) -> list[ClientTraining]:
    """One :class:`ClientTraining` per client of a federation, with true labels only."""
    return [ClientTraining(c, c.support, c.y[c.support], c.query, c.y[c.query]) for c in clients]


def select_pseudo_labels(
    probabilities: torch.Tensor, excluded: torch.Tensor, per_class: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The most confident nodes of each predicted class, at most ``per_class`` each.

    Parameters
    ----------
    probabilities : Tensor, shape ``(n_nodes, n_classes)``
        Class probabilities of the view's nodes.
    excluded : Tensor of int64
        Nodes that may not be chosen (the client's labelled nodes).
    per_class : int
        Most nodes accepted per predicted class (``>= 0``).

    Returns
    -------
    nodes, labels : Tensor
        Chosen nodes (by decreasing confidence) and their predicted classes.
    """
    if per_class < 0:
        raise ValueError(f"per_class must be >= 0; got {per_class}")
    confidence, predicted = probabilities.max(dim=1)
    allowed = torch.ones(probabilities.shape[0], dtype=torch.bool)
    allowed[excluded.cpu()] = False
    # a stable sort: equal confidences keep node order, so the choice is deterministic
    order = torch.sort(confidence.cpu(), descending=True, stable=True).indices
    order = order[allowed[order]]
    chosen_nodes, chosen_labels = [], []
    for c in range(probabilities.shape[1]):
        of_class = order[predicted.cpu()[order] == c][:per_class]
        chosen_nodes.append(of_class)
        chosen_labels.append(torch.full_like(of_class, c))
    nodes = torch.cat(chosen_nodes)
    labels = torch.cat(chosen_labels)
    rank = torch.argsort(confidence.cpu()[nodes], descending=True, stable=True)
    return nodes[rank].to(probabilities.device), labels[rank].to(probabilities.device)


@dataclass(frozen=True)
class SelfTrainingOptions:
    """The pseudo-labeller's training: Adam on the client's labelled nodes (the reference code:
    GCN, learning rate 0.01, weight decay 5e-4) and ``per_class`` pseudo-labels per class
    (reference: 20)."""

    per_class: int = 20
    steps: int = 50
    lr: float = 0.01
    weight_decay: float = 5e-4

    def __post_init__(self):
        for name, low in (("per_class", 0), ("steps", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"SelfTrainingOptions.{name} must be an integer >= {low}")
        if not self.lr > 0 or self.weight_decay < 0:
            raise ValueError("SelfTrainingOptions: lr must be > 0 and weight_decay >= 0")


@dataclass(frozen=True)
class PseudoLabelReport:
    """Pseudo-labels added per client and how many of them are right (true labels are read
    only to score, never to choose)."""

    added: tuple[int, ...]
    correct: tuple[int, ...]

    @property
    def precision(self) -> float:
        """Share of pseudo-labels equal to the true label (NaN when none were added)."""
        total = sum(self.added)
        return sum(self.correct) / total if total else float("nan")


def _pseudo_labeller(
    factory: Callable[[], nn.Module], client: ClientTraining, x, options: SelfTrainingOptions
) -> torch.Tensor:
    """Class probabilities of the view's nodes from a model trained on the labelled nodes."""
    model = factory()
    optimizer = torch.optim.Adam(
        model.parameters(), lr=options.lr, weight_decay=options.weight_decay
    )
    model.train()
    # training on the labelled nodes' computation subgraph: the whole view's numbers
    comp = computation_subgraph(x, client.view.edge_index, client.nodes, model.hops)
    for _ in range(options.steps):
        optimizer.zero_grad()
        out = model(comp.x, comp.edge_index, comp.edge_weight)[comp.position]
        nn.functional.cross_entropy(out, client.labels).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return model(x, client.view.edge_index).softmax(dim=1)


def self_train(
    clients: Sequence[ClientTraining],
    factory: Callable[[], nn.Module],
    options: SelfTrainingOptions,
    streams: SeedStreams,
    *,
    features: Callable[[object], torch.Tensor] | None = None,
) -> tuple[list[ClientTraining], PseudoLabelReport]:
    """Every client's support set extended by its pseudo-labelled nodes (module docstring).

    Parameters
    ----------
    clients : sequence of ClientTraining
        With true labels only.
    factory : callable() -> nn.Module
        A fresh model on the right device; called once per client inside
        ``global_rng_seeded`` of the stream ``"selftrain_<k>"`` (initial weights and dropout).
    options : SelfTrainingOptions
    streams : SeedStreams
        The run's streams.
    features : callable(view) -> Tensor, optional
        The node features to feed (e.g. a sparse copy); default ``view.x``.
    """
    out, added, correct = [], [], []
    for k, client in enumerate(clients):
        x = client.view.x if features is None else features(client.view)
        with global_rng_seeded(streams.seed(f"selftrain_{k}")):
            probabilities = _pseudo_labeller(factory, client, x, options)
        excluded = torch.cat([client.view.support, client.view.query])
        nodes, labels = select_pseudo_labels(probabilities, excluded, options.per_class)
        truth = client.view.y[nodes]
        added.append(int(nodes.numel()))
        correct.append(int((truth == labels).sum()))
        out.append(
            replace(
                client,
                support=torch.cat([client.support, nodes]),
                support_labels=torch.cat([client.support_labels, labels]),
                n_pseudo=client.n_pseudo + int(nodes.numel()),
            )
        )
    return out, PseudoLabelReport(tuple(added), tuple(correct))
