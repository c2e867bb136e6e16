"""Known limits: Beenakker's graphene NS junction, BTK, the thin-barrier period."""

import numpy as np
import pytest

from physcore import semidirac
from physcore.semidirac import analytic

GAP = 1.0


def graphene_junction(mu, U0, barrier=None):
    return semidirac.NSJunction(
        semidirac.Graphene(velocity=1.0), 0.0, mu=mu, gap=GAP, U0=U0, barrier=barrier
    )


@pytest.mark.parametrize("mu", [0.0, 0.5, 10.0])
def test_beenakker_conductance(mu):
    """G/G_0 of Beenakker's formula (PRL 97, 067007) to 1e-6 at U0/max(E_F, gap) = 1e7."""
    junction = graphene_junction(mu, 1e7 * max(mu, GAP))
    bias = np.array([1e-6, 0.2, 0.45, 0.8, 1.3])
    g = junction.conductance(bias, normalize="channels", n_q=200)
    reference = [analytic.beenakker_conductance(e, mu, GAP) for e in bias]
    np.testing.assert_allclose(g.values, reference, atol=1e-6, rtol=0)


def test_beenakker_reference_values():
    """The published landmarks: G/G_0 = 4/3 at eV = 0 for E_F >> gap, 2 at E_F = 0, and
    G = 0 at eV = E_F (the hole sits at the Dirac point and cannot propagate)."""
    g = graphene_junction(1e3, 1e10).conductance([0.0], normalize="channels", n_q=200)
    assert g.values[0] == pytest.approx(4 / 3, abs=2e-3)  # Andreev corrections O(gap/E_F)
    g0 = graphene_junction(0.0, 1e7).conductance([1e-6], normalize="channels", n_q=200)
    assert g0.values[0] == pytest.approx(2.0, abs=1e-6)
    g1 = graphene_junction(0.5, 1e7).conductance([0.5], normalize="channels", n_q=200)
    assert abs(g1.values[0]) < 1e-6


def test_beenakker_approach_in_doping():
    """Per-angle probabilities approach Beenakker's U0 -> inf amplitudes as 1/U0."""
    mu, energy = 2.0, 0.3
    errors = []
    for U0 in (1e2, 1e3, 1e4, 1e6):
        junction = graphene_junction(mu, U0)
        worst = 0.0
        for q in (0.3, -0.9, 1.5, 2.1):  # the last one: evanescent hole
            res = junction.scattering(energy, q)
            _, _, r_ee, r_he = analytic.beenakker_amplitudes(energy, q, mu, GAP)
            worst = max(worst, abs(res.normal_probability[0] - r_ee))
            worst = max(worst, abs(res.andreev_probability[0] - r_he))
        errors.append(worst)
    ratios = np.array(errors[:2]) / np.array(errors[1:3])
    np.testing.assert_allclose(ratios, 10.0, rtol=0.2)  # error ~ 1/U0
    assert errors[-1] < 1e-6


@pytest.mark.parametrize("Z", [0.0, 0.3, 1.0, 2.5, 5.0])
def test_btk_normal_incidence(Z):
    """Parabolic 2DEG, q = 0, mu/gap = 1e8: BTK's A and B (Andreev limit) to 1e-6."""
    model = semidirac.Parabolic(mass=1.0)
    junction = semidirac.NSJunction(
        model, 0.0, mu=1e8, gap=GAP, barrier=semidirac.DeltaBarrier(Z=Z)
    )
    energies = np.array([0.0, 0.3, 0.7, 0.99, 1.0, 1.01, 1.5, 3.0])  # 1.0: the gap edge
    andreev = [junction.scattering(e, 0.0).andreev_probability[0] for e in energies]
    normal = [junction.scattering(e, 0.0).normal_probability[0] for e in energies]
    a_ref, b_ref = analytic.btk_probabilities(energies, GAP, Z)
    np.testing.assert_allclose(andreev, a_ref, atol=1e-6)
    np.testing.assert_allclose(normal, b_ref, atol=1e-6)
    # G_NS(0) / G_N = 2 (1 + Z^2) / (1 + 2 Z^2)^2
    g_ns = 1 - normal[0] + andreev[0]
    g_n = 1 - junction.normal_state().scattering(0.0, 0.0).normal_probability[0]
    assert g_ns / g_n == pytest.approx(analytic.btk_zero_bias_ratio(Z), abs=1e-6)


@pytest.mark.parametrize(
    "model, orientation",
    [(semidirac.Graphene(velocity=1.0), 0.0), (semidirac.SemiDirac(), "linear")],
)
def test_thin_barrier_pi_periodic(model, orientation):
    """First-order transport direction: G(chi + pi) = G(chi) (Bhattacharjee and Sengupta)."""
    bias = [0.0, 0.5, 1.5]

    def g(chi):
        j = semidirac.NSJunction(
            model, orientation, mu=10.0, gap=GAP, barrier=semidirac.ThinBarrier(chi)
        )
        return j.conductance(bias, n_q=100).values

    base = g(0.4)
    np.testing.assert_allclose(g(0.4 + np.pi), base, atol=1e-10)
    assert np.max(np.abs(g(0.4 + np.pi / 2) - base)) > 1e-3  # it does vary within a period


def test_thin_barrier_oscillation_vanishes_for_heavy_doping():
    """Graphene with U0/E_F = 1e6: G(chi) is flat to 1e-5 over a period; at U0 = 0 it is not."""
    chis = np.linspace(0.0, np.pi, 7)

    def spread(U0):
        gs = [
            graphene_junction(10.0, U0, semidirac.ThinBarrier(chi))
            .conductance([0.3], n_q=100)
            .values[0]
            for chi in chis
        ]
        return np.ptp(gs)

    assert spread(1e7) < 1e-5
    assert spread(0.0) > 1e-2
