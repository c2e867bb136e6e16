"""comovement_regimes on curves whose regimes are known."""

import numpy as np
import pytest

from physcore.collision.regimes import comovement_fraction, comovement_regimes


def test_regimes_of_known_curves():
    g = np.linspace(0.0, 2 * np.pi, 401)
    error = g.copy()  # always rising
    correlation = np.sin(g)  # rises to pi/2, falls to 3 pi/2, rises again
    regimes = comovement_regimes(g, error, correlation)
    assert [r.together for r in regimes] == [True, False, True]
    assert regimes[0].g_end == pytest.approx(np.pi / 2, abs=g[1])
    assert regimes[1].g_end == pytest.approx(3 * np.pi / 2, abs=g[1])
    assert (regimes[0].g_start, regimes[-1].g_end) == (0.0, 2 * np.pi)
    assert comovement_fraction(g, error, correlation) == pytest.approx(0.5, abs=2 * g[1])
    flat = comovement_regimes(g, np.ones_like(g), np.ones_like(g) + 1e-14 * g)
    assert [(r.error_trend, r.correlation_trend) for r in flat] == [(0, 0)]


def test_regime_input_errors():
    with pytest.raises(ValueError, match="increasing"):
        comovement_regimes([0.0, 0.0, 1.0], [1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="shape of g"):
        comovement_regimes([0.0, 1.0], [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        comovement_regimes([0.0, 1.0], [np.nan, 2], [1, 2])
