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
        # sx ax collisions: the work dominates everywhere, so R is nowhere rectification
        assert ds.work_fraction.min() > 0.99 and ds.ratio_right_rectification.isnull().all()
    with xr.open_dataset(tmp_path / "collision_rectification_xxz.nc", engine="h5netcdf") as ds:
        # no work at all in the XXZ case: R is kept everywhere (and small)
        assert ds.work_fraction.max() < 1e-9 and ds.ratio_right_rectification.notnull().all()
        assert ds.ratio_right_rectification.max() < 1e-3


def test_library_functions_choose_no_backend():
    # matplotlib.use belongs to entry points (the __main__ block), never to a library function
    import inspect

    from physcore.collision import demo as collision_demo
    from physcore.sweeps import demo as sweeps_demo

    for module in (collision_demo, sweeps_demo):
        library, _, entry_point = inspect.getsource(module).partition('if __name__ == "__main__":')
        assert "matplotlib.use(" not in library and "pyplot" not in library
        assert "matplotlib.use(" in entry_point
