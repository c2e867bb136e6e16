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
  both leads (:func:`._matching.rect_system`).

Results are named (numba named tuples, built once here and read by field everywhere):
:data:`ScatterPoint` (:func:`scatter_point`), :data:`GridSums` (the grid kernels),
:data:`PointStatus` (:func:`solve_point`), and the work arrays :data:`Workspace` / :data:`Modes`.

Caching: every kernel is compiled with ``cache=True``. numba invalidates a cached function only
when its own source file changes, so after editing :mod:`._modes`, :mod:`._pairs`,
:mod:`._frame`, :mod:`._linalg`, :mod:`._matching` or :mod:`._borrow` run ``make clean-numba``
(it deletes ``physcore/semidirac/__pycache__/*.nbi`` and ``*.nbc``). The test suite keys its
numba cache on the content of these files (tests/conftest.py), so a stale kernel cannot
survive an edit.
"""

from __future__ import annotations

from collections import namedtuple

import numba as nb
import numpy as np

from ._borrow import borrowed
from ._frame import transport_frame
from ._matching import (
    BARRIER_JUMP,
    BARRIER_NONE,
    BARRIER_RECT,
    BARRIER_TRANSFER,
    contact_system,
    rect_system,
)
from ._modes import ELECTRON, HOLE, abs2, classify, h_at_q, new_scratch, region_modes

__all__ = [
    "BARRIER_NONE",
    "BARRIER_JUMP",
    "BARRIER_TRANSFER",
    "BARRIER_RECT",
    "STATUS_OK",
    "STATUS_MODE_COUNT",
    "STATUS_SINGULAR",
    "ScatterPoint",
    "GridSums",
    "PointStatus",
    "scatter_point",
    "conductance_grid",
    "conductance_grid_serial",
]

STATUS_OK = 0
STATUS_MODE_COUNT = 1  # mode classification did not give half outgoing modes
STATUS_SINGULAR = 2  # matching system singular (degenerate modes)

#: the modes of one region: momenta k_x, BdG spinors, species (ELECTRON/HOLE/QUASIPARTICLE),
#: outgoing / propagating flags, particle currents and the grazing hints of :mod:`._modes`
Modes = namedtuple("Modes", "k psi species outgoing propagating current hint")
#: work arrays of :func:`solve_point` (see :func:`new_workspace`)
Workspace = namedtuple(
    "Workspace", "hq scratch normal superconductor barrier idx a rhs andreev normal_r transmitted"
)
#: what :func:`solve_point` returns: status, incoming count, outgoing counts in the normal
#: region and the superconductor, and the row offset of the transmission amplitudes
PointStatus = namedtuple("PointStatus", "status n_in n_out n_s t_offset")
#: what :func:`scatter_point` returns (momenta are k_x, not the shifted frame's)
ScatterPoint = namedtuple(
    "ScatterPoint",
    "status n_in k_in psi_in n_out k_out psi_out species_out propagating_out r "
    "n_s k_s propagating_s t andreev normal transmitted",
)
#: what the grid kernels return, each (nE, nq): sums over incoming modes of R_he and R_ee,
#: their number (open channels) and the largest |R_ee + R_he + T - 1| (NaN: matching failed)
GridSums = namedtuple("GridSums", "andreev normal n_in violation")


@nb.njit(cache=True)
def _new_modes(nm, dim):
    return Modes(
        np.empty(nm, np.complex128),
        np.empty((nm, dim), np.complex128),
        np.empty(nm, np.int64),
        np.empty(nm, np.bool_),
        np.empty(nm, np.bool_),
        np.empty(nm),
        np.empty(nm, np.int64),
    )


@nb.njit(cache=True)
def new_workspace(n, order):
    """Work arrays of :func:`solve_point` for ``n`` orbitals and order ``order`` in k_x,
    allocated once per thread and reused for every (E, q) point (a :data:`Workspace`).

    ``idx[0]``, ``idx[1]``, ``idx[2]`` hold the mode numbers of the incoming electrons, the
    normal region's and the superconductor's outgoing modes; ``a`` and ``rhs`` are the matching
    system (largest size: the rectangular barrier's); ``andreev``, ``normal_r`` and
    ``transmitted`` are R_he, R_ee and T per incoming mode.
    """
    dim = 2 * n
    nm = 2 * n * order
    rows = 2 * order * dim
    return Workspace(
        np.empty((3, n, n), np.complex128),
        new_scratch(),
        _new_modes(nm, dim),
        _new_modes(nm, dim),
        _new_modes(nm, dim),
        np.empty((3, nm), np.int64),
        np.empty((rows, 2 * nm), np.complex128),
        np.empty((rows, nm), np.complex128),
        np.empty(nm),
        np.empty(nm),
        np.empty(nm),
    )


@nb.njit(cache=True)
def _borrowed_modes(modes):
    return Modes(
        borrowed(modes.k),
        borrowed(modes.psi),
        borrowed(modes.species),
        borrowed(modes.outgoing),
        borrowed(modes.propagating),
        borrowed(modes.current),
        borrowed(modes.hint),
    )


@nb.njit(cache=True)
def borrowed_workspace(ws):
    """The :data:`Workspace` ``ws`` as borrowed views (:mod:`._borrow`): the per-point kernel
    then passes its arrays around without atomic reference counts. ``ws`` must outlive it."""
    coef, roots, phis, work, hints = ws.scratch
    return Workspace(
        borrowed(ws.hq),
        (borrowed(coef), borrowed(roots), borrowed(phis), borrowed(work), borrowed(hints)),
        _borrowed_modes(ws.normal),
        _borrowed_modes(ws.superconductor),
        _borrowed_modes(ws.barrier),
        borrowed(ws.idx),
        borrowed(ws.a),
        borrowed(ws.rhs),
        borrowed(ws.andreev),
        borrowed(ws.normal_r),
        borrowed(ws.transmitted),
    )


@nb.njit(cache=True, error_model="numpy", inline="always")
def _lead_modes(E, degree, mu, mu_s, gap, phase, ktol, hq, scratch, N, S):  # pragma: no cover
    """Stage 1: the modes of both leads at (E, q), classified; returns the outgoing counts.
    ``N``, ``S``: the :data:`Modes` of the normal region and the superconductor."""
    nm = 2 * degree
    kN, psiN, specN, outN, propN, curN, hintN = N
    kS, psiS, specS, outS, propS, curS, hintS = S
    region_modes(hq, degree, E, mu, 0.0, 0.0, kN, psiN, specN, hintN, scratch, ktol)
    n_out = classify(hq, kN, psiN, hintN, nm, -1, ktol, outN, propN, curN, False)
    region_modes(hq, degree, E, mu_s, gap, phase, kS, psiS, specS, hintS, scratch, ktol)
    # below the gap (and at the edge, which region_modes evaluates just below) all decay
    subgap = gap > 0 and E * E - gap * gap < 1e-24 * gap * gap
    n_s = classify(hq, kS, psiS, hintS, nm, 1, ktol, outS, propS, curS, subgap)
    return n_out, n_s


@nb.njit(cache=True, error_model="numpy", inline="always")
def _index_modes(nm, species, propagating, outgoing, outgoing_s, idx):  # pragma: no cover
    """Stage 2: mode numbers of the incoming electrons (``idx[0]``) and of the outgoing modes
    of the normal region (``idx[1]``) and the superconductor (``idx[2]``); returns the
    incoming count."""
    n_in = 0
    i_out = 0
    for m in range(nm):
        if species[m] == ELECTRON and propagating[m] and not outgoing[m]:
            idx[0, n_in] = m
            n_in += 1
        if outgoing[m]:
            idx[1, i_out] = m
            i_out += 1
    i_out = 0
    for m in range(nm):
        if outgoing_s[m]:
            idx[2, i_out] = m
            i_out += 1
    return n_in


@nb.njit(cache=True, error_model="numpy", inline="always")
def _probabilities(
    n_in, degree, t_offset, species, propagating, propagating_s, idx, rhs, andreev, normal,
    transmitted,
):  # fmt: skip  # pragma: no cover - compiled
    """Stage 4: R_he, R_ee (normal region's propagating holes and electrons) and T (the
    superconductor's propagating quasiparticles) per incoming mode, from the amplitudes."""
    for i in range(n_in):
        andreev[i] = 0.0
        normal[i] = 0.0
        transmitted[i] = 0.0
        for j in range(degree):
            m = idx[1, j]
            if propagating[m]:
                p = abs2(rhs[j, i])
                if species[m] == HOLE:
                    andreev[i] += p
                else:
                    normal[i] += p
        for j in range(degree):
            if propagating_s[idx[2, j]]:
                transmitted[i] += abs2(rhs[t_offset + j, i])


@nb.njit(cache=True, error_model="numpy", inline="always")
def solve_point(
    E, q, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol, weighted, ws
):  # pragma: no cover - compiled
    """Scattering of every incoming electron mode at energy E and transverse momentum q,
    in the work arrays ``ws`` of :func:`new_workspace` (nothing is allocated).

    Four stages: the leads' modes (:func:`_lead_modes`), the incoming and outgoing mode
    numbers (:func:`_index_modes`), the matching system (:mod:`._matching`) and the
    probabilities (:func:`_probabilities`). ``weighted``: multiply the derivative rows by h2
    (wanted in a shifted frame, where evanescent momenta can be many orders above the
    propagating ones).

    Returns a :data:`PointStatus`. On return ``ws`` holds the modes of both leads (incoming
    electrons at unit current), the mode numbers ``idx``, the amplitudes ``r[i, j] =
    rhs[j, i]`` (incoming i -> outgoing mode ``idx[1, j]`` of the normal region) and
    ``t[i, j] = rhs[t_offset + j, i]`` (-> outgoing mode ``idx[2, j]`` of the
    superconductor), and per incoming mode R_he, R_ee and T (zero unless solved).
    """
    # the workspace's fields are read once here (a field read costs a reference count)
    hq, scratch, N, S, idx, rhs = ws.hq, ws.scratch, ws.normal, ws.superconductor, ws.idx, ws.rhs
    degree = hc.shape[2] * order
    h_at_q(hc, q, hq)
    n_out, n_s = _lead_modes(E, degree, mu, mu_s, gap, phase, ktol, hq, scratch, N, S)
    n_in = _index_modes(2 * degree, N.species, N.propagating, N.outgoing, S.outgoing, idx)
    if n_out != degree or n_s != degree or n_in == 0:
        status = STATUS_OK if n_in == 0 and n_out == degree and n_s == degree else STATUS_MODE_COUNT
        return PointStatus(status, n_in, n_out, n_s, 0)
    if bkind == BARRIER_RECT:
        ok, t_offset = rect_system(
            hq, E, mu, vb, width, order, degree, n_in, N, S, ws.barrier, idx, scratch, ktol,
            weighted, ws.a, rhs,
        )  # fmt: skip
    else:
        ok, t_offset = contact_system(
            hq, order, degree, n_in, N.k, N.psi, S.k, S.psi, idx, bkind, bmat, weighted, ws.a,
            rhs,
        )  # fmt: skip
    _probabilities(
        n_in, degree, t_offset, N.species, N.propagating, S.propagating, idx, rhs, ws.andreev,
        ws.normal_r, ws.transmitted,
    )  # fmt: skip
    return PointStatus(STATUS_OK if ok else STATUS_SINGULAR, n_in, n_out, n_s, t_offset)


@nb.njit(cache=True, error_model="numpy")
def _gather(modes, idx_row, count, shift):
    """Momenta (shifted back to k_x) and spinors of the modes ``idx_row[:count]``."""
    k = np.empty(count, np.complex128)
    psi = np.empty((count, modes.psi.shape[1]), np.complex128)
    for i in range(count):
        k[i] = modes.k[idx_row[i]] + shift
        psi[i] = modes.psi[idx_row[i]]
    return k, psi


@nb.njit(cache=True, error_model="numpy")
def scatter_point(
    E, q, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """Scattering of every incoming electron mode at energy E and transverse momentum q.

    Returns a :data:`ScatterPoint`: the incoming electron modes (unit current), the normal
    region's outgoing modes and the reflection amplitudes ``r[i, j]`` (incoming i -> outgoing
    j), the superconductor's outgoing modes and the transmission amplitudes ``t[i, j]``, and
    per incoming mode the Andreev and normal reflection probabilities and the transmitted
    probability summed from the superconductor's outgoing currents. Momenta are k_x (not the
    shifted ones the solver works with, see :func:`._frame.transport_frame`).
    """
    ws = new_workspace(hc.shape[2], order)
    hcs = np.empty_like(hc)
    alpha, kscale = transport_frame(hc, abs(mu) + abs(mu_s) + abs(E), hcs)
    st = solve_point(
        E, q, hcs, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
        min(ktol, 1e-12 * kscale), alpha != 0.0, ws,
    )  # fmt: skip
    N, S, idx, rhs = ws.normal, ws.superconductor, ws.idx, ws.rhs
    shift = alpha * q
    solved = st.status != STATUS_MODE_COUNT and st.n_in > 0
    k_in, psi_in = _gather(N, idx[0], st.n_in, shift)
    k_out, psi_out = _gather(N, idx[1], st.n_out, shift)
    k_s, _ = _gather(S, idx[2], st.n_s, shift)
    species_out = np.empty(st.n_out, np.int64)
    propagating_out = np.empty(st.n_out, np.bool_)
    r = np.zeros((st.n_in, st.n_out), np.complex128)
    for j in range(st.n_out):
        species_out[j] = N.species[idx[1, j]]
        propagating_out[j] = N.propagating[idx[1, j]]
        if solved:
            for i in range(st.n_in):
                r[i, j] = rhs[j, i]
    propagating_s = np.empty(st.n_s, np.bool_)
    t = np.zeros((st.n_in, st.n_s), np.complex128)
    for j in range(st.n_s):
        propagating_s[j] = S.propagating[idx[2, j]]
        if solved:
            for i in range(st.n_in):
                t[i, j] = rhs[st.t_offset + j, i]
    return ScatterPoint(
        st.status, st.n_in, k_in, psi_in, st.n_out, k_out, psi_out, species_out,
        propagating_out, r, st.n_s, k_s, propagating_s, t, ws.andreev[: st.n_in].copy(),
        ws.normal_r[: st.n_in].copy(), ws.transmitted[: st.n_in].copy(),
    )  # fmt: skip


@nb.njit(cache=True, error_model="numpy")
def _grid_row(
    ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol,
    andreev_sum, normal_sum, n_in, violation, owned_ws, owned_hcs,
):  # fmt: skip  # pragma: no cover - compiled
    """One energy of the grid: every transverse momentum of nonzero weight, one workspace.
    Solved in the shifted frame of :func:`._frame.transport_frame` for this energy. Writes
    row ``ie`` of the four :data:`GridSums` arrays (passed apart: numba's parallel loops
    cannot carry a named tuple).

    ``owned_ws`` (a :func:`new_workspace`) and ``owned_hcs`` (like ``hc``) are the work arrays,
    allocated by the caller so that they outlive the borrowed views used here (:mod:`._borrow`).
    """
    ws = borrowed_workspace(owned_ws)
    hcs = borrowed(owned_hcs)
    bmat = borrowed(bmat)
    alpha, kscale = transport_frame(hc, abs(mu) + abs(mu_s) + abs(energies[ie]), hcs)
    ktol = min(ktol, 1e-12 * kscale)
    weighted = alpha != 0.0
    andreev, normal, transmitted = ws.andreev, ws.normal_r, ws.transmitted
    for iq in range(qs.shape[1]):
        if weights[ie, iq] == 0.0:
            continue
        st = solve_point(
            energies[ie], qs[ie, iq], hcs, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
            ktol, weighted, ws,
        )  # fmt: skip
        if st.status != STATUS_OK:
            andreev_sum[ie, iq] = np.nan
            normal_sum[ie, iq] = np.nan
            violation[ie, iq] = np.nan
            continue
        n_in[ie, iq] = st.n_in
        worst = 0.0
        for i in range(st.n_in):
            andreev_sum[ie, iq] += andreev[i]
            normal_sum[ie, iq] += normal[i]
            worst = max(worst, abs(andreev[i] + normal[i] + transmitted[i] - 1.0))
        violation[ie, iq] = worst


@nb.njit(cache=True)
def _new_sums(ne, nq):
    return GridSums(np.zeros((ne, nq)), np.zeros((ne, nq)), np.zeros((ne, nq)), np.zeros((ne, nq)))


@nb.njit(cache=True, parallel=True, error_model="numpy")
def conductance_grid(
    energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """BTK integrand on the grid ``energies[i], qs[i, j]`` (points of zero weight are skipped),
    in parallel over the energies (numba prange; each thread reuses one workspace per energy).

    Returns a :data:`GridSums` of ``(nE, nq)`` arrays.
    """
    ne, nq = qs.shape
    sums = _new_sums(ne, nq)
    andreev, normal, n_in, violation = sums.andreev, sums.normal, sums.n_in, sums.violation
    for ie in nb.prange(ne):
        _grid_row(
            ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
            ktol, andreev, normal, n_in, violation, new_workspace(hc.shape[2], order),
            np.empty_like(hc),
        )  # fmt: skip
    return sums


@nb.njit(cache=True, error_model="numpy")
def conductance_grid_serial(
    energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width, ktol
):  # pragma: no cover - compiled
    """:func:`conductance_grid` on one thread: small grids, where starting the thread pool
    costs more than it saves."""
    ne, nq = qs.shape
    sums = _new_sums(ne, nq)
    for ie in range(ne):
        _grid_row(
            ie, energies, qs, weights, hc, order, mu, mu_s, gap, phase, bkind, bmat, vb, width,
            ktol, sums.andreev, sums.normal, sums.n_in, sums.violation,
            new_workspace(hc.shape[2], order), np.empty_like(hc),
        )  # fmt: skip
    return sums
