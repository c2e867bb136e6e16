"""Few-shot tasks on a graph and the shared plumbing of GraphFL's new-label-domain methods.

Used by :mod:`mlcore.graphfl.newdomain` (GraphFL's federated MAML, arXiv:2012.04187, research
notes §6) and :mod:`mlcore.graphfl.newdomain_proto` (our prototypical extension):

* :func:`class_split` — held-out test classes (default the first ``n_way``, as the reference
  ``data_generator.py``: ``list(combinations(classes, n_way))[0]``) and training classes.
* :func:`sample_tasks` — ``n_way``-way ``k_shot``-shot tasks (:class:`FewShotTask`), labels
  re-encoded ``0 .. n_way - 1`` in ascending class order (the reference's ``LabelEncoder``).
* :class:`TaskRounds`, :class:`TrainingHistory`, :class:`TrainedWeights` and the round loop
  shared by every federated method: draw the round's clients, let each update a copy of the
  global weights, take the plain mean (FedAvg's aggregation, as the reference code).
* :class:`FewShotScores` — query accuracy of test tasks, per task and per fine-tuning step.

Randomness comes only from ``random_state`` arguments (numpy Generators); dropout draws from
torch's global generator only inside :func:`mlcore.rng.global_rng_seeded`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..params import Instance, Interval, Params, parameter
from ..params import check_argument as _check
from ..rng import RandomState, as_generator, global_rng_seeded, seed_from
from .functional import Weights, logits

__all__ = [
    "FewShotTask",
    "ClassSplit",
    "class_split",
    "sample_tasks",
    "TaskRounds",
    "TrainingHistory",
    "TrainedWeights",
    "FewShotScores",
]

_SEED = Instance((int, np.integer, np.random.Generator, np.random.SeedSequence))


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True, eq=False)
class FewShotTask:
    """One ``n_way``-way few-shot node-classification task on a graph.

    Attributes
    ----------
    classes : tuple of int
        Global class ids, ascending; task label ``i`` is class ``classes[i]``.
    support, query : torch.Tensor
        int64 global node ids, disjoint; grouped by class (``k_shot`` / ``k_query`` each).
    support_labels, query_labels : torch.Tensor
        int64 task labels in ``0 .. n_way - 1``.
    """

    classes: tuple[int, ...]
    support: torch.Tensor
    query: torch.Tensor
    support_labels: torch.Tensor
    query_labels: torch.Tensor

    def __post_init__(self):
        if self.support.shape != self.support_labels.shape or (
            self.query.shape != self.query_labels.shape
        ):
            raise ValueError("FewShotTask: support/query and their labels must have equal shapes")

    @property
    def n_way(self) -> int:
        return len(self.classes)

    def to(self, device: torch.device | str) -> FewShotTask:
        """The same task with its tensors on ``device``."""
        move = [t.to(device) for t in (self.support, self.query)]
        labels = [t.to(device) for t in (self.support_labels, self.query_labels)]
        return FewShotTask(self.classes, *move, *labels)


class ClassSplit(NamedTuple):
    """Training classes (for meta-training) and held-out test classes (new label domain)."""

    train: tuple[int, ...]
    test: tuple[int, ...]


def class_split(
    n_classes: int, held_out: Sequence[int] | None = None, *, n_way: int = 2
) -> ClassSplit:
    """Split class ids ``0 .. n_classes - 1`` into training and held-out classes.

    Parameters
    ----------
    n_classes : int
        Number of classes, ``>= 2``.
    held_out : sequence of int, optional
        The test classes. Default: the first ``n_way`` classes, as the reference code
        (``list(combinations(classes, n_way))[0]``, notes §6).
    n_way : int
        Size of the default held-out set, in ``[1, n_classes - 1]``.

    Returns
    -------
    ClassSplit
        ``(train, test)``, both sorted tuples.
    """
    owner = "class_split"
    _check(owner, "n_classes", n_classes, Interval(int, 2, None))
    if held_out is None:
        _check(owner, "n_way", n_way, Interval(int, 1, n_classes - 1))
        held_out = range(n_way)
    test = sorted({int(c) for c in held_out})
    if not 0 < len(test) < n_classes or test[0] < 0 or test[-1] >= n_classes:
        raise ValueError(
            f"{owner}.held_out must be 1 to {n_classes - 1} distinct class ids in "
            f"[0, {n_classes - 1}]; got {list(held_out)!r}"
        )
    return ClassSplit(tuple(c for c in range(n_classes) if c not in test), tuple(test))


def _labels_array(owner: str, labels) -> np.ndarray:
    y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"{owner}.labels must be a non-empty 1-D array of integer class ids; got "
            f"{y.dtype} array of shape {y.shape}"
        )
    return y.astype(np.int64, copy=False)


def _class_ids(owner: str, name: str, classes, y: np.ndarray) -> np.ndarray:
    ids = np.asarray([int(c) for c in classes], dtype=np.int64)
    top = int(y.max())
    if ids.size == 0 or np.unique(ids).size != ids.size or ids.min() < 0 or ids.max() > top:
        raise ValueError(
            f"{owner}.{name} must be distinct class ids in [0, {top}]; got {ids.tolist()}"
        )
    return np.sort(ids)


def sample_tasks(
    labels,
    classes: Sequence[int],
    *,
    n_tasks: int,
    n_way: int,
    k_shot: int,
    k_query: int,
    random_state: RandomState,
    exclude=None,
) -> list[FewShotTask]:
    """Draw ``n_tasks`` independent ``n_way``-way ``k_shot``-shot tasks (notes §6).

    Each task draws ``n_way`` distinct classes from ``classes`` uniformly, then for each class
    ``k_shot + k_query`` distinct nodes (first ``k_shot`` support, rest query), as the
    reference ``data_generator.py`` does; tasks are independent (a node may recur across tasks).

    Parameters
    ----------
    labels : array_like or torch.Tensor of int, shape (n_nodes,)
        Class of every node.
    classes : sequence of int
        Classes tasks may use (e.g. :attr:`ClassSplit.train`).
    n_tasks, n_way, k_shot, k_query : int
        Tasks, classes per task (``2 .. len(classes)``), support and query nodes per class.
    random_state : int, numpy Generator or SeedSequence
        Source of all draws.
    exclude : array_like of int, optional
        Node ids never drawn (e.g. validation nodes).

    Returns
    -------
    list of FewShotTask
    """
    owner = "sample_tasks"
    y = _labels_array(owner, labels)
    allowed = _class_ids(owner, "classes", classes, y)
    _check(owner, "n_tasks", n_tasks, Interval(int, 1, None))
    _check(owner, "n_way", n_way, Interval(int, 2, allowed.size))
    _check(owner, "k_shot", k_shot, Interval(int, 1, None))
    _check(owner, "k_query", k_query, Interval(int, 1, None))
    _check(owner, "random_state", random_state, _SEED)
    usable = np.ones(y.size, dtype=bool)
    if exclude is not None:
        usable[np.asarray(exclude, dtype=np.int64)] = False
    pools = {int(c): np.flatnonzero((y == c) & usable) for c in allowed}
    fewest = min(pools, key=lambda c: pools[c].size)
    if pools[fewest].size < k_shot + k_query:
        raise ValueError(
            f"{owner}: k_shot + k_query must be at most {pools[fewest].size}, the available "
            f"nodes of class {fewest} (the smallest of classes, after exclude); got "
            f"k_shot={k_shot} + k_query={k_query} = {k_shot + k_query}"
        )
    rng = as_generator(random_state)
    return [_draw_task(pools, allowed, n_way, k_shot, k_query, rng) for _ in range(n_tasks)]


def _draw_task(pools, allowed, n_way, k_shot, k_query, rng) -> FewShotTask:
    chosen = np.sort(rng.choice(allowed, size=n_way, replace=False))
    picks = [rng.choice(pools[int(c)], size=k_shot + k_query, replace=False) for c in chosen]
    support = np.concatenate([p[:k_shot] for p in picks])
    query = np.concatenate([p[k_shot:] for p in picks])
    ids = torch.arange(n_way)
    return FewShotTask(
        tuple(int(c) for c in chosen),
        torch.as_tensor(support, dtype=torch.int64),
        torch.as_tensor(query, dtype=torch.int64),
        ids.repeat_interleave(k_shot),
        ids.repeat_interleave(k_query),
    )


# ---------------------------------------------------------------- federated rounds


@dataclass(frozen=True)
class TaskRounds(Params):
    """Federated rounds over few-shot training tasks: each sampled client holds one task."""

    rounds: int = parameter(20, Interval(int, 1, None), "federated rounds")
    tasks_per_round: int = parameter(
        10, Interval(int, 1, None), "clients per round, each holding one training task"
    )
    n_way: int = parameter(2, Interval(int, 2, None), "classes per task (reference: 2)")
    k_shot: int = parameter(1, Interval(int, 1, None), "support nodes per class", unit="nodes")
    k_query: int = parameter(
        5, Interval(int, 1, None), "query nodes per class (reference k_qry_train: 5)", unit="nodes"
    )


@dataclass(frozen=True)
class TrainingHistory:
    """Per-round record of a federated training run.

    Attributes
    ----------
    method : str
        ``"graphfl_maml"``, ``"fedavg"`` or ``"proto"``.
    train_loss : tuple of float
        Per round, the clients' mean local (support / training) loss over their steps.
    query_loss : tuple of float or None
        Per round, the clients' mean query loss (meta-learning methods; None for FedAvg).
    seconds : float
        Wall time of the run.
    params : dict
        The options and the integer ``random_state`` (None if a Generator was passed).
    """

    method: str
    train_loss: tuple[float, ...]
    query_loss: tuple[float, ...] | None
    seconds: float
    params: dict


class TrainedWeights(NamedTuple):
    """Weights after federated training and the run's :class:`TrainingHistory`."""

    weights: Weights
    history: TrainingHistory


