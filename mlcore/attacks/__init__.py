"""Attacks under an explicit threat model, wrapping the Adversarial Robustness Toolbox.

One interface for every evasion attack: a :class:`ThreatModel` (norm, ``epsilon`` in [0, 1]
pixel units, steps, query budget) and ``attack.generate(model, x, y, rng)`` on numpy images
in [0, 1]. The perturbation bound holds exactly (:func:`project`), the caller's global random
generators and the model's train/eval state are left as they were, and black-box attacks
count every query (:class:`QueryCounter`).

* white box: :class:`FGSM`, :class:`PGD` (random start; BPDA through an input mapping);
* transfer: :class:`TransferAttack` (crafted on a surrogate, the target never queried);
  targeted transfer towards proxy classes: :class:`TargetedMomentum` (MI-FGSM with input
  diversity) and :class:`FeatureSpaceAttack` (per-class heads on an intermediate layer);
* query attacks with a transfer prior: :class:`RGF` (P-RGF with :func:`gradient_prior`) and
  :class:`SquareFromStart` (Square started from a transfer example);
* score-based black box: :class:`SquareAttack` under a per-image query budget;
* gradient inversion (federated learning): :class:`DLG`, :class:`InvertingGradients`, the
  adaptive attack (``exclude=adaptive_exclude(...)``) and iDLG :func:`infer_labels`;
* interfaces for later results: :class:`GradientInversionAttack`, :class:`PoisoningAttack`;
* :func:`check_attack`: the contract as a conformance check for new attacks' tests.

Example
-------
>>> threat = ThreatModel(norm="linf", epsilon=0.1, steps=10)
>>> x_adv = PGD(threat).generate(model, x, y, rng=0)      # doctest: +SKIP
"""

from ._state import preserved_mode
from .base import Attack, AttackResult, art_classifier
from .checks import check_attack
from .feature_attack import FeatureHeads, FeatureSpaceAttack, train_feature_heads
from .gradient import FGSM, PGD, mapping_preprocessor
from .inversion import (
    DLG,
    DLGOptions,
    InversionResult,
    InvertingGradients,
    InvertingGradientsOptions,
    adaptive_exclude,
    infer_labels,
)
from .prior import RGF, gradient_prior
from .protocols import GradientInversionAttack, PoisoningAttack
from .query import QueryBudgetExceeded, QueryCounter, SquareAttack
from .square_start import SquareFromStart
from .targeted import ProxyObjective, TargetedMomentum, proxy_weights
from .threat import ThreatModel, check_images, perturbation_norms, project
from .transfer import TransferAttack

__all__ = [
    "ThreatModel",
    "project",
    "perturbation_norms",
    "check_images",
    "Attack",
    "AttackResult",
    "FGSM",
    "PGD",
    "TransferAttack",
    "ProxyObjective",
    "TargetedMomentum",
    "proxy_weights",
    "FeatureHeads",
    "FeatureSpaceAttack",
    "train_feature_heads",
    "RGF",
    "gradient_prior",
    "SquareFromStart",
    "SquareAttack",
    "QueryCounter",
    "QueryBudgetExceeded",
    "GradientInversionAttack",
    "DLG",
    "DLGOptions",
    "InvertingGradients",
    "InvertingGradientsOptions",
    "InversionResult",
    "adaptive_exclude",
    "infer_labels",
    "PoisoningAttack",
    "art_classifier",
    "mapping_preprocessor",
    "preserved_mode",
    "check_attack",
]
