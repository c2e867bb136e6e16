"""When the semi-Dirac solver cannot vouch for a number: the thresholds, the warning class, and
the checks that warn or raise instead of returning it (no silent wrong answers).

Precision. The scattering probabilities carry absolute rounding errors of the size of
their current-conservation violation (at least the double-precision epsilon), once
per open channel; when G is many orders of magnitude below the number of open
channels (a very strong barrier: G ~ N / Z^4 along a quadratic axis) they are
comparable to G. This bound, propagated to the returned value and divided by it, is
the estimated relative error; a value below 1e-6 of its scale (1 for G/G_N and G/N,
N for ``normalize="none"``) is divided by that 1e-6 instead, so an exact zero is
judged by its absolute error.

At |E| exactly equal to the gap the two quasiparticle branches coincide; that
energy is evaluated at ``E^2 = gap^2 (1 - 1e-15)``, and a second evaluation at
``1 - 4e-15`` bounds the error this costs (G approaches the gap as a square root in
``1 - E^2/gap^2``, on a scale 1/Z^4). Measured (semi-Dirac, mu = 10 gap, quadratic
axis and 45 degrees): below 5e-8 for Z <= 3, 1e-6 at Z = 10, 1e-4 at Z = 100; near
Z = 1000 it exceeds 1e-2 and the value is refused (evaluate just off the gap, where
the coherence peak is resolved)."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "PrecisionWarning",
    "WARN_RELATIVE_ERROR",
    "MAX_RELATIVE_ERROR",
    "check_conductance_precision",
    "check_scattering_conservation",
]

#: estimated relative error of G above which conductance() warns (PrecisionWarning) ...
WARN_RELATIVE_ERROR = 1e-6
#: ... and above which it raises ValueError instead of returning the number
MAX_RELATIVE_ERROR = 1e-2


class PrecisionWarning(RuntimeWarning):
    """A conductance or scattering result is returned, but its estimated error exceeds 1e-6."""


def check_conductance_precision(junction, bias, relative, g, error) -> None:
    """Warn or raise when the estimated relative error of G is large (see conductance)."""
    worst = int(np.argmax(relative))
    if not relative[worst] > WARN_RELATIVE_ERROR:
        return
    detail = (
        f"at bias = {bias[worst]:g} the estimated relative error of G is {relative[worst]:.1e} "
        f"(G = {g[worst]:.3e} e^2/h per width, error bound {error[worst]:.1e}) for {junction!r}"
    )
    if junction.gap > 0 and abs(bias[worst]) == junction.gap:
        detail += (
            ": at |bias| = gap exactly the coherence peak (width ~ gap / Z^4 behind a barrier "
            "of strength Z) is narrower than the solver resolves; evaluate just off the gap"
        )
    else:
        detail += (
            ": rounding in the scattering probabilities (the current-conservation violation "
            "per channel) is comparable to G, which is many orders of magnitude below the "
            "number of open channels, as behind a very strong barrier (lower Z or chi)"
        )
    if relative[worst] > MAX_RELATIVE_ERROR:
        raise ValueError(f"conductance: bias/barrier out of reach: {detail}")
    warnings.warn(f"conductance: precision lost: {detail}", PrecisionWarning, stacklevel=4)


def check_scattering_conservation(junction, result) -> None:
    """Warn above WARN_RELATIVE_ERROR, raise above MAX_RELATIVE_ERROR, when the probabilities
    of one incoming channel violate current conservation (R_ee + R_he + T = 1)."""
    violation = float(np.max(np.abs(result.conservation_error), initial=0.0))
    if not violation > WARN_RELATIVE_ERROR:
        return
    detail = (
        f"R_ee + R_he + T - 1 = {violation:.1e} at energy={result.energy:g}, q={result.q:g} "
        f"for {junction!r}"
    )
    if violation > MAX_RELATIVE_ERROR:
        raise ValueError(f"scattering: parameters out of reach: {detail}")
    warnings.warn(f"scattering: precision lost: {detail}", PrecisionWarning, stacklevel=4)
