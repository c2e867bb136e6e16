"""The linf Square Attack, targeted, started from given images (a transfer prior).

Square Attack (Andriushchenko et al., ECCV 2020, arXiv:1912.00049; reference code
max-andr/square-attack, ``square_attack_linf``): keep the best point found so far; each
iteration, for every unfinished image, draw one square window of side
``s = round(sqrt(p h w))`` (clipped to [1, h - 1]) at a random position, set the perturbation
there to ``+-epsilon`` (one random sign per channel; signs that would leave the window
unchanged are redrawn), and keep the candidate if the targeted objective improved. One query
per image per iteration. ``p`` follows the reference schedule (:func:`square_p_schedule`).

The reference starts from random vertical stripes of ``+-epsilon``; here the start can be
any images inside the threat model, e.g. transfer adversarial examples (the query-attack prior
of arXiv:2103.09916, research notes §2.5). Evaluating the start costs one query per image, as
the stripes do, and an image whose start already succeeds stops there.

Why not ART's ``SquareAttack`` (wrapped as :class:`mlcore.attacks.SquareAttack`): it always
starts from stripes around ``x``, is untargeted, draws one window for the whole batch, and
spends 3 queries per iteration; the linf loop is short enough to write here.
"""

from __future__ import annotations

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from ..params import Interval, Options, check_argument
from ..rng import RandomState, as_generator
from ._query_search import LOSSES, QueryResult, _BlackBox, _check_query_threat, _Search
from ._state import preserved_mode
from .threat import ThreatModel, check_images, perturbation_norms, project

__all__ = ["SquareFromStart", "square_p_schedule"]

#: Reference schedule: p is halved after these fractions (in 1/10000) of the iterations.
_P_BOUNDS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)
_REDRAWS = 32  # sign redraws for an unchanged window (c = 1: the second draw always differs)


def square_p_schedule(p_init: float, iteration: int, n_iters: int) -> float:
    """Fraction of pixels in the square at ``iteration`` of ``n_iters`` (reference
    ``p_selection``): ``p_init`` halved after 10, 50, 200, 500, 1000, 2000, 4000, 6000 and
    8000 ten-thousandths of the run (``p_init`` itself again past the end)."""
    it = int(iteration / n_iters * 10000)
    if it <= _P_BOUNDS[0] or it > 10000:
        return p_init
    halvings = 1 + sum(it > b for b in _P_BOUNDS[1:])
    return p_init / 2**halvings


