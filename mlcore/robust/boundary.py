"""Quantization loss, adversarial loss, boundary-based retraining and the nonlinear input
mapping (Song, Fallon, Li, "Improving Adversarial Robustness in Weight-quantized Neural
Networks", arXiv:2012.14965).

The two criteria, made concrete (accuracies in [0, 1] on one test set):

* quantization loss  ``QL = acc(full precision, clean) - acc(quantized, clean)``: the
  accuracy lost by quantizing;
* adversarial loss   ``AL(net) = acc(net, clean) - acc(net, attacked)``: the accuracy lost
  under a given attack, for the full-precision and for the quantized network.

Their sum for a quantized network, ``QL + AL(quantized) = acc(full, clean) -
acc(quantized, attacked)``, is the accuracy lost between the full-precision network on clean
data and the deployed quantized one under attack; it is the number the methods are compared by.

Boundary-based retraining (our concrete version of the paper's method): the quantized network
is retrained (quantization-aware, scheme frozen) on its clean training set plus *boundary
samples*, points on the segment from each training image towards its PGD adversarial image at
the first place where the quantized network's label flips (found by bisection), labelled with
the true class. Samples whose label never flips within ``eps`` contribute their PGD image.
The samples are refreshed every round, so the quantized network's own moved boundary is what
is pushed back out.

The nonlinear mapping is a soft staircase applied to every pixel before the network
(:class:`NonlinearInputMapping`); the network is trained on mapped inputs. Its gradient
vanishes on the flat steps and is large at the edges, so gradient attacks that differentiate
through it see mostly useless gradients: the adaptive BPDA attack
(:func:`mlcore.robust.attacks.pgd` with ``bpda_mapping``) shows how much of the apparent
robustness is gradient masking.

Randomness: every function takes ``rng`` (int, numpy Generator or SeedSequence; ``seed`` is
its old name, still accepted); the attacks' random starts and the retraining seeds are drawn
from it, so the same ``rng`` gives the same numbers, and no global generator is reseeded.
Every function leaves the caller's train/eval state of ``model`` as it found it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..attacks import ThreatModel, preserved_mode, project
from ..data import ImageDataset
from ..rng import RandomState, as_generator, seed_from
from ..training import fit, model_device
from . import attacks
from .attacks import _resolve_rng

__all__ = [
    "NonlinearInputMapping",
    "with_mapping",
    "quantization_loss",
    "adversarial_loss",
    "boundary_samples",
    "boundary_retrain",
    "adversarial_train",
    "robustness",
]


class NonlinearInputMapping(nn.Module):
    """Soft staircase ``g(x) = 1/(L-1) sum_{j=1}^{L-1} sigmoid(T (x - t_j))``, ``t_j = (j -
    1/2) / (L - 1)``: ``L`` levels in [0, 1], sharper with temperature ``T`` (a hard L-level
    quantizer as T -> infinity). Applied element-wise; shapes are unchanged."""

    def __init__(self, levels: int = 4, temperature: float = 60.0):
        super().__init__()
        if not isinstance(levels, int) or levels < 2:
            raise ValueError(f"levels must be an integer >= 2, got {levels!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.levels, self.temperature = levels, float(temperature)
        thresholds = (torch.arange(1, levels, dtype=torch.float32) - 0.5) / (levels - 1)
        self.register_buffer("thresholds", thresholds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = torch.sigmoid(self.temperature * (x.unsqueeze(-1) - self.thresholds))
        return steps.mean(-1)


def with_mapping(model: nn.Module, mapping: nn.Module) -> nn.Sequential:
    """The defended system ``model(mapping(x))`` as one differentiable module."""
    return nn.Sequential(mapping, model)


def quantization_loss(acc_full: float, acc_quantized: float) -> float:
    """Accuracy lost by quantizing: ``acc_full - acc_quantized`` (both on clean data)."""
    return float(acc_full) - float(acc_quantized)


def adversarial_loss(acc_clean: float, acc_attacked: float) -> float:
    """Accuracy lost under attack: ``acc_clean - acc_attacked`` (same network)."""
    return float(acc_clean) - float(acc_attacked)


@torch.no_grad()
def _labels(model: nn.Module, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Predicted classes in eval mode; the caller's train/eval flags are restored."""
    device = model_device(model)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    with preserved_mode(model):
        model.eval()
        out = [
            model(X[i : i + batch_size].to(device)).argmax(1).cpu()
            for i in range(0, X.shape[0], batch_size)
        ]
    return torch.cat(out).numpy()


