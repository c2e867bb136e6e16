"""Prototypical networks for GraphFL's new label domains — OUR EXTENSION.

GraphFL's reference code meets new label domains with federated MAML
(:mod:`mlcore.graphfl.newdomain`, research notes §6); it contains no prototypical-network code
and whether the paper describes one is unknown (notes §6, §12). This module adds that reading
of "meta-learning for new label domains" for comparison on the same tasks.

Prototypical networks (Snell, Swersky & Zemel 2017, arXiv:1703.05175): the prototype of
class ``k`` is the mean embedding of its support nodes, ``c_k = mean_{i in S_k} f(x_i)``
(Eq. 1), and a query node's class probabilities are the softmax of minus the squared Euclidean
distances, ``p(y = k | x) = softmax_k(-||f(x) - c_k||^2)`` (Eq. 2); the loss is the mean
negative log-probability of the query nodes' classes. The embedding ``f`` is the graph
model's output vector (its logits), so GCN and SGC serve unchanged.

Federated training (:func:`proto_train`): each sampled client holds one training task and
takes ``local_steps`` SGD steps on the task's prototypical loss from the global weights; the
server takes the plain mean, as GraphFL's round does. Evaluation (:func:`proto_evaluate`)
needs no fine-tuning: prototypes from the test task's support nodes classify its queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..params import Instance, Interval, parameter
from ..rng import RandomState, as_generator
from .functional import Weights, logits
from .newdomain_tasks import (
    _SEED,
    FewShotScores,
    FewShotTask,
    TaskRounds,
    TrainedWeights,
    _check,
    _check_tasks,
    _federated_rounds,
    _n_outputs,
    _seed_record,
    _task_draw,
)

__all__ = [
    "ProtoTrainingOptions",
    "prototype_log_probs",
    "prototypical_loss",
    "proto_train",
    "proto_evaluate",
]


@dataclass(frozen=True)
class ProtoTrainingOptions(TaskRounds):
    """Federated prototypical training (our extension): tasks as in :class:`TaskRounds`."""

    local_steps: int = parameter(
        10, Interval(int, 1, None), "SGD steps per client on its task's prototypical loss"
    )
    lr: float = parameter(0.05, Interval(float, 0, None, closed="neither"), "local SGD step")


def prototype_log_probs(
    support_embeddings: torch.Tensor,
    support_labels: torch.Tensor,
    query_embeddings: torch.Tensor,
    n_way: int,
) -> torch.Tensor:
    """Log-probabilities of the query nodes' classes (Snell et al. 2017, Eq. 1-2).

    Parameters
    ----------
    support_embeddings : torch.Tensor
        ``(n_support, d)`` embeddings of the support nodes.
    support_labels : torch.Tensor
        ``(n_support,)`` int64 task labels in ``0 .. n_way - 1``; every class present.
    query_embeddings : torch.Tensor
        ``(n_query, d)``.
    n_way : int
        Classes of the task.

    Returns
    -------
    torch.Tensor
        ``(n_query, n_way)``: ``log_softmax(-||f(x) - c_k||^2)`` over ``k``.
    """
    counts = torch.bincount(support_labels, minlength=n_way)
    if counts.numel() != n_way or bool((counts == 0).any()):
        raise ValueError(
            f"prototype_log_probs.support_labels must hold every class 0 .. {n_way - 1} "
            f"(n_way={n_way}); got counts {counts.tolist()}"
        )
    dim = support_embeddings.shape[1]
    zeros = support_embeddings.new_zeros(n_way, dim)
    sums = zeros.index_add(0, support_labels, support_embeddings)
    prototypes = sums / counts.unsqueeze(1).to(sums.dtype)
    # explicit squared distances: torch.cdist's gradient is undefined at distance 0
    sq_dist = ((query_embeddings.unsqueeze(1) - prototypes.unsqueeze(0)) ** 2).sum(-1)
    return F.log_softmax(-sq_dist, dim=1)


def prototypical_loss(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    task: FewShotTask,
) -> torch.Tensor:
    """Mean negative log-probability of ``task``'s query classes under the prototypes of its
    support nodes (our extension; Snell et al. 2017, Eq. 2), with a graph to ``weights``."""
    emb = logits(model, weights, x, edge_index)
    log_p = prototype_log_probs(emb[task.support], task.support_labels, emb[task.query], task.n_way)
    return F.nll_loss(log_p, task.query_labels)


def _proto_local(model, weights, x, edge_index, task, steps: int, lr: float):
    """``steps`` plain SGD steps on the task's prototypical loss (written out because
    :func:`~mlcore.graphfl.functional.sgd_adapt` is tied to cross-entropy)."""
    current = {k: v.detach() for k, v in weights.items()}
    total = 0.0
    for _ in range(steps):
        current = {k: v.requires_grad_(True) for k, v in current.items()}
        loss = prototypical_loss(model, current, x, edge_index, task)
        grads = torch.autograd.grad(loss, list(current.values()))
        current = {
            k: (v - lr * g).detach() for (k, v), g in zip(current.items(), grads, strict=True)
        }
        total += float(loss.detach())
    return current, total / steps


def proto_train(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    labels,
    train_classes: Sequence[int],
    options: ProtoTrainingOptions | None = None,
    *,
    random_state: RandomState = 0,
    progress: bool = False,
) -> TrainedWeights:
    """Federated prototypical-network training (OUR EXTENSION, not in GraphFL's code).

    Every round draws ``options.tasks_per_round`` tasks over ``train_classes``
    (:func:`~mlcore.graphfl.newdomain.sample_tasks`); each client takes
    ``options.local_steps`` SGD steps on its task's :func:`prototypical_loss` from the global
    weights; the server takes the plain mean. Parameters as
    :func:`~mlcore.graphfl.newdomain.meta_train`; ``history.train_loss`` is the clients' mean
    prototypical (query) loss over their steps, ``history.query_loss`` is None.
    """
    owner = "proto_train"
    options = ProtoTrainingOptions() if options is None else options
    _check(owner, "options", options, Instance(ProtoTrainingOptions))
    _check(owner, "random_state", random_state, _SEED)
    # the embedding needs no n_way outputs, but keep it at least n_way wide (cheap sanity)
    draw = _task_draw(
        owner, labels, train_classes, options, _n_outputs(model, weights, x, edge_index)
    )

    def update(current: Weights, task: FewShotTask):
        task = task.to(x.device)
        new, loss = _proto_local(
            model, current, x, edge_index, task, options.local_steps, options.lr
        )
        return new, loss, None

    return _federated_rounds(
        model,
        weights,
        rounds=options.rounds,
        draw=draw,
        update=update,
        rng=as_generator(random_state),
        method="proto",
        params={**options.to_dict(), "random_state": _seed_record(random_state)},
        progress=progress,
    )


@torch.no_grad()
def proto_evaluate(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    tasks: Sequence[FewShotTask],
) -> FewShotScores:
    """Prototypical meta-test (OUR EXTENSION): no fine-tuning; each query node takes the class
    of the nearest support prototype (eval mode, deterministic). ``curve`` has one column."""
    tasks = _check_tasks("proto_evaluate", tasks)
    was_training = model.training
    model.eval()
    try:
        emb = logits(model, weights, x, edge_index)
    finally:
        model.train(was_training)
    accs = np.empty((len(tasks), 1))
    for i, task in enumerate(tasks):
        task = task.to(x.device)
        log_p = prototype_log_probs(
            emb[task.support], task.support_labels, emb[task.query], task.n_way
        )
        accs[i, 0] = float((log_p.argmax(1) == task.query_labels).double().mean())
    return FewShotScores.from_curve(accs, "proto", {"steps": 0})
