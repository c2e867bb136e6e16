"""Adversarial robustness of quantized networks (arXiv:2012.14965): the quantization and
adversarial loss criteria, boundary-based retraining, the nonlinear input mapping, and attacks
from the Adversarial Robustness Toolbox (FGSM, PGD, BPDA, transfer)."""

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
