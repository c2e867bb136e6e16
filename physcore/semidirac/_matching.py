"""Numba kernels: the mode-matching system at one interface (or a rectangular barrier).

Plain arrays only; the conventions are those of :mod:`._kernels` (barrier kinds) and
:mod:`._modes` (``hq`` = h0, h1, h2 at this q; BdG spinors of length ``dim = 2n``). Each
builder fills ``a`` (unknown amplitudes: the normal region's outgoing modes, then the
barrier's, then the superconductor's) and ``rhs`` (one column per incoming electron), solves
them in place and returns ``(ok, t_offset)``: row ``j`` of the solution is the amplitude of
the normal region's outgoing mode ``i_out[j]``, row ``t_offset + j`` that of the
superconductor's outgoing mode ``i_s[j]``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._linalg import lu_solve
from ._modes import region_modes

__all__ = ["contact_system", "rect_system", "BARRIER_NONE", "BARRIER_JUMP", "BARRIER_TRANSFER",
           "BARRIER_RECT"]  # fmt: skip

BARRIER_NONE = 0
BARRIER_JUMP = 1
BARRIER_TRANSFER = 2
BARRIER_RECT = 3


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


@nb.njit(cache=True, error_model="numpy", inline="always")
def _clear(a, rhs, rows, cols, n_in):
    for r_ in range(rows):
        for c in range(cols):
            a[r_, c] = 0
        for c in range(n_in):
            rhs[r_, c] = 0


@nb.njit(cache=True, error_model="numpy", inline="always")
def _transfer(bmat, psis, m, c, dim, transfer):
    """Component c of ``bmat psis[m]`` (the thin barrier's transfer) or of ``psis[m]``."""
    if not transfer:
        return psis[m, c]
    acc = 0j
    for e in range(dim):
        acc += bmat[c, e] * psis[m, e]
    return acc


@nb.njit(cache=True, error_model="numpy", inline="always")
def contact_system(
    hq, order, degree, n_in, kN, psiN, kS, psiS, idx, bkind, bmat, weighted, a, rhs
):  # pragma: no cover - compiled
    """The matching system of a contact (no barrier, a delta jump or a thin-barrier transfer),
    solved in place; returns ``(ok, t_offset)``. ``kN, psiN`` / ``kS, psiS``: momenta and
    spinors of the normal region's and the superconductor's modes.

    Second order: rows psi, then psi' (weighted: ``(1 (x) h2) psi'``, see :func:`_h2_dot`),
    with ``psi'(0+) - psi'(0-) = bmat psi(0)`` for a jump. First order: rows psi only, with
    ``psi(0+) = bmat psi(0-)`` for a transfer.
    """
    dim = psiN.shape[1]
    rows = order * dim
    _clear(a, rhs, rows, 2 * degree, n_in)
    i_in, i_out, i_s = idx[0], idx[1], idx[2]
    if order == 2:
        for j in range(degree):
            m = i_out[j]
            for c in range(dim):
                a[c, j] = -psiN[m, c]
                a[dim + c, j] = -1j * kN[m] * _row(hq, psiN, m, c, weighted)
        for j in range(degree):
            m = i_s[j]
            col = degree + j
            for c in range(dim):
                a[c, col] = psiS[m, c]
                a[dim + c, col] = 1j * kS[m] * _row(hq, psiS, m, c, weighted)
            if bkind == BARRIER_JUMP:
                _jump_rows(hq, bmat, psiS, m, a, dim, col, weighted)
        for i in range(n_in):
            m = i_in[i]
            for c in range(dim):
                rhs[c, i] = psiN[m, c]
                rhs[dim + c, i] = 1j * kN[m] * _row(hq, psiN, m, c, weighted)
    else:
        transfer = bkind == BARRIER_TRANSFER
        for j in range(degree):
            for c in range(dim):
                a[c, j] = -_transfer(bmat, psiN, i_out[j], c, dim, transfer)
        for j in range(degree):
            for c in range(dim):
                a[c, degree + j] = psiS[i_s[j], c]
        for i in range(n_in):
            for c in range(dim):
                rhs[c, i] = _transfer(bmat, psiN, i_in[i], c, dim, transfer)
    return lu_solve(a, rhs, rows, n_in), degree


@nb.njit(cache=True, error_model="numpy")
def rect_system(
    hq, E, mu, vb, width, order, degree, n_in, normal, superconductor, barrier, idx, scratch,
    ktol, weighted, a, rhs,
):  # fmt: skip  # pragma: no cover - compiled
    """The rectangular barrier's matching system, solved in place; returns
    ``(ok, t_offset)``.

    Barrier modes decaying to the right are normalized at x = 0 and those growing to the
    right at x = width, so every matrix entry is bounded by one and thick barriers stay
    stable (no transfer matrix is ever exponentiated). Row blocks: ``[psi(0); psi'(0);
    psi(d); psi'(d)]`` (second order) or ``[psi(0); psi(d)]``.
    """
    kN, psiN = normal.k, normal.psi
    kS, psiS = superconductor.k, superconductor.psi
    kB, psiB = barrier.k, barrier.psi
    dim = psiN.shape[1]
    nm = 2 * degree
    region_modes(
        hq, degree, E, mu - vb, 0.0, 0.0, kB, psiB, barrier.species, barrier.hint, scratch, ktol
    )
    rows = 2 * order * dim
    _clear(a, rhs, rows, 4 * degree, n_in)
    i_in, i_out, i_s = idx[0], idx[1], idx[2]
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
    return lu_solve(a, rhs, rows, n_in), degree + nm
