"""BadNets-style backdoor (Gu, Dolan-Gavitt & Garg, arXiv:1708.06733): a small square patch of
constant intensity stamped on an image corner, and the label changed to a target class.
Implements :class:`mlcore.attacks.protocols.PoisoningAttack`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import Interval, Options, Params, parameter
from ..rng import RandomState, as_generator

__all__ = ["BadNets", "attack_success_rate"]


@dataclass(frozen=True)
class BadNets(Params):
    """A trigger patch and a target label.

    Images are float ``(n, c, h, w)`` in [0, 1]; the patch covers ``patch_size x patch_size``
    pixels at ``corner`` (all channels) with value ``patch_value``. :meth:`poison` stamps it on
    a ``poison_fraction`` share of the samples (drawn from ``rng``) and relabels them
    ``target``.
    """

    target: int = parameter(0, Interval(int, 0, None), "backdoor target class")
    patch_size: int = parameter(3, Interval(int, 1, None), "trigger side", unit="pixels")
    patch_value: float = parameter(1.0, Interval(float, 0, 1), "trigger intensity", unit="[0, 1]")
    corner: str = parameter(
        "bottom_right",
        Options("bottom_right", "bottom_left", "top_right", "top_left"),
        "trigger position",
    )
    poison_fraction: float = parameter(
        1.0,
        Interval(float, 0, 1, closed="right"),
        "share of a malicious user's samples poisoned (the poisoning budget)",
        unit="fraction",
    )

    def _region(self, h: int, w: int) -> tuple[slice, slice]:
        s = self.patch_size
        if s > min(h, w):
            raise ValueError(f"BadNets.patch_size must be <= the image side {min(h, w)}; got {s}")
        rows = slice(h - s, h) if self.corner.startswith("bottom") else slice(0, s)
        cols = slice(w - s, w) if self.corner.endswith("right") else slice(0, s)
        return rows, cols

    def trigger(self, x: np.ndarray) -> np.ndarray:
        """A copy of the images ``x`` ``(n, c, h, w)`` with the patch stamped on."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 4:
            raise ValueError(f"x must be images (n, c, h, w); got shape {x.shape}")
        rows, cols = self._region(x.shape[2], x.shape[3])
        out = x.copy()
        out[:, :, rows, cols] = self.patch_value
        return out

    def poison(
        self, x: np.ndarray, y: np.ndarray, rng: RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x_poisoned, y_poisoned, poisoned)``: ``round(poison_fraction n)`` samples chosen
        without replacement from ``rng`` carry the trigger and the label ``target``."""
        x = np.asarray(x, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        if y.shape != (x.shape[0],):
            raise ValueError(f"y must have shape ({x.shape[0]},); got {y.shape}")
        chosen = np.zeros(y.size, dtype=bool)
        n_poison = int(round(self.poison_fraction * y.size))
        chosen[as_generator(rng).choice(y.size, size=n_poison, replace=False)] = True
        x_out, y_out = x.copy(), y.copy()
        x_out[chosen] = self.trigger(x[chosen])
        y_out[chosen] = self.target
        return x_out, y_out, chosen


def attack_success_rate(predictions, labels, target: int) -> float:
    """Share of triggered points whose true class is not ``target`` that are predicted
    ``target``, in [0, 1] (``nan`` when every label is ``target``)."""
    pred, y = np.asarray(predictions), np.asarray(labels)
    if pred.shape != y.shape:
        raise ValueError(
            f"predictions and labels must have the same shape; got {pred.shape}, {y.shape}"
        )
    keep = y != target
    return float(np.mean(pred[keep] == target)) if keep.any() else float("nan")
