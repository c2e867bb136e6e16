"""Junction -> potential and pairing profiles along x, averaged over lattice cells.

A lattice site at x stands for the cell [x - a/2, x + a/2]; its on-site potential is the cell
average of the continuum potential (a delta barrier of strength Lambda becomes Lambda / a on the
one cell that holds it). With this rule a barrier whose edges fall on cell boundaries is exact in
its integrated strength, and an off-grid edge errs only at first order in a.

Barrier conventions follow :mod:`physcore.semidirac.barriers`:

* :class:`RectangularBarrier` (height V0, width d): U_b = V0 on 0 < x < d; the superconductor
  (pairing ``gap`` and potential ``-U0``) starts at x = d.
* :class:`DeltaBarrier` (Z): U_b = Z v_F delta(x), v_F the normal region's Fermi velocity along x at
  q = 0. For a Hamiltonian that is first order in k_x it is the thin barrier with chi = Z v_F / v.
* :class:`ThinBarrier` (chi): for a first-order Hamiltonian a rectangular barrier of height
  chi v / d and a width d with a << d << Fermi wavelength (see :func:`thin_barrier_width`); for a
  second-order one it is exactly a delta barrier of strength V0 d = chi v (chi for a parabolic
  model, which has no velocity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._system import fermi_velocity  # the continuum solver's v_F: the same Z convention
from ..barriers import DeltaBarrier, RectangularBarrier, ThinBarrier

__all__ = ["JunctionProfile", "thin_barrier_width"]


def thin_barrier_width(lattice_spacing: float, length_scale: float) -> float:
    """Width d of the finite barrier that stands in for a thin barrier on a lattice.

    The thin-barrier limit needs d << ``length_scale`` (the shortest wavelength / (2 pi) of
    the problem, v / max(|mu|, |mu + U0|, gap) for a first-order model) and the lattice needs
    a << d, so d = sqrt(a * length_scale) rounded to a whole number (>= 2) of cells: both
    d / length_scale and a / d then vanish as sqrt(a), the rate at which a thin barrier
    converges on the lattice at best. Measured at chi = 0.5 on the linear axis: mu = 1,
    U0 = 0.5, 7.3e-3 G_N at a = 0.05 and 2.0e-3 at a = 0.00625 (about a^0.6); the README
    junction (mu = 10) stalls between 6e-3 and 1e-2 G_N from a = 0.025 to 0.00625.
    """
    cells = max(2, round(math.sqrt(length_scale / lattice_spacing)))
    return cells * lattice_spacing


@dataclass(frozen=True)
class JunctionProfile:
    """Piecewise-constant normal-state potential and pairing of a junction along x.

    Attributes
    ----------
    potential_steps : tuple of (x_start, x_end, value)
        Potential U(x) (energy) on intervals; ``x_end`` may be ``inf``.
    point_barriers : tuple of (x, strength)
        Delta potentials (energy x length) at x; on the lattice they go into the cell that
        ends at x (the normal side).
    x_superconductor : float
        The superconductor (pairing and the doping -U0) fills x > x_superconductor.
    description : str
        How the barrier was represented (for result attributes).
    """

    potential_steps: tuple
    point_barriers: tuple
    x_superconductor: float
    description: str

    @classmethod
    def from_junction(
        cls, junction, lattice_spacing: float, thin_width: float | None = None
    ) -> JunctionProfile:
        """Profile of ``junction`` as seen by a lattice of spacing ``lattice_spacing``."""
        barrier = junction.barrier
        model, theta = junction.model, junction.theta
        first_order = model.is_first_order(theta)
        steps, points = [], []
        x_s = 0.0
        desc = "no barrier"
        if isinstance(barrier, DeltaBarrier) and barrier.Z > 0:
            v_f = fermi_velocity(model, theta, junction.mu)
            if first_order:
                desc = f"DeltaBarrier(Z={barrier.Z:g}) as thin barrier: "
                barrier = ThinBarrier(chi=barrier.Z * v_f / model.velocity)
            else:
                points.append((0.0, barrier.Z * v_f))
                desc = f"delta potential {barrier.Z * v_f:g} / a on one cell"
        if isinstance(barrier, ThinBarrier) and barrier.chi > 0:
            velocity = getattr(model, "velocity", 1.0)
            strength = barrier.chi * velocity  # V0 d (energy x length)
            desc = "" if desc == "no barrier" else desc
            if first_order:
                if thin_width is None:
                    # shortest wavelength / 2 pi along x: v_x / (largest energy in play)
                    v_x = float(np.linalg.norm(model.transport_coefficients(theta, 0.0)[1], 2))
                    scale = max(abs(junction.mu), abs(junction.mu + junction.U0), junction.gap)
                    thin_width = thin_barrier_width(lattice_spacing, v_x / scale)
                d = float(thin_width)
                if not d >= lattice_spacing:
                    raise ValueError(
                        f"thin_barrier_width must be >= lattice_spacing ({lattice_spacing:g}), "
                        f"got {d!r}"
                    )
                steps.append((0.0, d, strength / d))
                x_s = d
                desc += f"rectangular barrier V0={strength / d:g}, d={d:g} (thin-barrier stand-in)"
            else:
                points.append((0.0, strength))
                desc += f"delta potential {strength:g} / a on one cell"
        if isinstance(barrier, RectangularBarrier) and barrier.width > 0:
            steps.append((0.0, barrier.width, barrier.height))
            x_s = barrier.width
            desc = f"rectangular barrier V0={barrier.height:g}, d={barrier.width:g}"
        steps.append((x_s, math.inf, -junction.U0))
        return cls(tuple(steps), tuple(points), x_s, desc)

    def superconducting_fraction(self, x: float, cell: float) -> float:
        """Fraction of the cell [x - cell/2, x + cell/2] inside the superconductor."""
        return self.superconducting_fraction_between(x - 0.5 * cell, x + 0.5 * cell)

    def potential(self, x: float, cell: float) -> float:
        """Cell average of U(x) over [x - cell/2, x + cell/2] (energy)."""
        return self.potential_between(x - 0.5 * cell, x + 0.5 * cell)

    def superconducting_fraction_between(self, lo: float, hi: float) -> float:
        """Fraction of [lo, hi] inside the superconductor."""
        return _overlap(lo, hi, self.x_superconductor, math.inf) / (hi - lo)

    def potential_between(self, lo: float, hi: float) -> float:
        """Average of U(x) over [lo, hi] (energy); a delta barrier at xb counts in the cell
        with lo < xb <= hi (the one that ends at it, on the normal side)."""
        total = sum(value * _overlap(lo, hi, x0, x1) for x0, x1, value in self.potential_steps)
        for xb, strength in self.point_barriers:
            if lo < xb <= hi:
                total += strength
        return total / (hi - lo)

    @property
    def extent(self) -> tuple[float, float]:
        """Interval [x_min, x_max] that holds every feature of the profile."""
        xs = [0.0, self.x_superconductor]
        xs += [x for x0, x1, _ in self.potential_steps for x in (x0, x1) if math.isfinite(x)]
        return min(xs), max(xs)


def _overlap(lo: float, hi: float, x0: float, x1: float) -> float:
    return max(0.0, min(hi, x1) - max(lo, x0))
