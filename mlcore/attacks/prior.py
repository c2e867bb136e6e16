"""Score-based targeted query attacks with a transfer prior: RGF and P-RGF.

**RGF** (random gradient-free, Nesterov & Spokoiny 2017, Found. Comput. Math. 17:527) estimates
the gradient of a black-box objective ``L`` from finite differences along random directions,
``g = mean_i (L(x + sigma u_i) - L(x)) u_i``, and takes a sign (linf) or normalised (l2) ascent
step. **P-RGF** (prior-guided RGF, Cheng et al., NeurIPS 2019, arXiv:1906.06919) biases the
directions towards a *prior* gradient ``p`` (here the white-box proxy-objective gradient of a
transfer attack): it estimates the cosine ``alpha`` between ``p`` and the true gradient,
chooses the mixing weight ``lambda*`` that minimises the estimator's expected error
(:func:`prgf_lambda`) and samples ``u = sqrt(1 - lambda) u_perp + sqrt(lambda) p``, with
``u_perp`` orthogonal to ``p``; at ``lambda = 1`` it steps along ``p`` alone.

The iteration follows the authors' reference code (thu-ml/Prior-Guided-RGF, ``attack.py``;
research notes ``2103.09916.md`` §2.5): directions are normalised to unit RMS (``||u|| =
sqrt(n)`` for ``n`` pixels); ``||grad L||^2`` is re-estimated from 10 directions at iterations
0, 3, 10, 20, ...; ``sigma`` doubles while the prior's difference is 0 and grows 5-fold while
every sampled difference is 0, and is tried back at its initial value every second iteration.
As in the reference code, the finite-difference probes ``x + sigma u`` are not clipped to
[0, 1] (they leave it by about ``sigma`` per pixel); every step is projected exactly onto the
threat model (:func:`mlcore.attacks.project`).

Queries: the target is only seen through a :class:`mlcore.attacks.QueryCounter` and every
image passed through it is charged to the attacked image it is for: one to evaluate the clean
image, every probe, and one per step to evaluate the new point (objective and prediction come
from the same scores). An image stops when the target predicts its target class (success) or
when its remaining budget cannot pay for the next sub-step plus the evaluation of the step, so
no image ever exceeds ``threat.query_budget``. The reference code, unlike this module, checks
the budget only once per iteration and can overshoot it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..rng import RandomState, as_generator
from ..training import model_device
from ._query_search import (
    _TINY,
    LOSSES,
    QueryResult,
    _BlackBox,
    _check_positive,
    _check_query_threat,
    _rms_normalized,
    _Search,
)
from ._state import preserved_mode
from .threat import ThreatModel, check_images, project

__all__ = ["RGF", "gradient_prior", "prgf_lambda", "PriorFunction", "QueryResult"]

#: ``prior(x_batch, index) -> gradient``: rows of ``x_batch`` are the current images of the
#: attacked images ``index`` (positions in ``x``); returns an array of ``x_batch``'s shape.
PriorFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

_NORM_SAMPLES = 10  # directions of the ||grad||^2 estimate (reference code: s = 10)
_NORM_EVERY, _NORM_EXTRA = 10, 3  # re-estimated at iterations 0 mod 10 and at 3
_SIGMA_TRIES = 8  # bounded version of the reference code's unbounded sigma loops


def prgf_lambda(alpha, n: int, q: int) -> np.ndarray:
    """P-RGF's optimal weight of the prior direction (Cheng et al. 2019, Theorem 1 and
    reference code), for cosine ``alpha`` between prior and true gradient.

    ``lambda* = (1 - a^2)(1 - a^2 (n + 2q - 2)) / (a^4 n (n + 2q - 2) - 2 a^2 n q + 1)``;
    outside (0, 1) it is 0 if ``a^2 (n + 2q - 2) < 1`` and 1 otherwise; 1 when ``|a| >= 1``.

    Parameters
    ----------
    alpha : array_like
        Estimated cosines (any shape).
    n : int
        Input dimension (pixels times channels).
    q : int
        Directions per gradient estimate.

    Returns
    -------
    numpy.ndarray
        float64 weights in [0, 1], the shape of ``alpha``.
    """
    a2 = np.asarray(alpha, dtype=np.float64) ** 2
    m = n + 2 * q - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        best = (1 - a2) * (1 - a2 * m) / (a2 * a2 * n * m - 2 * a2 * n * q + 1)
    fallback = np.where(a2 * m < 1, 0.0, 1.0)
    lam = np.where((best > 0) & (best < 1), best, fallback)
    return np.where(a2 >= 1, 1.0, lam)


def gradient_prior(
    model: nn.Module, classes, *, weights=None, batch_size: int = 256
) -> PriorFunction:
    """A P-RGF prior: the input gradient of ``sum_k w_k log softmax(model(x))_{c_k}``.

    With the white-box model and proxy classes this is the transfer prior of the issue;
    with the black box itself and its target it is the true gradient of the ``"ce"`` loss
    (a perfect prior, for tests).

    Parameters
    ----------
    model : torch.nn.Module
        Differentiable model (used in eval mode; its state is restored).
    classes : array_like of int
        ``(n,)`` one class per attacked image, or ``(n, k)`` k classes per image.
    weights : array_like, optional
        ``(k,)`` or ``(n, k)`` non-negative weights summing to 1 per image; uniform if None.
    batch_size : int
        Images per backward pass.

    Returns
    -------
    callable
        ``prior(x_batch, index) -> numpy.ndarray`` (float32, shape of ``x_batch``).
    """
    classes = np.asarray(classes)
    classes = classes[:, None] if classes.ndim == 1 else classes
    if classes.ndim != 2 or not np.issubdtype(classes.dtype, np.integer) or classes.min() < 0:
        raise ValueError(f"classes must be integers >= 0 of shape (n,) or (n, k); got {classes}")
    k = classes.shape[1]
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=np.float64)
    w = np.broadcast_to(w, classes.shape) if w.shape in ((k,), classes.shape) else None
    if w is None or np.any(w < 0) or not np.allclose(w.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(f"weights must be >= 0 with shape ({k},) or {classes.shape}, summing to 1")
    _check_positive("batch_size", batch_size, int)
    device = model_device(model)

    def prior(x_batch: np.ndarray, index: np.ndarray) -> np.ndarray:
        grads = []
        with preserved_mode(model, freeze=True):
            model.eval()
            for lo in range(0, len(x_batch), batch_size):
                sel = np.asarray(index)[lo : lo + batch_size]
                xt = torch.as_tensor(x_batch[lo : lo + batch_size], device=device)
                xt.requires_grad_(True)
                logp = torch.log_softmax(model(xt), dim=1)
                if classes.max() >= logp.shape[1]:
                    raise ValueError(f"classes must lie in 0..{logp.shape[1] - 1}")
                cls = torch.as_tensor(classes[sel], device=device)
                wt = torch.as_tensor(w[sel], device=device, dtype=logp.dtype)
                (grad,) = torch.autograd.grad((logp.gather(1, cls) * wt).sum(), xt)
                grads.append(grad.detach().cpu().numpy())
        return np.concatenate(grads).astype(np.float32)

    return prior


class RGF:
    """Targeted RGF, and P-RGF when a prior is given (score-based black box).

    Maximises the targeted objective (``loss``) of the target's scores from finite
    differences along random directions, with the P-RGF prior of Cheng et al. (NeurIPS 2019,
    arXiv:1906.06919) when :meth:`run` gets ``prior``; see the module docstring for the
    iteration and the query accounting. ``threat.steps`` and ``threat.step_size`` are unused.

    Parameters
    ----------
    threat : ThreatModel
        Norm (linf: sign steps; l2: normalised steps), ``epsilon`` and ``query_budget``
        (required: the most queries per attacked image).
    samples : int
        Directions per gradient estimate (``q``; reference code 50, contract 20), >= 1.
    sigma : float
        Initial finite-difference step, > 0, [0, 1] pixel units per unit-RMS direction.
    step_size : float, optional
        Ascent step, > 0: per pixel for linf, Euclidean length for l2; ``None`` gives
        ``epsilon / 10`` (the reference code's linf ratio, 0.005 for 0.05).
    loss : {"margin", "ce"}
        Targeted objective: ``z_t - max_{j != t} z_j`` or ``log softmax(z)_t``.
    batch_size : int
        Images per forward pass of the target.

    Notes
    -----
    All unfinished images advance together, one iteration at a time; each image keeps its
    own ``sigma``, ``alpha``, ``lambda`` and query count. One gradient estimate holds
    ``samples`` float64 directions per unfinished image (``8 * samples * c * h * w`` bytes
    each: 2.5 MB for 20 directions of a 28 x 28 image).
    """

    def __init__(
        self,
        threat: ThreatModel,
        *,
        samples: int = 20,
        sigma: float = 1e-4,
        step_size: float | None = None,
        loss: str = "margin",
        batch_size: int = 256,
    ):
        _check_query_threat(threat, "RGF")
        _check_positive("samples", samples, int)
        _check_positive("sigma", sigma)
        if step_size is not None:
            _check_positive("step_size", step_size)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
        _check_positive("batch_size", batch_size, int)
        self.threat, self.samples, self.sigma = threat, int(samples), float(sigma)
        self.step_size = float(threat.epsilon) / 10 if step_size is None else float(step_size)
        self.loss, self.batch_size = loss, batch_size

    def __repr__(self) -> str:
        return f"RGF({self.threat!r}, samples={self.samples}, sigma={self.sigma})"

    def run(
        self,
        model: nn.Module,
        x: np.ndarray,
        target,
        rng: RandomState,
        *,
        prior: PriorFunction | None = None,
        progress: bool = False,
    ) -> QueryResult:
        """Attack ``model`` towards ``target`` from ``x``, with P-RGF's prior if given.

        Parameters
        ----------
        model : torch.nn.Module
            The black box: images ``(batch, c, h, w)`` in [0, 1] to scores (logits); seen
            only through a :class:`QueryCounter`, in eval mode, its state restored.
        x : numpy.ndarray
            float32 ``(n, c, h, w)`` clean images in [0, 1].
        target : int or array_like of int
            Target class per image (or one for all), in the target's classes.
        rng : int, numpy Generator or SeedSequence
            Source of the random directions.
        prior : callable, optional
            ``prior(x_batch, index) -> gradient`` (see :data:`PriorFunction`), e.g.
            :func:`gradient_prior` of the white-box proxy objective; ``None``: plain RGF.
        progress : bool
            Show a tqdm bar of finished images.

        Returns
        -------
        QueryResult
        """
        x, _ = check_images(x)
        if prior is not None and not callable(prior):
            raise ValueError(f"prior must be callable prior(x_batch, index) or None; got {prior!r}")
        gen = as_generator(rng)
        n = len(x)
        with preserved_mode(model, freeze=True):
            model.eval()
            box = _BlackBox(model, n, self.threat.query_budget, self.batch_size)
            s = _Search.begin(box, x, x.copy(), target, self.loss)
            sigma, norm_sq = np.full(n, self.sigma), np.zeros(n)
            with tqdm(total=n, desc="P-RGF" if prior else "RGF", disable=not progress) as bar:
                bar.update(n - s.active.sum())
                ite = 0
                while s.active.any():
                    before = s.active.sum()
                    self._iteration(box, s, sigma, norm_sq, ite, prior, gen)
                    bar.update(before - s.active.sum())
                    ite += 1
        return s.result(box, self.threat)

    def _iteration(self, box, s: _Search, sigma, norm_sq, ite: int, prior, gen) -> None:
        """One P-RGF iteration of every active image (reference code's loop body)."""
        if ite % 2 == 0:  # try the initial sigma again (reference code)
            moved = s.indices()
            self._reset_sigma(box, s, sigma, moved[sigma[moved] != self.sigma], gen)
        idx = s.indices()
        direction = np.zeros((len(idx),) + s.x.shape[1:])
        p, lam = None, np.zeros(len(idx))
        if prior is not None:
            p, lam = self._prior_weight(box, s, sigma, norm_sq, idx, ite, prior, gen)
            direction[:] = p  # the step direction where lambda = 1
        sub = s.afford(box, idx[(lam < 1) & s.active[idx]], self.samples)
        rows = np.isin(idx, sub)
        if rows.any():
            pr = None if p is None else p[rows]
            direction[rows] = self._estimate(box, s, sigma, sub, pr, lam[rows], gen)
        flat = ~np.any(direction != 0, axis=(1, 2, 3))
        s.active[idx[flat]] = False  # no difference even at the largest sigma: stuck
        live = s.active[idx]
        self._step(box, s, idx[live], direction[live])

    def _differences(self, box, s: _Search, idx, dirs, sig) -> np.ndarray:
        """``L(x_adv + sig u) - L(x_adv)`` for directions ``dirs`` ``(m, k, c, h, w)``."""
        m, k = dirs.shape[:2]
        if m == 0:
            return np.zeros((0, k))
        points = s.x_adv[idx, None].astype(np.float64) + sig[:, None, None, None, None] * dirs
        points = points.reshape((m * k,) + s.x.shape[1:]).astype(np.float32)
        value, _ = s.evaluate(box, np.repeat(idx, k), points)
        return value.reshape(m, k) - s.value[idx, None]

    def _probe(self, box, s: _Search, sigma, idx, dirs, factor: float) -> np.ndarray:
        """:meth:`_differences`, growing ``sigma`` by ``factor`` for images whose differences
        are all 0 (reference code: 2 for the prior, 5 for the estimate), at most
        ``_SIGMA_TRIES`` times and only while the image can pay."""
        diffs = self._differences(box, s, idx, dirs, sigma[idx])
        for _ in range(_SIGMA_TRIES):
            redo = np.all(diffs == 0, axis=1) & (box.remaining(idx) >= dirs.shape[1] + 1)
            if not redo.any():
                break
            sigma[idx[redo]] *= factor
            diffs[redo] = self._differences(box, s, idx[redo], dirs[redo], sigma[idx[redo]])
        return diffs

    def _reset_sigma(self, box, s: _Search, sigma, idx, gen) -> None:
        """Back to the initial sigma where two random differences there are both nonzero."""
        idx = s.afford(box, idx, 2)
        if len(idx):
            dirs = _rms_normalized(gen.standard_normal((len(idx), 2) + s.x.shape[1:]))
            diffs = self._differences(box, s, idx, dirs, np.full(len(idx), self.sigma))
            sigma[idx[np.all(diffs != 0, axis=1)]] = self.sigma

    def _prior_weight(self, box, s: _Search, sigma, norm_sq, idx, ite, prior, gen):
        """The unit-RMS prior (sign fixed so that ``alpha >= 0``) and lambda per row of
        ``idx``: ``||grad L||^2`` from ``_NORM_SAMPLES`` differences on schedule, then
        ``alpha = (L(x + sigma p) - L(x)) / (sigma ||p|| ||grad L||)``."""
        shape = (len(idx),) + s.x.shape[1:]
        p = np.asarray(prior(s.x_adv[idx].copy(), idx.copy()), dtype=np.float64)
        if p.shape != shape or not np.all(np.isfinite(p)):
            raise ValueError(f"prior must return a finite array of shape {shape}; got {p.shape}")
        p = _rms_normalized(p)
        if ite % _NORM_EVERY == 0 or ite == _NORM_EXTRA:
            sub = s.afford(box, idx, _NORM_SAMPLES)
            dirs = _rms_normalized(gen.standard_normal((len(sub), _NORM_SAMPLES) + shape[1:]))
            d = self._differences(box, s, sub, dirs, sigma[sub])
            norm_sq[sub] = np.mean((d / sigma[sub, None]) ** 2, axis=1)
        has_prior = np.any(p != 0, axis=(1, 2, 3))
        sub = s.afford(box, idx[has_prior & s.active[idx]], 1)
        rows = np.isin(idx, sub)
        lam = np.zeros(len(idx))
        if rows.any():
            d = self._probe(box, s, sigma, sub, p[rows][:, None], factor=2.0)[:, 0]
            n = p[0].size  # ||p||^2 = n for a unit-RMS prior
            alpha = d / sigma[sub] / np.maximum(np.sqrt(n * norm_sq[sub]), _TINY)
            p[rows] *= np.where(alpha < 0, -1.0, 1.0)[:, None, None, None]
            lam[rows] = prgf_lambda(np.abs(alpha), n, self.samples)
        return p, lam

    def _estimate(self, box, s: _Search, sigma, idx, p, lam, gen) -> np.ndarray:
        """Unit-RMS gradient estimate ``mean_i (L(x + sigma u_i) - L(x)) u_i`` from
        ``samples`` directions; with a prior, ``u = sqrt(1-lam) u_perp + sqrt(lam) p``."""
        u = gen.standard_normal((len(idx), self.samples) + s.x.shape[1:])
        if p is not None:
            pp = p[:, None]
            along = np.sum(u * pp, axis=(2, 3, 4), keepdims=True)
            u -= along / np.maximum(np.sum(pp * pp, axis=(2, 3, 4), keepdims=True), _TINY) * pp
            w = lam[:, None, None, None, None]
            u = np.sqrt(1 - w) * _rms_normalized(u) + np.sqrt(w) * pp
        else:
            u = _rms_normalized(u)
        diffs = self._probe(box, s, sigma, idx, u, factor=5.0)
        return _rms_normalized(np.einsum("mk,mk...->m...", diffs, u) / self.samples)

    def _step(self, box, s: _Search, idx, direction) -> None:
        """Ascent step (sign for linf, unit l2 direction for l2), exact projection, and the
        evaluation of the new point (one query per image)."""
        if not len(idx):
            return
        if self.threat.norm == "linf":
            move = np.sign(direction)
        else:
            length = np.sqrt(np.sum(direction**2, axis=(1, 2, 3), keepdims=True))
            move = direction / np.maximum(length, _TINY)
        new = project(s.x_adv[idx] + self.step_size * move, s.x[idx], self.threat)
        value, success = s.evaluate(box, idx, new)
        s.accept(idx, new, value, success)
