"""Transverse-momentum quadrature for the BTK sum (plain numpy).

The sum over transverse channels becomes ``(W / 2 pi) int dq`` for a junction of width W. At
each energy the integrand vanishes outside the incoming electrons' Fermi contour
``|q| <= q_max(E)`` and has square-root kinks where a mode opens (the hole's critical angle,
the superconductor's quasiparticle contours). The interval is split at those critical momenta
and every panel ``[a, b]`` uses Gauss-Legendre nodes in ``s`` with
``q = (a + b)/2 + (b - a)/2 sin(s)``, ``s in (-pi/2, pi/2)``, which turns the square-root
edges into smooth behaviour, so the quadrature converges fast (exponentially for Beenakker's
graphene integrand, whose kinks are all breakpoints).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.special

__all__ = ["transverse_grid"]


@cache
def _gauss_sine(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u in (-1, 1) and weights of int_{-1}^{1} f(u) du with u = sin(s)."""
    x, w = scipy.special.roots_legendre(n)
    s = 0.5 * np.pi * x
    return np.sin(s), 0.5 * np.pi * w * np.cos(s)


def transverse_grid(q_max: np.ndarray, breakpoints: np.ndarray, n_modes: int):
    """Nodes and weights ``(q, w)``, each ``(nE, n_modes)``, on ``[-q_max, q_max]`` per energy.

    ``breakpoints`` ``(nE, K)`` are critical |q| values (NaN where absent); those inside
    ``(0, q_max)`` split the interval symmetrically. Energies with no open channel
    (q_max NaN or 0) get zero weights.
    """
    q_max = np.asarray(q_max, dtype=float)
    ne = q_max.size
    qs = np.zeros((ne, n_modes))
    ws = np.zeros((ne, n_modes))
    for i in range(ne):
        qm = q_max[i]
        if not (np.isfinite(qm) and qm > 0):
            continue
        b = breakpoints[i]
        b = np.unique(b[np.isfinite(b) & (b > 1e-9 * qm) & (b < qm * (1 - 1e-9))])
        edges = np.concatenate([-qm[None], -b[::-1], b, qm[None]])
        lengths = np.diff(edges)
        npanel = lengths.size
        counts = np.maximum(4, np.floor(n_modes * lengths / (2 * qm)).astype(int))
        while counts.sum() > n_modes and counts.max() > 4:
            counts[np.argmax(counts)] -= 1
        counts[np.argmax(lengths)] += n_modes - counts.sum()
        if counts.min() < 1:
            raise ValueError(f"n_modes={n_modes} is too small for {npanel} quadrature panels")
        pos = 0
        for p in range(npanel):
            u, wu = _gauss_sine(int(counts[p]))
            half = 0.5 * lengths[p]
            mid = edges[p] + half
            qs[i, pos : pos + counts[p]] = mid + half * u
            ws[i, pos : pos + counts[p]] = half * wu
            pos += counts[p]
    return qs, ws
