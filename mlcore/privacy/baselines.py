"""Baseline defenses as client-update transforms: gradient pruning, differential privacy done
properly, and the reference code's unclipped noise.

* :class:`GradientPruning` — zero the entries of every shared tensor whose magnitude lies below
  that tensor's ``pruning_rate``-th percentile (the reference's "prune" baseline, also called
  gradient compression).
* :class:`DPGaussian` — the Gaussian mechanism of DP-SGD (Abadi et al., CCS 2016): per-sample
  gradients, each sample's whole gradient clipped to L2 norm ``clip_norm``, Gaussian noise of
  standard deviation ``noise_multiplier * clip_norm`` added to their sum, divided by the batch
  size; its privacy cost from Opacus' RDP accountant.
* :class:`UnclippedNoise` — the reference code's "differential privacy" baseline: Laplace (or
  Gaussian) noise of a fixed scale added to every shared tensor, no clipping, hence no
  privacy guarantee and no epsilon.

Each is a frozen parameters dataclass (validated on construction) and a
:class:`~mlcore.federated.ClientTransform`; none changes the client's model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from opacus.accountants import RDPAccountant
from torch import nn

from ..federated.client import ClientUpdate
from ..federated.transforms import ClientTransform
from ..params import Interval, Options, Params, parameter
from ._context import require_context

__all__ = ["GradientPruning", "DPGaussian", "UnclippedNoise", "per_sample_gradients"]

# relative difference above which DPGaussian's recomputed batch gradient is not the shared one
_CONSISTENCY_TOLERANCE = 1e-4


@dataclass(frozen=True)
class GradientPruning(ClientTransform, Params):
    """Magnitude pruning of every shared tensor at the same rate.

    Entries with ``|g| < numpy.percentile(|g|, pruning_rate)`` (per tensor) are zeroed, as in
    the reference code's ``prune`` defense. Acts on ``"gradient"`` and ``"delta"`` shares and
    needs no context.
    """

    pruning_rate: float = parameter(
        10.0, Interval(float, 0, 100, closed="left"), "share of entries zeroed", unit="percent"
    )

    def forward(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        tensors = {}
        for key, value in update.tensors.items():
            magnitude = value.detach().abs().double().cpu().numpy()
            threshold = np.percentile(magnitude, self.pruning_rate) if magnitude.size else 0.0
            keep = torch.from_numpy(magnitude >= threshold).to(value.device)
            tensors[key] = torch.where(keep, value, torch.zeros_like(value))
        return update.replace(tensors=tensors)


def per_sample_gradients(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn
) -> dict[str, torch.Tensor]:
    """Per-sample gradients ``{name: (B, *shape)}`` of ``loss_fn(model(x_b), y_b)``.

    Computed with :func:`torch.func.vmap` over :func:`torch.func.grad` of a
    :func:`~torch.func.functional_call` (parameters detached, buffers copied: the model is not
    changed). BatchNorm in training mode couples the samples, so per-sample gradients are
    undefined; it raises, as Opacus' ``ModuleValidator`` does.
    """
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.training:
            raise ValueError(
                f"per-sample gradients are undefined with BatchNorm in training mode (module "
                f"{name!r}): replace it with GroupNorm or put it in eval mode"
            )
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    frozen = {k: v.detach() for k, v in model.named_parameters() if not v.requires_grad}
    buffers = {k: v.clone() for k, v in model.named_buffers()}

    def loss_one(p, xb, yb):
        out = torch.func.functional_call(model, {**p, **frozen, **buffers}, (xb[None],))
        return loss_fn(out, yb[None])

    return torch.func.vmap(torch.func.grad(loss_one), in_dims=(None, 0, 0))(params, X, y)


@dataclass(frozen=True)
class DPGaussian(ClientTransform, Params):
    """Per-sample clipping plus Gaussian noise (DP-SGD's Gaussian mechanism) on a gradient share.

    The shared gradient is replaced by ``(sum_b clip(g_b) + N(0, (sigma C)^2 I)) / B`` with
    ``clip(g) = g min(1, C / ||g||)`` over the sample's whole gradient (all tensors together),
    ``C = clip_norm``, ``sigma = noise_multiplier``, ``B`` the batch size. The per-sample
    gradients are recomputed from the client's context and checked against the shared
    gradient, so this transform must act on the client's unmodified gradient (first in a
    :class:`~mlcore.federated.Compose`).

    Only ``"gradient"`` shares: a ``"delta"`` share sums many local steps, and DP-SGD would
    have to clip and noise inside each step (client-side training), not after it.

    :meth:`epsilon` uses Opacus' RDP accountant, which assumes Poisson sampling of each batch
    with probability ``sample_rate``; FedAvg clients draw shuffled fixed-size batches (and the
    server samples clients), so the epsilon is the usual DP-SGD approximation, not a proof for
    this sampling scheme.
    """

    clip_norm: float = parameter(
        1.0, Interval(float, 0, None, closed="neither"), "per-sample L2 clipping bound C"
    )
    noise_multiplier: float = parameter(
        1.0, Interval(float, 0, None), "noise standard deviation in units of clip_norm"
    )
    delta: float = parameter(
        1e-5, Interval(float, 0, 1, closed="neither"), "delta of (epsilon, delta)-DP"
    )

    def forward(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        if update.kind != "gradient":
            raise ValueError(
                f"DPGaussian needs kind='gradient' shares; got kind={update.kind!r}: a weight "
                "change sums many local steps, and per-sample clipping must happen inside each "
                "step, not after the round"
            )
        context = require_context(update, self)
        grads = per_sample_gradients(context.model, context.X, context.y, context.loss_fn)
        self._check_consistent(update, grads)
        B = context.X.shape[0]
        norms = torch.sqrt(sum((g.double().flatten(1) ** 2).sum(1) for g in grads.values()))
        factor = torch.clamp(self.clip_norm / norms, max=1.0)  # (B,)
        tensors = {}
        for key, g in grads.items():
            total = (g.double() * factor.view(-1, *[1] * (g.ndim - 1))).sum(0)
            noise = torch.normal(
                0.0,
                self.noise_multiplier * self.clip_norm,
                total.shape,
                generator=generator,
                dtype=torch.float64,
            )
            tensors[key] = (total + noise.to(total.device)) / B
        return update.replace(tensors=tensors)

    def _check_consistent(self, update: ClientUpdate, grads: dict[str, torch.Tensor]) -> None:
        if grads.keys() != update.tensors.keys():
            raise ValueError(
                f"DPGaussian: the shared keys {sorted(update.tensors)} are not the model's "
                f"trainable parameters {sorted(grads)}"
            )
        diff = sum(
            float(((g.double().mean(0) - update.tensors[k]) ** 2).sum()) for k, g in grads.items()
        )
        ref = sum(float((v.double() ** 2).sum()) for v in update.tensors.values())
        if math.sqrt(diff) > _CONSISTENCY_TOLERANCE * max(math.sqrt(ref), 1e-12):
            raise ValueError(
                "DPGaussian: the mean of the recomputed per-sample gradients differs from the "
                "shared gradient; DPGaussian must act on the client's unmodified gradient "
                "(first in a Compose) of a deterministic model"
            )

    def epsilon(self, steps: int, sample_rate: float) -> float:
        """Epsilon after ``steps`` noisy steps at sampling rate ``sample_rate`` (at ``delta``).

        Opacus' :class:`~opacus.accountants.RDPAccountant`; ``inf`` without noise. Assumes
        Poisson sampling (class docstring)."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an integer >= 1; got {steps!r}")
        if not 0 < sample_rate <= 1:
            raise ValueError(f"sample_rate must be a float in (0, 1]; got {sample_rate!r}")
        if self.noise_multiplier == 0:
            return math.inf
        accountant = RDPAccountant()
        accountant.history = [(self.noise_multiplier, float(sample_rate), steps)]
        return float(accountant.get_epsilon(self.delta))


@dataclass(frozen=True)
class UnclippedNoise(ClientTransform, Params):
    """The reference code's noise baseline: i.i.d. noise of scale ``scale`` on every entry.

    Laplace with scale ``b = scale`` (density ``exp(-|x|/b) / 2b``) or Gaussian with standard
    deviation ``scale``, drawn by numpy from a seed taken from the transform's generator. No
    clipping, so the sensitivity is unbounded: this buys no differential-privacy guarantee and
    has no epsilon.
    """

    scale: float = parameter(0.1, Interval(float, 0, None), "noise scale")
    distribution: str = parameter("laplace", Options("laplace", "gaussian"), "noise law")

    def forward(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        rng = np.random.default_rng(seed)
        tensors = {}
        for key, value in update.tensors.items():
            if self.distribution == "laplace":
                noise = rng.laplace(0.0, self.scale, size=tuple(value.shape))
            else:
                noise = rng.normal(0.0, self.scale, size=tuple(value.shape))
            tensors[key] = value + torch.from_numpy(noise).to(value.device, value.dtype)
        return update.replace(tensors=tensors)
