"""Functional training steps on graphs: a model's weights as a plain dict of tensors.

Meta-learning needs weights that are not the module's own: a client adapts a *copy* of the
global weights, and second-order MAML differentiates through that adaptation. Here the weights
are a ``dict[str, Tensor]`` and the module is only the computation, called through
:func:`torch.func.functional_call` (Finn, Abbeel & Levine 2017, arXiv:1703.03400, Eq. 1 for
the inner step). Dropout follows the module's ``training`` flag and draws from torch's global
generator: callers seed it through :func:`mlcore.rng.global_rng_seeded`.

Conventions: ``x`` (node features, dense or sparse CSR, shape ``(n_nodes, n_features)``),
``edge_index`` (int64, ``(2, n_edges)``, both directions of every undirected edge), ``nodes``
(int64 indices into ``x``) and ``labels`` (int64 classes of those nodes). Losses are the mean
cross-entropy over ``nodes``; learning rates are plain SGD step sizes. ``edge_weight`` (optional
everywhere) passes a graph already normalised with self-loops to the model
(:func:`mlcore.graphfl.models.normalized_adjacency`).

A node's output depends only on its ``hops``-hop neighbourhood (2 for both models), so the
loss on a few labelled nodes can be computed on their computation subgraph instead of the whole
graph (:func:`computation_subgraph`): the same numbers, on ~10 % of Cora for a client of 8
labelled nodes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch_geometric.utils import k_hop_subgraph

from .models import normalized_adjacency

__all__ = [
    "Weights",
    "weights_of",
    "logits",
    "node_loss",
    "sgd_adapt",
    "accuracy",
    "ComputationGraph",
    "computation_subgraph",
    "sparse_features",
]

#: A model's trainable weights by parameter name.
Weights = dict[str, torch.Tensor]


def weights_of(model: nn.Module, *, requires_grad: bool = True) -> Weights:
    """Detached copies of ``model``'s parameters (leaves that require grad by default)."""
    return {
        name: p.detach().clone().requires_grad_(requires_grad)
        for name, p in model.named_parameters()
    }


def logits(
    model: nn.Module,
    weights: Mapping[str, torch.Tensor],
    x,
    edge_index: torch.Tensor,
    *,
    edge_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Class scores of every node under ``weights``, shape ``(n_nodes, n_classes)``."""
    return functional_call(model, dict(weights), (x, edge_index, edge_weight))


def node_loss(
    model: nn.Module,
    weights: Mapping[str, torch.Tensor],
    x,
    edge_index: torch.Tensor,
    nodes: torch.Tensor,
    labels: torch.Tensor,
    *,
    edge_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean cross-entropy of ``labels`` at ``nodes`` (a scalar with a graph to ``weights``)."""
    out = logits(model, weights, x, edge_index, edge_weight=edge_weight)
    return F.cross_entropy(out[nodes], labels)


def sgd_adapt(
    model: nn.Module,
    weights: Mapping[str, torch.Tensor],
    x,
    edge_index: torch.Tensor,
    nodes: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int,
    lr: float,
    create_graph: bool = False,
    edge_weight: torch.Tensor | None = None,
) -> tuple[Weights, float]:
    """``steps`` plain gradient steps ``w <- w - lr * grad L(w)`` on ``(nodes, labels)``.

    With ``create_graph=False`` every step starts from detached weights (first-order: the
    result carries no graph back to ``weights``); with ``create_graph=True`` the steps stay
    differentiable, for second-order MAML. Returns the adapted weights (leaves requiring grad
    in the first-order case) and the mean training loss over the steps.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    current = dict(weights)
    total = 0.0
    for _ in range(steps):
        if not create_graph:
            current = {k: v.detach().requires_grad_(True) for k, v in current.items()}
        loss = node_loss(model, current, x, edge_index, nodes, labels, edge_weight=edge_weight)
        grads = torch.autograd.grad(loss, list(current.values()), create_graph=create_graph)
        current = {k: v - lr * g for (k, v), g in zip(current.items(), grads, strict=True)}
        total += float(loss.detach())
    if not create_graph:
        current = {k: v.detach().requires_grad_(True) for k, v in current.items()}
    return current, total / max(steps, 1)


@torch.no_grad()
def accuracy(
    model: nn.Module,
    weights: Mapping[str, torch.Tensor],
    x,
    edge_index: torch.Tensor,
    nodes: torch.Tensor,
    labels: torch.Tensor,
    *,
    edge_weight: torch.Tensor | None = None,
) -> float:
    """Share of ``nodes`` whose top class is ``labels``, with the model in eval mode (no
    dropout); the module's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        pred = logits(model, weights, x, edge_index, edge_weight=edge_weight)[nodes].argmax(dim=1)
    finally:
        model.train(was_training)
    return float((pred == labels).double().mean()) if nodes.numel() else float("nan")


@dataclass(frozen=True, eq=False)
class ComputationGraph:
    """The part of a graph that determines the outputs at some nodes.

    Attributes
    ----------
    x : Tensor
        Features of the subgraph's nodes (sparse CSR when the input was).
    edge_index, edge_weight : Tensor
        Its edges with the *whole* graph's normalised propagation weights (self-loops
        included): pass both to the model, as ``edge_weight=``.
    subset : Tensor
        int64, the subgraph's nodes in the input graph's numbering.
    position : Tensor
        int64, where each requested node sits in the subgraph (in the order requested).
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_weight: torch.Tensor
    subset: torch.Tensor
    position: torch.Tensor

    def local(self, i: int, j: int) -> torch.Tensor:
        """Positions of the requested nodes ``i .. j - 1``."""
        return self.position[i:j]


def computation_subgraph(x, edge_index: torch.Tensor, nodes: torch.Tensor, hops: int):
    """The ``hops``-hop computation subgraph of ``nodes`` (PyG's ``k_hop_subgraph``) with the
    whole graph's normalised weights: a model with ``hops`` propagation steps gives the same
    outputs at ``nodes`` on it as on the whole graph (degrees are those of the whole graph)."""
    n_nodes = x.size(0)
    full_index, full_weight = normalized_adjacency(edge_index, n_nodes)
    subset, sub_index, position, edge_mask = k_hop_subgraph(
        nodes, hops, full_index, relabel_nodes=True, num_nodes=n_nodes
    )
    dense = x if x.layout == torch.strided else x.to_dense()
    sub_x = dense[subset] if x.layout == torch.strided else sparse_features(dense[subset])
    return ComputationGraph(sub_x, sub_index, full_weight[edge_mask], subset, position)


def sparse_features(x: torch.Tensor) -> torch.Tensor:
    """``x`` as a sparse CSR tensor (bag-of-words features are ~1 % non-zero, and the first
    layer's product is then about twice as fast); torch's "beta" notice is silenced."""
    if x.layout == torch.sparse_csr:
        return x
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return x.to_sparse_csr()
