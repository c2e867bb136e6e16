"""Plumbing shared by the targeted query attacks (:mod:`.prior`, :mod:`.square_start`): the
per-image query ledger behind a :class:`~mlcore.attacks.QueryCounter`, the targeted objective,
the per-image search state and the :class:`QueryResult` they return."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import log_softmax
from torch import nn

from ..training import model_device
from .query import QueryBudgetExceeded, QueryCounter
from .threat import ThreatModel, perturbation_norms, project

__all__ = ["QueryResult", "LOSSES"]

LOSSES = ("margin", "ce")
_TINY = 1e-12


@dataclass(frozen=True)
class QueryResult:
    """What a targeted query attack produced, per attacked image.

    Attributes
    ----------
    x_adv : numpy.ndarray
        float32 ``(n, c, h, w)`` in [0, 1], inside the threat model's ball around ``x``: the
        last point the target evaluated for each image.
    success : numpy.ndarray
        bool ``(n,)``: the target predicts ``target`` on ``x_adv`` (argmax of its scores).
    queries : numpy.ndarray
        int64 ``(n,)``: images passed through the target for each attacked image, the initial
        evaluation included; ``queries.sum()`` is every query of the run.
    budget : int
        The per-image query budget (``threat.query_budget``); ``queries <= budget``.
    target : numpy.ndarray
        int64 ``(n,)`` target classes.
    norms : numpy.ndarray
        float64 ``(n,)`` perturbation norms, ``<= threat.epsilon``.
    threat : ThreatModel
        The threat model the images respect.
    query_calls : int
        Forward calls (batches) of the target.
    """

    x_adv: np.ndarray
    success: np.ndarray
    queries: np.ndarray
    budget: int
    target: np.ndarray
    norms: np.ndarray
    threat: ThreatModel
    query_calls: int

    @property
    def total_queries(self) -> int:
        """Every query of the run (sum over images)."""
        return int(self.queries.sum())

    @property
    def success_rate(self) -> float:
        """Fraction of images on which the target predicts the target class."""
        return float(self.success.mean())

    @property
    def median_queries_to_success(self) -> float:
        """Median queries of the successful images; NaN when no image succeeded."""
        return float(np.median(self.queries[self.success])) if self.success.any() else np.nan

    def success_within(self, budget: int) -> float:
        """Fraction of images that succeeded within ``budget`` queries (1..``self.budget``)."""
        if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
            raise ValueError(f"budget must be an integer in [1, {self.budget}]; got {budget!r}")
        if not 1 <= budget <= self.budget:
            raise ValueError(f"budget must be an integer in [1, {self.budget}]; got {budget!r}")
        return float(np.mean(self.success & (self.queries <= budget)))


class _BlackBox:
    """The target behind a :class:`QueryCounter`, every query charged to an attacked image."""

    def __init__(self, model: nn.Module, n_images: int, budget: int, batch_size: int):
        self.counter = QueryCounter(model, limit=budget * n_images)
        self.budget = budget
        self.used = np.zeros(n_images, np.int64)
        self.batch_size = batch_size
        self.device = model_device(model)

    def remaining(self, idx: np.ndarray) -> np.ndarray:
        return self.budget - self.used[idx]

    def scores(self, x: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """float64 scores of the float32 images ``x``; row ``i`` is charged to ``owner[i]``."""
        if np.any(self.used + np.bincount(owner, minlength=len(self.used)) > self.budget):
            raise QueryBudgetExceeded("an attacked image would exceed its query budget")
        out = []
        with torch.no_grad():
            for lo in range(0, len(x), self.batch_size):
                chunk = torch.as_tensor(x[lo : lo + self.batch_size], device=self.device)
                out.append(self.counter(chunk).double().cpu().numpy())
                np.add.at(self.used, owner[lo : lo + self.batch_size], 1)
        return np.concatenate(out)


def _objective(scores: np.ndarray, target: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Targeted objective to *increase* and success, per row: ``"margin"`` is
    ``z_t - max_{j != t} z_j`` (Carlini & Wagner), ``"ce"`` is ``log softmax(z)_t``."""
    rows = np.arange(len(target))
    if loss == "ce":
        value = log_softmax(scores, axis=1)[rows, target]
    else:
        others = scores.copy()
        others[rows, target] = -np.inf
        value = scores[rows, target] - others.max(axis=1)
    return value, scores.argmax(axis=1) == target


