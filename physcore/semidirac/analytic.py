"""Closed-form references for NS junctions (BTK, Beenakker's graphene result, the bound state of
a delta barrier along the semi-Dirac quadratic axis).

Units: hbar = 1, energies in the user's unit. These are independent of the mode-matching
solver: they are written from the analytic solutions, not from its kernels.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate

__all__ = [
    "btk_probabilities",
    "btk_conductance",
    "btk_zero_bias_ratio",
    "beenakker_amplitudes",
    "beenakker_conductance",
    "quadratic_barrier_resonance",
]


def btk_probabilities(energy, gap: float, Z: float):
    """BTK's Andreev and normal reflection probabilities ``(A, B)`` at normal incidence.

    Blonder, Tinkham and Klapwijk, PRB 25, 4515 (1982), Table II, in the Andreev
    approximation (mu >> gap, equal Fermi velocities) for a delta barrier ``Z``:
    below the gap ``A = gap^2 / (E^2 + (gap^2 - E^2)(1 + 2 Z^2)^2)``, ``B = 1 - A``; above it
    ``A = u^2 v^2 / g^2``, ``B = (u^2 - v^2)^2 Z^2 (1 + Z^2) / g^2`` with
    ``u^2 = 1 - v^2 = (1 + sqrt(E^2 - gap^2)/|E|)/2`` and ``g = u^2 + Z^2 (u^2 - v^2)``.
    """
    e = np.abs(np.asarray(energy, dtype=float))
    z2 = Z * Z
    below = e < gap
    with np.errstate(invalid="ignore", divide="ignore"):
        a_below = gap**2 / (e**2 + (gap**2 - e**2) * (1 + 2 * z2) ** 2)
        u2 = 0.5 * (1 + np.sqrt(np.clip(e**2 - gap**2, 0, None)) / np.where(e > 0, e, 1))
        v2 = 1 - u2
        g = u2 + z2 * (u2 - v2)
        a_above = u2 * v2 / g**2
        b_above = (u2 - v2) ** 2 * z2 * (1 + z2) / g**2
    a = np.where(below, a_below, a_above)
    b = np.where(below, 1 - a_below, b_above)
    return a, b


def btk_conductance(energy, gap: float, Z: float):
    """BTK's normalized conductance ``(1 + A - B)(1 + Z^2)`` at normal incidence (G_NS/G_NN)."""
    a, b = btk_probabilities(energy, gap, Z)
    return (1 + a - b) * (1 + Z * Z)


def btk_zero_bias_ratio(Z: float) -> float:
    """``G_NS(0) / G_NN = 2 (1 + Z^2) / (1 + 2 Z^2)^2`` (BTK at eV = 0)."""
    return 2 * (1 + Z * Z) / (1 + 2 * Z * Z) ** 2


def beenakker_amplitudes(energy: float, q: float, mu: float, gap: float, velocity: float = 1.0):
    """Graphene NS interface with a heavily doped superconductor (U0 -> infinity).

    Beenakker, PRL 97, 067007 (2006). In the limit U0 -> infinity the superconductor's
    decaying modes are ``(e^{i beta} phi_+, phi_+)`` and ``(e^{-i beta} phi_-, phi_-)`` with
    ``phi_+- = (1, +-1)`` and ``beta = arccos(E / gap)`` (``-i arccosh(E/gap)`` above the
    gap); matching psi at x = 0 to the incoming electron ``(1, c)``, reflected electron
    ``(1, d)`` and reflected hole spinors of ``h = v (k_x sigma_x + q sigma_y)``
    gives ``r_he = 2 (d - c) / [(h1 + h2)(d - 1) e^{i beta} + (h1 - h2)(d + 1) e^{-i beta}]``
    for the hole spinor ``(h1, h2)``.

    Returns
    -------
    (r_ee, r_he, R_ee, R_he) : complex, complex, float, float
        Amplitudes relative to the unnormalized spinors and the current-normalized
        probabilities (R_he = 0 when the reflected hole is evanescent).
    """
    if not energy >= 0:
        raise ValueError(f"energy must be >= 0, got {energy!r}")
    v = velocity
    ee, eh = mu + energy, mu - energy
    ke2 = (ee / v) ** 2 - q * q
    if ee == 0 or ke2 <= 0:
        raise ValueError("no propagating incoming electron at this (energy, q)")
    ke = np.sign(ee) * np.sqrt(ke2)
    kh2 = (eh / v) ** 2 - q * q
    propagating_hole = kh2 > 0
    # the reflected hole moves to the left: k_h has the sign of eh, or decays for x -> -inf
    kh = np.sign(eh) * np.sqrt(kh2) if propagating_hole else -1j * np.sqrt(-kh2)
    c = v * (ke + 1j * q) / ee
    d = v * (-ke + 1j * q) / ee
    # hole spinor chi with h chi = eh chi: either row of (h - eh) chi = 0, the larger one (the
    # first vanishes for eh = 0 and q > 0, the second for eh = 0 and q < 0)
    chi_a = np.array([eh, v * (kh + 1j * q)])
    chi_b = np.array([v * (kh - 1j * q), eh])
    chi = chi_a if np.linalg.norm(chi_a) >= np.linalg.norm(chi_b) else chi_b
    e_ratio = complex(energy) / gap
    beta = np.arccos(e_ratio) if abs(energy) < gap else -1j * np.arccosh(abs(e_ratio))
    eib, emib = np.exp(1j * beta), np.exp(-1j * beta)
    # hole block: r_he chi = a phi_+ + b phi_-; electron block: (1, c) + r_ee (1, d) =
    # a e^{i beta} phi_+ + b e^{-i beta} phi_-; eliminate a, b and r_ee
    plus, minus = chi[0] + chi[1], chi[0] - chi[1]
    r_he = 2 * (d - c) / (plus * (d - 1) * eib + minus * (d + 1) * emib)
    a, b = r_he * plus / 2, r_he * minus / 2
    r_ee = a * eib + b * emib - 1
    j_in = 2 * v * c.real
    R_ee = abs(r_ee) ** 2 * abs(2 * v * d.real) / j_in
    j_hole = 2 * v * (np.conj(chi[0]) * chi[1]).real
    R_he = abs(r_he) ** 2 * abs(j_hole) / j_in if propagating_hole else 0.0
    return r_ee, r_he, float(R_ee), float(R_he)


