"""Targeted transfer attacks towards proxy classes of the attacker's own (white-box) model.

When the black box shares no label with the white box (Inkawhich et al., arXiv:2103.09916),
the attacker aims the white box at the *proxies* of the black-box target: the white-box
classes the black box most often maps to that target (the class correspondence matrix,
:mod:`mlcore.transfer.correspondence`). The aim is a :class:`ProxyObjective`, a weighted set
of white-box classes; the attacked loss is the weighted cross-entropy

.. math:: L(x) = -\\sum_k w_k \\log \\operatorname{softmax}(f_W(x))_{c_k},

i.e. the cross-entropy against the soft label ``w`` (one proxy: the usual targeted loss).

:class:`TargetedMomentum` is targeted MI-FGSM (Dong et al., "Boosting Adversarial Attacks with
Momentum", CVPR 2018, arXiv:1710.06081) with input diversity (Xie et al., "Improving
Transferability of Adversarial Examples with Input Diversity", CVPR 2019, arXiv:1803.06978):

.. math:: g \\leftarrow \\mu g + \\nabla L(T(x)) / \\lVert \\nabla L(T(x)) \\rVert_1, \\qquad
          x \\leftarrow \\Pi_\\epsilon(x - \\alpha\\, \\operatorname{sign}(g))

(l2: the step is ``alpha * g / ||g||_2``), where ``T`` is the random resize-and-pad
transformation applied with probability ``diversity_prob``. The loop is ART's
``MomentumIterativeMethod(targeted=True)``; the soft label goes through ART's cross-entropy
(which accepts probability labels), and ``T`` is an ART PyTorch preprocessing defence that
autograd differentiates (:class:`_InputDiversity`). The result is then projected exactly
(:func:`mlcore.attacks.threat.project`).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..rng import RandomState, global_rng_seeded, seed_from
from ..training import model_device
from ._state import preserved_mode
from .base import Attack, AttackResult, art_classifier, n_classes_of
from .threat import ThreatModel, check_images, perturbation_norms, project

__all__ = ["ProxyObjective", "TargetedMomentum", "proxy_weights"]

#: Tolerance on ``sum(weights) == 1`` of a :class:`ProxyObjective`.
_WEIGHT_SUM_TOL = 1e-6


@dataclass(frozen=True)
class ProxyObjective:
    """The white-box classes an attack aims at, with their weights.

    Parameters
    ----------
    classes : sequence of int
        Distinct white-box class indices (the proxies), each >= 0; checked against the
        white box's number of classes when the attack runs.
    weights : sequence of float, optional
        One non-negative weight per class, summing to 1 (within 1e-6); default: equal.

    Examples
    --------
    >>> ProxyObjective((3, 1), (0.7, 0.3))          # two proxies of one black-box target
    >>> ProxyObjective((2,))                       # one proxy: the usual targeted attack
    """

    classes: tuple[int, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self):
        classes = tuple(np.asarray(self.classes).reshape(-1).tolist())
        if not classes or not all(isinstance(c, int) and c >= 0 for c in classes):
            raise ValueError(
                f"ProxyObjective.classes must be one or more integers >= 0; got {self.classes!r}"
            )
        if len(set(classes)) != len(classes):
            raise ValueError(f"ProxyObjective.classes must be distinct; got {classes}")
        if self.weights is None:
            weights = (1.0 / len(classes),) * len(classes)
        else:
            weights = tuple(float(w) for w in np.asarray(self.weights).reshape(-1))
        if len(weights) != len(classes):
            raise ValueError(
                f"ProxyObjective.weights must have one entry per class ({len(classes)}); "
                f"got {len(weights)}"
            )
        if not all(math.isfinite(w) and w >= 0.0 for w in weights):
            raise ValueError(f"ProxyObjective.weights must be finite and >= 0; got {weights}")
        if abs(math.fsum(weights) - 1.0) > _WEIGHT_SUM_TOL:
            raise ValueError(
                f"ProxyObjective.weights must sum to 1 (within {_WEIGHT_SUM_TOL}); "
                f"got sum {math.fsum(weights)!r}"
            )
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "weights", weights)

    def weight_vector(self, n_classes: int) -> np.ndarray:
        """float32 ``(n_classes,)``: the weights at the proxies' indices, 0 elsewhere."""
        if max(self.classes) >= n_classes:
            raise ValueError(
                f"ProxyObjective.classes must lie in 0..{n_classes - 1} (the white box's "
                f"classes); got {self.classes}"
            )
        vector = np.zeros(n_classes, dtype=np.float32)
        vector[list(self.classes)] = self.weights
        return vector


Objective = ProxyObjective | Sequence[ProxyObjective] | np.ndarray


