"""Shared plumbing of the gradient-matching attacks: options, checks, labels, seeding, the
result. A subclass supplies only :meth:`_MatchingAttack._attack` (its optimiser)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ...params import Params
from ...rng import RandomState, seed_from
from ._matching import MatchingProblem
from .labels import infer_labels
from .result import InversionResult

__all__ = ["Trial"]


@dataclass
class Trial:
    """One optimisation run (one restart): the dummy images and what it cost."""

    x: torch.Tensor
    labels: np.ndarray
    history: list[float]
    loss: float
    evaluations: int


class _MatchingAttack:
    """Base of :class:`DLG` and :class:`InvertingGradients` (not public)."""

    options_class: ClassVar[type[Params]]

    def __init__(
        self, options: Params | None = None, *, exclude: Iterable[str] = (), progress: bool = False
    ):
        self.options = self.options_class() if options is None else options
        if not isinstance(self.options, self.options_class):
            raise TypeError(
                f"{type(self).__name__}.options must be a {self.options_class.__name__} or None; "
                f"got {type(options).__name__}"
            )
        if isinstance(exclude, str) or not all(isinstance(e, str) for e in exclude):
            raise TypeError(
                f"{type(self).__name__}.exclude must be a sequence of parameter names; "
                f"got {exclude!r}"
            )
        self.exclude = tuple(exclude)
        self.progress = bool(progress)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options!r}, exclude={self.exclude!r})"

    def reconstruct(
        self,
        model: nn.Module,
        shared: Mapping[str, torch.Tensor],
        labels: np.ndarray | None,
        n_images: int,
        image_shape: tuple[int, int, int],
        rng: RandomState,
    ) -> np.ndarray:
        """The reconstructed images only: ``run(...).images`` (the
        :class:`~mlcore.attacks.GradientInversionAttack` protocol)."""
        return self.run(model, shared, labels, n_images, image_shape, rng).images

    def run(
        self,
        model: nn.Module,
        shared: Mapping[str, torch.Tensor],
        labels: np.ndarray | None,
        n_images: int,
        image_shape: tuple[int, int, int],
        rng: RandomState,
    ) -> InversionResult:
        """Reconstruct the client's batch from ``shared``.

        Parameters
        ----------
        model : torch.nn.Module
            The model the client computed its gradient with, in the mode it used (train or
            eval); never modified (the attack works on a private copy).
        shared : dict of str to torch.Tensor
            Parameter name to shared gradient (``ClientUpdate.tensors`` of a ``"gradient"``
            share); every key a parameter of ``model``, of its shape. Parameters missing from
            it are not matched.
        labels : numpy.ndarray or None
            int ``(n_images,)`` if the attacker knows the labels; ``None``: recovered by iDLG
            (:func:`infer_labels`, needs ``n_images == 1``) or, for DLG with
            ``label="optimize"``, optimised as a soft label.
        n_images : int
            Batch size of the shared gradient, 1 .. 64.
        image_shape : (c, h, w)
            Shape of one image, pixels.
        rng : int, numpy Generator or SeedSequence
            Seeds the dummy initialisation (a private ``torch.Generator``; global generators
            are not touched).

        Returns
        -------
        InversionResult
        """
        start = time.perf_counter()
        owner = type(self).__name__
        problem = MatchingProblem(owner, model, shared, n_images, image_shape, self.exclude)
        target = self._target(problem, model, shared, labels)
        generator = torch.Generator().manual_seed(seed_from(rng))
        trial = self._attack(problem, target, generator)
        raw = trial.x.detach().cpu().float().numpy()
        return InversionResult(
            images=np.clip(raw, 0.0, 1.0),
            raw_images=raw,
            labels=trial.labels,
            loss_history=np.asarray(trial.history, dtype=np.float64),
            iterations=len(trial.history),
            matching_loss=float(trial.loss),
            wall_time_s=time.perf_counter() - start,
            evaluations=trial.evaluations,
        )

    def _optimizes_label(self) -> bool:
        return False

    def _target(self, problem, model, shared, labels) -> torch.Tensor | None:
        """int64 label tensor, or ``None`` when the attack optimises a soft label."""
        owner = type(self).__name__
        if labels is not None:
            y = problem.check_labels(owner, labels)
        elif self._optimizes_label():
            return None
        elif problem.n_images != 1:
            hint = " or DLGOptions(label='optimize')" if owner == "DLG" else ""
            raise ValueError(
                f"{owner}: labels=None needs n_images == 1 (iDLG label recovery); got "
                f"n_images={problem.n_images}: pass the labels{hint}"
            )
        else:
            y = infer_labels(model, shared, 1)
        return torch.as_tensor(y, device=problem.device)

    def _draw(self, problem: MatchingProblem, generator: torch.Generator, kind: str):
        """Dummy images ``(n_images, c, h, w)`` drawn on the CPU (same numbers on any device)."""
        shape = (problem.n_images, *problem.image_shape)
        if kind == "randn":
            x = torch.randn(shape, generator=generator, dtype=problem.dtype)
        elif kind == "rand":
            x = torch.rand(shape, generator=generator, dtype=problem.dtype)
        else:
            x = torch.zeros(shape, dtype=problem.dtype)
        return x.to(problem.device).requires_grad_(True)

    def _attack(
        self, problem: MatchingProblem, target: torch.Tensor | None, generator: torch.Generator
    ) -> Trial:
        raise NotImplementedError


def finite_or_inf(value: float) -> float:
    """``value``, or ``inf`` when it is NaN (for comparing restarts)."""
    return value if math.isfinite(value) else math.inf
