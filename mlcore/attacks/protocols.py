"""Interfaces for the attacks later results plug in: gradient inversion (federated learning)
and data poisoning (backdoors). They are :class:`typing.Protocol` classes: any object with
these methods fits, and no base class has to be inherited.

Shared conventions with the evasion attacks of :mod:`mlcore.attacks`: numpy arrays in and
out, images float32 ``(n_samples, c, h, w)`` in [0, 1], integer labels ``(n_samples,)``,
randomness passed as ``rng`` (int, numpy Generator or SeedSequence; global generators only
through :func:`mlcore.rng.global_rng_seeded`), the caller's model state restored
(:func:`mlcore.attacks.preserved_mode`), and a frozen parameters dataclass
(:class:`mlcore.params.Params`) for everything the attacker may choose.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from ..rng import RandomState

__all__ = ["GradientInversionAttack", "PoisoningAttack"]


@runtime_checkable
class GradientInversionAttack(Protocol):
    """Reconstruct a client's training images from what it shared in a federated round
    (Zhu, Liu, Han, "Deep Leakage from Gradients", NeurIPS 2019; Geiping et al. 2020).

    The shared update is exactly what a client-update transform of :mod:`mlcore.federated`
    passes on (after any defense, e.g. Soteria's pruning), so a defense is judged on what an
    attacker really sees.
    """

    def reconstruct(
        self,
        model: nn.Module,
        shared: dict[str, torch.Tensor],
        labels: np.ndarray | None,
        n_images: int,
        image_shape: tuple[int, int, int],
        rng: RandomState,
    ) -> np.ndarray:
        """Images ``(n_images, *image_shape)`` in [0, 1] best explaining ``shared``.

        Parameters
        ----------
        model : torch.nn.Module
            The global model the client started the round from (not modified).
        shared : dict of str to torch.Tensor
            Parameter name to the gradient (or weight difference) the client shared.
        labels : numpy.ndarray or None
            The batch labels if the attacker knows them (else inferred, e.g. iDLG).
        n_images : int
            Batch size the client used.
        image_shape : (c, h, w)
            Shape of one image.
        rng : int, numpy Generator or SeedSequence
            Seeds the dummy-image initialisation.
        """
        ...


@runtime_checkable
class PoisoningAttack(Protocol):
    """Change a party's training data so that the trained model misbehaves on chosen inputs
    (backdoor: Gu, Dolan-Gavitt, Garg, "BadNets", 2017), under a poisoning budget.
    """

    def poison(
        self, x: np.ndarray, y: np.ndarray, rng: RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The poisoned training set and which samples were changed.

        Returns
        -------
        x_poisoned : numpy.ndarray
            float32, shape of ``x``, in [0, 1].
        y_poisoned : numpy.ndarray
            int64, shape of ``y``.
        poisoned : numpy.ndarray
            bool ``(n_samples,)``, True where a sample was changed (at most the budget).
        """
        ...

    def trigger(self, x: np.ndarray) -> np.ndarray:
        """Test images with the backdoor trigger applied (shape and range of ``x``), to
        measure the attack success rate."""
        ...
