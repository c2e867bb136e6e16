"""Defenses against gradient inversion in federated learning, and reconstruction metrics.

* :mod:`~mlcore.privacy.layer` — the defended fully connected layer, its input
  representation ``r`` and how one sample's ``r`` leaks from the layer's gradient;
* :mod:`~mlcore.privacy.scores` — Soteria's per-element scores: the reference code's
  ``||dr/dX|| / (r + offset)`` (batched with ``torch.func``, or the reference loop) and the
  paper's pseudo-inverse form;
* :mod:`~mlcore.privacy.soteria` — Soteria (Sun et al., CVPR 2021, arXiv:2012.06043):
  mask, masked gradient, :func:`soteria_defend` and the :class:`Soteria` client transform;
* :mod:`~mlcore.privacy.certified` — our certified lower bound on the distance of an exact
  gradient-matching reconstruction (ours, not the paper's);
* :mod:`~mlcore.privacy.baselines` — :class:`GradientPruning`, :class:`DPGaussian`
  (per-sample clipping, Gaussian noise, Opacus RDP accountant) and :class:`UnclippedNoise`;
* :mod:`~mlcore.privacy.metrics` — MSE, PSNR and SSIM per image.

The transforms act on :class:`mlcore.federated.ClientUpdate` inside the client (they read its
:class:`~mlcore.federated.LocalContext`) and compose with :class:`mlcore.federated.Compose`.

Example
-------
>>> from mlcore.federated import Compose, FedAvg
>>> from mlcore.privacy import Soteria, GradientPruning, soteria_defend
>>> sim = FedAvg(clients, X, y, options={"share": "gradient"},
...              transform=Soteria({"pruning_rate": 80}), random_state=0)
>>> result = soteria_defend(model, x, gradients, {"pruning_rate": 80})
>>> result.mask.sum(), result.gradients["fc.weight"]      # kept elements, masked columns
>>> DPGaussian(clip_norm=1.0, noise_multiplier=1.1).epsilon(steps=100, sample_rate=0.01)
"""

from .baselines import DPGaussian, GradientPruning, UnclippedNoise, per_sample_gradients
from .certified import CertifiedBound, certified_bound, conv_operator_norm_bound, lipschitz_bound
from .layer import defended_layer, recover_representation, representation
from .metrics import ReconstructionMetrics, reconstruction_metrics
from .scores import pseudo_inverse_scores, representation_jacobian, soteria_scores
from .soteria import (
    Soteria,
    SoteriaOptions,
    SoteriaResult,
    check_gradients,
    mask_gradient,
    soteria_defend,
    soteria_mask,
)

__all__ = [
    "defended_layer",
    "representation",
    "recover_representation",
    "soteria_scores",
    "pseudo_inverse_scores",
    "representation_jacobian",
    "soteria_mask",
    "mask_gradient",
    "check_gradients",
    "SoteriaOptions",
    "SoteriaResult",
    "soteria_defend",
    "Soteria",
    "CertifiedBound",
    "certified_bound",
    "lipschitz_bound",
    "conv_operator_norm_bound",
    "GradientPruning",
    "DPGaussian",
    "UnclippedNoise",
    "per_sample_gradients",
    "ReconstructionMetrics",
    "reconstruction_metrics",
]
