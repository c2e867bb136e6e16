"""White-box gradient attacks from ART: FGSM and PGD (optionally through an input mapping
with BPDA).

* :class:`FGSM`: Fast Gradient Sign Method (Goodfellow, Shlens, Szegedy, ICLR 2015), one step
  of length ``epsilon`` along the sign (linf) or the direction (l2) of the loss gradient.
* :class:`PGD`: Projected Gradient Descent with one random start in the ball (Madry et al.,
  ICLR 2018), ``steps`` steps of ``step_size``.
* :class:`PGD` with ``bpda_mapping``: the adaptive attack on ``model(mapping(x))``. The mapping
  is applied as an ART preprocessing defence whose backward pass is the identity: Backward
  Pass Differentiable Approximation (Athalye, Carlini, Wagner, ICML 2018). ART's base
  ``Preprocessor.estimate_gradient`` is exactly this identity, so nothing is re-implemented.
"""

from __future__ import annotations

import torch
from torch import nn

from ..training import model_device
from .base import Attack
from .threat import ThreatModel

__all__ = ["FGSM", "PGD", "mapping_preprocessor"]


def _preprocessor_class():
    from art.defences.preprocessor import Preprocessor

    class _MappingPreprocessor(Preprocessor):
        """An input mapping applied by ART on numpy images; its gradient estimate is the
        identity (BPDA), inherited from :class:`art.defences.preprocessor.Preprocessor`."""

        def __init__(self, mapping: nn.Module):
            super().__init__(is_fitted=True, apply_fit=False, apply_predict=True)
            self.mapping = mapping

        def __call__(self, x, y=None):
            device = model_device(self.mapping)
            with torch.no_grad():
                out = self.mapping(torch.as_tensor(x, dtype=torch.float32, device=device))
            return out.cpu().numpy().astype(x.dtype, copy=False), y

    return _MappingPreprocessor


def mapping_preprocessor(mapping: nn.Module):
    """An ART preprocessing defence applying ``mapping`` with a BPDA (identity) backward pass."""
    return _preprocessor_class()(mapping)


class FGSM(Attack):
    """Fast Gradient Sign Method: one gradient step of length ``threat.epsilon`` (ART
    ``FastGradientMethod``); ``threat.steps`` and ``threat.step_size`` are not used."""

    def _art_attack(self, classifier):
        from art.attacks.evasion import FastGradientMethod

        return FastGradientMethod(
            classifier,
            norm=self.threat.art_norm,
            eps=float(self.threat.epsilon),
            batch_size=self.batch_size,
        )


class PGD(Attack):
    """Projected Gradient Descent with one uniform random start in the ball (ART
    ``ProjectedGradientDescent``): ``threat.steps`` steps of ``threat.effective_step_size``.

    Parameters
    ----------
    threat : ThreatModel
        Norm, ``epsilon``, ``steps``, ``step_size``.
    bpda_mapping : torch.nn.Module, optional
        Attack ``model(bpda_mapping(x))`` with the mapping's gradient replaced by the identity
        (BPDA). The model passed to :meth:`generate` is then the network *after* the mapping.
    batch_size : int
        Images per forward/backward pass.
    """

    def __init__(
        self, threat: ThreatModel, *, bpda_mapping: nn.Module | None = None, batch_size: int = 256
    ):
        super().__init__(threat, batch_size=batch_size)
        if bpda_mapping is not None and not isinstance(bpda_mapping, nn.Module):
            raise ValueError(
                f"bpda_mapping must be a torch.nn.Module or None; got {type(bpda_mapping)}"
            )
        self.bpda_mapping = bpda_mapping

    def _defences(self) -> list | None:
        if self.bpda_mapping is None:
            return None
        return [mapping_preprocessor(self.bpda_mapping)]

    def _extra_modules(self) -> tuple[nn.Module, ...]:
        return () if self.bpda_mapping is None else (self.bpda_mapping,)

    def _art_attack(self, classifier):
        from art.attacks.evasion import ProjectedGradientDescent

        if self.bpda_mapping is not None:
            self.bpda_mapping.eval()
        return ProjectedGradientDescent(
            classifier,
            norm=self.threat.art_norm,
            eps=float(self.threat.epsilon),
            eps_step=self.threat.effective_step_size,
            max_iter=self.threat.steps,
            num_random_init=1,
            batch_size=self.batch_size,
            verbose=False,
        )
