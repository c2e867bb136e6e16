"""A feature-space targeted attack towards proxy classes: the feature distribution attack.

Feature Distribution Attack (FDA; Inkawhich et al., "Transferable Perturbations of Deep
Feature Distributions", ICLR 2020; "Perturbing Across the Feature Hierarchy to Improve
Standard and Strict Blackbox Attack Transferability", NeurIPS 2020, arXiv:2004.14861):

1. :func:`train_feature_heads`: on the frozen white box, one auxiliary binary classifier
   ``g_c`` per white-box class ``c`` on the flattened output ``f_l(x)`` of one intermediate
   layer ``l``, estimating ``p(y = c | f_l(x))`` (positives: class ``c``; negatives: the
   other classes; binary cross-entropy, positives re-weighted to balance the two).
2. :class:`FeatureSpaceAttack`: maximise the proxies' weighted log-probability under the heads

   .. math:: \\sum_k w_k \\left[\\log \\sigma(g_{c_k}(f_l(x + \\delta)))
             + \\gamma \\log \\operatorname{softmax}(f_W(x + \\delta))_{c_k}\\right]

   with ``gamma = output_weight`` (0: the single-layer FDA objective; > 0 adds the output
   cross-entropy of the NeurIPS 2020 version), by the same momentum sign steps and exact
   projection as :class:`mlcore.attacks.TargetedMomentum` (ART's
   ``MomentumIterativeMethod`` on the heads-on-layer network with this loss).

Not included: the ICLR 2020 term that pushes ``f_l(x + delta)`` away from ``f_l(x)``, and the
sum over several layers of the NeurIPS 2020 version (one :class:`FeatureHeads` per layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import ImageDataset
from ..rng import RandomState, seed_from
from ..training import model_device
from ._state import preserved_mode
from .base import n_classes_of
from .targeted import _TargetedAttack
from .threat import ThreatModel, check_images

__all__ = ["FeatureHeads", "FeatureSpaceAttack", "train_feature_heads"]


def _layer_module(model: nn.Module, layer: str) -> nn.Module:
    """The submodule of ``model`` named ``layer``; ``ValueError`` naming it otherwise."""
    modules = dict(model.named_modules())
    if not isinstance(layer, str) or not layer or layer not in modules:
        names = [name for name in modules if name]
        shown = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
        raise ValueError(
            f"layer must name a submodule of the model (one of {shown}); got {layer!r}"
        )
    return modules[layer]


def _features_and_logits(
    model: nn.Module, layer: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(f_l(x) flattened to (n, d), model(x))`` from one forward pass (a forward hook)."""
    captured: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda _m, _i, out: captured.append(out))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return captured[-1].flatten(1), logits


class _BinaryHeads(nn.Module):
    """``n_classes`` independent binary classifiers on ``feature_dim`` features: linear
    (``hidden == 0``) or one-hidden-layer ReLU MLPs, evaluated together.

    Shapes: ``(n, feature_dim) -> (n, n_classes)`` logits of ``p(y = c | f)``.
    """

    def __init__(self, feature_dim: int, n_classes: int, hidden: int, generator: torch.Generator):
        super().__init__()
        width = hidden if hidden > 0 else 1
        bound1, bound2 = 1.0 / math.sqrt(feature_dim), 1.0 / math.sqrt(width)

        def uniform(*shape: int, bound: float) -> nn.Parameter:
            # torch.nn.Linear's default initialisation, drawn from ``generator``
            return nn.Parameter(torch.empty(shape).uniform_(-bound, bound, generator=generator))

        self.hidden = hidden
        self.w1 = uniform(n_classes, feature_dim, width, bound=bound1)
        self.b1 = uniform(n_classes, width, bound=bound1)
        self.w2 = uniform(n_classes, width, bound=bound2) if hidden > 0 else None
        self.b2 = uniform(n_classes, bound=bound2) if hidden > 0 else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        pre = torch.einsum("nd,kdh->nkh", features, self.w1) + self.b1
        if self.hidden == 0:
            return pre[..., 0]
        return (F.relu(pre) * self.w2).sum(-1) + self.b2