def proxy_weights(objective: Objective, n_samples: int, n_classes: int) -> np.ndarray:
    """The per-image soft labels of ``objective``: float32 ``(n_samples, n_classes)``, rows
    summing to 1.

    Parameters
    ----------
    objective : ProxyObjective, sequence of ProxyObjective, or numpy.ndarray
        One objective for every image; one per image; or int ``(n_samples,)`` per-image
        proxy labels (weight 1 on one class).
    n_samples, n_classes : int
        Images attacked; classes of the white box.
    """
    if isinstance(objective, ProxyObjective):
        return np.tile(objective.weight_vector(n_classes), (n_samples, 1))
    if isinstance(objective, Sequence) and all(isinstance(o, ProxyObjective) for o in objective):
        if len(objective) != n_samples:
            raise ValueError(
                f"objective must hold one ProxyObjective per image ({n_samples}); "
                f"got {len(objective)}"
            )
        return np.stack([o.weight_vector(n_classes) for o in objective])
    labels = np.asarray(objective)
    if labels.shape != (n_samples,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "objective must be a ProxyObjective, one per image, or integer proxy labels of "
            f"shape ({n_samples},); got {type(objective).__name__} {labels.dtype} {labels.shape}"
        )
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"objective (proxy labels) must lie in 0..{n_classes - 1} (the white box's "
            f"classes); got range [{labels.min()}, {labels.max()}]"
        )
    return np.eye(n_classes, dtype=np.float32)[labels]


def _diversity_class():
    from art.defences.preprocessor.preprocessor import PreprocessorPyTorch

    class _InputDiversityImpl(PreprocessorPyTorch):
        """Xie et al. (2019) input diversity that keeps the model's input size.

        With probability ``prob`` (one draw per gradient evaluation, as in the authors'
        code): nearest-neighbour resize of the ``h x h`` batch to ``r x r``, ``r`` uniform in
        ``[h, resize_max)``; zero-pad at a random offset to ``resize_max x resize_max``;
        bilinear resize back to ``h x h``. Differentiable, so ART's gradient is the gradient
        through the transformation. Draws come from ``generator`` only.
        """

        def __init__(self, prob: float, resize_max: int, generator, device_type: str):
            super().__init__(
                device_type=device_type, is_fitted=True, apply_fit=False, apply_predict=True
            )
            self.prob, self.resize_max, self.generator = prob, resize_max, generator

        def _draw(self, high: int) -> int:
            return int(torch.randint(high, (1,), generator=self.generator))

        def forward(self, x, y=None):
            size = x.shape[-1]
            if float(torch.rand(1, generator=self.generator)) >= self.prob:
                return x, y
            r = size + self._draw(self.resize_max - size)
            out = F.interpolate(x, size=(r, r), mode="nearest")
            room = self.resize_max - r
            top, left = self._draw(room + 1), self._draw(room + 1)
            out = F.pad(out, (left, room - left, top, room - top))
            return F.interpolate(out, size=(size, size), mode="bilinear", align_corners=False), y

    return _InputDiversityImpl


