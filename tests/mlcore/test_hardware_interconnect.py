"""Placement and interconnect of mlcore.hardware: mean hop counts against a brute-force count of
every core pair, and the scaling exponents the formulas give (derived here, not observed)."""

import numpy as np
import pytest

from mlcore.hardware import interconnect as ic

MESHES = [(1, 1), (2, 1), (1, 3), (3, 2), (4, 3), (5, 4), (2, 5), (6, 1)]


@pytest.mark.parametrize("k, tiers", MESHES)
def test_uniform_hops_closed_form_matches_brute_force(k, tiers):
    lateral, vertical = ic.uniform_mean_hops(k, tiers)
    assert lateral == pytest.approx(2 * (k * k - 1) / (3 * k), abs=1e-14)
    assert vertical == pytest.approx((tiers * tiers - 1) / (3 * tiers), abs=1e-14)
    brute = ic.brute_force_mean_hops(k, tiers, "uniform")
    np.testing.assert_allclose((lateral, vertical), brute, rtol=0, atol=1e-12)


def test_uniform_hops_k4_t3_value_of_the_notes():
    # paper notes sec. 8: k = 4, T = 3 gives 3.3889 hops in all
    assert sum(ic.brute_force_mean_hops(4, 3)) == pytest.approx(2.5 + 8 / 9, abs=1e-12)
    assert round(sum(ic.brute_force_mean_hops(4, 3)), 4) == 3.3889


@pytest.mark.parametrize("p", [0.55, 0.75, 0.9])
@pytest.mark.parametrize("k, tiers", MESHES)
def test_rent_hops_match_brute_force(k, tiers, p):
    fast = ic.rent_mean_hops(k, tiers, p)
    brute = ic.brute_force_mean_hops(k, tiers, "rent", rent_exponent=p)
    np.testing.assert_allclose(fast, brute, atol=1e-12)


def test_rent_traffic_is_more_local_than_uniform():
    k, t = np.meshgrid(np.arange(2, 12), np.arange(1, 6), indexing="ij")
    nodes = k * k * t
    # Rent traffic leaves the core: compare with uniform traffic over distinct pairs
    uniform = ic.uniform_mean_hops(k, t).sum(axis=0) * nodes / (nodes - 1)
    rent = ic.rent_mean_hops(k, t, 0.75).sum(axis=0)
    assert np.all(rent < uniform)
    # a less local network (higher Rent exponent) sends farther
    assert np.all(ic.rent_mean_hops(k, t, 0.9).sum(axis=0) > rent)


def test_rent_hops_vectorised_equals_pointwise():
    k = np.array([[3, 7], [7, 12]])
    t = np.array([[1, 4], [2, 1]])
    grid = ic.rent_mean_hops(k, t, 0.7)
    for idx in np.ndindex(k.shape):
        np.testing.assert_allclose(
            grid[(slice(None), *idx)], ic.rent_mean_hops(k[idx], t[idx], 0.7)
        )


def test_mesh_side_is_the_smallest_square_holding_a_tier():
    cores = np.arange(1, 3000)
    for tiers in (1, 2, 3, 8):
        k = ic.mesh_side(cores, tiers)
        per_tier = -(-cores // tiers)
        assert np.all(k * k >= per_tier)
        assert np.all((k - 1) ** 2 < per_tier)


def _slope(f, x1, x2):
    return np.log(f(x2) / f(x1)) / np.log(x2 / x1)


def test_uniform_lateral_hops_scale_as_sqrt_of_cores():
    # h = 2(k^2 - 1)/(3k) with k = sqrt(N): d ln h / d ln N = (k^2 + 1) / (2 (k^2 - 1)) -> 1/2
    def hops(n):
        return ic.uniform_mean_hops(np.sqrt(n), 1)[0]

    k = 512
    derived = (k * k + 1) / (2 * (k * k - 1))
    assert _slope(hops, k * k, (2 * k) ** 2) == pytest.approx(0.5, abs=2 * (derived - 0.5))
    # at fixed cores, T tiers shrink the side by sqrt(T): lateral hops ~ T^(-1/2)
    cores = 2**16
    lateral = [ic.uniform_mean_hops(np.sqrt(cores / t), t)[0] for t in (1, 4, 16)]
    assert np.log(lateral[2] / lateral[0]) / np.log(16) == pytest.approx(-0.5, abs=1e-3)


@pytest.mark.parametrize("p", [0.7, 0.85])
def test_rent_lateral_hops_scale_as_cores_to_p_minus_half(p):
    # one tier: traffic at distance l ~ l^(2p-3) up to l ~ k, so the mean ~ k^(2p-1) = N^(p-1/2);
    # the next-order term decays like k^(2p-2), so the local slope approaches p - 1/2 from below
    def hops(n):
        return ic.rent_mean_hops(int(round(np.sqrt(n))), 1, p)[0]

    slopes = [_slope(hops, k * k, (2 * k) ** 2) for k in (128, 512)]
    assert abs(slopes[1] - (p - 0.5)) < abs(slopes[0] - (p - 0.5))
    assert slopes[1] == pytest.approx(p - 0.5, abs=0.06)


def test_rent_hops_stay_bounded_below_half():
    # p < 1/2: the traffic-length law l^(2p-3) has a finite mean: hops saturate
    h = [ic.rent_mean_hops(k, 1, 0.3)[0] for k in (256, 1024)]
    assert h[1] / h[0] < 1.1


def test_davis_meindl_distribution_counts_the_wires_of_rents_rule():
    gates, p, k_rent, f = 10_000, 0.7, 4.0, 3.0
    lengths = np.arange(1.0, 200.0)
    density = ic.davis_meindl_distribution(lengths, gates, p, rent_coefficient=k_rent, fan_out=f)
    wires = f / (f + 1) * k_rent * gates * (1 - gates ** (p - 1))
    assert density.sum() == pytest.approx(wires, rel=1e-12)
    assert np.all(density >= 0)
    assert ic.davis_meindl_distribution(np.array([0.5, 200.0]), gates, p).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("p", [0.65, 0.8])
def test_davis_meindl_mean_length_scales_as_n_to_p_minus_half(p):
    # Donath: for p > 1/2 the mean length grows like N^(p - 1/2)
    slope = _slope(lambda n: ic.davis_meindl_mean_length(n, p), 1e8, 1e10)
    assert slope == pytest.approx(p - 0.5, abs=0.03)


def test_davis_meindl_rejects_exponents_outside_the_unit_interval():
    with pytest.raises(ValueError, match="rent_exponent"):
        ic.davis_meindl_distribution(np.arange(1, 5), 100, 1.2)
    with pytest.raises(ValueError, match="gates"):
        ic.davis_meindl_distribution(np.arange(1, 5), 2, 0.6)
