"""scattering(E, q) vouches for its probabilities: a current-conservation violation above 1e-6
warns, above 1e-2 (or a failed mode matching) raises ValueError naming the point."""

import numpy as np
import pytest

from physcore import semidirac as sd
from physcore.semidirac import _kernels


@pytest.fixture
def junction():
    model = sd.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
    return sd.NSJunction(model, "linear", mu=10.0, gap=1.0, barrier=sd.ThinBarrier(chi=0.5))


def _perturbed(monkeypatch, shift=0.0, status=None):
    """Make the kernel's normal-reflection probability off by ``shift`` (or its status fail)."""
    real = _kernels.scatter_point

    def fake(*args):
        point = real(*args)  # a named ScatterPoint: fields by name, never by position
        point = point._replace(normal=point.normal + shift)
        if status is not None:
            point = point._replace(status=status)
        return point

    monkeypatch.setattr(_kernels, "scatter_point", fake)


def test_conserving_point_is_silent(junction, recwarn):
    result = junction.scattering(0.5, 0.0)
    assert np.abs(result.conservation_error).max() < 1e-10
    assert not [w for w in recwarn if issubclass(w.category, sd.PrecisionWarning)]


def test_small_violation_warns(junction, monkeypatch):
    _perturbed(monkeypatch, shift=1e-4)
    with pytest.warns(sd.PrecisionWarning, match=r"R_ee \+ R_he \+ T - 1 = 1\.0e-04"):
        result = junction.scattering(0.5, 0.0)
    assert np.abs(result.conservation_error).max() == pytest.approx(1e-4, rel=1e-6)


def test_large_violation_raises(junction, monkeypatch):
    _perturbed(monkeypatch, shift=0.1)
    with pytest.raises(ValueError, match="scattering: parameters out of reach.*energy=0.5, q=0"):
        junction.scattering(0.5, 0.0)


def test_failed_matching_raises_value_error(junction, monkeypatch):
    _perturbed(monkeypatch, status=_kernels.STATUS_OK + 1)
    with pytest.raises(ValueError, match="mode matching failed at energy=0.5, q=0"):
        junction.scattering(0.5, 0.0)
