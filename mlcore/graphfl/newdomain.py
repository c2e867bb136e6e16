"""GraphFL for new label domains: few-shot node classification on classes never trained on.

GraphFL (Wang et al., arXiv:2012.04187, ICDM 2022) meets *new label domains* with federated
meta-learning. Its reference code (research notes §6: ``data_generator.py``,
``GraphFL_GCN_OOD.py``, ``gnn_ml_update_ood.py``) does, and this module does likewise:

1. **Class split** (:func:`class_split`): the test classes are the first ``n_way`` classes
   (``combinations(classes, n_way)[0]``, i.e. {0, 1} on Cora); training classes are the rest.
2. **Tasks** (:func:`sample_tasks`): ``n_way`` classes of one side, ``k_shot`` support and
   ``k_query`` query nodes per class, labels re-encoded ``0 .. n_way - 1`` in ascending class
   order (the reference's ``LabelEncoder``).
3. **Federated meta-training** (:func:`meta_train`): every sampled client holds one training
   task and takes one MAML step (Finn et al. 2017, arXiv:1703.03400, Alg. 2) on its own copy
   of the global weights: inner SGD on the support nodes, the query loss at the adapted
   weights, its meta-gradient, then ONE step of a freshly created Adam with weight decay. The
   server takes the plain mean of the clients' meta-updated weights.
4. **Meta-test** (:func:`finetune_evaluate`): for each test task, SGD on the support nodes
   from the trained weights, query accuracy after every step.

The model keeps all its ``n_classes`` outputs; a task's labels index the first ``n_way`` of
them while cross-entropy and argmax run over every output, as in the reference code.

Where we differ from the reference, on purpose: query accuracy is measured in eval mode (the
reference leaves dropout on); randomness comes from ``random_state`` (the reference draws
from unseeded global generators); ``inner_steps`` defaults to 10 (reference 50, for CPU
budget); the FedAvg baseline (:func:`fedavg_pretrain`) is ours, since the reference code has
none (notes §8). The reference reports the best fine-tuning step chosen on the test queries;
:class:`FewShotScores` carries that number (``best_step_mean``) next to the accuracy after a
fixed number of steps (``mean_final``), which is the honest one.

Tasks, scores and the shared round loop live in :mod:`mlcore.graphfl.newdomain_tasks` (and
are re-exported here); the prototypical-network variant, our extension, is in
:mod:`mlcore.graphfl.newdomain_proto`.

Shapes: ``x`` ``(n_nodes, n_features)`` (dense or sparse CSR), ``edge_index`` ``(2, n_edges)``
int64, ``labels`` ``(n_nodes,)`` int class ids; node ids in tasks index ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..params import Instance, Interval, Options, Params, parameter
from ..partition import iid_partition
from ..rng import RandomState, as_generator, global_rng_seeded, seed_from
from .functional import Weights, accuracy, computation_subgraph, sgd_adapt
from .meta import SERVER_STEPS, MetaTask, meta_gradient, server_step
from .newdomain_tasks import (
    _SEED,
    ClassSplit,
    FewShotScores,
    FewShotTask,
    TaskRounds,
    TrainedWeights,
    TrainingHistory,
    _check,
    _check_tasks,
    _class_ids,
    _federated_rounds,
    _labels_array,
    _n_outputs,
    _seed_record,
    _task_draw,
    class_split,
    sample_tasks,
)

__all__ = [
    "FewShotTask",
    "ClassSplit",
    "class_split",
    "sample_tasks",
    "TaskRounds",
    "MetaTrainingOptions",
    "FedAvgOptions",
    "TrainingHistory",
    "TrainedWeights",
    "meta_train",
    "fedavg_pretrain",
    "FewShotScores",
    "TASK_OUTPUTS",
    "finetune_evaluate",
]


# ---------------------------------------------------------------- options


@dataclass(frozen=True)
class MetaTrainingOptions(TaskRounds):
    """GraphFL's federated MAML for new label domains (notes §6; reference ``options_ood.py``:
    ``local_ep`` 50, ``lr`` 0.1, ``meta_lr`` 0.001, weight decay 5e-4, first order).

    Notes
    -----
    With ``server_step="adam_sign"`` every client moves every weight by about ``meta_lr``
    (Adam's first step is ``meta_lr * g / (|g| + eps)``), so ``rounds`` rounds move a weight by
    at most ``rounds * meta_lr``: with the reference's 0.001 and 11 rounds, 0.011.
    """

    inner_steps: int = parameter(
        10, Interval(int, 0, None), "inner SGD steps on the support nodes (reference: 50)"
    )
    inner_lr: float = parameter(0.1, Interval(float, 0, None, closed="neither"), "inner SGD step")
    meta_lr: float = parameter(
        0.001, Interval(float, 0, None, closed="neither"), "client meta step size"
    )
    weight_decay: float = parameter(5e-4, Interval(float, 0, None), "L2 in the meta step")
    first_order: bool = parameter(
        True,
        Instance(bool),
        "first-order MAML (reference) instead of differentiating the inner loop",
    )
    server_step: str = parameter(
        "adam_sign",
        Options(*SERVER_STEPS),
        "client meta step: one step of a fresh Adam (reference; ~ meta_lr * sign) or plain SGD",
    )


@dataclass(frozen=True)
class FedAvgOptions(Params):
    """FedAvg pre-training on the training classes (our baseline; not in the reference code)."""

    rounds: int = parameter(20, Interval(int, 1, None), "federated rounds")
    n_clients: int = parameter(10, Interval(int, 1, None), "clients sharing the labelled nodes")
    clients_per_round: int = parameter(10, Interval(int, 1, None), "clients sampled per round")
    local_steps: int = parameter(10, Interval(int, 1, None), "full-batch SGD steps per round")
    lr: float = parameter(0.1, Interval(float, 0, None, closed="neither"), "local SGD step")

    def __post_init__(self):
        super().__post_init__()
        if self.clients_per_round > self.n_clients:
            raise ValueError(
                f"FedAvgOptions.clients_per_round must be in [1, n_clients={self.n_clients}]; "
                f"got {self.clients_per_round}"
            )


# ---------------------------------------------------------------- GraphFL (MAML)


def meta_train(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    labels,
    train_classes: Sequence[int],
    options: MetaTrainingOptions | None = None,
    *,
    random_state: RandomState = 0,
    progress: bool = False,
) -> TrainedWeights:
    """GraphFL's federated meta-training for new label domains (notes §6).

    Each round, every client draws a task over ``train_classes``, computes its MAML
    meta-gradient (:func:`mlcore.graphfl.meta.meta_gradient`) and takes one meta step on its
    copy (:func:`mlcore.graphfl.meta.server_step`); the server averages the copies.

    Parameters
    ----------
    model : torch.nn.Module
        The computation, with at least ``options.n_way`` outputs (its parameters unused).
    weights : Weights
        Initial global weights; ``x``, ``edge_index``, ``labels``: the whole graph.
    train_classes : sequence of int
        Classes of the training tasks (:attr:`ClassSplit.train`).
    options : MetaTrainingOptions, optional
        Defaults: :class:`MetaTrainingOptions()`.
    random_state : int, numpy Generator or SeedSequence
        Tasks of every round and the dropout seeds; ``progress`` shows a bar over rounds.

    Returns
    -------
    TrainedWeights
        ``(weights, history)``; ``history.query_loss`` is the clients' mean query loss.
    """
    options = MetaTrainingOptions() if options is None else options
    _check("meta_train", "options", options, Instance(MetaTrainingOptions))
    _check("meta_train", "random_state", random_state, _SEED)
    n_out = _n_outputs(model, weights, x, edge_index)
    draw_tasks = _task_draw("meta_train", labels, train_classes, options, n_out)

    def draw(rng: np.random.Generator) -> list[tuple[FewShotTask, int]]:
        return [(task, seed_from(rng)) for task in draw_tasks(rng)]  # dropout seed per client

    def update(current: Weights, client: tuple[FewShotTask, int]):
        task, seed = client[0].to(x.device), client[1]
        meta = meta_gradient(
            model,
            current,
            [
                MetaTask(
                    x,
                    edge_index,
                    task.support,
                    task.support_labels,
                    task.query,
                    task.query_labels,
                    seed,
                )
            ],
            inner_steps=options.inner_steps,
            inner_lr=options.inner_lr,
            order="first" if options.first_order else "second",
        )
        kind, lr, wd = options.server_step, options.meta_lr, options.weight_decay
        new = server_step(current, meta.gradient, kind=kind, lr=lr, weight_decay=wd)
        return new, meta.support_loss, meta.query_loss

    return _federated_rounds(
        model,
        weights,
        rounds=options.rounds,
        draw=draw,
        update=update,
        rng=as_generator(random_state),
        method="graphfl_maml",
        params={**options.to_dict(), "random_state": _seed_record(random_state)},
        progress=progress,
    )


# ---------------------------------------------------------------- FedAvg baseline


def fedavg_pretrain(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    labels,
    train_classes: Sequence[int],
    options: FedAvgOptions | None = None,
    *,
    random_state: RandomState = 0,
    progress: bool = False,
) -> TrainedWeights:
    """FedAvg pre-training on the training classes: the baseline initialisation for new label
    domains (McMahan et al. 2017, arXiv:1602.05629, Alg. 1, full-batch; ours — the GraphFL
    reference code has no FedAvg, notes §8).

    Every node of ``train_classes`` is labelled; the nodes are dealt uniformly at random into
    ``options.n_clients`` shares (:func:`mlcore.partition.iid_partition`) and their classes
    re-indexed ``0 .. len(train_classes) - 1`` (ascending), so the first outputs serve any
    later task. Each round ``options.clients_per_round`` clients take ``options.local_steps``
    SGD steps from the global weights on their share; the server takes the plain mean.
    Parameters and returns as :func:`meta_train` (``history.query_loss`` is None).
    """
    owner = "fedavg_pretrain"
    options = FedAvgOptions() if options is None else options
    _check(owner, "options", options, Instance(FedAvgOptions))
    _check(owner, "random_state", random_state, _SEED)
    y = _labels_array(owner, labels)
    classes = _class_ids(owner, "train_classes", train_classes, y)
    n_out = _n_outputs(model, weights, x, edge_index)
    if classes.size > n_out:
        raise ValueError(
            f"{owner}.train_classes must number at most the model's {n_out} outputs; "
            f"got {classes.size}"
        )
    pool = np.flatnonzero(np.isin(y, classes))
    _check(owner, "options.n_clients", options.n_clients, Interval(int, 1, pool.size))
    rng = as_generator(random_state)
    relabelled = np.searchsorted(classes, y[pool])
    shares = [
        (
            torch.as_tensor(pool[idx], device=x.device),
            torch.as_tensor(relabelled[idx], device=x.device),
        )
        for idx in iid_partition(relabelled, options.n_clients, random_state=rng)
    ]

    def draw(rng: np.random.Generator) -> list:
        chosen = rng.choice(options.n_clients, size=options.clients_per_round, replace=False)
        return [shares[int(i)] for i in chosen]

    def update(current: Weights, share):
        steps, lr = options.local_steps, options.lr
        new, loss = sgd_adapt(model, current, x, edge_index, *share, steps=steps, lr=lr)
        return new, loss, None

    return _federated_rounds(
        model,
        weights,
        rounds=options.rounds,
        draw=draw,
        update=update,
        rng=rng,
        method="fedavg",
        params={**options.to_dict(), "random_state": _seed_record(random_state)},
        progress=progress,
    )


# ---------------------------------------------------------------- meta-test


#: Outputs a fine-tuned task scores: every output (reference) or its first ``n_way`` only.
TASK_OUTPUTS = ("all", "first_n_way")


class _FirstOutputs(nn.Module):
    """``model``'s first ``n`` outputs (weights named ``"model.<name>"``)."""

    def __init__(self, model: nn.Module, n: int):
        super().__init__()
        self.model, self.n = model, n

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.model(x, edge_index, edge_weight)[:, : self.n]


def _finetune_curve(model, weights, x, edge_index, task, steps, lr, outputs) -> list[float]:
    support, query, edge_weight = task.support, task.query, None
    hops = getattr(model, "hops", None)
    if isinstance(hops, int):
        # the task's computation subgraph: the whole graph's outputs at its nodes, ~5x cheaper
        comp = computation_subgraph(x, edge_index, torch.cat([support, query]), hops)
        x, edge_index, edge_weight = comp.x, comp.edge_index, comp.edge_weight
        support, query = comp.local(0, support.numel()), comp.position[support.numel() :]
    if outputs == "first_n_way":
        model = _FirstOutputs(model, task.n_way).train(model.training)
        weights = {f"model.{k}": v for k, v in weights.items()}
    current = dict(weights)
    graph = dict(edge_weight=edge_weight)
    curve = [accuracy(model, current, x, edge_index, query, task.query_labels, **graph)]
    for _ in range(steps):
        current, _ = sgd_adapt(
            model, current, x, edge_index, support, task.support_labels, steps=1, lr=lr, **graph
        )
        curve.append(accuracy(model, current, x, edge_index, query, task.query_labels, **graph))
    return curve


def finetune_evaluate(
    model: nn.Module,
    weights: Weights,
    x: torch.Tensor,
    edge_index: torch.Tensor,
    tasks: Sequence[FewShotTask],
    *,
    steps: int = 50,
    lr: float = 0.1,
    outputs: str = "all",
    random_state: RandomState = 0,
    progress: bool = False,
) -> FewShotScores:
    """Meta-test by fine-tuning (reference ``finetuning``, notes §6; ``local_ep_test`` 50,
    ``lr`` 0.1).

    For each task, from ``weights``: ``steps`` SGD steps on the support nodes (model in
    training mode, dropout seeded from ``random_state``), the query accuracy before and after
    every step in eval mode. Returns :class:`FewShotScores` with ``curve`` of shape
    ``(len(tasks), steps + 1)``.

    ``outputs="all"`` (the reference): cross-entropy and argmax over every model output, task
    label ``i`` being output ``i``; ``"first_n_way"`` (ours): over the first ``n_way`` outputs
    only, so outputs trained for other classes cannot win a query node.
    """
    owner = "finetune_evaluate"
    tasks = _check_tasks(owner, tasks)
    _check(owner, "steps", steps, Interval(int, 0, None))
    _check(owner, "lr", lr, Interval(float, 0, None, closed="neither"))
    _check(owner, "outputs", outputs, Options(*TASK_OUTPUTS))
    _check(owner, "random_state", random_state, _SEED)
    rng = as_generator(random_state)
    curve = np.empty((len(tasks), steps + 1))
    was_training = model.training
    model.train()
    try:
        for i, task in enumerate(tqdm(tasks, desc=owner, disable=not progress, leave=False)):
            with global_rng_seeded(seed_from(rng)):
                task = task.to(x.device)
                curve[i] = _finetune_curve(model, weights, x, edge_index, task, steps, lr, outputs)
    finally:
        model.train(was_training)
    params = {"steps": steps, "lr": lr, "outputs": outputs}
    return FewShotScores.from_curve(curve, "finetune", params)
