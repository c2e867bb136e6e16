"""When the semi-Dirac solver cannot vouch for a number: the thresholds, the warning class, and
the checks that warn or raise instead of returning it (no silent wrong answers)."""

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
