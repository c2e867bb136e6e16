"""Numba kernels: modes at nearly coincident momenta (grazing channels and band crossings).

Plain arrays only; conventions of :mod:`._modes` (``hq[a]`` is the k_x**a coefficient of the
2 x 2 normal-state h at this q, ``eps`` the normal-state energy of the species).

*Grazing pairs.* Near the edge of a Fermi contour two roots k_a, k_b of ``det(h(k) - eps)``
nearly coincide and the group velocity of both modes is of order ``|k_a - k_b|``. Modes
computed one root at a time are each accurate, but not relative to each other: the flux
cross term ``psi_a^dagger (h1 + h2 (k_a + k_b)) psi_b``, zero for exact modes, is then of
order (rounding of h) / ``|k_a - k_b|``, and current conservation fails like
``eps_mach / |k_a - k_b|**2`` (1e-7 at ``q = q_max (1 - 1e-9)``). Here the pair is solved as
one problem. Around the pair's centre k_c and in the eigenbasis U of ``M_c = h(k_c) - eps``
(eigenvalues ``|lambda_1| >> |lambda_2|``),

    U^dagger (h(k_c + t) - eps) U = diag(lambda_1, lambda_2) + t V + t**2 W,

``V = U^dagger (h1 + 2 h2 k_c) U``, ``W = U^dagger h2 U``. The two small roots t solve
``det = (lambda_1 + t V_11 + t^2 W_11)(lambda_2 + t V_22 + t^2 W_22) - |t V_12 + t^2 W_12|^2``
with every factor of its own order, and a mode is ``U (L_12, -L_11)``: its large component lies
along u_2, where the velocity V_22 is itself of order t, so rounding costs ``eps_mach / |t|`` in
the currents instead of ``eps_mach / t**2``. Real pairs are exactly real and complex pairs
exactly conjugate (the local determinant has real coefficients), so propagating and evanescent
are told apart by the sign of the local discriminant, not by a tolerance.

*Crossings.* Where ``h(k_0) = eps`` at a real k_0 (a Dirac or semi-Dirac node on the transport
line, e.g. a hole at E = +-mu), the double root has no single null vector: the two modes are the
eigenvectors of the velocity ``h1 + 2 h2 k_0`` (the limit of the modes on either side of the node).
At the semi-Dirac node along the quadratic axis (q = 0) the velocity vanishes too and the four
solutions are the polynomials ``a + b x``; the bounded ones (the limit of the decaying modes as
q -> 0) are the constant spinors, which then are the outgoing modes and carry no current.

:func:`close_pairs` finds such pairs among the roots of one species (behind the cheap test
:func:`has_close_pair`) and applies the above.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

#: a pair is solved jointly when its separation is below this fraction of the distance to the
#: other roots
PAIR_RATIO = 0.05
#: mode hints: no constraint, forced outgoing (zero current), forced incoming (zero current)
FREE = 0
GRAZING_OUT = 1
GRAZING_IN = -1


@nb.njit(cache=True, error_model="numpy")
def _abs2(z):
    return z.real * z.real + z.imag * z.imag


@nb.njit(cache=True, error_model="numpy")
def _matrix_at(hq, k, eps, m):
    """m = h(k) - eps (2 x 2)."""
    for i in range(2):
        for j in range(2):
            m[i, j] = hq[0, i, j] + k * (hq[1, i, j] + k * hq[2, i, j])
        m[i, i] -= eps


@nb.njit(cache=True, error_model="numpy")
def _hermitian_eig(m, u):
    """Eigen-decomposition of the Hermitian 2 x 2 ``m``: returns ``(lambda_1, lambda_2)`` with
    ``|lambda_1| >= |lambda_2|`` and writes the eigenvectors as the columns of ``u``."""
    a, d, b = m[0, 0].real, m[1, 1].real, 0.5 * (m[0, 1] + np.conj(m[1, 0]))
    mean, half = 0.5 * (a + d), 0.5 * (a - d)
    r = math.sqrt(half * half + _abs2(b))
    lam1 = mean + r if mean >= 0 else mean - r
    lam2 = (a * d - _abs2(b)) / lam1 if lam1 != 0 else 0.0
    # eigenvector of lam1 from whichever row of (m - lam1) is better conditioned
    x0, x1 = b, lam1 - a + 0j
    y0, y1 = lam1 - d + 0j, np.conj(b)
    if _abs2(x0) + _abs2(x1) >= _abs2(y0) + _abs2(y1):
        v0, v1 = x0, x1
    else:
        v0, v1 = y0, y1
    nrm = math.sqrt(_abs2(v0) + _abs2(v1))
    if nrm == 0.0:
        v0, v1, nrm = 1.0 + 0j, 0j, 1.0
    v0, v1 = v0 / nrm, v1 / nrm
    u[0, 0], u[1, 0] = v0, v1
    u[0, 1], u[1, 1] = -np.conj(v1), np.conj(v0)
    return lam1, lam2


@nb.njit(cache=True, error_model="numpy")
def _rotate(u, m, out):
    """out = u^dagger m u (2 x 2)."""
    for i in range(2):
        for j in range(2):
            acc = 0j
            for a in range(2):
                for b in range(2):
                    acc += np.conj(u[a, i]) * m[a, b] * u[b, j]
            out[i, j] = acc


@nb.njit(cache=True, error_model="numpy")
def _local_det(t, lam1, lam2, v, w):
    """The local determinant and its t-derivative (see the module docstring)."""
    l11 = lam1 + t * (v[0, 0] + t * w[0, 0])
    l22 = lam2 + t * (v[1, 1] + t * w[1, 1])
    l12 = t * (v[0, 1] + t * w[0, 1])
    l21 = t * (v[1, 0] + t * w[1, 0])
    d11 = v[0, 0] + 2 * t * w[0, 0]
    d22 = v[1, 1] + 2 * t * w[1, 1]
    d12 = v[0, 1] + 2 * t * w[0, 1]
    d21 = v[1, 0] + 2 * t * w[1, 0]
    return l11 * l22 - l12 * l21, d11 * l22 + l11 * d22 - d12 * l21 - l12 * d21


@nb.njit(cache=True, error_model="numpy")
def _pair_roots(lam1, lam2, v, w):
    """The two small roots of the local determinant: from its quadratic part, then Newton on
    the whole. Returns ``(t_a, t_b, real)``; a complex pair is returned exactly conjugate."""
    qa = lam1 * w[1, 1].real - _abs2(v[0, 1])
    qb = lam1 * v[1, 1].real
    qc = lam1 * lam2
    if qa == 0.0:
        return 0j, 0j, False
    disc = qb * qb - 4.0 * qa * qc
    if disc >= 0:
        root = math.sqrt(disc)
        big = -0.5 * (qb + root) if qb >= 0 else -0.5 * (qb - root)
        ta, tb = (big / qa, qc / big) if big != 0 else (0.0, 0.0)
        for _ in range(4):  # Newton on the full local determinant, in real arithmetic
            for s in range(2):
                t = ta if s == 0 else tb
                g, dg = _local_det(t + 0j, lam1, lam2, v, w)
                if dg.real != 0:
                    t = t - g.real / dg.real
                if s == 0:
                    ta = t
                else:
                    tb = t
        return ta + 0j, tb + 0j, True
    t = complex(-0.5 * qb / qa, 0.5 * math.sqrt(-disc) / abs(qa))
    for _ in range(4):
        g, dg = _local_det(t, lam1, lam2, v, w)
        if dg != 0:
            t = t - g / dg
    return t, np.conj(t), False


@nb.njit(cache=True, error_model="numpy")
def refine_pair(hq, eps, roots, phis, hints, ia, ib, ktol, work):
    """Solve the near-coincident roots ``roots[ia], roots[ib]`` as one pair (module docstring).

    Overwrites their momenta and unit spinors ``phis`` and sets ``hints`` (GRAZING_OUT /
    GRAZING_IN when the two coincide to ``ktol``). ``work``: complex (4, 2, 2) scratch.
    Returns False (nothing changed) where the pair is a band crossing instead.
    """
    mc, u, v, w = work[0], work[1], work[2], work[3]
    kc = 0.5 * (roots[ia].real + roots[ib].real)
    _matrix_at(hq, kc, eps, mc)
    lam1, lam2 = _hermitian_eig(mc, u)
    for i in range(2):
        for j in range(2):
            w[i, j] = hq[1, i, j] + 2.0 * kc * hq[2, i, j]
    vnorm = math.sqrt(_abs2(w[0, 0]) + _abs2(w[0, 1]) + _abs2(w[1, 0]) + _abs2(w[1, 1]))
    spread = abs(roots[ia] - roots[ib])
    if abs(lam1) <= 4.0 * vnorm * spread:
        return False  # h(k_c) - eps is as small as the linear term: a crossing
    _rotate(u, w, v)
    for i in range(2):
        for j in range(2):
            mc[i, j] = hq[2, i, j]
    _rotate(u, mc, w)
    ta, tb, _ = _pair_roots(lam1, lam2, v, w)
    for s in range(2):
        t = ta if s == 0 else tb
        idx = ia if s == 0 else ib
        p0 = t * (v[0, 1] + t * w[0, 1])
        p1 = -(lam1 + t * (v[0, 0] + t * w[0, 0]))
        nrm = math.sqrt(_abs2(p0) + _abs2(p1))
        phis[idx, 0] = (u[0, 0] * p0 + u[0, 1] * p1) / nrm
        phis[idx, 1] = (u[1, 0] * p0 + u[1, 1] * p1) / nrm
        roots[idx] = kc + t
    if abs(ta - tb) <= 2.0 * (ktol + 1e-12 * abs(kc)):
        # a grazing channel, or a pair closer than the propagating tolerance of classify
        roots[ib] = roots[ia] = kc + 0.5 * (ta + tb).real
        phis[ib, 0], phis[ib, 1] = phis[ia, 0], phis[ia, 1]
        hints[ia], hints[ib] = GRAZING_OUT, GRAZING_IN
    return True


@nb.njit(cache=True, error_model="numpy")
def crossing_modes(hq, eps, roots, phis, ia, ib, kscale, work):
    """Modes of the double root ``roots[ia] ~ roots[ib]`` at a band crossing, where
    ``h(k_0) - eps`` vanishes: the eigenvectors of the velocity (module docstring).

    Returns 0 (not a crossing: ``h - eps`` does not vanish to rounding near the pair),
    1 (a crossing, modes written) or 2 (the velocity vanishes too: the quadratic node; the
    caller makes the constant spinors outgoing).
    """
    mc, vel = work[0], work[1]
    k0 = 0.5 * (roots[ia].real + roots[ib].real)
    hsize, vsize = 0.0, 0.0
    for i in range(2):
        for j in range(2):
            hsize += abs(hq[1, i, j]) * kscale + abs(hq[2, i, j]) * kscale * kscale
            vsize += abs(hq[1, i, j]) + 2.0 * kscale * abs(hq[2, i, j])
    size = abs(eps) + hsize
    for _ in range(3):  # Gauss-Newton on |h(k) - eps|^2 along real k
        _matrix_at(hq, k0, eps, mc)
        num, den = 0.0, 0.0
        for i in range(2):
            for j in range(2):
                vel[i, j] = hq[1, i, j] + 2.0 * k0 * hq[2, i, j]
                num += (np.conj(vel[i, j]) * mc[i, j]).real
                den += _abs2(vel[i, j])
        if den == 0.0 or num == 0.0:
            break
        k0 -= num / den
    _matrix_at(hq, k0, eps, mc)
    resid, vnorm = 0.0, 0.0
    for i in range(2):
        for j in range(2):
            resid += abs(mc[i, j])
            vel[i, j] = hq[1, i, j] + 2.0 * k0 * hq[2, i, j]
            vnorm += abs(vel[i, j])
    if resid > 1e-12 * size:
        return 0
    roots[ia] = roots[ib] = k0
    if vnorm <= 1e-12 * vsize:
        return 2
    _hermitian_eig(vel, mc)
    for s in range(2):
        idx = ia if s == 0 else ib
        phis[idx, 0], phis[idx, 1] = mc[0, s], mc[1, s]
    return 1


@nb.njit(cache=True, error_model="numpy", inline="always")
def _closest_pair(roots):
    """``(d, i, j, k, l, d_other)``: the closest pair (i, j) of four roots, its squared
    distance d, the other two roots (k, l) and their smallest squared distance to i or j."""
    best, pi, pj = np.inf, 0, 1
    for i in range(4):
        for j in range(i + 1, 4):
            d = _abs2(roots[i] - roots[j])
            if d < best:
                best, pi, pj = d, i, j
    pk, pl = -1, -1
    for i in range(4):
        if i != pi and i != pj:
            if pk < 0:
                pk = i
            else:
                pl = i
    d_other = min(
        min(_abs2(roots[pi] - roots[pk]), _abs2(roots[pi] - roots[pl])),
        min(_abs2(roots[pj] - roots[pk]), _abs2(roots[pj] - roots[pl])),
    )
    return best, pi, pj, pk, pl, d_other


@nb.njit(cache=True, error_model="numpy", inline="always")
def has_close_pair(roots, degree, n, ktol):
    """Cheap test whether :func:`close_pairs` has anything to do (it rarely has)."""
    if degree == 2:
        tol = (
            max(1e4 * ktol, 2.0 * (ktol + 1e-12 * abs(roots[0].real)))
            if n == 2
            else 2.0 * (ktol + 1e-12 * abs(roots[0].real))
        )
        return _abs2(roots[0] - roots[1]) <= tol * tol
    if degree != 4:
        return False
    # for each split of the four roots into two pairs: is a pair close next to the others?
    d01, d02, d03 = (
        _abs2(roots[0] - roots[1]),
        _abs2(roots[0] - roots[2]),
        _abs2(roots[0] - roots[3]),
    )
    d12, d13, d23 = (
        _abs2(roots[1] - roots[2]),
        _abs2(roots[1] - roots[3]),
        _abs2(roots[2] - roots[3]),
    )
    r2 = PAIR_RATIO * PAIR_RATIO
    return (
        min(d01, d23) <= r2 * min(min(d02, d03), min(d12, d13))
        or min(d02, d13) <= r2 * min(min(d01, d03), min(d12, d23))
        or min(d03, d12) <= r2 * min(min(d01, d02), min(d13, d23))
    )


@nb.njit(cache=True, error_model="numpy")
def close_pairs(hq, eps, degree, roots, phis, hints, ktol, work):
    """Coincident and nearly coincident roots (grazing channels, crossings, the quadratic
    node; see :mod:`._pairs`): fix their modes and hints in place."""
    if hq.shape[1] == 1:  # one orbital: only the grazing double root of the quadratic
        if degree == 2 and abs(roots[0] - roots[1]) <= 2.0 * (ktol + 1e-12 * abs(roots[0])):
            roots[0] = roots[1] = 0.5 * (roots[0] + roots[1]).real
            hints[0], hints[1] = GRAZING_OUT, GRAZING_IN
        return
    kscale = ktol * 1e12
    if degree == 2:
        if _abs2(roots[0] - roots[1]) > (1e4 * ktol) ** 2:
            return  # distinct roots (the usual case)
        if crossing_modes(hq, eps, roots, phis, 0, 1, kscale, work) == 0:
            if abs(roots[0] - roots[1]) <= 2.0 * (ktol + 1e-12 * abs(roots[0])):
                roots[0] = roots[1] = 0.5 * (roots[0] + roots[1]).real
                hints[0], hints[1] = GRAZING_OUT, GRAZING_IN
        return
    # degree 4: the closest pair (pi, pj), and the other two (pk, pl)
    best, pi, pj, pk, pl, d_other = _closest_pair(roots)
    if best > PAIR_RATIO * PAIR_RATIO * d_other:
        return  # no pair is close (the other pair is no closer)
    d_other = math.sqrt(d_other)
    nodes = 0
    for p in range(2):
        ia, ib = (pi, pj) if p == 0 else (pk, pl)
        if abs(roots[ia] - roots[ib]) > PAIR_RATIO * d_other:
            continue
        code = crossing_modes(hq, eps, roots, phis, ia, ib, kscale, work)
        nodes += code == 2
        near_real = abs(roots[ia].imag + roots[ib].imag) <= PAIR_RATIO * d_other + ktol
        if code == 0 and near_real:
            refine_pair(hq, eps, roots, phis, hints, ia, ib, ktol, work)
    if nodes == 2:
        # the quadratic node: the constant spinors are the bounded (outgoing) solutions
        for r in range(4):
            phis[r, 0], phis[r, 1] = 1.0, 0.0
            hints[r] = GRAZING_IN
        phis[pk, 0], phis[pk, 1] = 0.0, 1.0
        hints[pi] = hints[pk] = GRAZING_OUT
