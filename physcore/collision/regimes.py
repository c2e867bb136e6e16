"""Where the local-approximation error and the inter-qubit correlations move together.

The paper (Tian et al., Entropy 23, 471 (2021)) says "the weaker the quantum correlations
between the subsystems, the more justified the local approximation". Along a coupling sweep
that is a statement about co-movement: where the correlations grow, the error should grow too.
:func:`comovement_regimes` splits a sweep into the stretches of g where the two move in the same
direction and those where they move in opposite directions, so that the claim is reported per
regime instead of as one correlation coefficient over one grid.

What our model gives (resonant qubits, exchange baths, T = 2 / 0.5, ``gamma = J**2 tau``;
regimes measured on sweeps for (tau, J) = (1, 0.5), (1, 0.8), (0.5, 1), (0.2, 1), (0.2, 0.5);
the discord's extrema located by a bounded search for (1, 0.5), (0.5, 1), (0.2, 1), (0.05, 2);
pinned in tests/physcore/collision/test_claims.py for (1, 0.5) and (0.2, 1)):

* ``g < gamma / 2``: together. The discord of the exact steady state peaks at
  ``g = gamma / 2`` (0.499 to 0.501 gamma) while the error keeps rising;
* ``gamma / 2 < g < 1.85 / tau``: opposite. The error rises, the discord falls to a minimum
  at ``g tau = 1.84 to 1.89``: the claim does not hold here (this includes the whole
  continuum regime ``g tau << 1`` above ``gamma / 2``);
* ``1.85 < g tau < 4.8``: together. Both peak near ``g tau = pi`` (peaks at most 0.25 apart in
  ``g tau``, opposite only between the two peaks) and fall after it;
* ``4.8 < g tau < 6.2``: opposite again, up to the next (stroboscopic) peak near 2 pi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Regime", "comovement_regimes", "comovement_fraction"]


@dataclass(frozen=True)
class Regime:
    """A stretch ``[g_start, g_end]`` of a sweep where the trends of the two curves are fixed.

    ``error_trend`` and ``correlation_trend`` are +1 (rising), -1 (falling) or 0 (flat, within
    the tolerance); ``together`` is True when they are equal.
    """

    g_start: float
    g_end: float
    error_trend: int
    correlation_trend: int

    @property
    def together(self) -> bool:
        return self.error_trend == self.correlation_trend


def _trends(values: np.ndarray, rtol: float) -> np.ndarray:
    """Sign of each step of ``values``; steps below ``rtol * max|values|`` count as flat (0)."""
    steps = np.diff(values)
    scale = rtol * float(np.abs(values).max(initial=0.0))
    return np.where(np.abs(steps) <= scale, 0, np.sign(steps)).astype(int)


def _check_sweep(g, error, correlation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g, e, c = (np.asarray(x, dtype=float) for x in (g, error, correlation))
    if g.ndim != 1 or g.size < 2:
        raise ValueError(f"g must be a 1-d array of at least 2 couplings, got shape {g.shape}")
    if e.shape != g.shape or c.shape != g.shape:
        raise ValueError(
            f"error and correlation must have the shape of g {g.shape}, got {e.shape} and {c.shape}"
        )
    if np.any(np.diff(g) <= 0):
        raise ValueError("g must be strictly increasing")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(c))):
        raise ValueError("error and correlation must be finite (drop g = 0, where it is NaN)")
    return g, e, c


def comovement_regimes(g, error, correlation, *, rtol: float = 1e-9) -> list[Regime]:
    """Split a sweep into maximal stretches of constant (error trend, correlation trend).

    Parameters
    ----------
    g : array_like, shape (n,)
        Strictly increasing couplings (energy units).
    error, correlation : array_like, shape (n,)
        The local-approximation error (e.g. the trace distance) and a correlation measure
        (e.g. the discord, bits) at each g.
    rtol : float
        Steps smaller than ``rtol`` times the curve's largest magnitude count as flat.

    Returns
    -------
    list of Regime
        Consecutive, covering ``[g[0], g[-1]]``; a regime's ends are grid points, so a
        boundary is known to within one grid step.
    """
    g, e, c = _check_sweep(g, error, correlation)
    te, tc = _trends(e, rtol), _trends(c, rtol)
    regimes, start = [], 0
    for k in range(1, te.size + 1):
        if k == te.size or (te[k], tc[k]) != (te[start], tc[start]):
            regimes.append(Regime(float(g[start]), float(g[k]), int(te[start]), int(tc[start])))
            start = k
    return regimes


def comovement_fraction(g, error, correlation, *, rtol: float = 1e-9) -> float:
    """Fraction of the g range (by length) on which error and correlation move together."""
    regimes = comovement_regimes(g, error, correlation, rtol=rtol)
    total = regimes[-1].g_end - regimes[0].g_start
    return sum(r.g_end - r.g_start for r in regimes if r.together) / total
