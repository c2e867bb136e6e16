"""Numba kernels: the modes of one homogeneous region at energy E and transverse momentum q.

Plain arrays only (no model objects). The normal-state Hamiltonian along x is the polynomial
``h(k; q) = sum_{a, b} hc[a, b] k**a q**b`` with ``hc`` of shape ``(3, 3, n, n)`` (powers of
k_x, then powers of q; n = 1 or 2 orbitals). In the BdG basis (electron block first) a region
with potential ``U`` and gap ``gap`` has
``H = tau_z (x) (h - mu + U) + gap (e^{i phase} tau_+ + h.c.)``.

Closed forms used here (the reason this does not call a general eigen-solver where it can):

* Every BdG mode is built from a normal-state mode ``h(k) phi = eps phi``: electrons at
  ``eps = mu - U + E`` with spinor ``(phi, 0)``, holes at ``eps = mu - U - E`` with ``(0, phi)``;
  in a superconductor ``eps = mu_S + xi`` with ``xi = +-sqrt(E**2 - gap**2)`` (imaginary below
  the gap) and spinor ``(u phi, w phi)``, ``(E - xi) u = gap e^{i phase} w``.
* The momenta are the roots of the polynomial ``det(h(k) - eps)`` of degree ``n * order``
  (order = 1 when h is only first order in k_x). Degree 1 and 2 in closed form, degree 4 as a
  biquadratic when its odd coefficients vanish (the paper's two orientations), otherwise the
  Aberth-Ehrlich iteration (the companion matrix's eigenvalues where it does not converge),
  the smallest two recomputed by deflation when the magnitudes differ by orders, and all
  polished by Newton steps on ``det(h(k) - eps)`` evaluated from the matrix entries. At
  generic angles all this happens in the shifted momentum of :func:`._frame.transport_frame`
  (light masses, fast velocities).
* Nearly coincident roots (grazing channels at the edge of a Fermi contour, band crossings,
  the semi-Dirac node) are solved as pairs, see :mod:`._pairs`. A grazing channel carries no
  current: a double root is one outgoing and one incoming mode without current, and an
  incoming mode slower than :data:`GRAZING_SPEED` is no incoming channel.
* The particle current of a propagating mode is ``psi^dagger dH/dk psi`` with
  ``dH/dk = tau_z (x) (h1 + 2 h2 k)`` (Hellmann-Feynman); propagating modes are normalized to
  unit current, evanescent ones to unit norm.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._pairs import FREE, GRAZING_OUT, close_pairs, has_close_pair

# what poly_roots found
SEPARATED = 0
MAYBE_CLOSE = 1
POLISH = 2

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
    """Roots of c2 k^2 + c1 k + c0 (c2 != 0), cancellation-free form; in real arithmetic
    when the coefficients are real (h - eps Hermitian: the usual case, and cheaper)."""
    if c0.imag == 0 and c1.imag == 0 and c2.imag == 0:
        a, b, c = c2.real, c1.real, c0.real
        disc = b * b - 4.0 * a * c
        if disc < 0:  # a complex-conjugate pair
            re, im = -0.5 * b / a, 0.5 * math.sqrt(-disc) / abs(a)
            return complex(re, im), complex(re, -im)
        big = -0.5 * (b + math.copysign(math.sqrt(disc), b))
        if big == 0:
            return 0j, 0j
        return complex(big / a, 0.0), complex(c / big, 0.0)
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
def _sqrt(s):
    """Principal square root of a complex number, without a complex sqrt when it is real."""
    if s.imag == 0:
        return complex(math.sqrt(s.real), 0.0) if s.real >= 0 else complex(0.0, math.sqrt(-s.real))
    return np.sqrt(s)


@nb.njit(cache=True, error_model="numpy")
def poly_roots(coef, degree, roots):
    """The ``degree`` (1, 2 or 4) roots of the polynomial ``coef`` (ascending powers).

    Returns POLISH when they come from the companion matrix (and want polishing), else
    SEPARATED or MAYBE_CLOSE (two may nearly coincide) for the closed forms: degree 1 and 2,
    and degree 4 without odd powers (a biquadratic; the odd coefficients are then exactly zero,
    e.g. at the paper's two orientations).
    """
    if degree == 1:
        roots[0] = -coef[0] / coef[1]
        return SEPARATED
    if degree == 2:
        roots[0], roots[1] = _quadratic_roots(coef[0], coef[1], coef[2])
        return MAYBE_CLOSE
    if coef[1] == 0 and coef[3] == 0:
        # biquadratic: k^2 = s solves c4 s^2 + c2 s + c0 = 0
        s1, s2 = _quadratic_roots(coef[0], coef[2], coef[4])
        r1, r2 = _sqrt(s1), _sqrt(s2)
        roots[0], roots[1], roots[2], roots[3] = r1, -r1, r2, -r2
        # squared root distances are 4|s1|, 4|s2| and |r1 -+ r2|^2 (whose product is
        # |s1 - s2|^2), all below 4 (|s1| + |s2|): a pair can be closer than PAIR_RATIO to the
        # others only if min|s| < 1e-2 (|s1| + |s2|) / 4 or |s1 - s2| < (|s1| + |s2|) / 4
        size = 2.0 * (abs2(s1) + abs2(s2))  # >= (|s1| + |s2|)^2
        near_zero = 16.0 * min(abs2(s1), abs2(s2)) <= 1e-4 * size
        return MAYBE_CLOSE if near_zero or 16.0 * abs2(s1 - s2) <= size else SEPARATED
    if not _aberth(coef, roots):
        # not converged (roots many orders apart): the companion matrix's eigenvalues
        comp = np.zeros((4, 4), np.complex128)
        for i in range(3):
            comp[i + 1, i] = 1.0
        for i in range(4):
            comp[i, 3] = -coef[i] / coef[4]
        ev = np.linalg.eigvals(comp)
        for i in range(4):
            roots[i] = ev[i]
    _deflate_small(coef, roots)
    return POLISH


@nb.njit(cache=True, error_model="numpy")
def _aberth(coef, roots):
    """The four roots of ``coef`` by the Aberth-Ehrlich iteration (simultaneous Newton steps,
    each deflated by the other roots; cubic convergence), from a circle of the roots' geometric
    mean radius. Hand-written: a LAPACK eigen-solve of the companion matrix costs ~10 times
    more per call. Returns False when it has not converged in 40 sweeps (the caller then uses
    the companion matrix)."""
    c4 = coef[4]
    radius = (abs(coef[0]) / abs(c4)) ** 0.25
    if not (radius > 0 and math.isfinite(radius)):
        return False
    for i in range(4):
        angle = 0.4 + 0.5 * math.pi * i
        roots[i] = radius * complex(math.cos(angle), math.sin(angle))
    for _ in range(40):
        worst = 0.0
        for i in range(4):
            z = roots[i]
            p = c4
            dp = 0j
            for c in range(3, -1, -1):
                dp = dp * z + p
                p = p * z + coef[c]
            if p == 0:
                continue
            if dp == 0:
                return False
            ratio = p / dp
            acc = 0j
            for j in range(4):
                if j != i:
                    acc += 1.0 / (z - roots[j])
            step = ratio / (1.0 - ratio * acc)
            roots[i] = z - step
            worst = max(worst, abs2(step) / max(abs2(roots[i]), 1e-300))
        if worst <= 1e-26:
            return True
    return False


@nb.njit(cache=True, error_model="numpy")
def _deflate_small(coef, roots):
    """Recompute the two smallest of four roots from the two largest when their magnitudes
    differ by many orders (near the linear axis, or when mu / (m v^2) is tiny, the evanescent
    pair lies ~1e20 times farther out): the eigenvalues are accurate relative to the largest
    root only. With ``p(k) = c4 (k - k3)(k - k4)(k^2 + b k + c)`` the low coefficients give
    ``c = c0 / (c4 k3 k4)`` and ``b = (c1 / c4 + (k3 + k4) c) / (k3 k4)``."""
    order = np.argsort(np.abs(roots))
    k3, k4 = roots[order[2]], roots[order[3]]
    small = max(abs(roots[order[0]]), abs(roots[order[1]]))
    if not abs(k3) > 1e4 * small:
        return
    prod = k3 * k4
    c = coef[0] / (coef[4] * prod)
    b = (coef[1] / coef[4] + (k3 + k4) * c) / prod
    roots[order[0]], roots[order[1]] = _quadratic_roots(c, b, 1.0 + 0j)


@nb.njit(cache=True, error_model="numpy")
def _polish_roots(hq, eps, roots, nroots, scratch_best):
    """Newton steps on ``det(h(k) - eps)`` evaluated from the matrix entries of h(k) (not from
    the expanded polynomial, whose coefficients cancel to many digits near the roots when
    mu / (m v^2) is large or small); keeps each root's best iterate."""
    for r in range(nroots):
        k = roots[r]
        reach = np.inf  # never move half way to another root (Newton may jump between roots)
        for o in range(nroots):
            if o != r:
                reach = min(reach, 0.5 * abs(roots[o] - k))
        start = k
        best, best_val = k, np.inf
        for _ in range(8):
            if abs(k - start) > reach:
                break
            m00 = hq[0, 0, 0] + k * (hq[1, 0, 0] + k * hq[2, 0, 0]) - eps
            m01 = hq[0, 0, 1] + k * (hq[1, 0, 1] + k * hq[2, 0, 1])
            m10 = hq[0, 1, 0] + k * (hq[1, 1, 0] + k * hq[2, 1, 0])
            m11 = hq[0, 1, 1] + k * (hq[1, 1, 1] + k * hq[2, 1, 1]) - eps
            f = m00 * m11 - m01 * m10
            val = abs2(f)
            if val < best_val:
                best, best_val = k, val
            if val == 0.0:
                break
            d00 = hq[1, 0, 0] + 2.0 * k * hq[2, 0, 0]
            d01 = hq[1, 0, 1] + 2.0 * k * hq[2, 0, 1]
            d10 = hq[1, 1, 0] + 2.0 * k * hq[2, 1, 0]
            d11 = hq[1, 1, 1] + 2.0 * k * hq[2, 1, 1]
            df = d00 * m11 + m00 * d11 - d01 * m10 - m01 * d10
            if df == 0:
                break
            step = f / df
            k = k - step
            if abs2(step) <= 1e-32 * abs2(k):
                break
        scratch_best[r] = best
    for r in range(nroots):
        roots[r] = scratch_best[r]


@nb.njit(cache=True, error_model="numpy")
def _null_vector(hq, k, eps, phis, r):
    """Unit vector ``phis[r]`` with (h(k) - eps) phi = 0 (n = 1 or 2; the row is indexed
    here, not passed as a view, which would cost reference-count updates per call)."""
    n = hq.shape[1]
    if n == 1:
        phis[r, 0] = 1.0
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
            phis[r, 0] = 1.0
            phis[r, 1] = 0.0
            return
        s = 1.0 / math.sqrt(na)
        phis[r, 0] = a0 * s
        phis[r, 1] = a1 * s
    else:
        s = 1.0 / math.sqrt(nb_)
        phis[r, 0] = b0 * s
        phis[r, 1] = b1 * s


@nb.njit(cache=True)
def new_scratch():
    """Work arrays of :func:`region_modes`: polynomial coefficients, roots, spinors, 2 x 2
    matrices for :mod:`._pairs` and the mode hints."""
    return (
        np.empty(5, np.complex128),
        np.empty(4, np.complex128),
        np.empty((4, 2), np.complex128),
        np.empty((4, 2, 2), np.complex128),
        np.empty(4, np.int64),
    )


@nb.njit(cache=True, error_model="numpy", inline="always")
def species_modes(
    hq, degree, eps, u, w, species, ks, psis, spec, hint, offset, coef, roots, phis, work, hints,
    ktol,
):  # fmt: skip
    """Append the ``degree`` modes at normal-state energy ``eps`` with BdG spinor
    ``(u phi, w phi)``; returns the new offset. ``psis`` rows have length 2n; ``hint`` gets
    FREE or, for a grazing double root, GRAZING_OUT / GRAZING_IN (see :func:`classify`).
    ``coef`` ... ``hints``: the work arrays of :func:`new_scratch`."""
    n = hq.shape[1]
    _det_poly(hq, eps, coef)
    kind = poly_roots(coef, degree, roots)
    if kind == POLISH:
        _polish_roots(hq, eps, roots, degree, phis[:, 0])
    for r in range(degree):
        _null_vector(hq, roots[r], eps, phis, r)
        hints[r] = FREE
    # h - eps Hermitian on the real axis (not below a superconducting gap)
    if kind != SEPARATED and eps.imag == 0 and has_close_pair(roots, degree, n, ktol):
        close_pairs(hq, eps.real, degree, roots, phis, hints, ktol, work)
    for r in range(degree):
        m = offset + r
        ks[m] = roots[r]
        spec[m] = species
        hint[m] = hints[r]
        for i in range(n):
            psis[m, i] = u * phis[r, i]
            psis[m, n + i] = w * phis[r, i]
    return offset + degree


@nb.njit(cache=True, error_model="numpy", inline="always")
def region_modes(hq, degree, E, eps0, gap, phase, ks, psis, spec, hint, scratch, ktol):
    """See :func:`_region_modes`; ``scratch`` the tuple of :func:`new_scratch`."""
    coef, roots, phis, work, hints = scratch
    _region_modes(
        hq, degree, E, eps0, gap, phase, ks, psis, spec, hint, coef, roots, phis, work, hints, ktol
    )


@nb.njit(cache=True, error_model="numpy", inline="always")
def _region_modes(
    hq, degree, E, eps0, gap, phase, ks, psis, spec, hint, coef, roots, phis, work, hints, ktol
):
    """All 2 * degree BdG modes of a region whose normal-state energy is eps0 = mu - U.

    ``gap == 0``: electrons at eps0 + E and holes at eps0 - E. ``gap > 0``: quasiparticles at
    eps0 +- sqrt(E^2 - gap^2) with the BdG spinor built from the normal-state eigenvector.
    ``scratch`` is the caller's tuple of work arrays (complex (5,), (4,), (4, 2), (4, 2, 2)
    and int (4,); see :func:`new_scratch`), so that the per-point kernel allocates nothing;
    ``ktol`` the absolute tolerance on momenta (grazing double roots).
    """
    if gap == 0.0:
        off = species_modes(
            hq, degree, eps0 + E, 1.0 + 0j, 0j, ELECTRON, ks, psis, spec, hint, 0,
            coef, roots, phis, work, hints, ktol,
        )  # fmt: skip
        species_modes(
            hq, degree, eps0 - E, 0j, 1.0 + 0j, HOLE, ks, psis, spec, hint, off,
            coef, roots, phis, work, hints, ktol,
        )  # fmt: skip
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
            hq, degree, eps0 + xi, u * nrm, w * nrm, QUASIPARTICLE, ks, psis, spec, hint, off,
            coef, roots, phis, work, hints, ktol,
        )  # fmt: skip


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


