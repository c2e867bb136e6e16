"""What one gradient-inversion run returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["InversionResult"]


@dataclass(frozen=True, eq=False)
class InversionResult:
    """The reconstruction of a client's batch from its shared gradient.

    Attributes
    ----------
    images : numpy.ndarray
        float32 ``(n_images, c, h, w)``, the reconstruction clipped to [0, 1] (pixel units).
    raw_images : numpy.ndarray
        float32, same shape: the optimised dummy images before clipping (DLG does not
        constrain them, so they may leave [0, 1]).
    labels : numpy.ndarray
        int64 ``(n_images,)``: the labels the attack used (given, recovered by iDLG) or, for
        DLG's optimised soft label, the argmax of the recovered label distribution.
    loss_history : numpy.ndarray
        float64 ``(iterations,)``: the gradient-matching loss at the start of every outer
        iteration (L-BFGS step or Adam step) of the best restart, without the image prior.
    iterations : int
        Outer iterations run in the best restart (fewer than requested when DLG stopped at
        its tolerance).
    matching_loss : float
        The matching loss of the returned ``raw_images`` (best restart).
    wall_time_s : float
        Wall-clock time of the whole attack, all restarts, in seconds.
    evaluations : int
        Matching-loss evaluations (forward pass, gradient and its gradient) over all restarts.
    """

    images: np.ndarray
    raw_images: np.ndarray
    labels: np.ndarray
    loss_history: np.ndarray
    iterations: int
    matching_loss: float
    wall_time_s: float
    evaluations: int = 0
