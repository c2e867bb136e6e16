"""Mode matching where it used to fail (issue 10, items 2 and 3): light masses and fast
velocities at generic angles, the edge of the Fermi contour (grazing channels), and energies
E = +-mu where the hole (or electron) sits at a node."""

import numpy as np
import pytest

from physcore import semidirac
from physcore.semidirac._reference import reference_scattering

TOL = 1e-10


def _junction(orientation, **model):
    """The curve benchmark's junction (mu = 10 gap, thin barrier) with another model."""
    return semidirac.NSJunction(
        semidirac.SemiDirac(**model),
        orientation,
        mu=10.0,
        gap=1.0,
        barrier=semidirac.ThinBarrier(chi=0.5),
    )


def _q_max(junction, energy):
    return junction.model.fermi_q_extent([junction.mu + energy], junction.theta)[0, 0]


def _assert_conserving(result):
    assert np.all(np.isfinite(result.conservation_error))
    np.testing.assert_allclose(result.conservation_error, 0.0, atol=TOL)
    for probs in (result.normal_probability, result.andreev_probability):
        assert np.all((probs >= -TOL) & (probs <= 1 + TOL))


@pytest.mark.parametrize(
    "model",
    # before: violations 6e-3 and 0.5, then all NaN (mu / (m v^2) = 1e4 ... 1e9 and 1e-15)
    [{"mass": 1e-3}, {"mass": 1e-4}, {"mass": 1e-8}, {"velocity": 1e8}],
)
def test_conductance_conserves_current_for_light_mass_and_fast_velocity(model):
    junction = _junction(45.0, **model)
    bias = np.linspace(0.0, 2.0, 20)  # not at |E| = gap (evaluated just below the edge)
    g = junction.conductance(bias, normalize="channels", n_q=64)
    assert np.all(np.isfinite(g.values))
    assert g.attrs["max_current_violation"] < TOL


@pytest.mark.parametrize("orientation", [30.0, 45.0, 60.0])
def test_light_mass_agrees_with_the_numpy_reference(orientation):
    """m = 1e-3 (mu / (m v^2) = 1e4), where the plain eigen-solver reference is still
    accurate to ~1e-11: the shifted frame changes nothing but the rounding."""
    junction = _junction(orientation, mass=1e-3)
    for energy in (0.4, 1.6):
        q_max = _q_max(junction, energy)
        for fraction in (0.2, -0.7, 0.95):
            fast = junction.scattering(energy, fraction * q_max)
            r_ee, r_he, t = reference_scattering(junction, energy, fraction * q_max)
            _assert_conserving(fast)
            np.testing.assert_allclose(fast.normal_probability, r_ee, atol=1e-8)
            np.testing.assert_allclose(fast.andreev_probability, r_he, atol=1e-8)
            np.testing.assert_allclose(fast.transmitted_probability, t, atol=1e-8)


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_probabilities_are_unit_covariant_over_decades(scale):
    """h(k; m, v) = h(k / s; m s^2, v / s): the same junction in other momentum units gives the
    same probabilities at q * s (a check across six decades of mass and three of velocity)."""
    base = _junction(45.0, mass=1e-3, velocity=1.0)
    scaled = _junction(45.0, mass=1e-3 * scale**2, velocity=1.0 / scale)
    for energy in (0.3, 1.4):
        q_max = _q_max(base, energy)
        for fraction in (0.1, -0.6, 0.93, 1 - 1e-9):
            a = base.scattering(energy, fraction * q_max)
            b = scaled.scattering(energy, fraction * q_max * scale)
            _assert_conserving(b)
            np.testing.assert_allclose(a.andreev_probability, b.andreev_probability, atol=1e-9)
            np.testing.assert_allclose(a.normal_probability, b.normal_probability, atol=1e-9)


