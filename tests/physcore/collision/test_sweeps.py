"""Batched fixed points and sweeps against QuTiP and the one-point API."""

import numpy as np
import pytest

from physcore.collision import _batched
from physcore.collision.maps import collision_map
from physcore.collision.steady import collision_steady_state, qutip_fixed_point
from physcore.collision.sweeps import (
    batched_steady,
    coupling_sweep,
    rectification_map,
    sweep_pieces,
)
from physcore.collision.thermo import rectification, steady_thermodynamics


def test_pauli_round_trip_and_transfer_matrix(asymmetric_model):
    rho = collision_steady_state(asymmetric_model).full()
    r = _batched.density_to_pauli(rho)
    assert r[0] == pytest.approx(1.0)
    np.testing.assert_allclose(_batched.pauli_to_density(r), rho, atol=1e-15)
    t = _batched.pauli_transfer_matrices(collision_map(asymmetric_model).full())
    np.testing.assert_allclose(t[0], np.eye(16)[0], atol=1e-14)  # trace preservation
    np.testing.assert_allclose(t @ r, r, atol=1e-13)


@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_batched_fixed_points_agree_with_qutip(asymmetric_model, scheme):
    g = np.array([0.0, 0.35, 1.7, -0.8])
    pieces = sweep_pieces(asymmetric_model, g, scheme)
    temps = [(2.0, 0.5), (0.3, 4.0)]
    p_l = [0.5 * (1 - np.tanh(0.5 * 1.0 / tl)) for tl, _ in temps]
    p_r = [0.5 * (1 - np.tanh(0.5 * 1.3 / tr)) for _, tr in temps]
    res = batched_steady(pieces, p_l, p_r)
    rho = _batched.pauli_to_density(res["pauli"])
    for i, gi in enumerate(g):
        for k, (tl, tr) in enumerate(temps):
            model = asymmetric_model.replace(g=gi, temperature_left=tl, temperature_right=tr)
            ref = qutip_fixed_point(collision_map(model, scheme)).full()
            assert np.abs(rho[i, k] - ref).max() < 1e-10
            t = steady_thermodynamics(model, scheme)
            assert res["heat_left"][i, k] == pytest.approx(t.heat_left, abs=1e-12)
            assert res["heat_right"][i, k] == pytest.approx(t.heat_right, abs=1e-12)
            if scheme == "exact":
                assert res["work_switching"][i, k] == pytest.approx(t.work, abs=1e-12)


def test_rectification_map_matches_pointwise(asymmetric_model):
    g = np.array([0.1, 0.9])
    bias = np.array([0.5, 3.0, 20.0])
    ds = rectification_map(asymmetric_model, g, bias)
    for i, gi in enumerate(g):
        for k, b in enumerate(bias):
            m = asymmetric_model.replace(g=gi, temperature_left=0.5 + b)
            r = rectification(m)
            assert ds.ratio_left.values[i, k] == pytest.approx(r.ratio_left, abs=1e-10)
            assert ds.ratio_right.values[i, k] == pytest.approx(r.ratio_right, abs=1e-10)
            assert ds.power_forward.values[i, k] == pytest.approx(r.forward.power, abs=1e-12)
    # first law on the grid: switching work = -(Q_L + Q_R) in the steady state
    np.testing.assert_allclose(ds.power_switching_forward, ds.power_forward, atol=1e-10)
    assert "qutip_version" in ds.attrs and ds.attrs["scheme"] == "exact"


def test_local_scheme_rectification_map_matches_pointwise(asymmetric_model):
    ds = rectification_map(asymmetric_model, [0.7], [1.0], scheme="local")
    r = rectification(asymmetric_model.replace(g=0.7, temperature_left=1.5), "local")
    assert ds.ratio_left.values[0, 0] == pytest.approx(r.ratio_left, abs=1e-10)
    assert ds.power_backward.values[0, 0] == pytest.approx(r.backward.power, abs=1e-12)
    assert "power_switching_forward" not in ds


def test_coupling_sweep_matches_pointwise(exchange_model):
    ds = coupling_sweep(exchange_model, [0.0, 0.4, 2.0], with_correlations=True, progress=False)
    assert ds.trace_distance.values[0] < 1e-14
    for i, gi in enumerate(ds.g.values):
        m = exchange_model.replace(g=gi)
        for scheme in ("exact", "local"):
            t = steady_thermodynamics(m, scheme)
            assert ds[f"current_left_{scheme}"].values[i] == pytest.approx(
                t.current_left, abs=1e-12
            )
    assert np.all(ds.discord.values >= 0) and "numpy_version" in ds.attrs


def test_sweep_input_errors(exchange_model):
    with pytest.raises(ValueError, match="biases"):
        rectification_map(exchange_model, [0.1], [-1.0])
    with pytest.raises(ValueError, match="g_values"):
        coupling_sweep(exchange_model, [], progress=False)
