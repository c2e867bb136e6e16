"""Transverse quadrature at generic orientation angles (issue 10, item 1).

The q-integral is split where a channel opens or closes. At a generic angle these momenta are
the tangent points of the constant-energy contour with the lines k_y = q, which
:meth:`SemiDirac.fermi_q_extent` computes in closed form; the tests check them against a brute
count of the real k_x roots of det(h(k_x, q) - eps) and the conductance against a converged
reference.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from physcore import semidirac


def _channel_counts(model, theta, eps, qs):
    """Number of k_x with E_+(k_x, q) = eps > 0 on a fine k_x grid (sign changes), per q.

    A check independent of the closed form: the upper band of the semi-Dirac node is
    ``sqrt((k_a**2/2m - delta)**2 + v**2 k_b**2)`` in crystal momenta.
    """
    m, v, d = model.mass, model.velocity, model.delta
    c, s = math.cos(theta), math.sin(theta)
    reach = math.sqrt(2 * m * max(d + eps, 0.0)) + eps / v  # |k| on the contour is below this
    kx = np.linspace(-2 * reach, 2 * reach, 20001)
    counts = np.empty(qs.size, int)
    for i, q in enumerate(qs):
        ka, kb = kx * s + q * c, kx * c - q * s
        above = np.hypot(ka**2 / (2 * m) - d, v * kb) > eps
        counts[i] = np.count_nonzero(np.diff(above))
    return counts


@pytest.mark.slow
@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    log_mass=st.floats(-1.5, 1.5),
    log_velocity=st.floats(-1.5, 1.5),
    delta_over_eps=st.floats(-1.5, 3.0),
    theta=st.floats(0.02, math.pi - 0.02).filter(lambda t: abs(t - math.pi / 2) > 0.02),
)
def test_breaks_bracket_every_change_of_the_channel_count(
    log_mass, log_velocity, delta_over_eps, theta
):
    """Every q where the number of real k_x roots changes is one of the critical momenta."""
    eps = 1.0
    model = semidirac.SemiDirac(
        mass=10**log_mass, velocity=10**log_velocity, delta=delta_over_eps * eps
    )
    breaks = model.fermi_q_extent([eps], theta)[0]
    breaks = breaks[np.isfinite(breaks)]
    q_max = breaks.max() if breaks.size else 0.0
    assert breaks.size == 0 or q_max == breaks[0]  # q_max comes first
    top = 1.2 * q_max if q_max > 0 else 1.0
    qs = np.linspace(0.0, top, 601)[1:]
    counts = _channel_counts(model, theta, eps, qs)
    assert counts[-1] == 0  # beyond q_max no channel
    step = qs[1] - qs[0]
    for i in np.flatnonzero(np.diff(counts)):
        assert np.any(np.abs(breaks - 0.5 * (qs[i] + qs[i + 1])) <= step), (qs[i], breaks)


def test_q_max_is_the_contour_extent():
    """q_max equals the largest |k_y| on a densely sampled contour (two pockets, 45 deg)."""
    model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=2.0)
    theta = math.radians(45)
    t = np.linspace(0, 2 * math.pi, 200001)
    ka = np.sqrt(2 * (2.0 + np.cos(t)))
    kb = np.sin(t)
    extent = np.max(np.abs(ka * math.cos(theta) - kb * math.sin(theta)))
    breaks = model.fermi_q_extent([1.0], theta)[0]
    assert breaks[0] == pytest.approx(extent, rel=1e-9)
    assert np.isfinite(breaks[1])  # the two pockets' inner tangent point


@pytest.mark.parametrize(
    "orientation, delta, gap",
    [(45.0, 2.0, 0.0), (45.0, 2.0, 0.5), (30.0, 2.0, 0.5), (60.0, -0.3, 0.5), (120.0, 0.6, 0.5)],
)
def test_generic_angle_conductance_converges(orientation, delta, gap):
    """The default quadrature (400 momenta) agrees with 3200 to 1e-6 relative in G: the
    issue's case, SemiDirac(delta=2) at 45 degrees and mu = 1, was off by 5.5e-3."""
    junction = semidirac.NSJunction(semidirac.SemiDirac(delta=delta), orientation, mu=1.0, gap=gap)
    bias = [-0.9, -0.3, 0.2, 0.95]
    default = junction.conductance(bias, normalize="none").values
    reference = junction.conductance(bias, normalize="none", n_q=3200).values
    np.testing.assert_allclose(default, reference, rtol=1e-6, atol=0)
