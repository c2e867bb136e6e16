"""Deep Leakage from Gradients (Zhu, Liu, Han, NeurIPS 2019, arXiv:1906.08935), with the
iDLG label (Zhao et al. 2020) or DLG's own optimised soft label."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ...params import Interval, Options, Params, parameter
from ._base import Trial, _MatchingAttack
from ._matching import MatchingProblem

__all__ = ["DLG", "DLGOptions"]


@dataclass(frozen=True)
class DLGOptions(Params):
    """What the DLG attacker chooses (defaults: the reference code, Soteria's
    ``Defend_DLG`` notebook)."""

    iterations: int = parameter(300, Interval(int, 1, None), "outer L-BFGS steps")
    lr: float = parameter(1.0, Interval(float, 0, None, closed="neither"), "L-BFGS step size")
    max_eval: int = parameter(
        20, Interval(int, 1, None), "L-BFGS iterations per step (torch max_iter)"
    )
    label: str = parameter(
        "idlg",
        Options("idlg", "optimize"),
        "unknown labels: recovered by iDLG (batch 1) or optimised as a soft label (DLG)",
    )
    tolerance: float = parameter(
        1e-10, Interval(float, 0, None), "stop once the matching loss is below this (0: never)"
    )


class DLG(_MatchingAttack):
    """Deep Leakage from Gradients: optimise a dummy batch (and, if the labels are unknown
    and ``label="optimize"``, a soft dummy label) with L-BFGS until its gradient matches the
    shared one.

    The matching loss is the squared distance summed over the matched tensors (Zhu et al.
    2019, Eq. 4)

    .. math:: \\mathcal{L}(x', y') = \\sum_k \\lVert \\nabla_{\\theta_k} \\ell(f(x'), y')
              - g_k \\rVert^2,

    with ``y' = softmax(v)`` for a free label vector ``v`` (DLG) or the iDLG label. The dummy
    images start from a standard normal draw in [0, 1] pixel space and are not constrained.

    Parameters
    ----------
    options : DLGOptions, optional
        Iterations, step size, label handling, stopping tolerance.
    exclude : sequence of str
        Parameter names left out of the matching loss (the adaptive attack on a defended
        layer: :func:`adaptive_exclude`).
    progress : bool
        Show a tqdm bar over the L-BFGS steps.

    Notes
    -----
    Each L-BFGS step evaluates the loss (a forward pass, the parameter gradient and its
    gradient with respect to the dummy) at most about ``1.25 max_eval`` times. A diverging run
    (non-finite loss) returns the last finite iterate with a ``RuntimeWarning``.
    """

    options_class = DLGOptions

    def _optimizes_label(self) -> bool:
        return self.options.label == "optimize"

    def _attack(
        self, problem: MatchingProblem, target: torch.Tensor | None, generator: torch.Generator
    ) -> Trial:
        opts = self.options
        x = self._draw(problem, generator, "randn")
        variables = [x]
        soft = None
        if target is None:  # DLG's free label vector (randn like the reference)
            soft = torch.randn((problem.n_images, problem.n_classes), generator=generator)
            soft = soft.to(problem.device, problem.dtype).requires_grad_(True)
            variables.append(soft)

        def label() -> torch.Tensor:
            return target if soft is None else soft.softmax(dim=-1)

        optimizer = torch.optim.LBFGS(variables, lr=opts.lr, max_iter=opts.max_eval)
        evaluations = 0

        def closure() -> torch.Tensor:
            nonlocal evaluations
            evaluations += 1
            loss = problem.squared(x, label())
            grads = torch.autograd.grad(loss, variables)
            for v, g in zip(variables, grads, strict=True):
                v.grad = g
            return loss.detach()

        history: list[float] = []
        last_good = None
        for _ in tqdm(range(opts.iterations), desc="DLG", disable=not self.progress, leave=False):
            start = [v.detach().clone() for v in variables]
            loss = float(optimizer.step(closure))
            if not math.isfinite(loss):
                break
            last_good = start
            history.append(loss)
            if loss < opts.tolerance:
                break
        final = float(problem.squared(x, label()).detach())
        evaluations += 1
        if not math.isfinite(final):
            if last_good is None:
                raise RuntimeError("DLG: the matching loss is not finite at the initial dummy")
            warnings.warn(
                f"DLG diverged after {len(history)} L-BFGS steps (non-finite matching loss); "
                "returning the last finite iterate",
                RuntimeWarning,
                stacklevel=3,
            )
            with torch.no_grad():
                for v, saved in zip(variables, last_good, strict=True):
                    v.copy_(saved)
            final = history[-1]
        labels = label().argmax(dim=-1) if soft is not None else target
        return Trial(x.detach(), labels.cpu().numpy().astype("int64"), history, final, evaluations)
