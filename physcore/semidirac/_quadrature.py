"""Transverse-momentum quadrature for the BTK sum.

The sum over transverse channels becomes ``(W / 2 pi) int dq`` for a junction of width W. At
each energy the integrand vanishes outside the incoming electrons' Fermi contour
``|q| <= q_max(E)`` and has square-root kinks where a mode opens (the hole's critical angle,
the superconductor's quasiparticle contours). The interval is split at those critical momenta;
each panel ``[a, b]`` is mapped by ``q = (a + b)/2 + (b - a)/2 sin(s)``, ``s in (-pi/2, pi/2)``,
which turns square-root edges into smooth behaviour, and is integrated in ``s`` by a composite
8-point Gauss-Legendre rule. Blocks of 8 nodes are shared out in proportion to panel length
(at least one per panel), so the quadrature converges fast (exponentially for Beenakker's
graphene integrand, whose kinks are all breakpoints).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["transverse_grid", "RULE"]

RULE = 8  # nodes per Gauss-Legendre block
_X, _W = np.polynomial.legendre.leggauss(RULE)


@nb.njit(cache=True)
def _grid(q_max, breakpoints, n_blocks, gx, gw, qs, ws):  # pragma: no cover - compiled
    ne = q_max.shape[0]
    nb_ = breakpoints.shape[1]
    rule = gx.shape[0]
    for i in range(ne):
        qm = q_max[i]
        if not (np.isfinite(qm) and qm > 0):
            continue
        # critical momenta strictly inside (0, q_max), sorted and deduplicated
        inner = np.empty(nb_)
        count = 0
        for j in range(nb_):
            b = breakpoints[i, j]
            if np.isfinite(b) and b > 1e-9 * qm and b < qm * (1 - 1e-9):
                inner[count] = b
                count += 1
        inner = np.sort(inner[:count])
        edges = np.empty(2 * count + 2)
        edges[0] = -qm
        npt = 1
        for j in range(count - 1, -1, -1):
            if npt == 1 or abs(-inner[j] - edges[npt - 1]) > 1e-12 * qm:
                edges[npt] = -inner[j]
                npt += 1
        for j in range(count):
            if abs(inner[j] - edges[npt - 1]) > 1e-12 * qm:
                edges[npt] = inner[j]
                npt += 1
        edges[npt] = qm
        npt += 1
        npanel = npt - 1
        blocks = np.empty(npanel, np.int64)
        total = 0
        for p in range(npanel):
            blocks[p] = max(1, int(n_blocks * (edges[p + 1] - edges[p]) / (2 * qm)))
            total += blocks[p]
        while total < n_blocks:  # hand out what rounding left to the longest panels per block
            best, best_len = 0, -1.0
            for p in range(npanel):
                per_block = (edges[p + 1] - edges[p]) / blocks[p]
                if per_block > best_len:
                    best, best_len = p, per_block
            blocks[best] += 1
            total += 1
        pos = 0
        for p in range(npanel):
            half = 0.5 * (edges[p + 1] - edges[p])
            mid = edges[p] + half
            width = np.pi / blocks[p]  # s-interval per block
            for blk in range(blocks[p]):
                s0 = -0.5 * np.pi + blk * width
                for r in range(rule):
                    s = s0 + 0.5 * width * (gx[r] + 1.0)
                    qs[i, pos] = mid + half * np.sin(s)
                    ws[i, pos] = half * np.cos(s) * 0.5 * width * gw[r]
                    pos += 1


def transverse_grid(q_max: np.ndarray, breakpoints: np.ndarray, n_q: int):
    """Nodes and weights ``(q, w)`` per energy on ``[-q_max, q_max]``, shape ``(nE, M)``.

    ``breakpoints`` ``(nE, K)`` are critical |q| values (NaN where absent); those inside
    ``(0, q_max)`` split the interval symmetrically. ``n_q`` is rounded up to whole
    blocks of :data:`RULE` nodes; a row uses ``RULE * max(n_blocks, number of panels)``
    nodes and the rest of it (up to ``M``) has zero weight, as do energies with no open
    channel (q_max NaN or 0).
    """
    q_max = np.ascontiguousarray(q_max, dtype=float)
    breakpoints = np.ascontiguousarray(breakpoints, dtype=float)
    n_blocks = -(-int(n_q) // RULE)
    width = RULE * (n_blocks + 2 * breakpoints.shape[1] + 1)
    qs = np.zeros((q_max.size, width))
    ws = np.zeros((q_max.size, width))
    _grid(q_max, breakpoints, n_blocks, _X, _W, qs, ws)
    used = np.flatnonzero(ws.any(axis=0))
    m = used[-1] + 1 if used.size else 1
    return qs[:, :m].copy(), ws[:, :m].copy()