def _check_target(target, n: int) -> np.ndarray:
    target = np.asarray(target)
    if target.ndim == 0:
        target = np.full(n, target)
    if target.shape != (n,) or not np.issubdtype(target.dtype, np.integer) or target.min() < 0:
        raise ValueError(
            f"target must be integer classes >= 0, one per image ({n},) or a scalar; "
            f"got {target.dtype} {target.shape}"
        )
    return target.astype(np.int64)


@dataclass
class _Search:
    """Mutable per-image state shared by the query attacks."""

    x: np.ndarray
    target: np.ndarray
    x_adv: np.ndarray
    value: np.ndarray
    success: np.ndarray
    active: np.ndarray
    loss: str

    @classmethod
    def begin(cls, box: _BlackBox, x: np.ndarray, start: np.ndarray, target, loss: str):
        """Evaluate ``start`` (one query per image) and check ``target`` against the scores."""
        target = _check_target(target, len(x))
        scores = box.scores(start, np.arange(len(x)))
        if target.max() >= scores.shape[1]:
            raise ValueError(
                f"target must lie in the target model's classes 0..{scores.shape[1] - 1}; "
                f"got {target.max()}"
            )
        value, success = _objective(scores, target, loss)
        return cls(x, target, start.copy(), value, success, ~success, loss)

    def indices(self) -> np.ndarray:
        return np.flatnonzero(self.active)

    def afford(self, box: _BlackBox, idx: np.ndarray, cost: int) -> np.ndarray:
        """The images of ``idx`` that can pay ``cost`` queries and still evaluate one step;
        the others stop (budget spent)."""
        ok = box.remaining(idx) >= cost + 1
        self.active[idx[~ok]] = False
        return idx[ok]

    def evaluate(self, box: _BlackBox, idx: np.ndarray, x_new: np.ndarray):
        """Objective and success of ``x_new`` (rows of images ``idx``), one query each."""
        return _objective(box.scores(x_new, idx), self.target[idx], self.loss)

    def accept(self, idx: np.ndarray, x_new: np.ndarray, value: np.ndarray, success: np.ndarray):
        self.x_adv[idx], self.value[idx], self.success[idx] = x_new, value, success
        self.active[idx[success]] = False

    def result(self, box: _BlackBox, threat: ThreatModel) -> QueryResult:
        x_adv = project(self.x_adv, self.x, threat)
        if not np.array_equal(x_adv, self.x_adv):  # pragma: no cover - every point projected
            raise RuntimeError("a query attack returned an image outside its threat model")
        if box.used.sum() != box.counter.queries:  # pragma: no cover - ledger guard
            raise RuntimeError("per-image query ledger disagrees with the QueryCounter")
        norms = perturbation_norms(x_adv, self.x, threat.norm)
        return QueryResult(
            x_adv, self.success.copy(), box.used.copy(), box.budget, self.target, norms,
            threat, box.counter.calls,
        )  # fmt: skip


def _rms_normalized(u: np.ndarray) -> np.ndarray:
    """Each direction (leading axes kept, last three pixel axes) scaled to unit RMS."""
    rms = np.sqrt(np.mean(u * u, axis=(-3, -2, -1), keepdims=True))
    return u / np.maximum(rms, _TINY)


def _check_query_threat(threat: ThreatModel, who: str) -> None:
    if not isinstance(threat, ThreatModel):
        raise ValueError(f"threat must be a ThreatModel; got {type(threat).__name__}")
    if threat.query_budget is None:
        raise ValueError(
            f"ThreatModel.query_budget must be an integer >= 1 for {who} (queries per "
            "image); got None"
        )


def _check_positive(name: str, value, kind: type = float) -> None:
    if isinstance(value, bool) or not isinstance(value, kind | int) or not value > 0:
        raise ValueError(f"{name} must be a {kind.__name__} > 0; got {value!r}")