class SquareFromStart:
    """Targeted linf Square Attack from given start images (or the reference stripes).

    Parameters
    ----------
    threat : ThreatModel
        ``norm="linf"``, ``epsilon`` and ``query_budget`` (required: queries per image; the
        start costs one, every iteration one more).
    p_init : float
        Initial fraction of pixels in a square, in (0, 1) (reference linf default 0.05).
    loss : {"margin", "ce"}
        Targeted objective to increase: ``z_t - max_{j != t} z_j`` or ``log softmax(z)_t``.
    batch_size : int
        Images per forward pass of the target.
    """

    def __init__(
        self,
        threat: ThreatModel,
        *,
        p_init: float = 0.05,
        loss: str = "margin",
        batch_size: int = 256,
    ):
        _check_query_threat(threat, "SquareFromStart")
        if threat.norm != "linf":
            raise ValueError(
                "SquareFromStart needs ThreatModel.norm='linf' (use SquareAttack for l2); "
                f"got {threat.norm!r}"
            )
        check_argument("SquareFromStart", "p_init", p_init, Interval(float, 0, 1, closed="neither"))
        check_argument("SquareFromStart", "loss", loss, Options(*LOSSES))
        check_argument("SquareFromStart", "batch_size", batch_size, Interval(int, 1, None))
        self.threat, self.p_init = threat, float(p_init)
        self.loss, self.batch_size = loss, batch_size

    def __repr__(self) -> str:
        return f"SquareFromStart({self.threat!r}, p_init={self.p_init})"

    def run(
        self,
        model: nn.Module,
        x: np.ndarray,
        target,
        rng: RandomState,
        *,
        start: np.ndarray | None = None,
        progress: bool = False,
    ) -> QueryResult:
        """Attack ``model`` towards ``target`` from ``start`` (or vertical stripes).

        Parameters
        ----------
        model : torch.nn.Module
            The black box (scores), seen only through a :class:`QueryCounter`.
        x : numpy.ndarray
            float32 ``(n, c, h, w)`` clean images in [0, 1].
        target : int or array_like of int
            Target class per image (or one for all), in the target's classes.
        rng : int, numpy Generator or SeedSequence
            Source of the stripes, windows and signs.
        start : numpy.ndarray, optional
            float32 images of ``x``'s shape in [0, 1] with ``||start - x||_inf <= epsilon``
            (e.g. transfer examples); ``None``: the reference's random vertical stripes.
        progress : bool
            Show a tqdm bar of finished images.

        Returns
        -------
        QueryResult
        """
        x, _ = check_images(x)
        gen = as_generator(rng)
        start = self._start(x, start, gen)
        budget = self.threat.query_budget
        with preserved_mode(model, freeze=True):
            model.eval()
            box = _BlackBox(model, len(x), budget, self.batch_size)
            s = _Search.begin(box, x, start, target, self.loss)
            with tqdm(total=len(x), desc="Square", disable=not progress) as bar:
                bar.update(len(x) - s.active.sum())
                for iteration in range(budget - 1):
                    idx = s.afford(box, s.indices(), 0)
                    if not len(idx):
                        break
                    p = square_p_schedule(self.p_init, iteration, budget)
                    self._iteration(box, s, idx, p, gen)
                    bar.update(len(idx) - s.active[idx].sum())
        return s.result(box, self.threat)

    def _start(self, x: np.ndarray, start, gen: np.random.Generator) -> np.ndarray:
        if start is None:  # reference: vertical stripes of +-epsilon, one sign per column
            n, c, _, w = x.shape
            stripes = gen.choice([-1.0, 1.0], size=(n, c, 1, w)) * self.threat.epsilon
            return project(x + stripes, x, self.threat)
        start, _ = check_images(start, name="start")
        if start.shape != x.shape:
            raise ValueError(f"start must have the shape of x {x.shape}; got {start.shape}")
        worst = perturbation_norms(start, x, "linf").max()
        if worst > self.threat.epsilon:
            raise ValueError(
                f"start must lie within epsilon={self.threat.epsilon} (linf) of x; "
                f"got a perturbation of {worst}"
            )
        return start.copy()

    def _iteration(self, box, s: _Search, idx: np.ndarray, p: float, gen) -> None:
        """One square proposal per image of ``idx``, kept where the objective improves."""
        x0, best = s.x[idx].astype(np.float64), s.x_adv[idx].astype(np.float64)
        m, c, h, w = x0.shape
        side = min(max(int(round(np.sqrt(p * h * w))), 1), h - 1)
        top = gen.integers(0, h - side, size=m)  # reference: randint(0, h - s)
        left = gen.integers(0, w - side, size=m)
        rows = np.arange(h)[None, :, None] - top[:, None, None]
        cols = np.arange(w)[None, None, :] - left[:, None, None]
        window = ((rows >= 0) & (rows < side) & (cols >= 0) & (cols < side))[:, None]
        eps = self.threat.epsilon
        signs = gen.choice([-1.0, 1.0], size=(m, c, 1, 1))
        for _ in range(_REDRAWS):
            candidate = np.clip(x0 + np.where(window, signs * eps, best - x0), 0.0, 1.0)
            same = ~np.any(window & (np.abs(candidate - best) >= 1e-7), axis=(1, 2, 3))
            if not same.any():
                break
            signs[same] = gen.choice([-1.0, 1.0], size=(int(same.sum()), c, 1, 1))
        candidate = project(candidate, s.x[idx], self.threat)
        value, success = s.evaluate(box, idx, candidate)
        better = (value > s.value[idx]) | success
        s.accept(idx[better], candidate[better], value[better], success[better])
