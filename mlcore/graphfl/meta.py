"""GraphFL's meta-learning step for non-IID clients (arXiv:2012.04187, reference code
``gnn_ml_update_nonIID.py``): MAML over the sampled clients, then the server's update.

Each sampled client ``i`` adapts the global weights ``theta`` to its support nodes with plain
gradient steps (``theta_i = theta - lr * grad L_support``, repeated; Finn et al. 2017,
arXiv:1703.03400, Eq. 1) and evaluates the loss on its query nodes at ``theta_i``. The
meta-gradient is the mean over clients of the gradient of that query loss with respect to
``theta`` (Eq. 6 of the MAML paper):

* ``order="first"`` (the reference code: its inner gradients are taken without
  ``create_graph``): the gradient at the adapted weights, ``(1/m) sum_i grad L_query,i(theta_i)``;
* ``order="second"``: differentiated through the inner steps (Hessian-vector products).

The server then moves ``theta`` by the meta-gradient (:func:`server_step`):

* ``"adam_sign"`` — the reference code: a torch Adam optimiser created afresh every round takes
  one step (learning rate ``meta_lr``, weight decay added to the gradient). Adam's first
  bias-corrected step is ``m/sqrt(v) = g/|g|``, so this is a sign step of size ``meta_lr``
  per coordinate (up to Adam's epsilon);
* ``"sgd"`` — a plain gradient step ``theta - meta_lr * (g + weight_decay * theta)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..rng import global_rng_seeded
from .functional import Weights, node_loss, sgd_adapt

__all__ = ["MetaTask", "MetaGradient", "meta_gradient", "server_step", "SERVER_STEPS", "ORDERS"]

#: Meta-gradient orders and server updates accepted by :func:`meta_gradient`, :func:`server_step`.
ORDERS = ("first", "second")
SERVER_STEPS = ("adam_sign", "sgd")


@dataclass(frozen=True, eq=False)
class MetaTask:
    """One client's part of a meta step: its graph, support and query nodes with labels, and
    the seed of its dropout draws.

    ``x`` / ``edge_index`` (/ ``edge_weight``, a normalised graph as the models take it) are
    the client's view or a computation subgraph of it; ``support`` / ``query`` index into it.
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    support: torch.Tensor
    support_labels: torch.Tensor
    query: torch.Tensor
    query_labels: torch.Tensor
    seed: int
    edge_weight: torch.Tensor | None = None


@dataclass(frozen=True)
class MetaGradient:
    """The mean meta-gradient over the tasks, keyed like the weights, and the mean query loss
    at the adapted weights and the mean inner (support) loss."""

    gradient: Weights
    query_loss: float
    support_loss: float


def _check(name: str, value, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}; got {value!r}")


def meta_gradient(
    model: nn.Module,
    weights: Weights,
    tasks: Sequence[MetaTask],
    *,
    inner_steps: int,
    inner_lr: float,
    order: str = "first",
) -> MetaGradient:
    """The MAML meta-gradient of ``weights`` over ``tasks`` (module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The computation (its own parameters are not used); put it in train mode for dropout.
    weights : dict of str to Tensor
        ``theta``; not modified.
    tasks : sequence of MetaTask
        At least one.
    inner_steps : int
        Gradient steps on the support nodes (``>= 0``).
    inner_lr : float
        Their step size (``> 0``).
    order : {"first", "second"}
        First-order (the reference code) or second-order MAML.
    """
    _check("order", order, ORDERS)
    if not tasks:
        raise ValueError("meta_gradient needs at least one task")
    total = {k: torch.zeros_like(v) for k, v in weights.items()}
    query_losses, support_losses = [], []
    for task in tasks:
        start = {k: v.detach().requires_grad_(True) for k, v in weights.items()}
        with global_rng_seeded(task.seed):
            adapted, support_loss = sgd_adapt(
                model,
                start,
                task.x,
                task.edge_index,
                task.support,
                task.support_labels,
                steps=inner_steps,
                lr=inner_lr,
                create_graph=order == "second",
                edge_weight=task.edge_weight,
            )
            loss = node_loss(
                model,
                adapted,
                task.x,
                task.edge_index,
                task.query,
                task.query_labels,
                edge_weight=task.edge_weight,
            )
        # first order: d loss / d theta_i; second order: through the inner steps to theta
        wrt = adapted if order == "first" else start
        grads = torch.autograd.grad(loss, list(wrt.values()), allow_unused=True)
        for key, g in zip(wrt, grads, strict=True):
            if g is not None:
                total[key] += g.detach()
        query_losses.append(float(loss.detach()))
        support_losses.append(support_loss)
    m = len(tasks)
    return MetaGradient(
        gradient={k: v / m for k, v in total.items()},
        query_loss=float(np.mean(query_losses)),
        support_loss=float(np.mean(support_losses)),
    )


def server_step(
    weights: Weights,
    gradient: Weights,
    *,
    kind: str = "adam_sign",
    lr: float,
    weight_decay: float = 0.0,
) -> Weights:
    """``weights`` moved by ``gradient`` with the server update ``kind`` (module docstring).

    Returns new detached weights; the inputs are not modified.
    """
    _check("server_step", kind, SERVER_STEPS)
    params = [v.detach().clone().requires_grad_(True) for v in weights.values()]
    for p, key in zip(params, weights, strict=True):
        p.grad = gradient[key].detach().clone()
    if kind == "adam_sign":
        # the reference code builds a new Adam every round and takes a single step with it
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        optimizer = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    optimizer.step()
    return {key: p.detach() for key, p in zip(weights, params, strict=True)}