class _TargetedAttack(Attack):
    """Shared plumbing of the proxy-targeted attacks: ART's targeted momentum iterative
    method on ``(module, loss)`` given by the subclass, with optional input diversity."""

    def __init__(
        self,
        threat: ThreatModel,
        *,
        momentum: float,
        diversity_prob: float,
        resize_max: int,
        batch_size: int,
    ):
        super().__init__(threat, batch_size=batch_size)
        if not (isinstance(momentum, int | float) and math.isfinite(momentum) and momentum >= 0):
            raise ValueError(f"momentum must be a finite float >= 0; got {momentum!r}")
        if not (isinstance(diversity_prob, int | float) and 0.0 <= diversity_prob <= 1.0):
            raise ValueError(f"diversity_prob must be a float in [0, 1]; got {diversity_prob!r}")
        if isinstance(resize_max, bool) or not isinstance(resize_max, int) or resize_max < 2:
            raise ValueError(f"resize_max must be an integer >= 2 (pixels); got {resize_max!r}")
        self.momentum = float(momentum)
        self.diversity_prob = float(diversity_prob)
        self.resize_max = resize_max

    def _art_attack(self, classifier):
        from art.attacks.evasion import MomentumIterativeMethod

        return MomentumIterativeMethod(
            classifier,
            norm=self.threat.art_norm,
            eps=float(self.threat.epsilon),
            eps_step=self.threat.effective_step_size,
            decay=self.momentum,
            max_iter=self.threat.steps,
            targeted=True,
            batch_size=self.batch_size,
            verbose=False,
        )

    def _diversity(self, x: np.ndarray, seed: int, device: torch.device) -> list | None:
        if self.diversity_prob == 0.0:
            return None
        height, width = x.shape[-2:]
        if height != width:
            raise ValueError(f"input diversity needs square images; got {height} x {width}")
        if self.resize_max <= height:
            raise ValueError(
                f"resize_max must be an integer > the image size {height} (pixels) when "
                f"diversity_prob > 0; got {self.resize_max}"
            )
        generator = torch.Generator().manual_seed(seed)
        device_type = "gpu" if device.type == "cuda" else "cpu"
        return [_diversity_class()(self.diversity_prob, self.resize_max, generator, device_type)]

    @abc.abstractmethod
    def _attacked(self, model: nn.Module, x: np.ndarray) -> tuple[nn.Module, nn.Module | None]:
        """The module ART differentiates and its loss (``None``: cross-entropy)."""

    @abc.abstractmethod
    def _n_classes(self, model: nn.Module, x: np.ndarray) -> int:
        """White-box classes the objective indexes."""

    def _labels(self, weights: np.ndarray) -> np.ndarray:
        """ART's target labels for the per-image proxy weights."""
        return weights

    def generate(
        self, model: nn.Module, x: np.ndarray, objective: Objective, rng: RandomState
    ) -> np.ndarray:
        """Adversarial images of ``x`` moved towards ``objective`` on ``model``.

        Parameters
        ----------
        model : torch.nn.Module
            The white box: ``(batch, c, h, w)`` images in [0, 1] to logits.
        x : numpy.ndarray
            float32 ``(n_samples, c, h, w)``, pixel values in [0, 1].
        objective : ProxyObjective, sequence of ProxyObjective, or numpy.ndarray
            See :func:`proxy_weights`.
        rng : int, numpy Generator or SeedSequence
            The attack's randomness (input diversity); the same value gives the same images.

        Returns
        -------
        numpy.ndarray
            float32, shape of ``x``; :meth:`run` also returns the norms.
        """
        return self.run(model, x, objective, rng).x_adv

    def run(
        self, model: nn.Module, x: np.ndarray, objective: Objective, rng: RandomState
    ) -> AttackResult:
        """As :meth:`generate`, returning an :class:`AttackResult` (images, norms)."""
        x, _ = check_images(x)
        seed = seed_from(rng)
        with preserved_mode(model, *self._extra_modules(), freeze=True):
            model.eval()
            labels = self._labels(proxy_weights(objective, len(x), self._n_classes(model, x)))
            module, loss = self._attacked(model, x)
            classifier = art_classifier(
                module,
                x.shape[1:],
                labels.shape[1],
                preprocessing_defences=self._diversity(x, seed, model_device(model)),
                loss=loss,
            )
            # nothing in ART's momentum loop draws from the global generators (no random
            # start); seeding them anyway keeps the contract if a later ART version does
            with global_rng_seeded(seed):
                raw = self._art_attack(classifier).generate(x=x, y=labels)
        x_adv = project(raw, x, self.threat)
        return AttackResult(x_adv, perturbation_norms(x_adv, x, self.threat.norm), self.threat)


class TargetedMomentum(_TargetedAttack):
    """Targeted MI-FGSM with input diversity towards proxy classes (see the module docstring).

    Parameters
    ----------
    threat : ThreatModel
        Norm, ``epsilon``, ``steps`` (T) and ``step_size`` (alpha; ``None`` gives
        ``2.5 * epsilon / steps``; Dong et al. use ``epsilon / steps``).
    momentum : float
        Decay ``mu`` of the accumulated gradient, >= 0 (Dong et al.: 1.0; 0 is I-FGSM).
    diversity_prob : float
        Probability in [0, 1] of the random resize-and-pad per gradient step (Xie et al.:
        0.5; 0 switches input diversity off).
    resize_max : int
        Side (pixels) of the padded canvas, > the image side when ``diversity_prob > 0``
        (MNIST 28 -> 32, as ImageNet 299 -> 330 scaled).
    batch_size : int
        Images per forward/backward pass.

    Notes
    -----
    Shapes: ``x`` ``(n, c, h, w)`` float32 in [0, 1]; the objective indexes the white box's
    logits. The model sees ``h x w`` images also under input diversity.
    """

    def __init__(
        self,
        threat: ThreatModel,
        *,
        momentum: float = 1.0,
        diversity_prob: float = 0.5,
        resize_max: int = 32,
        batch_size: int = 256,
    ):
        super().__init__(
            threat,
            momentum=momentum,
            diversity_prob=diversity_prob,
            resize_max=resize_max,
            batch_size=batch_size,
        )

    def __repr__(self) -> str:
        return (
            f"TargetedMomentum({self.threat!r}, momentum={self.momentum}, "
            f"diversity_prob={self.diversity_prob}, resize_max={self.resize_max})"
        )

    def _n_classes(self, model: nn.Module, x: np.ndarray) -> int:
        return n_classes_of(model, x)

    def _attacked(self, model: nn.Module, x: np.ndarray) -> tuple[nn.Module, nn.Module | None]:
        return model, None
