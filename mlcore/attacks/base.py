"""The common shape of every evasion attack: a threat model, ``generate(model, x, y, rng)``.

An :class:`Attack` wraps one attack of the Adversarial Robustness Toolbox (ART, Nicolae et
al. 2018, arXiv:1807.01069). :meth:`Attack.run`

1. checks the images (float32 ``(n, c, h, w)`` in [0, 1]) and labels;
2. wraps the model as an ART ``PyTorchClassifier`` on the model's own device, in eval mode,
   with its parameters frozen (gradients flow to the input only);
3. runs the ART attack inside :func:`mlcore.rng.global_rng_seeded` (ART draws its random
   starts from numpy's and Python's global generators), so the result is a function of
   ``rng`` and the caller's global generators are untouched;
4. projects the result onto the threat model exactly (:func:`mlcore.attacks.threat.project`);
5. restores the model's train/eval flags and ``requires_grad``.
"""

from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..rng import RandomState, global_rng_seeded
from ..training import model_device
from ._state import preserved_mode
from .threat import ThreatModel, check_images, perturbation_norms, project

__all__ = ["Attack", "AttackResult", "art_classifier", "n_classes_of"]


@dataclass(frozen=True)
class AttackResult:
    """What one attack run produced.

    Attributes
    ----------
    x_adv : numpy.ndarray
        float32 adversarial images, shape of ``x``, in [0, 1], inside the threat model's ball.
    norms : numpy.ndarray
        float64 ``(n_samples,)``: each image's perturbation norm (the threat model's norm,
        [0, 1] pixel units), all ``<= threat.epsilon``.
    threat : ThreatModel
        The threat model the images respect.
    queries : int or None
        Black-box attacks: images passed through the target model, every forward pass
        counted (see :class:`mlcore.attacks.QueryCounter`); ``None`` for white-box attacks.
    query_calls : int or None
        Black-box attacks: forward calls of the target model (batches).
    """

    x_adv: np.ndarray
    norms: np.ndarray
    threat: ThreatModel
    queries: int | None = None
    query_calls: int | None = None

    @property
    def queries_per_image(self) -> float | None:
        """Mean queries per attacked image (``None`` for white-box attacks)."""
        return None if self.queries is None else self.queries / len(self.x_adv)


def n_classes_of(model: nn.Module, x: np.ndarray) -> int:
    """Number of logits ``model`` returns for one image (one forward pass, no gradient)."""
    device = model_device(model)
    with torch.no_grad():
        return int(model(torch.as_tensor(x[:1], device=device)).shape[1])


def art_classifier(
    model: nn.Module,
    input_shape: tuple,
    n_classes: int,
    *,
    preprocessing_defences: list | None = None,
    loss: nn.Module | None = None,
):
    """``model`` as an ART ``PyTorchClassifier`` on [0, 1] images, on the device of the model's
    parameters (ART picks CUDA's *current* device, so it is built with that device made
    current, and never moves the model). ``loss`` defaults to cross-entropy."""
    from art.estimators.classification import PyTorchClassifier

    device = model_device(model)
    on_device = torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()
    with on_device:
        return PyTorchClassifier(
            model=model,
            loss=nn.CrossEntropyLoss() if loss is None else loss,
            input_shape=tuple(input_shape),
            nb_classes=int(n_classes),
            clip_values=(0.0, 1.0),
            preprocessing_defences=preprocessing_defences,
            device_type="gpu" if device.type == "cuda" else "cpu",
        )


class Attack(abc.ABC):
    """An evasion attack under a :class:`ThreatModel`.

    Subclasses supply :meth:`_art_attack` (the configured ART attack for a classifier) and,
    where they need one, :meth:`_defences` (ART preprocessing defences). Everything else
    (checks, device, seeding, projection, model state) is shared here.

    Parameters
    ----------
    threat : ThreatModel
        Norm, budget and steps.
    batch_size : int
        Images per forward/backward pass of the model.
    """

    #: Whether the attack queries the model as a black box (and so counts queries).
    black_box: bool = False

    def __init__(self, threat: ThreatModel, *, batch_size: int = 256):
        if not isinstance(threat, ThreatModel):
            raise ValueError(f"threat must be a ThreatModel; got {type(threat).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
        self.threat = threat
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.threat!r})"

    @abc.abstractmethod
    def _art_attack(self, classifier):
        """The ART attack object for ``classifier``."""

    def _defences(self) -> list | None:
        return None

    def _extra_modules(self) -> tuple[nn.Module, ...]:
        """Modules besides the attacked model whose state the attack must restore."""
        return ()

    def generate(
        self, model: nn.Module, x: np.ndarray, y: np.ndarray, rng: RandomState
    ) -> np.ndarray:
        """Adversarial images of ``x`` (labels ``y``) against ``model``.

        Parameters
        ----------
        model : torch.nn.Module
            Maps ``(batch, c, h, w)`` images in [0, 1] to logits; used on its own device.
        x : numpy.ndarray
            float32 ``(n_samples, c, h, w)``, pixel values in [0, 1].
        y : numpy.ndarray
            int ``(n_samples,)`` true labels (the attack moves away from them).
        rng : int, numpy Generator or SeedSequence
            The attack's randomness; the same value gives the same images.

        Returns
        -------
        numpy.ndarray
            float32, shape of ``x``; see :meth:`run` for the query counts.
        """
        return self.run(model, x, y, rng).x_adv

    def run(self, model: nn.Module, x: np.ndarray, y: np.ndarray, rng: RandomState) -> AttackResult:
        """As :meth:`generate`, returning an :class:`AttackResult` (images, norms, queries)."""
        x, y = check_images(x, y)
        with preserved_mode(model, *self._extra_modules(), freeze=True):
            model.eval()
            raw = self._generate(model, x, y, rng)
        x_adv = project(raw, x, self.threat)
        norms = perturbation_norms(x_adv, x, self.threat.norm)
        return AttackResult(x_adv, norms, self.threat)

    def _generate(self, model: nn.Module, x: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
        classifier = art_classifier(
            model, x.shape[1:], n_classes_of(model, x), preprocessing_defences=self._defences()
        )
        attack = self._art_attack(classifier)
        with global_rng_seeded(rng):
            return attack.generate(x=x, y=y)