def boundary_samples(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    eps: float,
    max_iter: int = 10,
    bisection_steps: int = 6,
    rng: RandomState = 0,
    seed: int | None = None,
) -> np.ndarray:
    """Points just across ``model``'s decision boundary, within the L-infinity ball ``eps``.

    ART's PGD (random start from ``rng``) gives the direction ``d = x_pgd - x``; bisection on
    ``t`` in [0, 1] (forward passes only) finds the smallest ``t`` (to
    ``2**-bisection_steps``) at which the label is no longer ``y``, assuming one crossing along
    the segment. Images whose label never flips return ``x_pgd``. Shape and dtype as ``X``
    (float32); ``|x_b - X| <= eps`` pixel by pixel ([0, 1] pixel units).
    """
    if isinstance(bisection_steps, bool) or not isinstance(bisection_steps, int):
        raise ValueError(f"bisection_steps must be an integer >= 0; got {bisection_steps!r}")
    if bisection_steps < 0:
        raise ValueError(f"bisection_steps must be an integer >= 0; got {bisection_steps!r}")
    X = np.asarray(X, dtype=np.float32)
    x_adv = attacks.pgd(model, X, y, eps=eps, max_iter=max_iter, rng=_resolve_rng(rng, seed))
    delta = x_adv - X
    flipped = _labels(model, x_adv) != y
    lo = np.zeros(len(X), dtype=np.float32)
    hi = np.ones(len(X), dtype=np.float32)
    for _ in range(bisection_steps):
        mid = 0.5 * (lo + hi)
        wrong = _labels(model, X + mid[:, None, None, None] * delta) != y
        hi = np.where(wrong, mid, hi)
        lo = np.where(wrong, lo, mid)
    t = np.where(flipped, hi, 1.0).astype(np.float32)
    # t <= 1 keeps the point in the ball; project() makes the bound exact after rounding
    return project(X + t[:, None, None, None] * delta, X, ThreatModel(epsilon=float(eps)))


def boundary_retrain(
    model: nn.Module,
    train: ImageDataset,
    *,
    eps: float,
    rounds: int = 2,
    epochs_per_round: int = 3,
    lr: float = 1e-3,
    rng: RandomState = 0,
    seed: int | None = None,
    progress: bool = True,
) -> nn.Module:
    """Boundary-based retraining of a quantized ``model`` in place (see the module docstring):
    ``rounds`` times, recompute boundary samples of the current network and train
    ``epochs_per_round`` epochs (Adam, ``lr``) on clean + boundary samples. Each round draws
    an attack seed and a training seed from ``rng``."""
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an integer >= 1, got {rounds!r}")
    gen = as_generator(_resolve_rng(rng, seed))
    with preserved_mode(model):
        for r in range(rounds):
            xb = boundary_samples(model, train.X, train.y, eps=eps, rng=seed_from(gen))
            data = (np.concatenate([train.X, xb]), np.concatenate([train.y, train.y]))
            fit(
                model,
                data,
                epochs=epochs_per_round,
                lr=lr,
                seed=seed_from(gen),
                progress=progress,
                desc=f"boundary retrain {r + 1}/{rounds}",
            )
    return model


def adversarial_train(
    model: nn.Module,
    train: ImageDataset,
    *,
    eps: float,
    epochs: int,
    lr: float = 1e-3,
    max_iter: int = 7,
    rng: RandomState = 0,
    seed: int | None = None,
    progress: bool = True,
) -> nn.Module:
    """PGD adversarial training (Madry et al. 2018) in place: every batch is replaced by its
    ART PGD images (``max_iter`` steps, ``eps``), each batch's random start drawn from
    ``rng`` after the training seed."""
    gen = as_generator(_resolve_rng(rng, seed))
    fit_seed = seed_from(gen)

    def to_adversarial(m, xb, yb):
        x_adv = attacks.pgd(
            m, xb.cpu().numpy(), yb.cpu().numpy(), eps=eps, max_iter=max_iter, rng=gen
        )
        return torch.from_numpy(x_adv).to(xb.device), yb

    with preserved_mode(model):
        fit(
            model,
            train,
            epochs=epochs,
            lr=lr,
            seed=fit_seed,
            batch_transform=to_adversarial,
            progress=progress,
            desc="adversarial training",
        )
    return model


def robustness(
    model: nn.Module,
    test: ImageDataset,
    *,
    eps: float,
    rng: RandomState = 0,
    seed: int | None = None,
    pgd_iter: int = 20,
    transfer_images: np.ndarray | None = None,
    mapping: nn.Module | None = None,
) -> dict[str, float]:
    """Accuracies in [0, 1] of ``model`` (or ``model(mapping(x))``) on clean and attacked test
    images (L-infinity budget ``eps``, [0, 1] pixel units).

    Keys: ``clean``; ``fgsm`` and ``pgd`` (white-box, gradients through the whole system,
    mapping included); ``transfer`` (black-box: ``transfer_images``, adversarial images of
    ``test`` crafted on an independently trained surrogate network);
    with a mapping also ``pgd_bpda`` (adaptive: BPDA through the mapping). ``pgd`` and
    ``pgd_bpda`` share one random start, drawn from ``rng``.
    """
    system = with_mapping(model, mapping) if mapping is not None else model
    X, y = test.X, test.y
    start = seed_from(_resolve_rng(rng, seed))

    def acc(x):
        return float((_labels(system, x) == y).mean())

    out = {
        "clean": acc(X),
        "fgsm": acc(attacks.fgsm(system, X, y, eps=eps)),
        "pgd": acc(attacks.pgd(system, X, y, eps=eps, max_iter=pgd_iter, rng=start)),
    }
    if transfer_images is not None:
        out["transfer"] = acc(transfer_images)
    if mapping is not None:
        x_bpda = attacks.pgd(
            model, X, y, eps=eps, max_iter=pgd_iter, rng=start, bpda_mapping=mapping
        )
        out["pgd_bpda"] = acc(x_bpda)
    return out
