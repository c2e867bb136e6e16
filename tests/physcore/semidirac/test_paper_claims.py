"""The claims of H. Li, X. Hu and G. Ouyang, arXiv:2101.01333, checked against the exact solution.

Parameters (hbar = 1): SemiDirac(mass=1, velocity=1, delta=0), gap = 1, mu_N = 10 unless
stated. Where the exact solution does more than the paper says, the test pins the physics.
"""

import numpy as np
import pytest

from physcore import semidirac
from physcore.semidirac import analytic

MODEL = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)


def test_linear_axis_conductance_oscillates_without_decay():
    """Along the linear axis G(chi) is pi-periodic: over 3.5 periods every period has the same
    maximum and minimum (to 1e-10) and the oscillation does not shrink."""
    chis = np.linspace(0.0, 3.5 * np.pi, 43)
    g = np.array([
        semidirac.NSJunction(MODEL, "linear", mu=10.0, gap=1.0, barrier=semidirac.ThinBarrier(c))
        .conductance([0.5], n_q=80).values[0]
        for c in chis
    ])  # fmt: skip
    per_period = 12  # chis[12] - chis[0] = pi
    np.testing.assert_allclose(g[per_period:], g[:-per_period], atol=1e-10)
    for start in range(0, 3 * per_period, per_period):
        assert np.ptp(g[start : start + per_period + 1]) > 0.02


@pytest.mark.parametrize("energy, expected", [(0.2, "retro"), (0.45, "retro"),
                                              (0.55, "specular"), (0.8, "specular")])  # fmt: skip
def test_linear_axis_retro_to_specular_at_mu(energy, expected):
    """mu_N = 0.5 < gap: the hole comes from the conduction band for eV < mu_N (retro) and
    from the valence band for eV > mu_N (specular)."""
    junction = semidirac.NSJunction(MODEL, "linear", mu=0.5, gap=1.0, U0=20.0)
    q_max = MODEL.fermi_q_extent([0.5 + energy], 0.0)[0, 0]
    res = junction.scattering(energy, 0.15 * q_max)
    assert res.andreev_type == (expected,)
    hole = res.reflected_species.index("hole")
    sign = -1 if expected == "retro" else 1
    assert np.sign(res.reflection_angle[hole]) == sign * np.sign(res.incidence_angle[0])
    assert res.andreev_probability[0] > 0.1


def test_quadratic_axis_decays_with_fermi_momentum_mismatch():
    """G_NS/G_NN at eV = 0 falls monotonically with U0 along the quadratic axis, while along the
    linear axis it saturates (Klein-like transmission of the linear direction)."""
    u0s = [0.0, 10.0, 30.0, 100.0, 300.0, 1000.0]

    def g0(orientation, U0):
        junction = semidirac.NSJunction(MODEL, orientation, mu=10.0, gap=1.0, U0=U0)
        return junction.conductance([0.0], n_q=100).values[0]

    quadratic = np.array([g0("quadratic", u) for u in u0s])
    linear = np.array([g0("linear", u) for u in u0s])
    assert np.all(np.diff(quadratic) < 0)
    assert quadratic[-1] < 0.15 * quadratic[0]
    assert linear.min() > 0.85 * linear[0]


def test_quadratic_axis_delta_barrier_resonance():
    """What the exact solution gives along the quadratic axis: G(Z) is not monotonic.

    There h2 = sigma_x / 2m, so the delta barrier's jump condition [psi'] = 2 m Z v_F sigma_x psi
    is repulsive in the sigma_x = +1 pseudo-spin channel and attractive in the sigma_x = -1
    (negative-mass) channel, which binds a state at the barrier. Its resonance lifts G near
    Z = 1 before the overall decay with barrier strength sets in (the paper reports only the
    decay).
    """

    def g(Z):
        junction = semidirac.NSJunction(
            MODEL, "quadratic", mu=10.0, gap=1.0, barrier=semidirac.DeltaBarrier(Z)
        )
        return junction.conductance([0.5], n_q=100).values[0]

    g05, g1, g15, g3, g5 = (g(z) for z in (0.5, 1.0, 1.5, 3.0, 5.0))
    assert g1 > g05 + 0.5 and g1 > g15 + 0.5  # resonance near Z = 1
    assert g5 < g3 < g15  # decay at strong barriers


def _quadratic_g(Z, doping_ratio, mu):
    junction = semidirac.NSJunction(
        MODEL, "quadratic", mu=mu, gap=1.0, U0=doping_ratio * mu,
        barrier=semidirac.DeltaBarrier(Z),
    )  # fmt: skip
    return junction.conductance([0.5], n_q=64).values[0]


@pytest.mark.parametrize("doping_ratio", [0.0, 1.0, 3.0, 10.0])
def test_barrier_resonance_follows_the_bound_state(doping_ratio):
    """The peak of G(Z) sits where the negative-mass channel's barrier-bound state says,
    Z_res = (1 + sqrt(1 + U0/mu)) / 2 (:func:`analytic.quadratic_barrier_resonance`), moving to
    larger Z as U0 grows. mu = 40 gap keeps the gap/mu and eV/mu corrections below the
    resolution asked for: 0.01 in Z, a fifth of the narrowest peak's full width (0.05)."""
    predicted = analytic.quadratic_barrier_resonance(doping_ratio)
    coarse = np.arange(0.6, predicted + 0.6, 0.01)  # the whole range beyond Z = 0.6
    g = np.array([_quadratic_g(z, doping_ratio, 40.0) for z in coarse])
    i = int(np.argmax(g))
    assert 0 < i < coarse.size - 1  # an interior maximum: the resonance
    fine = np.linspace(coarse[i] - 0.01, coarse[i] + 0.01, 11)
    g_fine = np.array([_quadratic_g(z, doping_ratio, 40.0) for z in fine])
    peak = fine[int(np.argmax(g_fine))]
    assert abs(peak - predicted) <= 0.01, (peak, predicted)
    assert g_fine.max() > 1.5 * g[0]  # a peak, not a shoulder


@pytest.mark.parametrize("doping_ratio", [300.0])
def test_heavy_doping_decays_monotonically_in_z(doping_ratio):
    """Heavy doping, the regime of the paper's abstract: Z_res = 9.2 lies beyond Z = 5, and G
    decreases strictly over Z in [0, 5] (the bound-state resonance leaves [0, 5] for
    U0/mu > 80)."""
    assert analytic.quadratic_barrier_resonance(doping_ratio) > 5.5
    zs = np.linspace(0.0, 5.0, 101)
    g = np.array([_quadratic_g(z, doping_ratio, 10.0) for z in zs])
    assert np.all(np.diff(g) < 0), float(np.diff(g).max())
    assert g[-1] < 0.8 * g[0]
