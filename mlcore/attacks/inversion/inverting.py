"""Inverting Gradients, the "GS" attack (Geiping, Bauermeister, Droege, Moeller, "Inverting
Gradients - How easy is it to break privacy in federated learning?", NeurIPS 2020,
arXiv:2003.14053; reference code ``inversefed``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ...params import Interval, Options, Params, parameter
from ._base import Trial, _MatchingAttack, finite_or_inf
from ._matching import MatchingProblem, total_variation

__all__ = ["InvertingGradients", "InvertingGradientsOptions"]


@dataclass(frozen=True)
class InvertingGradientsOptions(Params):
    """What the Inverting Gradients attacker chooses (defaults: ``inversefed``'s config as
    Soteria's GS script uses it, except the iteration count: 24,000 there)."""

    iterations: int = parameter(2000, Interval(int, 1, None), "Adam steps per restart")
    lr: float = parameter(0.1, Interval(float, 0, None, closed="neither"), "Adam step size")
    tv_weight: float = parameter(
        1e-4, Interval(float, 0, None), "weight of the total-variation prior"
    )
    restarts: int = parameter(1, Interval(int, 1, None), "independent trials; best is kept")
    signed: bool = parameter(True, Options(True, False), "step on the sign of the gradient")
    boxed: bool = parameter(True, Options(True, False), "clamp the images to [0, 1] each step")
    lr_decay: bool = parameter(
        True, Options(True, False), "lr x 0.1 at 3/8, 5/8 and 7/8 of the iterations"
    )
    init: str = parameter(
        "randn", Options("randn", "rand", "zeros"), "dummy start (normal, uniform, zero)"
    )


class InvertingGradients(_MatchingAttack):
    """Inverting Gradients: Adam on the dummy batch against the cosine distance between
    its gradient and the shared one, plus a total-variation prior (Geiping et al. 2020,
    Eq. 4)

    .. math:: \\arg\\min_{x \\in [0,1]^n} 1 - \\frac{\\langle \\nabla_\\theta \\ell(x, y),
              g \\rangle}{\\lVert \\nabla_\\theta \\ell(x, y) \\rVert \\lVert g \\rVert}
              + \\alpha_{TV} \\, TV(x),

    all matched tensors taken together as one vector. As in ``inversefed``: signed gradient
    steps, the box constraint after every step, the step size divided by 10 at 3/8, 5/8 and
    7/8 of the run, and the best of ``restarts`` trials by its final matching loss (without
    the prior). The labels are given or recovered by iDLG.

    Parameters
    ----------
    options : InvertingGradientsOptions, optional
    exclude : sequence of str
        Parameter names left out of the matching loss (the adaptive attack of Balunovic et
        al. 2022 on a defended layer: :func:`adaptive_exclude`).
    progress : bool
        Show a tqdm bar over the Adam steps.
    """

    options_class = InvertingGradientsOptions

    def _attack(
        self, problem: MatchingProblem, target: torch.Tensor | None, generator: torch.Generator
    ) -> Trial:
        best, evaluations = None, 0
        for restart in range(self.options.restarts):
            trial = self._trial(problem, target, generator, restart)
            evaluations += trial.evaluations
            if best is None or finite_or_inf(trial.loss) < finite_or_inf(best.loss):
                best = trial
        best.evaluations = evaluations
        return best

    def _trial(
        self, problem: MatchingProblem, target: torch.Tensor, generator: torch.Generator, i: int
    ) -> Trial:
        opts = self.options
        x = self._draw(problem, generator, opts.init)
        optimizer = torch.optim.Adam([x], lr=opts.lr)
        n = opts.iterations
        milestones = [int(n * 3 / 8), int(n * 5 / 8), int(n * 7 / 8)] if opts.lr_decay else []
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)
        history: list[float] = []
        desc = f"GS restart {i + 1}/{opts.restarts}"
        for _ in tqdm(range(n), desc=desc, disable=not self.progress, leave=False):
            matching = problem.cosine(x, target)
            objective = matching + opts.tv_weight * total_variation(x)
            (grad,) = torch.autograd.grad(objective, x)
            x.grad = grad.sign_() if opts.signed else grad
            optimizer.step()
            scheduler.step()
            if opts.boxed:
                with torch.no_grad():
                    x.clamp_(0.0, 1.0)
            history.append(float(matching.detach()))
        final = float(problem.cosine(x, target).detach())
        return Trial(x.detach(), target.cpu().numpy().astype("int64"), history, final, n + 1)
