"""The threat model of an evasion attack and the exact projection onto it.

Images are float32 arrays ``(n_samples, channels, height, width)`` with pixel values in
[0, 1]; a perturbation ``delta = x_adv - x`` is admissible when ``||delta_i||_p <= epsilon``
for every image ``i`` and ``x_adv`` stays in [0, 1]. ``epsilon`` is in the same [0, 1] pixel
units for both norms: the largest change of one pixel for ``"linf"``, the Euclidean length of
the whole perturbation of one image (all channels and pixels) for ``"l2"``.

The bound is *exact*: :func:`project` returns float32 images whose perturbation, evaluated in
float64 on the returned float32 values, satisfies ``max |delta| <= epsilon`` (linf) or
``sqrt(sum delta**2) <= epsilon`` (l2; the float64 sum itself carries a relative rounding
error of at most ``d * 2**-53`` for ``d`` pixels, far below float32 resolution). Rounding to
float32 could otherwise push a pixel half a unit in the last place (``2**-25`` near 1)
outside the ball; :func:`project` moves such pixels back one unit towards ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import Interval, Options, Params, parameter

__all__ = ["ThreatModel", "perturbation_norms", "project", "check_images"]

#: Rounds of one-ulp corrections in :func:`project`; one suffices (rounding is half an ulp).
_MAX_CORRECTIONS = 8


@dataclass(frozen=True)
class ThreatModel(Params):
    """What the attacker may change, and how hard it may try.

    Parameters
    ----------
    norm : {"linf", "l2"}
        The perturbation norm.
    epsilon : float
        The budget, in [0, 1] pixel units: in (0, 1] for ``"linf"`` (max change of one pixel);
        any positive value for ``"l2"`` (Euclidean length of one image's perturbation).
    steps : int
        Gradient steps of iterative attacks (PGD); unused by FGSM (one step of ``epsilon``).
    step_size : float or None
        Step length of iterative attacks in the units of ``epsilon``; ``None`` gives Madry et
        al.'s rule ``2.5 * epsilon / steps``, which lets PGD cross the ball from one side
        to the other within its steps.
    query_budget : int or None
        Black-box attacks: the most queries (images through the target model) per attacked
        image. Required by query-based attacks, ignored by the others.
    """

    norm: str = parameter("linf", Options("linf", "l2"), "perturbation norm")
    epsilon: float = parameter(
        0.1,
        Interval(float, 0, None, closed="neither"),
        "perturbation budget (linf: in (0, 1])",
        unit="[0, 1] pixel units",
    )
    steps: int = parameter(20, Interval(int, 1, None), "gradient steps of iterative attacks")
    step_size: float | None = parameter(
        None,
        Interval(float, 0, None, closed="neither"),
        "step length of iterative attacks; None: 2.5 epsilon / steps",
        unit="[0, 1] pixel units",
        optional=True,
    )
    query_budget: int | None = parameter(
        None,
        Interval(int, 1, None),
        "black-box attacks: most queries per attacked image",
        unit="queries per image",
        optional=True,
    )

    def __post_init__(self):
        super().__post_init__()
        if self.norm == "linf" and self.epsilon > 1.0:
            raise ValueError(
                "ThreatModel.epsilon must be a float in (0, 1] for norm='linf' "
                f"([0, 1] pixel units); got {self.epsilon!r}"
            )

    @property
    def effective_step_size(self) -> float:
        """``step_size``, or ``2.5 * epsilon / steps`` when it is ``None``."""
        if self.step_size is not None:
            return float(self.step_size)
        return 2.5 * float(self.epsilon) / self.steps

    @property
    def art_norm(self) -> float:
        """The norm as ART spells it (``numpy.inf`` or 2)."""
        return np.inf if self.norm == "linf" else 2


def check_images(x, y=None, *, name: str = "x") -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` as float32 ``(n, c, h, w)`` in [0, 1] and ``y`` as int64 ``(n,)`` labels;
    ``ValueError`` naming the argument otherwise."""
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"{name} must be images of shape (n, c, h, w) with n >= 1; got {x.shape}")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(
            f"{name} must hold finite pixel values in [0, 1]; got range [{x.min()}, {x.max()}]"
        )
    if y is None:
        return x, None
    y = np.asarray(y)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must be integer labels of shape ({x.shape[0]},); got {y.dtype} {y.shape}"
        )
    return x, y.astype(np.int64, copy=False)


def perturbation_norms(x_adv: np.ndarray, x: np.ndarray, norm: str) -> np.ndarray:
    """Per-image ``||x_adv - x||`` (``"linf"`` or ``"l2"``), evaluated in float64.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n_samples,)``, [0, 1] pixel units.
    """
    delta = (np.asarray(x_adv, np.float64) - np.asarray(x, np.float64)).reshape(len(x), -1)
    if norm == "linf":
        return np.abs(delta).max(axis=1)
    if norm == "l2":
        return np.sqrt(np.einsum("ij,ij->i", delta, delta))
    raise ValueError(f"norm must be one of 'linf', 'l2'; got {norm!r}")


def _over_budget(x_adv: np.ndarray, x: np.ndarray, threat: ThreatModel) -> np.ndarray:
    """Mask (shape of ``x``) of the pixels to move back one ulp towards ``x``."""
    eps = float(threat.epsilon)
    if threat.norm == "linf":
        return np.abs(x_adv.astype(np.float64) - x.astype(np.float64)) > eps
    rows = perturbation_norms(x_adv, x, "l2") > eps
    return np.broadcast_to(rows[:, None, None, None], x.shape)


def project(x_adv: np.ndarray, x: np.ndarray, threat: ThreatModel) -> np.ndarray:
    """The images ``x_adv`` projected onto the threat model's ball around ``x`` and the box
    [0, 1], as float32, with the bound exact (see the module docstring).

    linf: clip ``delta`` to ``[-epsilon, epsilon]``; l2: scale ``delta`` by
    ``min(1, epsilon / ||delta||)``; then clip the image to [0, 1], which can only shrink
    ``|delta|`` pixel by pixel because ``x`` itself lies in [0, 1].

    Parameters
    ----------
    x_adv, x : numpy.ndarray
        Shape ``(n_samples, c, h, w)``; ``x`` float32 in [0, 1].
    threat : ThreatModel
        Norm and ``epsilon``.

    Returns
    -------
    numpy.ndarray
        float32, shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float32)
    x64 = x.astype(np.float64)
    delta = np.asarray(x_adv, dtype=np.float64) - x64
    if delta.shape != x.shape or not np.all(np.isfinite(delta)):
        raise ValueError(f"x_adv must be finite with the shape of x {x.shape}; got {delta.shape}")
    eps = float(threat.epsilon)
    if threat.norm == "linf":
        delta = np.clip(delta, -eps, eps)
    else:
        norms = perturbation_norms(delta, np.zeros_like(delta), "l2")
        scale = np.minimum(1.0, eps / np.maximum(norms, np.finfo(np.float64).tiny))
        delta *= scale[:, None, None, None]
    out = np.clip(x64 + delta, 0.0, 1.0).astype(np.float32)
    for _ in range(_MAX_CORRECTIONS):
        over = _over_budget(out, x, threat)
        if not over.any():
            return out
        out = np.where(over, np.nextafter(out, x), out)
    raise RuntimeError(  # pragma: no cover - rounding is at most half an ulp per pixel
        f"project: float32 rounding kept a perturbation above epsilon={eps} ({threat.norm})"
    )
