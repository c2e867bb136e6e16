"""mlcore.hardware's technology, network and solver: validation by field name, cited defaults,
the exact 2D limit, scaling exponents derived from the formulas, heat and yield."""

import math
import warnings

import numpy as np
import pytest

from mlcore.hardware import (
    VARIABLES,
    SpikingNetwork,
    Technology,
    ThermalLimitWarning,
    costs,
    evaluate,
    provenance,
)
from mlcore.hardware.limits import crossover_network_size, heat_limited_tiers, yield_limited_tiers
from mlcore.hardware.technology import SOURCE_KINDS, TRUENORTH, VIA_KINDS


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"tiers": 0}, "Technology.tiers"),
        ({"tiers": 65}, "Technology.tiers"),
        ({"defect_density": -0.1}, "Technology.defect_density"),
        ({"core_area": 0.0}, "Technology.core_area"),
        ({"bond_yield": 1.5}, "Technology.bond_yield"),
        ({"via_kind": "glue"}, "Technology.via_kind"),
        ({"supply_voltage": float("nan")}, "Technology.supply_voltage"),
    ],
)
def test_bad_technology_names_the_field_and_range(changes, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.") + " must be"):
        Technology(**changes)


@pytest.mark.parametrize("kind", sorted(VIA_KINDS))
def test_pitch_below_what_the_via_kind_allows_is_refused(kind):
    smallest = VIA_KINDS[kind].min_pitch
    Technology.for_via(kind, via_pitch=smallest)  # the limit itself is allowed
    with pytest.raises(ValueError, match=rf"via_pitch must be >= {smallest:g} um.*{kind}"):
        Technology.for_via(kind, via_pitch=smallest * 0.9)


def test_bad_network_names_the_field():
    with pytest.raises(ValueError, match=r"SpikingNetwork\.rate_hz must be"):
        SpikingNetwork(rate_hz=-1.0)
    with pytest.raises(ValueError, match=r"SpikingNetwork\.neurons must be"):
        SpikingNetwork(neurons=0)
    with pytest.raises(ValueError, match=r"SpikingNetwork\.synapses must be"):
        SpikingNetwork(synapses=-5)


def test_network_larger_than_the_chip_is_refused_by_name():
    tech = Technology()
    fits = evaluate(SpikingNetwork(neurons=2_000_000), tech)  # 734 mm^2 on one tier
    assert fits.footprint.item() <= tech.max_die_area
    with pytest.raises(ValueError, match=r"SpikingNetwork\.neurons: 3000000 neurons.*max_die_area"):
        evaluate(SpikingNetwork(neurons=3_000_000), tech)
    evaluate(SpikingNetwork(neurons=3_000_000), tech, tiers=[2])  # two tiers hold it


@pytest.mark.parametrize(
    "kwargs, name", [({"tiers": [0, 2]}, "tiers"), ({"neurons": [10.5]}, "neurons")]
)
def test_bad_grids_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        evaluate(**kwargs)


def test_every_default_carries_its_source():
    sources = provenance()
    names = [spec for spec in Technology.__dataclass_fields__]
    assert set(sources) == set(names)
    for name, source in sources.items():
        assert source.kind in SOURCE_KINDS, name
        assert source.citation.strip(), name
        if source.kind == "derived":
            assert source.note, f"{name}: a derived default states its arithmetic"
    assert provenance(Technology.for_via("tsv"))["via_capacitance"] == VIA_KINDS["tsv"].sources[2]


def test_derived_defaults_reproduce_the_numbers_they_come_from():
    tech = Technology()
    # the lateral hop at TrueNorth's core pitch is TrueNorth's 2.3 pJ
    lateral, _ = costs.hop_energies(tech, tech.core_pitch)
    assert float(lateral) == pytest.approx(TRUENORTH["hop_energy"][0], rel=1e-12)
    core_cells = TRUENORTH["cores"][0] * TRUENORTH["core_area"][0]
    assert core_cells / (1 - tech.periphery_fraction) == pytest.approx(430.0, rel=1e-12)


# -- the solver ----------------------------------------------------------------------------------
def test_every_variable_has_units_and_long_name():
    ds = evaluate(neurons=[1000, 50_000], tiers=[1, 3])
    assert set(VARIABLES) <= set(ds.data_vars)
    for name in list(ds.data_vars) + list(ds.coords):
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
    assert ds.energy_per_spike.dims == ("neurons", "tiers")


@pytest.mark.parametrize("neurons", [300, 40_000, 1 << 20])
@pytest.mark.parametrize("traffic", ["uniform", "rent"])
def test_one_tier_is_exactly_the_2d_chip(neurons, traffic):
    tech = Technology.for_via("tsv")  # a coarse via whose area would show if it leaked into 2D
    net = SpikingNetwork(neurons=neurons, synapses=neurons * 300, traffic=traffic)
    ds = evaluate(net, tech).isel(neurons=0, tiers=0)
    cores = max(math.ceil(neurons / 256), math.ceil(neurons * 300 / 65536))
    k = math.ceil(math.sqrt(cores))
    pitch = math.sqrt(tech.core_area) * 1e3
    area = k * k * tech.core_area / (1 - tech.periphery_fraction)
    if traffic == "uniform":
        hops = 2 * (k * k - 1) / (3 * k)
    else:  # checked against the brute-force count in test_hardware_interconnect
        from mlcore.hardware.interconnect import rent_mean_hops

        hops = float(rent_mean_hops(k, 1, net.rent_exponent)[0])
    v2 = tech.supply_voltage**2
    e_hop = tech.router_energy + tech.packet_bits * tech.switching_activity * (
        tech.wire_capacitance * pitch * v2 * 1e-3
    )
    packets = math.ceil(300 / 256)
    e_spike = packets * (tech.injection_energy + hops * e_hop)
    y = (1 + area / 100 * tech.defect_density / tech.defect_clustering) ** -tech.defect_clustering
    d = tech.wafer_diameter
    dies = math.floor(math.pi * d * d / (4 * area) - math.pi * d / math.sqrt(2 * area))
    expected = {
        "footprint": area,
        "silicon_area": area,
        "core_pitch": pitch,
        "hops_lateral": hops,
        "hops_vertical": 0.0,
        "wire_length": hops * pitch * 1e-3,
        "energy_per_spike": e_spike,
        "energy_per_synaptic_event": tech.core_energy_per_event + e_spike / 300,
        "latency": tech.injection_latency + hops * tech.hop_latency,
        "yield_w2w": y,
        "yield_kgd": y,
        "cost_w2w": (tech.wafer_cost / dies + tech.stack_test_cost) / y,
        "cost_kgd": (tech.wafer_cost / dies + tech.stack_test_cost) / y,
    }
    for name, value in expected.items():
        assert float(ds[name]) == pytest.approx(value, rel=1e-12, abs=1e-15), name


def test_vectorised_grid_equals_point_by_point():
    net = SpikingNetwork(traffic="rent")
    sizes, tiers = [500, 20_000, 700_000], [1, 2, 5]
    grid = evaluate(net, neurons=sizes, tiers=tiers, warn=False)
    for i, n in enumerate(sizes):
        for j, t in enumerate(tiers):
            point = evaluate(net, neurons=[n], tiers=[t], warn=False).isel(neurons=0, tiers=0)
            for name in ("energy_per_spike", "cost_kgd", "temperature_top", "hops_vertical"):
                assert float(grid[name][i, j]) == pytest.approx(float(point[name]), rel=1e-12)


def test_wire_energy_scales_with_voltage_squared_and_pitch():
    # E_lat - E_router = bits a c pitch V^2: exponent 2 in V, 1 in pitch (1/2 in core area)
    def wire(**changes):
        tech = Technology(**changes)
        return float(costs.hop_energies(tech, tech.core_pitch)[0]) - tech.router_energy

    assert math.log(wire(supply_voltage=1.2) / wire(supply_voltage=0.6)) / math.log(2) == (
        pytest.approx(2.0, rel=1e-12)
    )
    assert math.log(wire(core_area=0.4) / wire(core_area=0.1)) / math.log(4) == pytest.approx(
        0.5, rel=1e-12
    )


def test_communication_energy_scales_like_the_hop_count():
    # one tier, k = 2^j cores a side: E - packets * E_inject = packets * h(k) * E_hop, with
    # h = 2(k^2 - 1)/(3k): the slope in N follows from the closed form and tends to 1/2
    tech, sides = Technology(max_die_area=1e4), np.array([32, 64, 128, 256])
    ds = evaluate(SpikingNetwork(), tech, neurons=sides**2 * 256, warn=False).isel(tiers=0)
    above = ds.energy_per_spike.values - tech.injection_energy
    hops = 2 * (sides**2 - 1) / (3 * sides)
    measured = np.diff(np.log(above)) / np.diff(np.log(sides**2))
    np.testing.assert_allclose(measured, np.diff(np.log(hops)) / np.diff(np.log(sides**2)))
    assert measured[-1] == pytest.approx(0.5, abs=1e-4)


def test_3d_shortens_interconnect_and_cuts_energy_for_large_networks_only():
    sizes = np.unique(np.round(np.geomspace(256, 1.5e6, 40)).astype(int))
    ds = evaluate(neurons=sizes, tiers=[1, 2, 4], warn=False)
    total_hops = ds.hops_lateral + ds.hops_vertical
    assert np.all(total_hops.isel(neurons=-1).values[1:] < total_hops.isel(neurons=-1).values[0])
    # one core: stacking adds vertical hops and saves nothing
    assert float(ds.energy_per_spike[0, 1]) > float(ds.energy_per_spike[0, 0])
    crossover = crossover_network_size(ds, 2)
    assert crossover is not None and sizes[0] < crossover < sizes[-1]
    big = ds.sel(neurons=slice(crossover, None))
    assert np.all(big.energy_per_spike.sel(tiers=2) < big.energy_per_spike.sel(tiers=1))


# -- heat ----------------------------------------------------------------------------------------
def test_series_thermal_model_by_hand_and_closed_form():
    q = np.array([0.3, 0.5])  # W/cm^2, tier 1 on the sink
    temps = costs.tier_temperatures(q, sink_resistance=2.0, tier_resistance=0.5, ambient=40.0)
    assert temps[0] == pytest.approx(40.0 + 2.0 * 0.8)
    assert temps[1] == pytest.approx(40.0 + 2.0 * 0.8 + 0.5 * 0.5)
    for tiers in range(1, 9):
        equal = costs.tier_temperatures(np.full(tiers, 0.7), 3.0, 0.4, 25.0)
        top = costs.top_tier_temperature(0.7, tiers, 3.0, 0.4, 25.0)
        assert equal[-1] == pytest.approx(float(top), rel=1e-12)
        assert np.all(np.diff(equal) >= 0)  # the top tier is the hottest


def test_hot_stack_is_flagged_and_warned():
    busy = SpikingNetwork(rate_hz=1000.0)
    limit = heat_limited_tiers(busy)
    assert limit is not None and limit > 1
    with pytest.warns(ThermalLimitWarning, match="temperature_limit"):
        ds = evaluate(busy, tiers=[limit - 1, limit])
    assert ds.over_temperature.values.tolist() == [[False, True]]
    assert np.all(np.diff(ds.temperature_top.values) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(busy, tiers=[limit], warn=False)  # flagged, not warned


# -- yield and cost ------------------------------------------------------------------------------
def test_die_yield_is_a_probability_falling_with_area_and_defects():
    area = np.linspace(0.0, 8.0, 50)
    y = costs.die_yield(area, 0.2, 3.0)
    assert y[0] == 1.0 and np.all((y > 0) & (y <= 1)) and np.all(np.diff(y) < 0)
    assert np.all(np.diff(costs.die_yield(2.0, np.linspace(0, 1, 20), 3.0)) < 0)
    poisson = costs.die_yield(area, 0.2, 1e9)
    np.testing.assert_allclose(poisson, np.exp(-0.2 * area), rtol=1e-6)


def test_stack_yield_falls_with_tiers():
    tiers = np.arange(1, 10)
    w2w = costs.stack_yield_w2w(0.9, tiers, 0.99)
    kgd = costs.stack_yield_kgd(tiers, 0.99, 0.01)
    assert np.all(np.diff(w2w) < 0) and np.all(np.diff(kgd[1:]) < 0)
    assert np.all(kgd[1:] >= w2w[1:])  # escapes (1%) below die losses (10%)
    ds = evaluate(tiers=tiers)
    assert np.all((ds.yield_w2w > 0) & (ds.yield_w2w <= 1))


def test_cost_per_good_chip_has_a_cheapest_tier_count():
    best = yield_limited_tiers()
    assert 1 <= best < 64
    ds = evaluate(tiers=[best, best + 1, 2 * best + 2])
    assert np.all(np.diff(ds.cost_kgd.values[0]) > 0)
    # perfect bonding and testing at no cost: stacking never loses on yield
    free = Technology(bond_yield=1.0, test_escape=0.0, bond_cost_d2w=0.0, die_test_cost=0.0)
    assert yield_limited_tiers(None, free, max_tiers=16) > best


# -- the network ---------------------------------------------------------------------------------
def test_from_torch_counts_neurons_and_synapses():
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 24 * 24, 10),
    )
    net = SpikingNetwork.from_torch(model, (1, 1, 28, 28), rate_hz=50.0)
    assert net.layer_sizes == (6 * 24 * 24, 10)
    assert net.neurons == 6 * 24 * 24 + 10
    assert net.synapses == 6 * 24 * 24 * 25 + 10 * 6 * 24 * 24
    assert net.rate_hz == 50.0
    with pytest.raises(ValueError, match="Linear or Conv"):
        SpikingNetwork.from_torch(torch.nn.ReLU(), (1, 3))
