import numpy as np
import pytest
import xarray as xr

from physcore.collision.demo import demo


@pytest.mark.slow
def test_demo_writes_figures_and_data(tmp_path):
    demo(tmp_path)
    for name in ("collision_vs_g", "collision_rectification", "collision_error_vs_correlations"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert not list(tmp_path.glob("*.tmp*"))
    with xr.open_dataset(tmp_path / "collision_vs_g.nc", engine="h5netcdf") as ds:
        assert set(ds.kind.values) == {"exchange", "sigma_x_sigma_x"}
        assert np.all(ds.trace_distance.sel(g=0.0).values < 1e-12)
        assert "qutip_version" in ds.attrs
    with xr.open_dataset(tmp_path / "collision_rectification.nc", engine="h5netcdf") as ds:
        assert ds.ratio_right.shape == (100, 100)
        np.testing.assert_allclose(ds.power_switching_forward, ds.power_forward, atol=1e-10)
