"""Gradient inversion: reconstruct a federated client's images from its shared gradient.

* :class:`DLG` (Zhu, Liu, Han 2019): L-BFGS on the squared gradient distance, with the
  iDLG label or an optimised soft label;
* :class:`InvertingGradients` (Geiping et al. 2020, "GS"): Adam with signed gradients on the
  cosine gradient distance, total-variation prior, box constraint, restarts;
* the adaptive attack (Balunovic et al., ICLR 2022): ``exclude=adaptive_exclude(model,
  layer)`` leaves the defended layer's weight out of the matching loss;
* :func:`infer_labels` (iDLG, Zhao et al. 2020): the label from the last layer's gradient.

Both attacks satisfy :class:`mlcore.attacks.GradientInversionAttack`, return an
:class:`InversionResult` from ``run``, never modify the caller's model and never touch global
random generators (the dummy is drawn from a ``torch.Generator`` seeded from ``rng``).

Example
-------
>>> result = DLG(DLGOptions(iterations=100)).run(model, update.tensors, None, 1,
...                                              (1, 28, 28), rng=0)   # doctest: +SKIP
"""

from ._matching import MAX_IMAGES, adaptive_exclude, total_variation
from .dlg import DLG, DLGOptions
from .inverting import InvertingGradients, InvertingGradientsOptions
from .labels import infer_labels
from .result import InversionResult

__all__ = [
    "DLG",
    "DLGOptions",
    "InvertingGradients",
    "InvertingGradientsOptions",
    "InversionResult",
    "infer_labels",
    "adaptive_exclude",
    "total_variation",
    "MAX_IMAGES",
]
