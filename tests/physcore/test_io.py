import os

import numpy as np
import pytest
import xarray as xr

from physcore._io import atomic_write, write_netcdf, write_text


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "out.txt"
    write_text(path, "first")
    write_text(path, "second")
    assert path.read_text() == "second"
    assert os.listdir(tmp_path) == ["out.txt"]  # no temporary files left behind


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "data.nc"
    write_netcdf(xr.Dataset({"x": ("i", np.arange(3.0))}), path)

    def broken(tmp):
        with open(tmp, "w") as f:
            f.write("partial")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds.x.values, [0.0, 1.0, 2.0])
    assert os.listdir(tmp_path) == ["data.nc"]
