"""Numba kernels: mode matching at one (E, q) and the parallel (E, q) grid.

Plain arrays only. The junction is ``N (x < 0) | barrier | S (x > 0 or x > d)``; the
conventions for ``hc`` and the BdG basis are those of :mod:`._modes`. Barrier kinds:

* ``BARRIER_NONE``: psi (and, for a second-order h, psi') continuous at x = 0.
* ``BARRIER_JUMP`` (second-order h): a delta potential ``W delta(x)`` (tau_z in BdG).
  Integrating ``H psi = E psi`` across x = 0, with ``H = A0 + A1 (-i d/dx) + A2 (-d^2/dx^2)``,
  ``A_j = tau_z (x) h_j`` and psi continuous, gives ``-A2 [psi'] + tau_z W psi(0) = 0``, i.e.
  ``psi'(0+) - psi'(0-) = W (1 (x) h2^{-1}) psi(0) = bmat psi(0)``.
  This conserves the current ``Re psi^dagger (A1 + 2 A2 (-i d/dx)) psi`` because
  ``psi^dagger tau_z psi`` is real.
* ``BARRIER_TRANSFER`` (first-order h): the thin barrier ``V0 -> inf, d -> 0, V0 d = W``.
  Inside it ``-i A1 psi' = -tau_z V0 psi`` (all finite terms drop), so
  ``psi(0+) = exp(-i W A1^{-1} tau_z) psi(0-) = (1 (x) exp(-i W h1^{-1})) psi(0-) = bmat psi(0-)``
  (Bhattacharjee and Sengupta, PRL 97, 217001 (2006), for graphene ``exp(-i chi sigma_x)``).
  The matrix is unitary-similar to a rotation: probabilities are pi-periodic in ``W / v``.
* ``BARRIER_RECT``: potential ``Vb`` on 0 < x < d, solved as one linear system together with
  both leads. Barrier modes decaying to the right are normalized at x = 0 and those growing to
  the right at x = d, so every matrix entry is bounded by one and thick barriers stay stable
  (no transfer matrix is ever exponentiated).

Caching: every kernel is compiled with ``cache=True``. numba invalidates a cached function only
when its own source file changes, so after editing :mod:`._modes` delete
``physcore/semidirac/__pycache__/*.nbi`` and ``*.nbc`` (a fresh checkout is unaffected).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._modes import ELECTRON, HOLE, classify, h_at_q, region_modes

BARRIER_NONE = 0
BARRIER_JUMP = 1
BARRIER_TRANSFER = 2
BARRIER_RECT = 3

STATUS_OK = 0
STATUS_MODE_COUNT = 1  # mode classification did not give half outgoing modes
STATUS_SINGULAR = 2  # matching system singular (degenerate modes)


@nb.njit(cache=True, error_model="numpy")
def _lu_solve(a, b):
    """Solve a x = b in place (b holds x on return) by Gaussian elimination with partial
    pivoting. Hand-written because the systems are at most 16 x 16 and LAPACK's per-call
    overhead would dominate the per-point cost. Returns False when a pivot vanishes."""
    n = a.shape[0]
    nr = b.shape[1]
    for col in range(n):
        piv = col
        best = abs(a[col, col])
        for r in range(col + 1, n):
            v = abs(a[r, col])
            if v > best:
                best = v
                piv = r
        if best == 0.0 or not math.isfinite(best):
            return False
        if piv != col:
            for c in range(n):
                a[col, c], a[piv, c] = a[piv, c], a[col, c]
            for c in range(nr):
                b[col, c], b[piv, c] = b[piv, c], b[col, c]
        inv = 1.0 / a[col, col]
        for r in range(col + 1, n):
            f = a[r, col] * inv
            if f != 0:
                for c in range(col + 1, n):
                    a[r, c] -= f * a[col, c]
                for c in range(nr):
                    b[r, c] -= f * b[col, c]
    for col in range(n - 1, -1, -1):
        inv = 1.0 / a[col, col]
        for c in range(nr):
            acc = b[col, c]
            for k in range(col + 1, n):
                acc -= a[col, k] * b[k, c]
            b[col, c] = acc * inv
    return True


@nb.njit(cache=True, error_model="numpy")
def scatter_point(
    E, q, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """Scattering of every incoming electron mode at energy E and transverse momentum q.

    Returns ``(status, n_in, k_in, psi_in, n_out, k_out, psi_out, spec_out, prop_out, r,
    n_s, k_s, prop_s, t, andreev, normal, transmitted)``: incoming electron modes (unit
    current), the normal region's outgoing modes and the reflection amplitudes
    ``r[i, j]`` (incoming i -> outgoing j), the superconductor's outgoing modes and the
    transmission amplitudes ``t[i, j]``, and per incoming mode the Andreev and normal
    reflection probabilities and the transmitted probability summed from the
    superconductor's outgoing currents.
    """
    n = hc.shape[2]
    dim = 2 * n
    degree = n * order
    nm = 2 * degree
    # Few heap allocations per point (they dominate the cost of these tiny problems): one
    # buffer per dtype, carved into the working arrays.
    nn = n * n
    cbuf = np.empty(3 * nn + 2 * nm * (dim + 1), np.complex128)
    hq = cbuf[: 3 * nn].reshape((3, n, n))
    kN = cbuf[3 * nn : 3 * nn + nm]
    psiN = cbuf[3 * nn + nm : 3 * nn + nm * (dim + 1)].reshape((nm, dim))
    off = 3 * nn + nm * (dim + 1)
    kS = cbuf[off : off + nm]
    psiS = cbuf[off + nm : off + nm * (dim + 1)].reshape((nm, dim))
    ibuf = np.empty(2 * nm, np.int64)
    specN, specS = ibuf[:nm], ibuf[nm:]
    bbuf = np.empty(4 * nm, np.bool_)
    outN, propN, outS, propS = bbuf[:nm], bbuf[nm : 2 * nm], bbuf[2 * nm : 3 * nm], bbuf[3 * nm :]
    fbuf = np.empty(2 * nm)
    curN, curS = fbuf[:nm], fbuf[nm:]
    h_at_q(hc, q, hq)

    # --- normal lead (x < 0)
    region_modes(hq, degree, E, mu, 0.0, 0.0, kN, psiN, specN)
    noutN = classify(hq, kN, psiN, nm, -1, ktol, outN, propN, curN, False)
    # --- superconducting lead
    region_modes(hq, degree, E, mu_s, gap, phase, kS, psiS, specS)
    # below the gap (and at the edge, which region_modes evaluates just below) all decay
    subgap = gap > 0 and E * E - gap * gap < 1e-24 * gap * gap
    noutS = classify(hq, kS, psiS, nm, 1, ktol, outS, propS, curS, subgap)

    n_in = 0
    for m in range(nm):
        if specN[m] == ELECTRON and propN[m] and not outN[m]:
            n_in += 1
    sizes = (n_in, n_in * dim, noutN, noutN * dim, noutS, noutS * dim, n_in * noutN, n_in * noutS)
    c2 = np.empty(sum(sizes), np.complex128)
    p0 = 0
    k_in = c2[p0 : p0 + n_in]
    p0 += n_in
    psi_in = c2[p0 : p0 + n_in * dim].reshape((n_in, dim))
    p0 += n_in * dim
    k_out = c2[p0 : p0 + noutN]
    p0 += noutN
    psi_out = c2[p0 : p0 + noutN * dim].reshape((noutN, dim))
    p0 += noutN * dim
    k_s = c2[p0 : p0 + noutS]
    p0 += noutS
    psi_s = c2[p0 : p0 + noutS * dim].reshape((noutS, dim))
    p0 += noutS * dim
    r = c2[p0 : p0 + n_in * noutN].reshape((n_in, noutN))
    p0 += n_in * noutN
    t = c2[p0 : p0 + n_in * noutS].reshape((n_in, noutS))
    r[:] = 0
    t[:] = 0
    spec_out = np.empty(noutN, np.int64)
    b2 = np.empty(noutN + noutS, np.bool_)
    prop_out, prop_s = b2[:noutN], b2[noutN:]
    f2 = np.zeros(3 * n_in)
    andreev, normal, transmitted = f2[:n_in], f2[n_in : 2 * n_in], f2[2 * n_in :]
    i = 0
    for m in range(nm):
        if specN[m] == ELECTRON and propN[m] and not outN[m]:
            k_in[i] = kN[m]
            psi_in[i] = psiN[m]
            i += 1
    i = 0
    for m in range(nm):
        if outN[m]:
            k_out[i] = kN[m]
            psi_out[i] = psiN[m]
            spec_out[i] = specN[m]
            prop_out[i] = propN[m]
            i += 1
    i = 0
    for m in range(nm):
        if outS[m]:
            k_s[i] = kS[m]
            psi_s[i] = psiS[m]
            prop_s[i] = propS[m]
            i += 1

    status = STATUS_OK
    if noutN != degree or noutS != degree:
        status = STATUS_MODE_COUNT
    if status != STATUS_OK or n_in == 0:
        return (status, n_in, k_in, psi_in, noutN, k_out, psi_out, spec_out, prop_out, r,
                noutS, k_s, prop_s, t, andreev, normal, transmitted)  # fmt: skip

    if bkind == BARRIER_RECT:
        kB = np.empty(nm, np.complex128)
        psiB = np.empty((nm, dim), np.complex128)
        specB = np.empty(nm, np.int64)
        region_modes(hq, degree, E, mu - vb, 0.0, 0.0, kB, psiB, specB)
        f0 = np.empty(nm, np.complex128)
        fd = np.empty(nm, np.complex128)
        for m in range(nm):
            if kB[m].imag >= 0:  # decays (or propagates) to the right: normalize at x = 0
                f0[m] = 1.0
                fd[m] = np.exp(1j * kB[m] * width)
            else:  # grows to the right: normalize at x = width
                f0[m] = np.exp(-1j * kB[m] * width)
                fd[m] = 1.0
        a = np.zeros((2 * order * dim, 4 * degree), np.complex128)
        rhs = np.zeros((2 * order * dim, n_in), np.complex128)
        # row blocks: [psi(0); psi'(0); psi(d); psi'(d)] (order 2) or [psi(0); psi(d)]
        rows_d = order * dim
        for j in range(noutN):
            for c in range(dim):
                a[c, j] = -psi_out[j, c]
                if order == 2:
                    a[dim + c, j] = -1j * k_out[j] * psi_out[j, c]
        for m in range(nm):
            col = degree + m
            for c in range(dim):
                a[c, col] = f0[m] * psiB[m, c]
                a[rows_d + c, col] = -fd[m] * psiB[m, c]
                if order == 2:
                    a[dim + c, col] = 1j * kB[m] * f0[m] * psiB[m, c]
                    a[rows_d + dim + c, col] = -1j * kB[m] * fd[m] * psiB[m, c]
        for j in range(noutS):
            col = degree + nm + j
            for c in range(dim):
                a[rows_d + c, col] = psi_s[j, c]
                if order == 2:
                    a[rows_d + dim + c, col] = 1j * k_s[j] * psi_s[j, c]
        for i in range(n_in):
            for c in range(dim):
                rhs[c, i] = psi_in[i, c]
                if order == 2:
                    rhs[dim + c, i] = 1j * k_in[i] * psi_in[i, c]
        ok = _lu_solve(a, rhs)
        for i in range(n_in):
            for j in range(noutN):
                r[i, j] = rhs[j, i]
            for j in range(noutS):
                t[i, j] = rhs[degree + nm + j, i]
    else:
        a = np.zeros((order * dim, 2 * degree), np.complex128)
        rhs = np.zeros((order * dim, n_in), np.complex128)
        if order == 2:
            for j in range(noutN):
                for c in range(dim):
                    a[c, j] = -psi_out[j, c]
                    a[dim + c, j] = -1j * k_out[j] * psi_out[j, c]
            for j in range(noutS):
                col = degree + j
                for c in range(dim):
                    a[c, col] = psi_s[j, c]
                    acc = 1j * k_s[j] * psi_s[j, c]
                    if bkind == BARRIER_JUMP:  # psi'(0+) - psi'(0-) = bmat psi(0)
                        for e in range(dim):
                            acc -= bmat[c, e] * psi_s[j, e]
                    a[dim + c, col] = acc
            for i in range(n_in):
                for c in range(dim):
                    rhs[c, i] = psi_in[i, c]
                    rhs[dim + c, i] = 1j * k_in[i] * psi_in[i, c]
        else:
            transfer = bkind == BARRIER_TRANSFER  # psi(0+) = bmat psi(0-)
            for j in range(noutN):
                for c in range(dim):
                    if transfer:
                        acc = 0j
                        for e in range(dim):
                            acc += bmat[c, e] * psi_out[j, e]
                        a[c, j] = -acc
                    else:
                        a[c, j] = -psi_out[j, c]
            for j in range(noutS):
                for c in range(dim):
                    a[c, degree + j] = psi_s[j, c]
            for i in range(n_in):
                for c in range(dim):
                    if transfer:
                        acc = 0j
                        for e in range(dim):
                            acc += bmat[c, e] * psi_in[i, e]
                        rhs[c, i] = acc
                    else:
                        rhs[c, i] = psi_in[i, c]
        ok = _lu_solve(a, rhs)
        for i in range(n_in):
            for j in range(noutN):
                r[i, j] = rhs[j, i]
            for j in range(noutS):
                t[i, j] = rhs[degree + j, i]
    if not ok:
        status = STATUS_SINGULAR
    for i in range(n_in):
        for j in range(noutN):
            if prop_out[j]:
                p = abs(r[i, j]) ** 2
                if spec_out[j] == HOLE:
                    andreev[i] += p
                else:
                    normal[i] += p
        for j in range(noutS):
            if prop_s[j]:
                transmitted[i] += abs(t[i, j]) ** 2
    return (status, n_in, k_in, psi_in, noutN, k_out, psi_out, spec_out, prop_out, r,
            noutS, k_s, prop_s, t, andreev, normal, transmitted)  # fmt: skip


@nb.njit(cache=True, error_model="numpy")
def _grid_point(
    ie,
    iq,
    energies,
    qs,
    hc,
    order,
    mu,
    mu_s,
    gap,
    phase,
    bkind,
    bmat,
    vb,
    width,
    ktol,
    andreev_sum,
    normal_sum,
    n_in,
    violation,
):  # pragma: no cover - compiled
    res = scatter_point(
        energies[ie], qs[ie, iq], hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
    )
    if res[0] != STATUS_OK:
        andreev_sum[ie, iq] = np.nan
        normal_sum[ie, iq] = np.nan
        violation[ie, iq] = np.nan
        return
    ra, rn, tt = res[14], res[15], res[16]
    n_in[ie, iq] = res[1]
    worst = 0.0
    for i in range(res[1]):
        andreev_sum[ie, iq] += ra[i]
        normal_sum[ie, iq] += rn[i]
        worst = max(worst, abs(ra[i] + rn[i] + tt[i] - 1.0))
    violation[ie, iq] = worst


@nb.njit(cache=True, parallel=True, error_model="numpy")
def conductance_grid(
    energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """BTK integrand on the grid ``energies[i], qs[i, j]`` (points of zero weight are skipped),
    in parallel over the grid (numba prange).

    Returns ``(andreev_sum, normal_sum, n_in, violation)``, each ``(nE, nq)``: the sums over
    incoming electron modes of R_he and R_ee, their number (open channels), and the largest
    ``|R_ee + R_he + T - 1|`` (NaN where the matching failed).
    """
    ne, nq = qs.shape
    andreev_sum = np.zeros((ne, nq))
    normal_sum = np.zeros((ne, nq))
    n_in = np.zeros((ne, nq))
    violation = np.zeros((ne, nq))
    for flat in nb.prange(ne * nq):
        ie = flat // nq
        iq = flat % nq
        if weights[ie, iq] != 0.0:
            _grid_point(
                ie, iq, energies, qs, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
                ktol, andreev_sum, normal_sum, n_in, violation,
            )  # fmt: skip
    return andreev_sum, normal_sum, n_in, violation


@nb.njit(cache=True, error_model="numpy")
def conductance_grid_serial(
    energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """:func:`conductance_grid` on one thread: small grids, where starting the thread pool
    costs more than it saves."""
    ne, nq = qs.shape
    andreev_sum = np.zeros((ne, nq))
    normal_sum = np.zeros((ne, nq))
    n_in = np.zeros((ne, nq))
    violation = np.zeros((ne, nq))
    for ie in range(ne):
        for iq in range(nq):
            if weights[ie, iq] != 0.0:
                _grid_point(
                    ie, iq, energies, qs, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb,
                    width, ktol, andreev_sum, normal_sum, n_in, violation,
                )  # fmt: skip
    return andreev_sum, normal_sum, n_in, violation
