"""Interface barriers between the normal metal and the superconductor (data only).

The barrier potential U_b(x) enters the BdG Hamiltonian as ``tau_z (x) U_b(x)`` (it acts
with opposite sign on holes) and is spin/pseudo-spin diagonal (proportional to sigma_0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Barrier", "DeltaBarrier", "ThinBarrier", "RectangularBarrier", "check_barrier"]


class Barrier:
    """Base class of the barrier descriptions."""


@dataclass(frozen=True)
class DeltaBarrier(Barrier):
    r"""Delta barrier :math:`U_b(x) = Z\,\hbar v_F\,\delta(x)` (BTK's dimensionless strength Z).

    ``v_F`` is the normal region's Fermi velocity along the transport direction at normal
    incidence (q = 0), so that Z has BTK's meaning for a 2DEG (PRB 25, 4515 (1982)).
    For a Hamiltonian that is only first order along x a delta potential is defined by its
    thin-barrier limit, i.e. it is the same as :class:`ThinBarrier` with ``chi = Z v_F / v``.
    """

    Z: float

    def __post_init__(self):
        z = float(self.Z)
        if not math.isfinite(z) or z < 0:
            raise ValueError(f"DeltaBarrier: Z must be a finite number >= 0, got {self.Z!r}")
        object.__setattr__(self, "Z", z)


@dataclass(frozen=True)
class ThinBarrier(Barrier):
    r"""Thin-barrier limit: height V0 -> infinity, width d -> 0 with
    :math:`\chi = V_0 d / \hbar v` fixed (Bhattacharjee and Sengupta, PRL 97, 217001 (2006)).

    ``v`` is the model's velocity parameter (``velocity``); for a parabolic model, which has none,
    the barrier's integrated strength V0 d = chi (in energy x length units) is used.
    """

    chi: float

    def __post_init__(self):
        c = float(self.chi)
        if not math.isfinite(c) or c < 0:
            raise ValueError(f"ThinBarrier: chi must be a finite number >= 0, got {self.chi!r}")
        object.__setattr__(self, "chi", c)


@dataclass(frozen=True)
class RectangularBarrier(Barrier):
    """Rectangular barrier of potential ``height`` (energy, any sign) on 0 < x < ``width``
    (length); the superconductor starts at x = width."""

    height: float
    width: float

    def __post_init__(self):
        h, w = float(self.height), float(self.width)
        if not math.isfinite(h):
            raise ValueError(f"RectangularBarrier: height must be finite, got {self.height!r}")
        if not math.isfinite(w) or w < 0:
            raise ValueError(
                f"RectangularBarrier: width must be a finite number >= 0, got {self.width!r}"
            )
        object.__setattr__(self, "height", h)
        object.__setattr__(self, "width", w)


def check_barrier(barrier) -> Barrier | None:
    """Validate the ``barrier`` argument of a junction."""
    if barrier is None or isinstance(barrier, Barrier):
        return barrier
    raise ValueError(
        "barrier must be None, DeltaBarrier(Z=...), ThinBarrier(chi=...) or "
        f"RectangularBarrier(height=..., width=...), got {barrier!r}"
    )