#: an incoming mode slower than this fraction of its velocity scale |h1 + 2 h2 k| is grazing:
#: its probabilities are then limited by rounding to eps_mach / GRAZING_SPEED (see _pairs)
GRAZING_SPEED = 1e-5


@nb.njit(cache=True, error_model="numpy", inline="always")
def _velocity_scale2(hq, k):
    """``|h1 + 2 h2 k|^2`` (Frobenius), the squared velocity scale of GRAZING_SPEED."""
    n = hq.shape[1]
    acc = 0.0
    for i in range(n):
        for j in range(n):
            acc += abs2(hq[1, i, j] + 2.0 * k * hq[2, i, j])
    return acc


@nb.njit(cache=True, error_model="numpy")
def classify(
    hq, ks, psis, hint, nmodes, side, ktol, outgoing, propagating, current, evanescent
):  # fmt: skip
    """Classify and normalize the modes of a lead on ``side`` (-1: x < 0, +1: x > 0).

    A mode is propagating when |Im k| <= ktol + 1e-12 |Re k|; its current fixes its direction
    and it is scaled to unit current. Evanescent modes are outgoing when they decay away from
    the interface (Im k * side > 0) and are scaled to unit norm. Returns the outgoing count.
    ``evanescent=True`` (a superconductor below the gap, where every mode decays however
    slowly) classifies by the sign of Im k alone.

    Grazing channels carry no current: a double root (``hint`` GRAZING_OUT / GRAZING_IN) is one
    outgoing and one incoming mode, both non-propagating at unit norm, and an incoming mode
    slower than GRAZING_SPEED times its velocity scale counts as grazing (non-propagating,
    not outgoing), so that it is never an incoming channel.
    """
    nout = 0
    dim = psis.shape[1]
    for m in range(nmodes):
        k = ks[m]
        if hint[m] != FREE:
            k = k.real + 0j
            ks[m] = k
            propagating[m] = False
            current[m] = 0.0
            outgoing[m] = hint[m] == GRAZING_OUT
            s = 1.0
        elif not evanescent and abs(k.imag) <= ktol + 1e-12 * abs(k.real):
            k = k.real + 0j
            ks[m] = k
            j = bdg_current(hq, k.real, psis, m)
            propagating[m] = True
            current[m] = j
            outgoing[m] = j * side > 0
            s = 1.0 / math.sqrt(abs(j)) if j != 0 else 1.0
            if not outgoing[m] and j * j <= GRAZING_SPEED**2 * _velocity_scale2(hq, k.real):
                propagating[m] = False
                current[m] = 0.0
                s = 1.0
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
