"""Finite temperature and the normalizations of G(eV)."""

import numpy as np
import pytest

from physcore import semidirac

BARRIER = semidirac.DeltaBarrier(1.5)


def _junction(barrier=BARRIER):
    return semidirac.NSJunction(
        semidirac.SemiDirac(), "quadratic", mu=10.0, gap=1.0, U0=5.0, barrier=barrier
    )


def test_thermal_smearing_conserves_area():
    """Convolution with -df/dE keeps the excess-current area int (G_NS - G_NN) dV (both in
    absolute units, normalize="none") and flattens the structure at the gap edge. No barrier,
    so that G has no integrable 1/sqrt(E - gap) peak that a Riemann sum would resolve badly."""
    bias = np.linspace(-5.0, 5.0, 201)
    step = bias[1] - bias[0]
    areas, peaks = [], []
    for temperature in (0.0, 0.2):
        g_ns = _junction(None).conductance(bias, temperature=temperature, normalize="none", n_q=24)
        g_nn = (
            _junction(None)
            .normal_state()
            .conductance(bias, temperature=temperature, normalize="none", n_q=24)
        )
        excess = (g_ns - g_nn).values
        areas.append(np.sum(excess) * step)
        peaks.append(np.max(np.abs(np.diff(excess))))  # steepest slope
        assert g_ns.attrs["temperature"] == temperature
    assert abs(areas[1] - areas[0]) < 0.01 * abs(areas[0])
    assert peaks[1] < 0.5 * peaks[0]


def test_cold_limit_matches_zero_temperature():
    bias = np.array([0.2, 0.5])
    cold = _junction().conductance(bias, n_q=48).values
    tiny = _junction().conductance(bias, temperature=1e-4, n_q=48).values
    np.testing.assert_allclose(tiny, cold, rtol=1e-3)


def test_channels_normalization_of_a_clean_normal_junction():
    """No barrier, no gap, no mismatch: every open channel transmits, G / N(eV) = 1."""
    for orientation in ("linear", "quadratic", 30.0):
        j = semidirac.NSJunction(semidirac.SemiDirac(), orientation, mu=5.0, gap=0.0)
        g = j.conductance([0.0, 0.7], normalize="channels", n_q=64)
        np.testing.assert_allclose(g.values, 1.0, atol=1e-12)


@pytest.mark.parametrize("orientation", ["linear", "quadratic", 30.0])
@pytest.mark.parametrize("delta", [-0.2, 0.0, 0.2])
def test_transverse_quadrature_converges(orientation, delta):
    """The panel quadrature in q (split at the critical momenta) converges: 400 transverse
    momenta agree with 1600 to 1e-6, for gapped, semi-Dirac and two-cone spectra."""
    junction = semidirac.NSJunction(
        semidirac.SemiDirac(delta=delta), orientation, mu=5.0, gap=1.0, U0=3.0, barrier=BARRIER
    )
    bias = [0.0, 0.5, 0.99, 1.3, 2.5]
    coarse = junction.conductance(bias, n_q=400).values
    fine = junction.conductance(bias, n_q=1600).values
    np.testing.assert_allclose(coarse, fine, atol=1e-6)
