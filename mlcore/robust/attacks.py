"""The attacks of the boundary-retraining result as plain functions over
:mod:`mlcore.attacks` (ART under an explicit threat model).

Each function takes a torch network mapping images to logits, numpy images ``X``
``(n, c, h, w)`` in [0, 1] and labels ``y``, and returns float32 adversarial images with
``||x_adv - x|| <= eps`` exactly (``norm="linf"``: [0, 1] pixel units per pixel). Randomness
comes from ``rng`` (int, numpy Generator or SeedSequence); the caller's global generators and
the model's train/eval state are left as they were.

* :func:`fgsm`: :class:`mlcore.attacks.FGSM`.
* :func:`pgd`: :class:`mlcore.attacks.PGD` (one random start); with ``bpda_mapping`` the
  adaptive BPDA attack through the input mapping.
* :func:`deepfool`: minimal perturbations to the decision boundary (Moosavi-Dezfooli,
  Fawzi, Frossard, CVPR 2016); not bounded by a threat model.
"""

from __future__ import annotations

import numpy as np
from torch import nn

from ..attacks import FGSM, PGD, ThreatModel, art_classifier, check_images, preserved_mode
from ..attacks.base import n_classes_of
from ..rng import RandomState

__all__ = ["fgsm", "pgd", "deepfool"]

#: This module's argument names for the ThreatModel fields they set.
_NAMES = "eps is ThreatModel.epsilon, max_iter is .steps, eps_step is .step_size"


def _resolve_rng(rng: RandomState, seed: int | None) -> RandomState:
    """``rng``, or the deprecated ``seed`` keyword when it is given (not both)."""
    if seed is None:
        return rng
    if not (isinstance(rng, int) and rng == 0):
        raise ValueError(f"give rng or its old name seed, not both; got rng={rng!r}, seed={seed}")
    return seed


def _threat(**fields) -> ThreatModel:
    """The ThreatModel of a function call; errors also say which argument set the field."""
    try:
        return ThreatModel(**fields)
    except ValueError as exc:  # ParameterTypeError keeps its type
        raise type(exc)(f"{exc} ({_NAMES})") from exc


def fgsm(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    eps: float,
    norm: str = "linf",
    batch_size: int = 256,
) -> np.ndarray:
    """FGSM adversarial images (untargeted, one step of ``eps`` in [0, 1] pixel units)."""
    threat = _threat(norm=norm, epsilon=eps)
    return FGSM(threat, batch_size=batch_size).generate(model, X, y, 0)


def pgd(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    eps: float,
    eps_step: float | None = None,
    max_iter: int = 20,
    rng: RandomState = 0,
    bpda_mapping: nn.Module | None = None,
    norm: str = "linf",
    batch_size: int = 256,
    seed: int | None = None,
) -> np.ndarray:
    """PGD adversarial images with one random start (:class:`mlcore.attacks.PGD`).

    ``eps_step`` defaults to ``2.5 eps / max_iter`` (Madry et al.). With ``bpda_mapping`` the
    attacked system is ``model(mapping(x))`` and gradients pass the mapping as the identity.
    ``seed`` is the old name of ``rng``, kept for existing callers.
    """
    threat = _threat(norm=norm, epsilon=eps, steps=max_iter, step_size=eps_step)
    attack = PGD(threat, bpda_mapping=bpda_mapping, batch_size=batch_size)
    return attack.generate(model, X, y, _resolve_rng(rng, seed))


def deepfool(
    model: nn.Module,
    X: np.ndarray,
    *,
    max_iter: int = 10,
    overshoot: float = 0.02,
    nb_grads: int = 4,
    batch_size: int = 256,
) -> np.ndarray:
    """DeepFool points: each image moved (L2-minimally, to first order) just across the nearest
    decision boundary of ``model`` among its ``nb_grads`` most likely classes. Deterministic."""
    from art.attacks.evasion import DeepFool

    X, _ = check_images(X, name="X")
    with preserved_mode(model, freeze=True):
        model.eval()
        clf = art_classifier(model, X.shape[1:], n_classes_of(model, X))
        attack = DeepFool(
            clf,
            max_iter=max_iter,
            epsilon=overshoot,
            nb_grads=nb_grads,
            batch_size=batch_size,
            verbose=False,
        )
        return attack.generate(x=X)
