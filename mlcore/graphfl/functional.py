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
cross-entropy over ``nodes``; learning rates are plain SGD step sizes.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

__all__ = ["Weights", "weights_of", "logits", "node_loss", "sgd_adapt", "accuracy"]

#: A model's trainable weights by parameter name.
Weights = dict[str, torch.Tensor]


def weights_of(model: nn.Module, *, requires_grad: bool = True) -> Weights:
    """Detached copies of ``model``'s parameters (leaves that require grad by default)."""
    return {
        name: p.detach().clone().requires_grad_(requires_grad)
        for name, p in model.named_parameters()
    }


def logits(
    model: nn.Module, weights: Mapping[str, torch.Tensor], x, edge_index: torch.Tensor
) -> torch.Tensor:
    """Class scores of every node under ``weights``, shape ``(n_nodes, n_classes)``."""
    return functional_call(model, dict(weights), (x, edge_index))


def node_loss(
    model: nn.Module,
    weights: Mapping[str, torch.Tensor],
    x,
    edge_index: torch.Tensor,
    nodes: torch.Tensor,
    labels: torch.Tensor,
) -> torch.Tensor:
    """Mean cross-entropy of ``labels`` at ``nodes`` (a scalar with a graph to ``weights``)."""
    return F.cross_entropy(logits(model, weights, x, edge_index)[nodes], labels)


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
        loss = node_loss(model, current, x, edge_index, nodes, labels)
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
) -> float:
    """Share of ``nodes`` whose top class is ``labels``, with the model in eval mode (no
    dropout); the module's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        pred = logits(model, weights, x, edge_index)[nodes].argmax(dim=1)
    finally:
        model.train(was_training)
    return float((pred == labels).double().mean()) if nodes.numel() else float("nan")
