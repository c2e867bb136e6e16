"""Transfer attacks: adversarial images crafted on the attacker's own surrogate network and
then shown to the target (Papernot, McDaniel, Goodfellow 2016, arXiv:1605.07277)."""

from __future__ import annotations

import numpy as np
from torch import nn

from ..rng import RandomState
from .base import Attack, AttackResult

__all__ = ["TransferAttack"]


class TransferAttack(Attack):
    """Craft with ``attack`` on ``surrogate``; the target is never queried.

    Parameters
    ----------
    attack : Attack
        Any white-box attack (its threat model is this attack's threat model).
    surrogate : torch.nn.Module
        The attacker's network, trained independently of the target.

    Notes
    -----
    :meth:`generate` takes the target ``model`` for the common interface only: the images
    depend on ``surrogate``, ``x``, ``y`` and ``rng`` alone, so one set of transfer images
    can be evaluated on many targets. ``AttackResult.queries`` is 0.
    """

    def __init__(self, attack: Attack, surrogate: nn.Module):
        if not isinstance(attack, Attack) or isinstance(attack, TransferAttack):
            raise ValueError(f"attack must be a white-box Attack; got {attack!r}")
        if attack.black_box:
            raise ValueError(f"attack must be a white-box Attack; got black-box {attack!r}")
        if not isinstance(surrogate, nn.Module):
            raise ValueError(f"surrogate must be a torch.nn.Module; got {type(surrogate)}")
        super().__init__(attack.threat, batch_size=attack.batch_size)
        self.attack = attack
        self.surrogate = surrogate

    def __repr__(self) -> str:
        return f"TransferAttack({self.attack!r})"

    def _art_attack(self, classifier):  # pragma: no cover - run() delegates to self.attack
        return self.attack._art_attack(classifier)

    def run(self, model: nn.Module, x: np.ndarray, y: np.ndarray, rng: RandomState) -> AttackResult:
        """The inner attack's result on the surrogate, with ``queries=0`` to the target."""
        result = self.attack.run(self.surrogate, x, y, rng)
        return AttackResult(result.x_adv, result.norms, result.threat, queries=0, query_calls=0)
