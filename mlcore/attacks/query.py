"""Query-based black-box attacks and the query counter that audits them.

:class:`QueryCounter` wraps the target model's forward pass: every image that goes through
the target is one query, counted per call (``call_sizes``) and in total (``queries``), with
an optional hard limit that refuses a forward pass which would exceed it. A black-box attack
sees the target only through this wrapper, so the reported count is every query the attack
made, including the one that reads the number of classes.

:class:`SquareAttack` is the score-based Square Attack (Andriushchenko et al., ECCV 2020,
arXiv:1912.00049) from ART. Its query cost per attacked image is fixed by ART's loop
(``art/attacks/evasion/square_attack.py``, one restart): 3 queries to start (the prediction
of all images, the margin loss of the still-correct images before and after the initial
stripes) and at most 3 per iteration (prediction of all images, loss before and after the
square update), i.e. at most ``3 + 3 * max_iter``, plus one query of the first image to read
the number of classes. ``max_iter = (query_budget - 4) // 3`` therefore keeps every image
within ``query_budget``; the counter's limit of ``query_budget * n_samples`` guards the total.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..rng import RandomState
from ._state import preserved_mode
from .base import Attack, AttackResult
from .threat import ThreatModel, check_images, perturbation_norms, project

__all__ = ["QueryCounter", "QueryBudgetExceeded", "SquareAttack"]

#: Queries SquareAttack spends per image before its iterations, plus the class-count probe.
_SQUARE_OVERHEAD = 4
_SQUARE_PER_ITER = 3


class QueryBudgetExceeded(RuntimeError):
    """A forward pass would take the target model past its query limit."""


class QueryCounter(nn.Module):
    """The target ``model`` with every forward pass counted.

    Parameters
    ----------
    model : torch.nn.Module
        The target; its parameters are shared, not copied.
    limit : int, optional
        Most images the target may see in total; a forward pass that would exceed it raises
        :class:`QueryBudgetExceeded` before running.

    Attributes
    ----------
    queries : int
        Images passed through ``model`` so far (one query per image per forward pass).
    call_sizes : list of int
        Batch size of every forward call, in order (``sum(call_sizes) == queries``).
    """

    def __init__(self, model: nn.Module, *, limit: int | None = None):
        super().__init__()
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError(f"limit must be an integer >= 0 or None; got {limit!r}")
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be an integer >= 0 or None; got {limit!r}")
        self.model = model
        self.limit = limit
        self.queries = 0
        self.call_sizes: list[int] = []

    @property
    def calls(self) -> int:
        """Forward calls so far."""
        return len(self.call_sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = int(x.shape[0])
        if self.limit is not None and self.queries + n > self.limit:
            raise QueryBudgetExceeded(
                f"query limit {self.limit} reached: {self.queries} queries made, "
                f"this call asks for {n} more"
            )
        self.queries += n
        self.call_sizes.append(n)
        return self.model(x)


class SquareAttack(Attack):
    """Square Attack (score-based black box, ART ``SquareAttack``), linf or l2.

    Only the target's output scores are used, through a :class:`QueryCounter`. The number of
    iterations follows from ``threat.query_budget`` (see the module docstring);
    ``threat.steps`` and ``threat.step_size`` are not used.

    Parameters
    ----------
    threat : ThreatModel
        Norm, ``epsilon`` and ``query_budget`` (required, at least 7 queries per image).
    p_init : float
        Initial fraction of pixels in a square, in (0, 1) (ART's schedule shrinks it).
    batch_size : int
        Images per forward pass.
    """

    black_box = True

    def __init__(self, threat: ThreatModel, *, p_init: float = 0.8, batch_size: int = 256):
        super().__init__(threat, batch_size=batch_size)
        minimum = _SQUARE_OVERHEAD + _SQUARE_PER_ITER
        if threat.query_budget is None or threat.query_budget < minimum:
            raise ValueError(
                f"ThreatModel.query_budget must be an integer >= {minimum} for SquareAttack "
                f"(queries per image); got {threat.query_budget!r}"
            )
        if not 0.0 < float(p_init) < 1.0:
            raise ValueError(f"p_init must be a float in (0, 1); got {p_init!r}")
        self.p_init = float(p_init)

    @property
    def max_iter(self) -> int:
        """Square iterations that fit the per-image query budget."""
        return (self.threat.query_budget - _SQUARE_OVERHEAD) // _SQUARE_PER_ITER

    def _art_attack(self, classifier):
        from art.attacks.evasion import SquareAttack as ArtSquareAttack

        return ArtSquareAttack(
            classifier,
            norm=self.threat.art_norm,
            max_iter=self.max_iter,
            eps=float(self.threat.epsilon),
            p_init=self.p_init,
            nb_restarts=1,
            batch_size=self.batch_size,
            verbose=False,
        )

    def run(self, model: nn.Module, x: np.ndarray, y: np.ndarray, rng: RandomState) -> AttackResult:
        """As :meth:`Attack.run`, with the target behind a :class:`QueryCounter` limited to
        ``query_budget * n_samples`` queries; the result carries the counts."""
        x, y = check_images(x, y)
        counter = QueryCounter(model, limit=self.threat.query_budget * len(x))
        with preserved_mode(model, freeze=True):
            model.eval()
            # ART's l2 start divides by the norm of an empty tile on images under 10 pixels
            # wide; the NaN candidates it gives are never accepted (NaN loss compares False).
            with np.errstate(invalid="ignore", divide="ignore"):
                raw = self._generate(counter, x, y, rng)
        x_adv = project(raw, x, self.threat)
        return AttackResult(
            x_adv,
            perturbation_norms(x_adv, x, self.threat.norm),
            self.threat,
            queries=counter.queries,
            query_calls=counter.calls,
        )