@dataclass(frozen=True)
class FeatureHeads:
    """Per-class binary heads on one intermediate layer of a white box.

    Attributes
    ----------
    layer : str
        The submodule name (``model.named_modules()``) whose flattened output the heads read.
    module : torch.nn.Module
        ``(n, feature_dim)`` features to ``(n, n_classes)`` logits of ``p(y = c | f_l(x))``.
    n_classes : int
        White-box classes (one head each).
    feature_dim : int
        Size of the flattened layer output.
    balanced_accuracy : tuple of float
        Per head, on its training data: mean of the true positive and true negative rates of
        ``logit > 0``, in [0, 1] (0.5 is chance).
    """

    layer: str
    module: nn.Module
    n_classes: int
    feature_dim: int
    balanced_accuracy: tuple[float, ...]

    def __call__(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Head logits ``(n, n_classes)`` of ``model``'s layer output for images ``x``
        (``model`` as it is: call ``model.eval()`` first for the frozen features)."""
        features, _ = _features_and_logits(model, _layer_module(model, self.layer), x)
        return self.module(features)


def _layer_features(model: nn.Module, layer: nn.Module, X: np.ndarray, batch_size: int):
    device = model_device(model)
    with torch.no_grad():
        parts = [
            _features_and_logits(
                model, layer, torch.as_tensor(X[i : i + batch_size], device=device)
            )[0]
            for i in range(0, len(X), batch_size)
        ]
    return torch.cat(parts)


def _balanced_accuracy(logits: torch.Tensor, positive: torch.Tensor) -> tuple[float, ...]:
    predicted = logits > 0
    tpr = (predicted & positive).sum(0) / positive.sum(0)
    tnr = (~predicted & ~positive).sum(0) / (~positive).sum(0)
    return tuple(float(v) for v in ((tpr + tnr) / 2).cpu())


def _fit_heads(heads, features, positive, *, epochs, lr, batch_size, generator) -> None:
    """Adam on the per-class balanced binary cross-entropy, shuffled by ``generator``."""
    n_pos = positive.sum(0).float()
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=(len(positive) - n_pos) / n_pos)
    opt = torch.optim.Adam(heads.parameters(), lr=lr)
    targets = positive.float()
    for _ in range(epochs):
        order = torch.randperm(len(features), generator=generator).to(features.device)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            loss_fn(heads(features[idx]), targets[idx]).backward()
            opt.step()


def _check_head_args(epochs, hidden, lr, batch_size) -> None:
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise ValueError(f"hidden must be an integer >= 0 (0: linear heads); got {hidden!r}")
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite float > 0; got {lr!r}")


def train_feature_heads(
    model: nn.Module,
    layer: str,
    dataset: ImageDataset | tuple[np.ndarray, np.ndarray],
    *,
    epochs: int = 20,
    hidden: int = 0,
    lr: float = 1e-2,
    batch_size: int = 256,
    random_state: RandomState = 0,
) -> FeatureHeads:
    """Train one binary head per white-box class on the frozen output of ``layer``.

    Parameters
    ----------
    model : torch.nn.Module
        The white box; frozen and in eval mode while its features are read (state restored).
    layer : str
        Name of a submodule (``model.named_modules()``), e.g. ``"features"``.
    dataset : ImageDataset or (X, y)
        White-box training images, float32 ``(n, c, h, w)`` in [0, 1], labels in
        ``0 .. n_classes - 1`` with every class present.
    epochs, lr, batch_size : int, float, int
        Adam on the balanced binary cross-entropy of every head.
    hidden : int
        0: linear heads; > 0: one hidden ReLU layer of this width per head.
    random_state : int, numpy Generator or SeedSequence
        Seeds the heads' initialisation and the shuffling (no global generator is used).

    Returns
    -------
    FeatureHeads
    """
    _check_head_args(epochs, hidden, lr, batch_size)
    X, y = (dataset.X, dataset.y) if isinstance(dataset, ImageDataset) else dataset
    X, y = check_images(X, y, name="dataset.X")
    module = _layer_module(model, layer)
    generator = torch.Generator().manual_seed(seed_from(random_state))
    with preserved_mode(model, freeze=True):
        model.eval()
        n_classes = n_classes_of(model, X)
        present = np.bincount(y, minlength=n_classes) if y.min() >= 0 else None
        if present is None or len(present) != n_classes or present.min() == 0:
            raise ValueError(
                f"dataset labels must cover every class 0..{n_classes - 1} of the model; "
                f"got labels {np.unique(y).tolist()}"
            )
        features = _layer_features(model, module, X, batch_size)
    positive = torch.as_tensor(y, device=features.device)[:, None] == torch.arange(
        n_classes, device=features.device
    )
    heads = _BinaryHeads(features.shape[1], n_classes, hidden, generator).to(features.device)
    _fit_heads(
        heads, features, positive, epochs=epochs, lr=lr, batch_size=batch_size, generator=generator
    )
    heads.eval().requires_grad_(False)
    with torch.no_grad():
        accuracy = _balanced_accuracy(heads(features), positive)
    return FeatureHeads(layer, heads, n_classes, int(features.shape[1]), accuracy)


class _HeadsOnLayer(nn.Module):
    """``x -> [g(f_l(x)), model(x)]``: head logits then white-box logits, ``(n, 2 K)``."""

    def __init__(self, model: nn.Module, layer: nn.Module, heads: nn.Module):
        super().__init__()
        self.model, self.heads = model, heads
        self._layer = (layer,)  # a tuple: not registered twice as a submodule

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, logits = _features_and_logits(self.model, self._layer[0], x)
        return torch.cat([self.heads(features), logits], dim=1)


class _ProxyFeatureLoss(nn.Module):
    """The negated objective of the module docstring; ``labels`` are ``[w, gamma w]``."""

    def __init__(self, n_classes: int):
        super().__init__()
        self.n_classes = n_classes

    def forward(self, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        k = self.n_classes
        heads = (labels[:, :k] * F.logsigmoid(outputs[:, :k])).sum(1)
        output = (labels[:, k:] * F.log_softmax(outputs[:, k:], dim=1)).sum(1)
        return -(heads + output).mean()


class FeatureSpaceAttack(_TargetedAttack):
    """Feature distribution attack towards proxy classes (see the module docstring).

    Parameters
    ----------
    threat : ThreatModel
        Norm, ``epsilon``, ``steps`` and ``step_size``.
    layer : str
        The layer the heads read; must equal ``heads.layer``.
    heads : FeatureHeads
        From :func:`train_feature_heads` on the white box passed to :meth:`generate`.
    momentum : float
        Decay of the accumulated gradient, >= 0 (1.0 as in MI-FGSM).
    output_weight : float
        ``gamma`` >= 0, the weight of the output cross-entropy towards the proxies.
    diversity_prob, resize_max : float, int
        Input diversity as in :class:`mlcore.attacks.TargetedMomentum` (off by default, as in
        the FDA papers).
    batch_size : int
        Images per forward/backward pass.
    """

    def __init__(
        self,
        threat: ThreatModel,
        layer: str,
        heads: FeatureHeads,
        *,
        momentum: float = 1.0,
        output_weight: float = 0.0,
        diversity_prob: float = 0.0,
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
        if not isinstance(heads, FeatureHeads):
            raise ValueError(f"heads must be FeatureHeads (train_feature_heads); got {heads!r}")
        if layer != heads.layer:
            raise ValueError(
                f"layer must be the layer the heads were trained on ({heads.layer!r}); "
                f"got {layer!r}"
            )
        if not (
            isinstance(output_weight, int | float)
            and math.isfinite(output_weight)
            and output_weight >= 0
        ):
            raise ValueError(f"output_weight must be a finite float >= 0; got {output_weight!r}")
        self.layer, self.heads = layer, heads
        self.output_weight = float(output_weight)

    def __repr__(self) -> str:
        return (
            f"FeatureSpaceAttack({self.threat!r}, layer={self.layer!r}, "
            f"output_weight={self.output_weight}, momentum={self.momentum})"
        )

    def _extra_modules(self) -> tuple[nn.Module, ...]:
        return (self.heads.module,)

    def _n_classes(self, model: nn.Module, x: np.ndarray) -> int:
        return self.heads.n_classes

    def _labels(self, weights: np.ndarray) -> np.ndarray:
        return np.concatenate([weights, self.output_weight * weights], axis=1)

    def _attacked(self, model: nn.Module, x: np.ndarray) -> tuple[nn.Module, nn.Module | None]:
        layer = _layer_module(model, self.layer)
        with torch.no_grad():
            features, logits = _features_and_logits(
                model, layer, torch.as_tensor(x[:1], device=model_device(model))
            )
        if features.shape[1] != self.heads.feature_dim or logits.shape[1] != self.heads.n_classes:
            raise ValueError(
                f"model does not match the heads: layer {self.layer!r} gives "
                f"{features.shape[1]} features and the model {logits.shape[1]} classes; the "
                f"heads were trained on {self.heads.feature_dim} and {self.heads.n_classes}"
            )
        return _HeadsOnLayer(model, layer, self.heads.module), _ProxyFeatureLoss(
            self.heads.n_classes
        )
