"""Interface barriers between the normal metal and the superconductor (data only).

The barrier potential U_b(x) enters the BdG Hamiltonian as ``tau_z (x) U_b(x)`` (it acts
with opposite sign on holes) and is spin/pseudo-spin diagonal (proportional to sigma_0).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import Instance, Interval, check_fields, check_value, parameter
from .models import ENERGY, PARAMETER_LIMIT

__all__ = ["Barrier", "DeltaBarrier", "ThinBarrier", "RectangularBarrier", "check_barrier"]


class Barrier:
    """Base class of the barrier descriptions."""


#: declared range of a dimensionless thin-barrier strength (Z, chi) and of a width
STRENGTH = Interval(float, 0, PARAMETER_LIMIT)
LENGTH = Interval(float, 0, PARAMETER_LIMIT)


@dataclass(frozen=True)
class DeltaBarrier(Barrier):
    r"""Delta barrier :math:`U_b(x) = Z\,\hbar v_F\,\delta(x)` (BTK's dimensionless strength Z).

    ``v_F`` is the normal region's Fermi velocity along the transport direction at normal
    incidence (q = 0; the largest one if several bands cross mu there), so that Z has BTK's
    meaning for a 2DEG (PRB 25, 4515 (1982)).

    Matching conditions, with ``h(k_x) = h0 + h1 k_x + h2 k_x^2`` and ``W = Z v_F``:

    * ``h2`` invertible (2DEG; semi-Dirac off the linear axis): psi is continuous and
      ``psi'(0+) - psi'(0-) = W h2^{-1} psi(0)`` on both the electron and the hole block (the
      tau_z of the potential cancels the tau_z of the kinetic term). For a 2DEG this is BTK's
      ``2 k_F Z``; along the semi-Dirac quadratic axis ``h2 = sigma_x / 2m``, so the barrier is
      repulsive for pseudo-spin sigma_x = +1 and attractive for sigma_x = -1.
    * ``h2 = 0`` (graphene; semi-Dirac along its linear axis): a delta potential in a
      first-order equation is defined by its thin-barrier limit, the transfer matrix
      ``psi(0+) = exp(-i W h1^{-1}) psi(0-)``; it is the same as :class:`ThinBarrier` with
      ``chi = Z v_F / v`` (= Z along the semi-Dirac linear axis and for graphene, v_F = v).

    A model with no propagating state at mu and q = 0 has no v_F: use ThinBarrier there.
    """

    Z: float = parameter(rule=STRENGTH, doc="BTK strength Z of a delta barrier", unit="1")

    def __post_init__(self):
        check_fields(self)


@dataclass(frozen=True)
class ThinBarrier(Barrier):
    r"""Thin-barrier limit: height V0 -> infinity, width d -> 0 with
    :math:`\chi = V_0 d / \hbar v` fixed (Bhattacharjee and Sengupta, PRL 97, 217001 (2006)).

    ``v`` is the model's velocity parameter (``velocity``); for a parabolic model, which has none,
    the barrier's integrated strength V0 d = chi (in energy x length units) is used.

    The barrier is a potential of integrated strength ``W = chi v``: for a first-order h the
    exact thin-barrier transfer matrix ``exp(-i W h1^{-1})`` (for graphene
    ``exp(-i chi sigma_x)``, along the semi-Dirac linear axis ``exp(-i chi sigma_y)``), so the
    conductance is pi-periodic in chi; for a second-order h the derivative jump
    ``W h2^{-1}`` of :class:`DeltaBarrier` (no periodicity there).
    """

    chi: float = parameter(rule=STRENGTH, doc="thin-barrier strength V0 d / (hbar v)", unit="1")

    def __post_init__(self):
        check_fields(self)


@dataclass(frozen=True)
class RectangularBarrier(Barrier):
    """Rectangular barrier of potential ``height`` (energy, any sign) on 0 < x < ``width``
    (length); the superconductor starts at x = width."""

    height: float = parameter(rule=ENERGY, doc="rectangular barrier height", unit="energy")
    width: float = parameter(rule=LENGTH, doc="rectangular barrier width", unit="length")

    def __post_init__(self):
        check_fields(self)


#: declared rule of the junction's ``barrier`` argument
BARRIER_RULE = Instance(Barrier, allow_none=True)


def check_barrier(barrier) -> Barrier | None:
    """Validate the ``barrier`` argument of a junction (the junction's declared rule)."""
    return check_value("barrier", barrier, BARRIER_RULE)