def beenakker_conductance(energy: float, mu: float, gap: float) -> float:
    """``G / G_0 = int_0^{pi/2} d alpha cos(alpha) (1 - R_ee + R_he)`` (Beenakker 2006).

    ``G_0 = (4 e^2 / h) N(eV)`` with N the number of open channels at mu + eV; alpha is the
    incidence angle, ``q = k_e sin(alpha)``. Integrated by adaptive quadrature with a
    breakpoint at the hole's critical angle. Independent of the velocity (set to 1).
    """
    ee, eh = mu + energy, mu - energy
    ke = abs(ee)

    def integrand(alpha):
        _, _, r_ee, r_he = beenakker_amplitudes(energy, ke * np.sin(alpha), mu, gap, 1.0)
        return np.cos(alpha) * (1 - r_ee + r_he)

    points = []
    if 0 < abs(eh) < ke:
        points = [float(np.arcsin(abs(eh) / ke))]
    val, _ = scipy.integrate.quad(
        integrand, 0.0, np.pi / 2, points=points or None, epsabs=1e-13, epsrel=1e-12, limit=200
    )
    return float(val)


def quadratic_barrier_resonance(doping_ratio):
    """Barrier strength Z at which the semi-Dirac quadratic axis resonates: ``(1 + sqrt(1 + r))/2``
    with ``r = U0 / mu`` the superconductor's extra doping over the normal Fermi energy.

    Derivation (hbar = 1, transport along the quadratic axis a, ``h = (k_x^2/2m) sigma_x + v q
    sigma_y`` at delta = 0). At normal incidence (q = 0) and in the normal state sigma_x is
    conserved: the sigma_x = +1 channel has ``E = k^2/2m`` (propagating, ``k_F = sqrt(2 m mu)``,
    ``v_F = k_F / m``), the sigma_x = -1 channel ``E = -k^2/2m`` (negative mass, evanescent at
    mu > 0 with ``kappa = sqrt(2 m mu)``; in the superconductor ``kappa_S = sqrt(2 m (mu + U0))``).
    The delta barrier ``Z v_F delta(x)`` enters as ``[psi'] = Z v_F h2^{-1} psi(0)``
    (:class:`~.barriers.DeltaBarrier`) with ``h2 = -1/2m`` in the sigma_x = -1 channel: the
    barrier is attractive there. A state bound to it, ``e^{kappa x}`` for x < 0 and
    ``e^{-kappa_S x}`` for x > 0, needs ``-(kappa + kappa_S) = -2 m Z v_F``, i.e.
    ``sqrt(2 m mu) + sqrt(2 m (mu + U0)) = 2 Z sqrt(2 m mu)``:

        Z_res = (1 + sqrt(1 + U0 / mu)) / 2,

    independent of m and v. Transverse momentum (v q sigma_y) couples this bound state to the
    propagating channel, so Andreev reflection resonates through it: G(Z) peaks at Z_res
    (Z = 1 at U0 = 0) and the peak moves to larger Z as the doping U0/mu grows. Corrections are
    of order gap/mu and eV/mu (the electron and hole decay constants at mu +- eV; the gap in
    the superconductor): measured with the continuum solver (eV = 0.5 gap, n_q = 64, Z step
    0.001), the peak lies 0.003 (U0 = 0) to 0.014 (U0/mu = 1, 3, 10) above Z_res at
    mu = 10 gap and 0.001 to 0.004 above it at mu = 40 gap (a 1/mu correction).

    Parameters
    ----------
    doping_ratio : float or array_like
        U0 / mu (dimensionless, > -1).

    Returns
    -------
    float or ndarray
        Z_res (BTK's dimensionless strength, as :class:`~.barriers.DeltaBarrier`).
    """
    r = np.asarray(doping_ratio, dtype=float)
    if np.any(~np.isfinite(r)) or np.any(r <= -1):
        raise ValueError(
            f"doping_ratio must be finite and > -1 (mu + U0 > 0), got {doping_ratio!r}"
        )
    z = 0.5 * (1.0 + np.sqrt(1.0 + r))
    return float(z) if np.ndim(z) == 0 else z
