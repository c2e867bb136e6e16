"""Adversarial attacks, all from the Adversarial Robustness Toolbox (ART, Nicolae et al. 2018).

Threat model: L-infinity perturbations of size ``eps`` on images in [0, 1]. Each function takes
a torch network mapping images to logits, numpy images ``X`` ``(n, c, h, w)`` and labels ``y``,
and returns the adversarial images. Random starts draw from numpy's global generator, which
every function seeds from its ``seed``.

* :func:`fgsm`: Fast Gradient Sign Method (Goodfellow et al. 2015).
* :func:`pgd`: Projected Gradient Descent with a random start (Madry et al. 2018).
* :func:`pgd` with ``bpda_mapping``: the adaptive attack. The input mapping is applied as an
  ART preprocessing defence whose backward pass is the identity, i.e. Backward Pass
  Differentiable Approximation (Athalye, Carlini, Wagner, ICML 2018). ART's base
  ``Preprocessor.estimate_gradient`` is exactly this identity, so nothing is re-implemented.
* :func:`deepfool`: minimal perturbations to the decision boundary (Moosavi-Dezfooli 2016).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["art_classifier", "fgsm", "pgd", "deepfool", "MappingPreprocessor"]


def _check_eps(eps: float) -> float:
    if not 0.0 < float(eps) <= 1.0:
        raise ValueError(f"eps must be in (0, 1] (pixel units of [0, 1] images), got {eps}")
    return float(eps)


def _preprocessor_class():
    from art.defences.preprocessor import Preprocessor

    class _MappingPreprocessor(Preprocessor):
        """An input mapping applied by ART in numpy; its gradient estimate is the identity
        (BPDA), inherited from :class:`art.defences.preprocessor.Preprocessor`."""

        def __init__(self, mapping: nn.Module):
            super().__init__(is_fitted=True, apply_fit=False, apply_predict=True)
            self.mapping = mapping

        def __call__(self, x, y=None):
            with torch.no_grad():
                out = self.mapping(torch.as_tensor(x, dtype=torch.float32)).numpy()
            return out.astype(x.dtype, copy=False), y

    return _MappingPreprocessor


def MappingPreprocessor(mapping: nn.Module):
    """ART preprocessing defence applying ``mapping`` with a BPDA (identity) backward pass."""
    return _preprocessor_class()(mapping)


def art_classifier(model: nn.Module, input_shape: tuple, n_classes: int, bpda_mapping=None):
    """Wrap ``model`` as an ART ``PyTorchClassifier`` on [0, 1] images (eval mode)."""
    from art.estimators.classification import PyTorchClassifier

    model.eval()
    defences = [MappingPreprocessor(bpda_mapping)] if bpda_mapping is not None else None
    return PyTorchClassifier(
        model=model,
        loss=nn.CrossEntropyLoss(),
        input_shape=tuple(input_shape),
        nb_classes=int(n_classes),
        clip_values=(0.0, 1.0),
        preprocessing_defences=defences,
        device_type="cpu",
    )


def _n_classes(model: nn.Module, X: np.ndarray) -> int:
    model.eval()
    with torch.no_grad():
        return int(model(torch.as_tensor(X[:1], dtype=torch.float32)).shape[1])


def fgsm(model: nn.Module, X: np.ndarray, y: np.ndarray, *, eps: float, batch_size: int = 256):
    """FGSM adversarial images (untargeted, L-infinity, ``eps`` in [0, 1] pixel units)."""
    from art.attacks.evasion import FastGradientMethod

    clf = art_classifier(model, X.shape[1:], _n_classes(model, X))
    attack = FastGradientMethod(clf, norm=np.inf, eps=_check_eps(eps), batch_size=batch_size)
    return attack.generate(x=X.astype(np.float32), y=np.asarray(y))


def pgd(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    eps: float,
    eps_step: float | None = None,
    max_iter: int = 20,
    seed: int = 0,
    bpda_mapping: nn.Module | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """PGD adversarial images with one random start (ART ``ProjectedGradientDescent``).

    ``eps_step`` defaults to ``2.5 eps / max_iter`` (Madry et al.). With ``bpda_mapping`` the
    attacked system is ``model(mapping(x))`` and gradients pass the mapping as the identity.
    """
    from art.attacks.evasion import ProjectedGradientDescent

    eps = _check_eps(eps)
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    np.random.seed(seed)  # noqa: NPY002  (ART draws its random start from the global RNG)
    clf = art_classifier(model, X.shape[1:], _n_classes(model, X), bpda_mapping=bpda_mapping)
    attack = ProjectedGradientDescent(
        clf,
        norm=np.inf,
        eps=eps,
        eps_step=eps_step or 2.5 * eps / max_iter,
        max_iter=max_iter,
        num_random_init=1,
        batch_size=batch_size,
        verbose=False,
    )
    return attack.generate(x=X.astype(np.float32), y=np.asarray(y))


def deepfool(
    model: nn.Module,
    X: np.ndarray,
    *,
    max_iter: int = 10,
    overshoot: float = 0.02,
    nb_grads: int = 4,
    batch_size: int = 256,
) -> np.ndarray:
    """DeepFool points: each image moved (L2-minimally, to first order) just across the nearest
    decision boundary of ``model`` among its ``nb_grads`` most likely classes."""
    from art.attacks.evasion import DeepFool

    clf = art_classifier(model, X.shape[1:], _n_classes(model, X))
    attack = DeepFool(
        clf,
        max_iter=max_iter,
        epsilon=overshoot,
        nb_grads=nb_grads,
        batch_size=batch_size,
        verbose=False,
    )
    return attack.generate(x=X.astype(np.float32))
