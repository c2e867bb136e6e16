"""Numba kernels: the modes of one homogeneous region at energy E and transverse momentum q.

Plain arrays only (no model objects). The normal-state Hamiltonian along x is the polynomial
``h(k; q) = sum_{a, b} hc[a, b] k**a q**b`` with ``hc`` of shape ``(3, 3, n, n)`` (powers of
k_x, then powers of q; n = 1 or 2 orbitals). In the BdG basis (electron block first) a region
with potential ``U`` and gap ``gap`` has
``H = tau_z (x) (h - mu + U) + gap (e^{i phase} tau_+ + h.c.)``.

Closed forms used here (the reason this does not call a general eigen-solver):

* Every BdG mode is built from a normal-state mode ``h(k) phi = eps phi``: electrons at
  ``eps = mu - U + E`` with spinor ``(phi, 0)``, holes at ``eps = mu - U - E`` with ``(0, phi)``;
  in a superconductor ``eps = mu_S + xi`` with ``xi = +-sqrt(E**2 - gap**2)`` (imaginary below
  the gap) and spinor ``(u phi, w phi)``, ``(E - xi) u = gap e^{i phase} w``.
* The momenta are the roots of the polynomial ``det(h(k) - eps)`` of degree ``n * order``
  (order = 1 when h is only first order in k_x). Degree 1 and 2 in closed form, degree 4 as a
  biquadratic when its odd coefficients vanish (the paper's two orientations), otherwise the
  eigenvalues of the 4 x 4 companion matrix polished by Newton steps.
* The particle current of a propagating mode is ``psi^dagger dH/dk psi`` with
  ``dH/dk = tau_z (x) (h1 + 2 h2 k)`` (Hellmann-Feynman); propagating modes are normalized to
  unit current, evanescent ones to unit norm.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# mode species labels
ELECTRON = 0
HOLE = 1
QUASIPARTICLE = 2


@nb.njit(cache=True, error_model="numpy")
def h_at_q(hc, q, out):
    """out[a] = sum_b hc[a, b] q**b: the k_x-power coefficients h0, h1, h2 at this q."""
    n = hc.shape[2]
    for a in range(3):
        for i in range(n):
            for j in range(n):
                out[a, i, j] = hc[a, 0, i, j] + q * (hc[a, 1, i, j] + q * hc[a, 2, i, j])


@nb.njit(cache=True, error_model="numpy")
def _det_poly(hq, eps, coef):
    """Coefficients (ascending powers of k) of det(h(k) - eps), for n = 1 or 2."""
    n = hq.shape[1]
    for i in range(5):
        coef[i] = 0.0
    if n == 1:
        coef[0] = hq[0, 0, 0] - eps
        coef[1] = hq[1, 0, 0]
        coef[2] = hq[2, 0, 0]
        return
    # det = m00 m11 - m01 m10 with every entry a quadratic in k
    for a in range(3):
        for b in range(3):
            m00 = hq[a, 0, 0] - (eps if a == 0 else 0.0)
            m11 = hq[b, 1, 1] - (eps if b == 0 else 0.0)
            coef[a + b] += m00 * m11 - hq[a, 0, 1] * hq[b, 1, 0]


@nb.njit(cache=True, error_model="numpy")
def abs2(z):
    """``|z|**2`` as ``re**2 + im**2``: no ``hypot`` call (which ``abs`` of a complex makes),
    equal to ``abs(z)**2`` up to rounding."""
    return z.real * z.real + z.imag * z.imag


@nb.njit(cache=True, error_model="numpy")
def _quadratic_roots(c0, c1, c2):
    """Roots of c2 k^2 + c1 k + c0 (c2 != 0), cancellation-free form."""
    disc = np.sqrt(c1 * c1 - 4.0 * c2 * c0 + 0j)
    # pick the sign that avoids cancellation in -c1 -+ disc
    if (c1.real * disc.real + c1.imag * disc.imag) >= 0:
        big = -0.5 * (c1 + disc)
    else:
        big = -0.5 * (c1 - disc)
    if big == 0:
        return 0j, 0j
    return big / c2, c0 / big


@nb.njit(cache=True, error_model="numpy")
def _poly_eval(coef, degree, k):
    p = coef[degree] + 0j
    dp = 0j
    for i in range(degree - 1, -1, -1):
        dp = dp * k + p
        p = p * k + coef[i]
    return p, dp


@nb.njit(cache=True, error_model="numpy")
def poly_roots(coef, degree, roots):
    """The ``degree`` (1, 2 or 4) roots of the polynomial ``coef`` (ascending powers)."""
    if degree == 1:
        roots[0] = -coef[0] / coef[1]
        return
    if degree == 2:
        roots[0], roots[1] = _quadratic_roots(coef[0], coef[1], coef[2])
        return
    scale = abs(coef[0]) + abs(coef[2]) + abs(coef[4])
    if abs(coef[1]) + abs(coef[3]) <= 1e-14 * scale:
        # biquadratic: k^2 = s solves c4 s^2 + c2 s + c0 = 0
        s1, s2 = _quadratic_roots(coef[0], coef[2], coef[4])
        r1, r2 = np.sqrt(s1 + 0j), np.sqrt(s2 + 0j)
        roots[0], roots[1], roots[2], roots[3] = r1, -r1, r2, -r2
        return
    comp = np.zeros((4, 4), np.complex128)
    for i in range(3):
        comp[i + 1, i] = 1.0
    for i in range(4):
        comp[i, 3] = -coef[i] / coef[4]
    ev = np.linalg.eigvals(comp)
    for i in range(4):
        k = ev[i]
        for _ in range(6):  # Newton polish of the companion-matrix roots
            p, dp = _poly_eval(coef, 4, k)
            if dp == 0:
                break
            k = k - p / dp
        roots[i] = k


@nb.njit(cache=True, error_model="numpy")
def _null_vector(hq, k, eps, phi):
    """Unit vector phi with (h(k) - eps) phi = 0 (n = 1 or 2)."""
    n = hq.shape[1]
    if n == 1:
        phi[0] = 1.0
        return
    m00 = hq[0, 0, 0] + k * (hq[1, 0, 0] + k * hq[2, 0, 0]) - eps
    m01 = hq[0, 0, 1] + k * (hq[1, 0, 1] + k * hq[2, 0, 1])
    m10 = hq[0, 1, 0] + k * (hq[1, 1, 0] + k * hq[2, 1, 0])
    m11 = hq[0, 1, 1] + k * (hq[1, 1, 1] + k * hq[2, 1, 1]) - eps
    a0, a1 = m01, -m00
    b0, b1 = m11, -m10
    na = abs2(a0) + abs2(a1)
    nb_ = abs2(b0) + abs2(b1)
    if na >= nb_:
        if na == 0:
            phi[0] = 1.0
            phi[1] = 0.0
            return
        s = 1.0 / math.sqrt(na)
        phi[0] = a0 * s
        phi[1] = a1 * s
    else:
        s = 1.0 / math.sqrt(nb_)
        phi[0] = b0 * s
        phi[1] = b1 * s


@nb.njit(cache=True, error_model="numpy")
def orbital_velocity(hq, k, phi):
    """phi^dagger (h1 + 2 h2 k) phi: the normal-state group velocity for real k."""
    n = hq.shape[1]
    acc = 0j
    for i in range(n):
        for j in range(n):
            acc += np.conj(phi[i]) * (hq[1, i, j] + 2.0 * k * hq[2, i, j]) * phi[j]
    return acc.real


@nb.njit(cache=True, error_model="numpy", inline="always")
def species_modes(hq, degree, eps, u, w, species, ks, psis, spec, offset, coef, roots, phi):
    """Append the ``degree`` modes at normal-state energy ``eps`` with BdG spinor
    ``(u phi, w phi)``; returns the new offset. ``psis`` rows have length 2n;
    ``coef``, ``roots``, ``phi``: scratch arrays (see :func:`region_modes`)."""
    n = hq.shape[1]
    _det_poly(hq, eps, coef)
    poly_roots(coef, degree, roots)
    for r in range(degree):
        k = roots[r]
        _null_vector(hq, k, eps, phi)
        m = offset + r
        ks[m] = k
        spec[m] = species
        for i in range(n):
            psis[m, i] = u * phi[i]
            psis[m, n + i] = w * phi[i]
    return offset + degree


@nb.njit(cache=True, error_model="numpy", inline="always")
def region_modes(hq, degree, E, eps0, gap, phase, ks, psis, spec, coef, roots, phi):
    """All 2 * degree BdG modes of a region whose normal-state energy is eps0 = mu - U.

    ``gap == 0``: electrons at eps0 + E and holes at eps0 - E. ``gap > 0``: quasiparticles at
    eps0 +- sqrt(E^2 - gap^2) with the BdG spinor built from the normal-state eigenvector.
    ``coef``, ``roots``, ``phi`` are complex scratch arrays of lengths 5, 4 and 2 (the
    caller's, so that the per-point kernel allocates nothing).
    """
    if gap == 0.0:
        off = species_modes(
            hq, degree, eps0 + E, 1.0 + 0j, 0j, ELECTRON, ks, psis, spec, 0, coef, roots, phi
        )
        species_modes(
            hq, degree, eps0 - E, 0j, 1.0 + 0j, HOLE, ks, psis, spec, off, coef, roots, phi
        )
        return
    om2 = E * E - gap * gap
    if abs(om2) < 1e-24 * gap * gap:
        # At |E| = gap the two quasiparticle branches coincide and the mode set is incomplete;
        # evaluate just below the gap edge (changes probabilities by O(1e-6), see conductance).
        om2 = -2e-12 * gap * gap
    omega = math.sqrt(om2) + 0j if om2 >= 0 else 1j * math.sqrt(-om2)
    pair = gap * complex(math.cos(phase), math.sin(phase))  # gap e^{i phase}
    off = 0
    for sgn in (1.0, -1.0):
        xi = sgn * omega
        # (E - xi) u = gap e^{i phase} w; the two equivalent choices, take the larger one
        ua, wa = E + xi, np.conj(pair)
        ub, wb = pair, E - xi
        if abs2(ua) + abs2(wa) >= abs2(ub) + abs2(wb):
            u, w = ua, wa
        else:
            u, w = ub, wb
        nrm = 1.0 / math.sqrt(abs2(u) + abs2(w))
        off = species_modes(
            hq,
            degree,
            eps0 + xi,
            u * nrm,
            w * nrm,
            QUASIPARTICLE,
            ks,
            psis,
            spec,
            off,
            coef,
            roots,
            phi,
        )


@nb.njit(cache=True, error_model="numpy")
def bdg_current(hq, k, psis, m):
    """psi^dagger tau_z (x) (h1 + 2 h2 k) psi for real k and psi = psis[m] (indexed here,
    not passed as a view: a view costs two atomic reference-count updates per call)."""
    n = hq.shape[1]
    acc = 0j
    for blk in range(2):
        sg = 1.0 if blk == 0 else -1.0
        for i in range(n):
            for j in range(n):
                acc += (
                    sg
                    * np.conj(psis[m, blk * n + i])
                    * (hq[1, i, j] + 2.0 * k * hq[2, i, j])
                    * psis[m, blk * n + j]
                )
    return acc.real


@nb.njit(cache=True, error_model="numpy")
def classify(hq, ks, psis, nmodes, side, ktol, outgoing, propagating, current, evanescent):
    """Classify and normalize the modes of a lead on ``side`` (-1: x < 0, +1: x > 0).

    A mode is propagating when |Im k| <= ktol + 1e-12 |Re k|; its current fixes its direction
    and it is scaled to unit current. Evanescent modes are outgoing when they decay away from
    the interface (Im k * side > 0) and are scaled to unit norm. Returns the outgoing count.
    ``evanescent=True`` (a superconductor below the gap, where every mode decays however
    slowly) classifies by the sign of Im k alone.
    """
    nout = 0
    dim = psis.shape[1]
    for m in range(nmodes):
        k = ks[m]
        if not evanescent and abs(k.imag) <= ktol + 1e-12 * abs(k.real):
            k = k.real + 0j
            ks[m] = k
            j = bdg_current(hq, k.real, psis, m)
            propagating[m] = True
            current[m] = j
            outgoing[m] = j * side > 0
            s = 1.0 / math.sqrt(abs(j)) if j != 0 else 1.0
        else:
            propagating[m] = False
            current[m] = 0.0
            outgoing[m] = k.imag * side > 0
            nrm = 0.0
            for i in range(dim):
                nrm += abs2(psis[m, i])
            s = 1.0 / math.sqrt(nrm)
        for i in range(dim):
            psis[m, i] *= s
        if outgoing[m]:
            nout += 1
    return nout