#: A client's work in one round: (its new weights, local loss, query loss or None).
_ClientUpdate = Callable[[Weights, Any], tuple[Weights, float, float | None]]


def _mean_weights(updates: Sequence[Weights]) -> Weights:
    """The plain (unweighted) mean of the clients' weights, FedAvg style (notes §6)."""
    return {
        k: torch.stack([w[k].detach() for w in updates]).mean(0).requires_grad_(True)
        for k in updates[0]
    }


def _federated_rounds(
    model: nn.Module,
    weights: Weights,
    *,
    rounds: int,
    draw: Callable[[np.random.Generator], list],
    update: _ClientUpdate,
    rng: np.random.Generator,
    method: str,
    params: dict,
    progress: bool,
) -> TrainedWeights:
    """Shared round loop: draw the round's clients, let each update a copy of the global
    weights (model in training mode, dropout seeded per round), average."""
    start = time.perf_counter()
    current = {k: v.detach().clone().requires_grad_(True) for k, v in weights.items()}
    train_loss, query_loss = [], []
    was_training = model.training
    model.train()
    try:
        for _ in tqdm(range(rounds), desc=method, disable=not progress, leave=False):
            clients = draw(rng)
            with global_rng_seeded(seed_from(rng)):  # dropout masks only
                results = [update(current, client) for client in clients]
            current = _mean_weights([w for w, _, _ in results])
            train_loss.append(float(np.mean([r[1] for r in results])))
            if results[0][2] is not None:
                query_loss.append(float(np.mean([r[2] for r in results])))
    finally:
        model.train(was_training)
    history = TrainingHistory(
        method, tuple(train_loss), tuple(query_loss) or None, time.perf_counter() - start, params
    )
    return TrainedWeights(current, history)


