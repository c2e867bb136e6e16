"""Current conservation R_ee + R_he + T = 1 and agreement with the plain numpy reference."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from physcore import semidirac
from physcore.semidirac._reference import reference_scattering

MODELS = [
    lambda p: semidirac.SemiDirac(mass=p[0], velocity=p[1], delta=p[2]),
    lambda p: semidirac.Graphene(velocity=p[1]),
    lambda p: semidirac.Parabolic(mass=p[0]),
]


def _barrier(kind, strength, width):
    return [
        None,
        semidirac.DeltaBarrier(Z=strength),
        semidirac.ThinBarrier(chi=3 * strength),
        semidirac.RectangularBarrier(height=10 * strength - 5, width=width),
    ][kind]


def assert_conserving(result, tol=1e-10):
    """Every incoming mode: probabilities in [0, 1] and R_ee + R_he + T = 1."""
    for probs in (result.normal_probability, result.andreev_probability):
        assert np.all((probs >= -tol) & (probs <= 1 + tol))
    np.testing.assert_allclose(result.conservation_error, 0.0, atol=tol)


def _log_uniform(low, high):
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: 10.0**x)


#: momenta at and next to the edge of the incoming electrons' contour (grazing channels)
EDGE_FRACTIONS = [1.0, -1.0, 1 - 1e-6, 1 - 1e-9, -(1 - 1e-13), 1 - 2**-52]


# derandomize: the same 150 examples on every run, so CI cannot flake on a new draw. Random
# draws have found precision edges (light masses at grazing incidence, conservation error about
# 1e-10): test_conservation_edge_light_mass_grazing pins one of them with its measured size.
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    model_index=st.integers(0, 2),
    # mass and velocity over six decades each; both signs of delta (two pockets, or a gap)
    model_params=st.tuples(_log_uniform(1e-3, 1e3), _log_uniform(1e-3, 1e3), st.floats(-1, 1)),
    orientation=st.one_of(st.sampled_from([0.0, 90.0]), st.floats(-180.0, 180.0)),
    mu=st.floats(0.8, 20.0),
    gap=st.floats(0.05, 2.0),
    U0=st.floats(0.0, 50.0),
    energy_ratio=st.one_of(st.floats(0.0, 0.98), st.floats(1.02, 3.0)),  # below / above gap
    energy_sign=st.sampled_from([1.0, -1.0]),
    q_fraction=st.one_of(st.floats(-1.0, 1.0), st.sampled_from(EDGE_FRACTIONS)),
    barrier_kind=st.integers(0, 3),
    strength=st.floats(0.0, 1.5),
    width=st.floats(0.05, 3.0),
)
def test_current_conservation_random(
    model_index, model_params, orientation, mu, gap, U0, energy_ratio, energy_sign, q_fraction,
    barrier_kind, strength, width,
):  # fmt: skip
    model = MODELS[model_index](model_params)
    junction = semidirac.NSJunction(
        model, orientation, mu=mu, gap=gap, U0=U0, barrier=_barrier(barrier_kind, strength, width)
    )
    energy = energy_sign * energy_ratio * gap
    q_max = model.fermi_q_extent([mu + energy], junction.theta)[0, 0]
    assume(np.isfinite(q_max) and q_max > 0)  # an incoming electron exists
    try:
        result = junction.scattering(energy, q_fraction * q_max)
    except ValueError as err:  # DeltaBarrier(Z) needs a state at mu and q = 0 to define v_F
        assume("DeltaBarrier(Z) is scaled by the normal region's Fermi velocity" not in str(err))
        raise
    two_pockets = model_index == 0 and abs(mu + energy) < model_params[2]  # q_max: outer edge
    if abs(q_fraction) <= 0.99 and not two_pockets:
        assert result.incoming_momentum.size >= 1  # only a grazing channel may drop out
    assert_conserving(result)


CASES = [
    (semidirac.Parabolic(mass=1.3), 0.0),
    (semidirac.Graphene(velocity=0.8), 0.0),
    (semidirac.SemiDirac(mass=1.2, velocity=0.7, delta=0.2), "linear"),
    (semidirac.SemiDirac(mass=0.8, velocity=1.1, delta=-0.1), "quadratic"),
    (semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.3), 37.0),
]
BARRIERS = [
    None,
    semidirac.DeltaBarrier(Z=0.7),
    semidirac.ThinBarrier(chi=1.1),
    semidirac.RectangularBarrier(height=2.5, width=1.3),
    semidirac.RectangularBarrier(height=40.0, width=3.0),  # thick, deeply evanescent
]


@pytest.mark.parametrize("model, orientation", CASES)
@pytest.mark.parametrize("barrier", BARRIERS)
def test_kernel_matches_numpy_reference(model, orientation, barrier):
    junction = semidirac.NSJunction(model, orientation, mu=3.0, gap=0.8, U0=2.0, barrier=barrier)
    for energy in (0.3, 1.2):
        for q in (0.1, -0.6):
            fast = junction.scattering(energy, q)
            r_ee, r_he, t = reference_scattering(junction, energy, q)
            assert_conserving(fast)
            np.testing.assert_allclose(fast.normal_probability, r_ee, atol=1e-11)
            np.testing.assert_allclose(fast.andreev_probability, r_he, atol=1e-11)
            np.testing.assert_allclose(fast.transmitted_probability, t, atol=1e-11)


def test_thick_barrier_is_stable():
    """A barrier 1000 decay lengths thick: tunnelling vanishes, no overflow, still conserving."""
    model = semidirac.Parabolic(mass=1.0)
    junction = semidirac.NSJunction(
        model, 0, mu=1.0, gap=0.5, barrier=semidirac.RectangularBarrier(height=51.0, width=100.0)
    )
    res = junction.scattering(0.2, 0.3)
    assert_conserving(res)
    assert res.andreev_probability[0] < 1e-300 or res.andreev_probability[0] == 0.0
    assert math.isclose(res.normal_probability[0], 1.0, abs_tol=1e-12)


def test_conservation_edge_light_mass_grazing():
    """A precision edge found by random search: mass and velocity 1e-3, 37 degrees, a grazing
    channel (q = 0.999999 q_max) just above the gap. Conservation holds to 1.1e-10 there, not
    to the 1e-10 of the random test; this pins the edge so that a regression shows."""
    model = semidirac.SemiDirac(mass=1e-3, velocity=1e-3, delta=0.0)
    junction = semidirac.NSJunction(model, 37.0, mu=4.0, gap=2.0, U0=0.0)
    energy = 1.03125 * 2.0
    q_max = model.fermi_q_extent([4.0 + energy], junction.theta)[0, 0]
    result = junction.scattering(energy, 0.999999 * q_max)
    assert np.max(np.abs(result.conservation_error)) < 5e-10
