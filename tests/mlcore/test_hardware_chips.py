"""mlcore.hardware against published chips, through physcore.sweeps, and its demo."""

import numpy as np
import pytest
import xarray as xr

from mlcore.hardware import SpikingNetwork, Technology, evaluate
from mlcore.hardware.chips import CHIPS, COLUMNS, comparison_table, truenorth_bookkeeping


def test_truenorth_bookkeeping_reproduces_26_pj_per_synaptic_event():
    book = truenorth_bookkeeping()
    # 72 mW / (2^20 neurons x 20 Hz x 128 synapses) = 26.8 pJ against the published "26 pJ"
    assert book["all_in"] == pytest.approx(72e-3 / (2**20 * 20 * 128) * 1e12, rel=1e-12)
    assert book["all_in"] == pytest.approx(book["reported"], rel=0.05)
    # the component-wise model closes the same budget (the core term is derived from it) ...
    assert book["model_all_in"] == pytest.approx(book["all_in"], rel=1e-9)
    # ... and its independent part: spikes travel 21.3 cores per axis on the 64 x 64 mesh
    assert book["hops_per_axis"] == pytest.approx(21.3, abs=0.05)
    assert 0 < book["communication_per_event"] < 0.05 * book["all_in"]


def test_comparison_table_sets_ours_beside_the_reported_figures():
    rows = comparison_table()
    assert [row["chip"] for row in rows] == list(CHIPS)
    for row in rows:
        assert {key for key, _, _ in COLUMNS} == set(row)
        assert row["caveat"]
    truenorth, loihi, two, four = rows
    assert truenorth["footprint"] == pytest.approx(430.0, rel=1e-9)
    assert loihi["footprint"] == pytest.approx(60.0, rel=0.2)  # 6 x 6 tile slots for 32 tiles
    # the same network on more tiers: smaller footprint, less communication energy
    assert truenorth["footprint"] > two["footprint"] > four["footprint"]
    assert truenorth["energy_per_spike"] > two["energy_per_spike"] > four["energy_per_spike"]


SPEC = """
computation = "hardware.tiers"
name = "hardware-test"
[parameters]
neurons = [300.0, 5000.0, 200000.0]
tiers = [1.0, 2.0, 4.0]
via_kind = ["tsv", "hybrid_bond"]
traffic = "rent"
rent_exponent = 0.7
"""


def test_tier_sweep_runs_through_physcore_sweeps(tmp_path):
    sweeps = pytest.importorskip("physcore.sweeps")
    (tmp_path / "spec.toml").write_text(SPEC)
    sweep = sweeps.plan(tmp_path / "spec.toml", tmp_path / "run", progress=False)
    sweeps.run(sweep, backend="serial", progress=False)
    ds = xr.open_dataset(sweeps.collect(sweep))
    assert ds.energy_per_spike.dims == ("via_kind", "neurons", "tiers")
    assert ds.energy_per_spike.attrs["units"] == "pJ"
    direct = evaluate(
        SpikingNetwork(neurons=200000, synapses=200000 * 128, traffic="rent", rent_exponent=0.7),
        Technology.for_via("tsv"),
        neurons=[300, 5000, 200000],
        tiers=[1, 2, 4],
    )
    for name in ("energy_per_spike", "cost_kgd", "temperature_top"):
        np.testing.assert_allclose(ds[name].sel(via_kind="tsv").values, direct[name].values)


@pytest.mark.parametrize(
    "old, new, field",
    [
        ('traffic = "rent"', 'traffic = "rent"\nvia_pitch = 5.0', "via_pitch"),
        ("tiers = [1.0, 2.0, 4.0]", "tiers = [0.0, 2.0]", "tiers"),
        ("neurons = [300.0, 5000.0, 200000.0]", "neurons = [300.0, 9e6]", "neurons"),
        ('traffic = "rent"', 'traffic = "rent"\nrate_hz = -2.0', "rate_hz"),
    ],
)
def test_tier_sweep_refuses_bad_points_at_plan_by_name(tmp_path, old, new, field):
    sweeps = pytest.importorskip("physcore.sweeps")
    (tmp_path / "spec.toml").write_text(SPEC.replace(old, new))
    with pytest.raises(sweeps.SpecError, match=rf"parameters\.{field}"):
        sweeps.plan(tmp_path / "spec.toml", tmp_path / "run", progress=False)


def test_demo_writes_figures_and_table(tmp_path):
    from mlcore.hardware.demo import demo

    demo(tmp_path)
    for name in ("hardware_tiers.png", "hardware_crossover.png", "hardware_grid.nc"):
        assert (tmp_path / name).stat().st_size > 1000, name
    table = (tmp_path / "hardware_chips.md").read_text().splitlines()
    assert len(table) == 2 + len(CHIPS) and table[2].startswith("| TrueNorth | 1 |")
    assert (tmp_path / "hardware_chips.csv").read_text().count("\n") == 1 + len(CHIPS)