def _seed_record(random_state) -> int | None:
    """The integer seed for a run record (None when a Generator or SeedSequence was passed)."""
    return int(random_state) if isinstance(random_state, int | np.integer) else None


def _n_outputs(model: nn.Module, weights: Weights, x, edge_index) -> int:
    """The model's output width (one forward in eval mode: no dropout draw)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return int(logits(model, weights, x, edge_index).shape[1])
    finally:
        model.train(was_training)


def _task_draw(owner: str, labels, train_classes, options: TaskRounds, n_out: int):
    """Validated per-round task sampler for :func:`_federated_rounds`."""
    if options.n_way > n_out:
        raise ValueError(
            f"{owner}: options.n_way must be at most the model's {n_out} outputs; "
            f"got {options.n_way}"
        )
    y = _labels_array(owner, labels)
    kwargs = dict(n_way=options.n_way, k_shot=options.k_shot, k_query=options.k_query)
    sample_tasks(y, train_classes, n_tasks=1, random_state=0, **kwargs)  # fail before training

    def draw(rng: np.random.Generator) -> list[FewShotTask]:
        n = options.tasks_per_round
        return sample_tasks(y, train_classes, n_tasks=n, random_state=rng, **kwargs)

    return draw


# ---------------------------------------------------------------- scores


@dataclass(frozen=True, eq=False)
class FewShotScores:
    """Query accuracy on few-shot test tasks.

    Attributes
    ----------
    curve : numpy.ndarray
        ``(n_tasks, steps + 1)``: query accuracy of each task after ``0 .. steps``
        fine-tuning steps (one column for methods without fine-tuning).
    per_task_final : numpy.ndarray
        ``(n_tasks,)``: accuracy after the last step (``curve[:, -1]``).
    mean_final, std_final : float
        Mean and standard deviation over tasks of ``per_task_final``: the number to report.
    best_step : int
        The step maximising the mean accuracy over tasks — the reference code's selection,
        made on the test queries themselves (optimistic).
    best_step_mean : float
        The mean accuracy at ``best_step``.
    method : str
        ``"finetune"`` or ``"proto"``.
    params : dict
        Evaluation settings (``steps``, ``lr``, ``outputs``), JSON-ready.
    """

    curve: np.ndarray
    per_task_final: np.ndarray
    mean_final: float
    std_final: float
    best_step: int
    best_step_mean: float
    method: str
    params: dict

    @classmethod
    def from_curve(cls, curve: np.ndarray, method: str, params: dict) -> FewShotScores:
        """Scores of a ``(n_tasks, n_steps + 1)`` accuracy array."""
        curve = np.asarray(curve, dtype=np.float64)
        mean = curve.mean(axis=0)
        best = int(np.argmax(mean))
        final = curve[:, -1].copy()
        return cls(
            curve,
            final,
            float(final.mean()),
            float(final.std()),
            best,
            float(mean[best]),
            method,
            dict(params),
        )

    @property
    def n_tasks(self) -> int:
        return int(self.curve.shape[0])

    def summary(self) -> dict:
        """JSON-ready numbers (no per-task arrays)."""
        return {
            "method": self.method,
            "n_tasks": self.n_tasks,
            "mean_final": self.mean_final,
            "std_final": self.std_final,
            "best_step": self.best_step,
            "best_step_mean": self.best_step_mean,
            **self.params,
        }


def _check_tasks(owner: str, tasks) -> list[FewShotTask]:
    tasks = list(tasks)
    if not tasks or not all(isinstance(t, FewShotTask) for t in tasks):
        raise ValueError(f"{owner}.tasks must be a non-empty sequence of FewShotTask")
    return tasks
