import math

import numpy as np
import pytest

from physcore import semidirac


def test_semidirac_dispersion_linear_and_quadratic_axes():
    m = semidirac.SemiDirac(mass=0.5, velocity=2.0, delta=0.0)
    k = np.linspace(-2, 2, 9)
    # along the linear axis (theta = 0, k_y = 0): E = +- v |k|
    e = m.energies(k, 0.0, theta=0.0)
    np.testing.assert_allclose(e[:, 1], 2.0 * np.abs(k), atol=1e-12)
    # along the quadratic axis (theta = 90 deg): E = +- k^2 / 2m
    e = m.energies(k, 0.0, theta=math.pi / 2)
    np.testing.assert_allclose(e[:, 1], k**2, atol=1e-12)


@pytest.mark.parametrize("theta", [0.0, 0.3, math.pi / 2, 2.0])
def test_semidirac_rotation_preserves_spectrum(theta):
    m = semidirac.SemiDirac(mass=1.3, velocity=0.7, delta=0.4)
    kx, ky = 0.37, -1.1
    # crystal-frame momenta of the transport-frame point (kx, ky)
    ka = kx * math.sin(theta) + ky * math.cos(theta)
    kb = kx * math.cos(theta) - ky * math.sin(theta)
    expected = math.hypot(ka**2 / 2.6 - 0.4, 0.7 * kb)
    np.testing.assert_allclose(m.energies(kx, ky, theta), [-expected, expected], atol=1e-12)


def test_time_reversal_invariant_node():
    for model in [semidirac.SemiDirac(delta=0.3), semidirac.Parabolic(mass=2.0)]:
        for theta in [0.0, 0.8]:
            h = model.hamiltonian(0.4, -0.9, theta)
            hm = model.hamiltonian(-0.4, 0.9, theta)
            np.testing.assert_allclose(h, hm.conj(), atol=1e-14)


def test_first_order_only_along_linear_axis():
    m = semidirac.SemiDirac()
    assert m.is_first_order(0.0)
    assert not m.is_first_order(math.pi / 2)
    assert semidirac.Graphene().is_first_order(0.3)
    assert not semidirac.Parabolic().is_first_order(0.0)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(mass=-1.0), "mass"),
        (dict(velocity=0.0), "velocity"),
        (dict(delta=float("nan")), "delta"),
    ],
)
def test_bad_model_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        semidirac.SemiDirac(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(gap=-1.0), "gap"),
        (dict(mu=float("nan")), "mu"),
        (dict(orientation="diagonal"), "orientation"),
        (dict(mu=1.0, U0=-2.0), "mu \\+ U0"),
        (dict(barrier=0.5), "barrier"),
    ],
)
def test_bad_junction_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        semidirac.NSJunction(semidirac.SemiDirac(), **kwargs)


def test_orientations():
    model = semidirac.SemiDirac()
    assert semidirac.NSJunction(model, "linear").orientation_deg == 0.0
    assert semidirac.NSJunction(model, "quadratic").orientation_deg == 90.0
    assert semidirac.NSJunction(model, 30).theta == pytest.approx(math.pi / 6)
