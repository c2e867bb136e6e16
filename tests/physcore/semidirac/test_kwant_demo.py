import os

import pytest
import xarray as xr

pytest.importorskip("kwant")


@pytest.mark.slow
def test_lattice_demo_writes_convergence_figure_and_data(tmp_path):
    from physcore.semidirac.lattice.demo import demo

    paths = demo(tmp_path, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["kwant_convergence.nc", "kwant_convergence.png"]
    assert paths["figure"].stat().st_size > 10_000
    with xr.open_dataset(paths["data"], engine="h5netcdf") as ds:
        deviation = ds["max_deviation"].sortby("lattice_spacing").values
    # the figure shows convergence: the finest spacing is the closest to the continuum
    assert deviation[0] < deviation[-1]
