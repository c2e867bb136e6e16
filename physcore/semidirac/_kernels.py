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
when its own source file changes, so after editing :mod:`._modes`, :mod:`._pairs` or
:mod:`._frame` delete
``physcore/semidirac/__pycache__/*.nbi`` and ``*.nbc`` (a fresh checkout is unaffected).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._frame import transport_frame
from ._modes import (
    ELECTRON,
    HOLE,
    abs2,
    classify,
    h_at_q,
    new_scratch,
    region_modes,
)

BARRIER_NONE = 0
BARRIER_JUMP = 1
BARRIER_TRANSFER = 2
BARRIER_RECT = 3

STATUS_OK = 0
STATUS_MODE_COUNT = 1  # mode classification did not give half outgoing modes
STATUS_SINGULAR = 2  # matching system singular (degenerate modes)


@nb.njit(cache=True, error_model="numpy")
def _lu_solve(a, b, n, nr):
    """Solve a x = b in place (b holds x on return) by Gaussian elimination with partial
    pivoting, on the leading ``n x n`` block of ``a`` and the first ``nr`` columns of ``b``
    (preallocated work arrays of the largest size). Hand-written because the systems are at
    most 16 x 16 and LAPACK's per-call overhead would dominate the per-point cost. Returns
    False when a pivot vanishes."""
    for col in range(n):
        piv = col
        best = abs2(a[col, col])  # pivot by |a|^2: the same order as |a|, no hypot call
        for r in range(col + 1, n):
            v = abs2(a[r, col])
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


@nb.njit(cache=True, error_model="numpy", inline="always")
def _h2_dot(hq, psis, m, c):
    """Component c of ``(1 (x) h2) psis[m]``: the derivative rows of the matching system are
    multiplied by h2 (the flux-conjugate of psi' is ``tau_z h2 psi'``), which keeps them of the
    size of the psi rows however large h2^{-1} and the evanescent momenta get (a small
    k_x**2 coefficient near the linear axis, a thin barrier of strength ``W h2^{-1}``)."""
    n = hq.shape[1]
    blk = c // n
    i = c - blk * n
    acc = 0j
    for e in range(n):
        acc += hq[2, i, e] * psis[m, blk * n + e]
    return acc


@nb.njit(cache=True, error_model="numpy", inline="always")
def _row(hq, psis, m, c, weighted):
    """Component c of psis[m] in a derivative row: weighted by h2 or not."""
    return _h2_dot(hq, psis, m, c) if weighted else psis[m, c]


@nb.njit(cache=True, error_model="numpy", inline="always")
def _jump_rows(hq, bmat, psis, m, a, dim, col, weighted):
    """Subtract ``bmat psis[m]`` (weighted: ``(1 (x) h2) bmat psis[m]``) from the derivative
    rows of column ``col``."""
    n = hq.shape[1]
    if not weighted:
        for c in range(dim):
            acc = 0j
            for e in range(dim):
                acc += bmat[c, e] * psis[m, e]
            a[dim + c, col] -= acc
        return
    for blk in range(2):
        inner0 = 0j  # (bmat psi) on this block, n = 1 or 2 components
        inner1 = 0j
        for f in range(dim):
            inner0 += bmat[blk * n, f] * psis[m, f]
            if n == 2:
                inner1 += bmat[blk * n + 1, f] * psis[m, f]
        for i in range(n):
            acc = hq[2, i, 0] * inner0
            if n == 2:
                acc += hq[2, i, 1] * inner1
            a[dim + blk * n + i, col] -= acc


@nb.njit(cache=True)
def new_workspace(n, order):
    """Work arrays of :func:`solve_point` for ``n`` orbitals and order ``order`` in k_x,
    allocated once per thread and reused for every (E, q) point.

    A tuple ``(hq, scratch, modes N, modes S, modes B, idx, a, rhs, probs)`` where each region's
    modes are ``(k, psi, species, outgoing, propagating, current, hint)``; ``idx[0]``, ``idx[1]``,
    ``idx[2]`` hold the mode numbers of the incoming electrons, the normal region's and the
    superconductor's outgoing modes; ``a`` and ``rhs`` are the matching system (largest
    size: the rectangular barrier's); ``probs[0, 1, 2]`` are R_he, R_ee and T per incoming
    mode.
    """
    dim = 2 * n
    nm = 2 * n * order
    rows = 2 * order * dim

    regions = [
        (
            np.empty(nm, np.complex128),
            np.empty((nm, dim), np.complex128),
            np.empty(nm, np.int64),
            np.empty(nm, np.bool_),
            np.empty(nm, np.bool_),
            np.empty(nm),
            np.empty(nm, np.int64),
        )
        for _ in range(3)
    ]
    return (
        np.empty((3, n, n), np.complex128),
        new_scratch(),
        regions[0],
        regions[1],
        regions[2],
        np.empty((3, nm), np.int64),
        np.empty((rows, 2 * nm), np.complex128),
        np.empty((rows, nm), np.complex128),
        np.empty((3, nm)),
    )


@nb.njit(cache=True, error_model="numpy", inline="always")
def solve_point(
    E, q, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol, weighted, ws
):  # pragma: no cover - compiled
    """Scattering of every incoming electron mode at energy E and transverse momentum q,
    in the work arrays ``ws`` of :func:`new_workspace` (nothing is allocated).

    ``weighted``: multiply the derivative rows by h2 (see :func:`_h2_dot`; wanted in a shifted
    frame, where evanescent momenta can be many orders above the propagating ones).

    Returns ``(status, n_in, n_out, n_s, t_offset)``. On return ``ws`` holds the modes of
    both leads (incoming electrons at unit current), the mode numbers ``idx`` of the
    incoming and outgoing modes, the amplitudes ``r[i, j] = rhs[j, i]`` (incoming i ->
    outgoing mode ``idx[1, j]`` of the normal region) and ``t[i, j] = rhs[t_offset + j, i]``
    (-> outgoing mode ``idx[2, j]`` of the superconductor), and per incoming mode the Andreev
    and normal reflection probabilities and the transmitted probability summed from the
    superconductor's outgoing currents (``probs``).
    """
    hq, scratch, regN, regS, regB, idx, a, rhs, probs = ws
    kN, psiN, specN, outN, propN, curN, hintN = regN
    kS, psiS, specS, outS, propS, curS, hintS = regS
    n = hc.shape[2]
    dim = 2 * n
    degree = n * order
    nm = 2 * degree
    h_at_q(hc, q, hq)

    # --- normal lead (x < 0)
    region_modes(hq, degree, E, mu, 0.0, 0.0, kN, psiN, specN, hintN, scratch, ktol)
    noutN = classify(hq, kN, psiN, hintN, nm, -1, ktol, outN, propN, curN, False)
    # --- superconducting lead
    region_modes(hq, degree, E, mu_s, gap, phase, kS, psiS, specS, hintS, scratch, ktol)
    # below the gap (and at the edge, which region_modes evaluates just below) all decay
    subgap = gap > 0 and E * E - gap * gap < 1e-24 * gap * gap
    noutS = classify(hq, kS, psiS, hintS, nm, 1, ktol, outS, propS, curS, subgap)

    n_in = 0
    i_out = 0
    for m in range(nm):
        if specN[m] == ELECTRON and propN[m] and not outN[m]:
            idx[0, n_in] = m
            n_in += 1
        if outN[m]:
            idx[1, i_out] = m
            i_out += 1
    i_out = 0
    for m in range(nm):
        if outS[m]:
            idx[2, i_out] = m
            i_out += 1
    for i in range(n_in):
        for c in range(3):
            probs[c, i] = 0.0
    i_in, i_out, i_s = idx[0], idx[1], idx[2]

    if noutN != degree or noutS != degree:
        return STATUS_MODE_COUNT, n_in, noutN, noutS, 0
    if n_in == 0:
        return STATUS_OK, n_in, noutN, noutS, 0

    if bkind == BARRIER_RECT:
        kB, psiB, specB, _, _, _, hintB = regB
        ok, toff = _rect_system(
            hq, E, mu, vb, width, order, degree, n_in, kN, psiN, kS, psiS, kB, psiB, specB,
            hintB, i_in, i_out, i_s, scratch, ktol, weighted, a, rhs,
        )  # fmt: skip
    else:
        rows = order * dim
        cols = 2 * degree
        for r_ in range(rows):
            for c in range(cols):
                a[r_, c] = 0
            for c in range(n_in):
                rhs[r_, c] = 0
        if order == 2:  # rows: psi, then psi' (weighted: (1 (x) h2) psi', see _h2_dot)
            for j in range(noutN):
                m = i_out[j]
                for c in range(dim):
                    a[c, j] = -psiN[m, c]
                    a[dim + c, j] = -1j * kN[m] * _row(hq, psiN, m, c, weighted)
            for j in range(noutS):
                m = i_s[j]
                col = degree + j
                for c in range(dim):
                    a[c, col] = psiS[m, c]
                    a[dim + c, col] = 1j * kS[m] * _row(hq, psiS, m, c, weighted)
                if bkind == BARRIER_JUMP:  # psi'(0+) - psi'(0-) = bmat psi(0)
                    _jump_rows(hq, bmat, psiS, m, a, dim, col, weighted)
            for i in range(n_in):
                m = i_in[i]
                for c in range(dim):
                    rhs[c, i] = psiN[m, c]
                    rhs[dim + c, i] = 1j * kN[m] * _row(hq, psiN, m, c, weighted)
        else:
            transfer = bkind == BARRIER_TRANSFER  # psi(0+) = bmat psi(0-)
            for j in range(noutN):
                m = i_out[j]
                for c in range(dim):
                    if transfer:
                        acc = 0j
                        for e in range(dim):
                            acc += bmat[c, e] * psiN[m, e]
                        a[c, j] = -acc
                    else:
                        a[c, j] = -psiN[m, c]
            for j in range(noutS):
                m = i_s[j]
                for c in range(dim):
                    a[c, degree + j] = psiS[m, c]
            for i in range(n_in):
                m = i_in[i]
                for c in range(dim):
                    if transfer:
                        acc = 0j
                        for e in range(dim):
                            acc += bmat[c, e] * psiN[m, e]
                        rhs[c, i] = acc
                    else:
                        rhs[c, i] = psiN[m, c]
        ok = _lu_solve(a, rhs, rows, n_in)
        toff = degree
    status = STATUS_OK if ok else STATUS_SINGULAR
    andreev, normal, transmitted = probs[0], probs[1], probs[2]
    for i in range(n_in):
        for j in range(noutN):
            m = i_out[j]
            if propN[m]:
                p = abs2(rhs[j, i])
                if specN[m] == HOLE:
                    andreev[i] += p
                else:
                    normal[i] += p
        for j in range(noutS):
            if propS[i_s[j]]:
                transmitted[i] += abs2(rhs[toff + j, i])
    return status, n_in, noutN, noutS, toff


@nb.njit(cache=True, error_model="numpy")
def _rect_system(
    hq, E, mu, vb, width, order, degree, n_in, kN, psiN, kS, psiS, kB, psiB, specB, hintB,
    i_in, i_out, i_s, scratch, ktol, weighted, a, rhs,
):  # fmt: skip  # pragma: no cover - compiled
    """The rectangular barrier's matching system (see the module docstring), solved in
    place; returns ``(ok, t_offset)``."""
    dim = psiN.shape[1]
    nm = 2 * degree
    region_modes(hq, degree, E, mu - vb, 0.0, 0.0, kB, psiB, specB, hintB, scratch, ktol)
    rows = 2 * order * dim
    cols = 4 * degree
    for r_ in range(rows):
        for c in range(cols):
            a[r_, c] = 0
        for c in range(n_in):
            rhs[r_, c] = 0
    # row blocks: [psi(0); psi'(0); psi(d); psi'(d)] (order 2) or [psi(0); psi(d)]
    rows_d = order * dim
    for j in range(degree):
        m = i_out[j]
        for c in range(dim):
            a[c, j] = -psiN[m, c]
            if order == 2:
                a[dim + c, j] = -1j * kN[m] * _row(hq, psiN, m, c, weighted)
    for m in range(nm):
        if kB[m].imag >= 0:  # decays (or propagates) to the right: normalize at x = 0
            f0 = 1.0 + 0j
            fd = np.exp(1j * kB[m] * width)
        else:  # grows to the right: normalize at x = width
            f0 = np.exp(-1j * kB[m] * width)
            fd = 1.0 + 0j
        col = degree + m
        for c in range(dim):
            a[c, col] = f0 * psiB[m, c]
            a[rows_d + c, col] = -fd * psiB[m, c]
            if order == 2:
                h2psi = _row(hq, psiB, m, c, weighted)
                a[dim + c, col] = 1j * kB[m] * f0 * h2psi
                a[rows_d + dim + c, col] = -1j * kB[m] * fd * h2psi
    for j in range(degree):
        m = i_s[j]
        col = degree + nm + j
        for c in range(dim):
            a[rows_d + c, col] = psiS[m, c]
            if order == 2:
                a[rows_d + dim + c, col] = 1j * kS[m] * _row(hq, psiS, m, c, weighted)
    for i in range(n_in):
        m = i_in[i]
        for c in range(dim):
            rhs[c, i] = psiN[m, c]
            if order == 2:
                rhs[dim + c, i] = 1j * kN[m] * _row(hq, psiN, m, c, weighted)
    return _lu_solve(a, rhs, rows, n_in), degree + nm


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
    superconductor's outgoing currents. Momenta are k_x (not the shifted ones the solver
    works with, see :func:`._frame.transport_frame`).
    """
    n = hc.shape[2]
    ws = new_workspace(n, order)
    hcs = np.empty_like(hc)
    alpha, kscale = transport_frame(hc, abs(mu) + abs(mu_s) + abs(E), hcs)
    status, n_in, n_out, n_s, toff = solve_point(
        E, q, hcs, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
        min(ktol, 1e-12 * kscale), alpha != 0.0, ws,
    )  # fmt: skip
    shift = alpha * q
    _, _, regN, regS, _, idx, _, rhs, probs = ws
    kN, psiN, specN, _, propN, _, _ = regN
    kS, _, _, _, propS, _, _ = regS
    kN += shift
    kS += shift
    solved = status != STATUS_MODE_COUNT and n_in > 0
    k_in = np.empty(n_in, np.complex128)
    psi_in = np.empty((n_in, 2 * n), np.complex128)
    for i in range(n_in):
        k_in[i] = kN[idx[0, i]]
        psi_in[i] = psiN[idx[0, i]]
    k_out = np.empty(n_out, np.complex128)
    psi_out = np.empty((n_out, 2 * n), np.complex128)
    spec_out = np.empty(n_out, np.int64)
    prop_out = np.empty(n_out, np.bool_)
    r = np.zeros((n_in, n_out), np.complex128)
    for j in range(n_out):
        m = idx[1, j]
        k_out[j] = kN[m]
        psi_out[j] = psiN[m]
        spec_out[j] = specN[m]
        prop_out[j] = propN[m]
        if solved:
            for i in range(n_in):
                r[i, j] = rhs[j, i]
    k_s = np.empty(n_s, np.complex128)
    prop_s = np.empty(n_s, np.bool_)
    t = np.zeros((n_in, n_s), np.complex128)
    for j in range(n_s):
        m = idx[2, j]
        k_s[j] = kS[m]
        prop_s[j] = propS[m]
        if solved:
            for i in range(n_in):
                t[i, j] = rhs[toff + j, i]
    andreev = probs[0, :n_in].copy()
    normal = probs[1, :n_in].copy()
    transmitted = probs[2, :n_in].copy()
    return (status, n_in, k_in, psi_in, n_out, k_out, psi_out, spec_out, prop_out, r,
            n_s, k_s, prop_s, t, andreev, normal, transmitted)  # fmt: skip


@nb.njit(cache=True, error_model="numpy")
def _grid_row(
    ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol,
    andreev_sum, normal_sum, n_in, violation,
):  # fmt: skip  # pragma: no cover - compiled
    """One energy of the grid: every transverse momentum of nonzero weight, one workspace.
    Solved in the shifted frame of :func:`._frame.transport_frame` for this energy."""
    ws = new_workspace(hc.shape[2], order)
    hcs = np.empty_like(hc)
    alpha, kscale = transport_frame(hc, abs(mu) + abs(mu_s) + abs(energies[ie]), hcs)
    ktol = min(ktol, 1e-12 * kscale)
    weighted = alpha != 0.0
    probs = ws[8]
    for iq in range(qs.shape[1]):
        if weights[ie, iq] == 0.0:
            continue
        status, nin, _, _, _ = solve_point(
            energies[ie], qs[ie, iq], hcs, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
            ktol, weighted, ws,
        )  # fmt: skip
        if status != STATUS_OK:
            andreev_sum[ie, iq] = np.nan
            normal_sum[ie, iq] = np.nan
            violation[ie, iq] = np.nan
            continue
        n_in[ie, iq] = nin
        worst = 0.0
        for i in range(nin):
            andreev_sum[ie, iq] += probs[0, i]
            normal_sum[ie, iq] += probs[1, i]
            worst = max(worst, abs(probs[0, i] + probs[1, i] + probs[2, i] - 1.0))
        violation[ie, iq] = worst


@nb.njit(cache=True, parallel=True, error_model="numpy")
def conductance_grid(
    energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """BTK integrand on the grid ``energies[i], qs[i, j]`` (points of zero weight are skipped),
    in parallel over the energies (numba prange; each thread reuses one workspace per energy).

    Returns ``(andreev_sum, normal_sum, n_in, violation)``, each ``(nE, nq)``: the sums over
    incoming electron modes of R_he and R_ee, their number (open channels), and the largest
    ``|R_ee + R_he + T - 1|`` (NaN where the matching failed).
    """
    ne, nq = qs.shape
    andreev_sum = np.zeros((ne, nq))
    normal_sum = np.zeros((ne, nq))
    n_in = np.zeros((ne, nq))
    violation = np.zeros((ne, nq))
    for ie in nb.prange(ne):
        _grid_row(
            ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
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
        _grid_row(
            ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
            ktol, andreev_sum, normal_sum, n_in, violation,
        )  # fmt: skip
    return andreev_sum, normal_sum, n_in, violation
