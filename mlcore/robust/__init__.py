"""Adversarial robustness of quantized networks (arXiv:2012.14965): the quantization and
adversarial loss criteria, boundary-based retraining, the nonlinear input mapping, and the
attacks it uses (FGSM, PGD, BPDA, DeepFool) as thin functions over :mod:`mlcore.attacks`."""

from .attacks import deepfool, fgsm, pgd
from .boundary import (
    NonlinearInputMapping,
    adversarial_loss,
    adversarial_train,
    boundary_retrain,
    boundary_samples,
    quantization_loss,
    robustness,
    with_mapping,
)

__all__ = [
    "fgsm",
    "pgd",
    "deepfool",
    "NonlinearInputMapping",
    "with_mapping",
    "quantization_loss",
    "adversarial_loss",
    "boundary_samples",
    "boundary_retrain",
    "adversarial_train",
    "robustness",
]
