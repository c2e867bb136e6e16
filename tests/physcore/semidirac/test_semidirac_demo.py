"""The demo writes readable figures and their data."""

import xarray as xr

from physcore.semidirac.demo import demo


def test_demo_writes_figures_and_data(tmp_path):
    demo(tmp_path)
    for stem in ("conductance", "barrier", "andreev_angle", "pseudospin"):
        png = tmp_path / f"semidirac_{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with xr.open_dataset(tmp_path / f"semidirac_{stem}.nc", engine="h5netcdf") as data:
            assert "numba_version" in data.attrs
    with xr.open_dataset(tmp_path / "semidirac_conductance.nc", engine="h5netcdf") as data:
        g = data["conductance"]
        assert g.dims == ("orientation", "mu", "Z", "bias")
        assert float(g.min()) > -1e-12 and float(g.max()) < 4
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