@pytest.mark.parametrize("orientation", [0.0, 30.0, 45.0, 60.0, 90.0])
@pytest.mark.parametrize("energy", [0.0, 0.5, 1.5])
def test_contour_edge(orientation, energy):
    """q at, just inside and just outside q_max: before, RuntimeError or violations up to
    2.85 at q_max and 1.9e-2 at q_max (1 - 1e-9). A grazing channel carries no current: it
    may drop out of the incoming modes, and the others still conserve current."""
    junction = _junction(orientation)
    q_max = _q_max(junction, energy)
    results = {}
    for fraction in (1 - 1e-6, 1 - 1e-9, 1 - 1e-12, 1.0, 1 + 1e-12):
        result = junction.scattering(energy, fraction * q_max)
        _assert_conserving(result)
        results[fraction] = result
    for fraction in (1 - 1e-6, 1 - 1e-9):  # inside the contour, above the grazing speed
        assert results[fraction].incoming_momentum.size == 1
    # continuous up to the edge: R_ee(q) varies like sqrt(q_max - q)
    near, nearer = results[1 - 1e-6], results[1 - 1e-9]
    assert abs(near.normal_probability[0] - nearer.normal_probability[0]) < 1e-2


def test_grazing_double_root_is_no_incoming_channel():
    """A 2DEG at |q| = sqrt(2 m mu) exactly: the incoming and reflected electrons coincide
    with zero velocity; no channel, no error (before: 'mode matching failed')."""
    junction = semidirac.NSJunction(semidirac.Parabolic(mass=0.5), 0.0, mu=4.0, gap=0.5)
    result = junction.scattering(0.0, 2.0)  # q_max = sqrt(2 * 0.5 * 4) = 2 exactly
    assert result.incoming_momentum.size == 0
    inside = junction.scattering(0.0, 2.0 * (1 - 1e-6))
    assert inside.incoming_momentum.size == 1
    _assert_conserving(inside)


@pytest.mark.parametrize("orientation", ["linear", "quadratic", 45.0])
@pytest.mark.parametrize("delta", [0.0, 0.3])
@pytest.mark.parametrize("energy", [10.0, -10.0])
def test_node_energy(orientation, delta, energy):
    """E = +-mu puts the hole (electron) at the node energy: a Dirac crossing (modes: the
    velocity eigenvectors) or, along the quadratic axis at q = 0, the semi-Dirac node (the
    bounded solutions are the constant spinors, carrying no current). Before: RuntimeError."""
    junction = semidirac.NSJunction(
        semidirac.SemiDirac(delta=delta),
        orientation,
        mu=10.0,
        gap=1.0,
        barrier=semidirac.ThinBarrier(chi=0.5),
    )
    for q in (0.0, 1e-9, np.sqrt(2 * delta)):  # the last one: a Dirac point when delta > 0
        _assert_conserving(junction.scattering(energy, q))
    if orientation == "quadratic" and delta == 0.0 and energy > 0:
        # the hole at the node is evanescent for every q != 0 and carries nothing at q = 0
        assert junction.scattering(energy, 0.0).andreev_probability[0] == pytest.approx(0.0)


@pytest.mark.parametrize("delta", [1.2494659554967908e-166, 1e-30, -1e-24, -1e-30, -1e-166])
@pytest.mark.parametrize("orientation", [90.0, 0.0, 45.0])
def test_negligible_delta_at_the_contour_edge(delta, orientation):
    """Nodes split by less than 1e-10 of the momentum scale, at q = q_max: the four roots form
    one cluster (found by hypothesis: delta = 1.25e-166, 90 degrees, E = 0, q = q_max gave
    'mode matching failed'). They are matched as delta = 0, and the answer is that of delta = 0
    to rounding."""
    for mu, energy in [(1.0, 0.0), (3.0, 0.5)]:
        results = []
        for d in (delta, 0.0):
            model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=d)
            junction = semidirac.NSJunction(model, orientation, mu=mu, gap=1.0)
            q_max = model.fermi_q_extent([mu + energy], junction.theta)[0, 0]
            results.append([junction.scattering(energy, f * q_max) for f in (1.0, 1 - 1e-12)])
        for tiny, zero in zip(*results):
            assert np.abs(tiny.conservation_error).max(initial=0.0) < 1e-10
            np.testing.assert_allclose(
                tiny.andreev_probability, zero.andreev_probability, atol=1e-9
            )
