"""The ``collision.steady_state`` computation: the swept grid gives, point by point, what
``physcore.collision.coupling_sweep`` gives, and bad bath parameters fail at plan by name."""

import numpy as np
import pytest
import xarray as xr

from physcore import sweeps

SPEC = """
computation = "collision.steady_state"
name = "collision-test"
[parameters]
temperature_left = [1.5, 3.0]
temperature_right = 1.0
tau = 0.2
g = {linspace = [0.0, 1.0, 11]}
"""


def test_collision_sweep_matches_coupling_sweep(tmp_path):
    from physcore import collision

    (tmp_path / "spec.toml").write_text(SPEC)
    sweep = sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    sweeps.run(sweep, backend="serial", progress=False)
    ds = xr.open_dataset(sweeps.collect(sweep))
    assert ds["current_left_exact"].dims == ("temperature_left", "g")
    model = collision.CollisionModel(
        collision.TwoQubitSystem(),
        collision.AncillaBath(temperature=3.0),
        collision.AncillaBath(temperature=1.0),
        tau=0.2,
    )
    direct = collision.coupling_sweep(
        model, ds["g"].values, with_correlations=False, progress=False
    )
    for name in ("current_left_exact", "current_right_local", "trace_distance"):
        np.testing.assert_array_equal(
            ds[name].sel(temperature_left=3.0).values, direct[name].values
        )
    # excitation-conserving couplings do no work: heat flows from the hot bath to the cold one
    hot = ds.sel(temperature_left=3.0)
    assert np.all(hot["current_left_exact"].values[1:] > 0)
    np.testing.assert_allclose(
        hot["current_right_exact"].values, -hot["current_left_exact"].values, atol=1e-12
    )


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("temperature_left = [1.5, 3.0]", "temperature_left = [1.5, -3.0]", "temperature_left"),
        ("temperature_right = 1.0", "temperature_right = 0.0", "temperature_right"),
        ("tau = 0.2", 'tau = 0.2\ncoupling_right = "yy"', "coupling_right"),
        ("tau = 0.2", "tau = [0.2, 0.0]", "tau"),
        ("tau = 0.2", 'tau = 0.2\nfrequency_left = "off"', "frequency_left"),
        ("tau = 0.2", 'tau = 0.2\nkind = "custom"', "kind"),
        ("tau = 0.2", "tau = 0.2\nstrength_left = [1.0, 0.0]", "strength_left"),
        ("tau = 0.2", "tau = 0.2\nstrength_right = 0", "strength_right"),
        ("tau = 0.2", "tau = 0.2\nanisotropy = [0.5, 2.0]", "anisotropy"),  # only for 'xxz'
    ],
)
def test_bad_collision_parameters_fail_at_plan(old, new, field, tmp_path):
    (tmp_path / "spec.toml").write_text(SPEC.replace(old, new))
    with pytest.raises(sweeps.SpecError, match=rf"parameters\.{field}\b"):
        sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_zero_bath_strength_is_refused_at_plan(tmp_path):
    """Planned, a zero strength failed at run time with 'Singular matrix' (at g = 0 its qubit is
    isolated and has no unique steady state); plan refuses it and says why."""
    text = SPEC.replace("tau = 0.2", "tau = 0.2\nstrength_left = 0.0\nstrength_right = 0.0")
    (tmp_path / "spec.toml").write_text(text)
    with pytest.raises(sweeps.SpecError, match=r"parameters\.strength_left.*nonzero.*steady"):
        sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    assert not (tmp_path / "run").exists()
