"""The computation registry: built-in names resolve lazily, import paths work, and a computation
defined outside physcore (as mlcore would, without importing physcore) runs through the same
machinery from plain attributes and dict-declared parameters."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.special
import xarray as xr

from physcore import sweeps
from physcore.sweeps import SpecError, get_computation, parse_spec, register_computation


def test_builtin_and_import_path_resolve_to_the_same_computation():
    by_name = get_computation("semidirac.conductance")
    by_path = get_computation("physcore.sweeps._semidirac:CONDUCTANCE")
    assert by_name is by_path
    assert by_name.vector_dims == ("bias",)


def test_unknown_import_path_is_a_spec_error_naming_the_field():
    with pytest.raises(SpecError, match="computation: cannot import"):
        parse_spec('computation = "physcore.nothing_here:X"', allow_import=True)


# Bessel functions J_n(x): a real computation with no physcore objects, declared the way a
# package that must not import physcore declares one (plain attributes, dict parameters).
BESSEL = SimpleNamespace(
    name="bessel",
    package="scipy",
    parameters={
        "order": {"kind": "int", "default": 0, "doc": "order n >= 0"},
        "x": {"kind": "float", "vector": True, "doc": "argument"},
    },
    outputs={"j": {"long_name": "Bessel function of the first kind"}},
    compute=lambda p: {"j": scipy.special.jv(p["order"], p["x"])},
    validate=lambda p: (
        None
        if p["order"] >= 0
        else (_ for _ in ()).throw(ValueError(f"order must be >= 0, got {p['order']}"))
    ),
)


def test_external_computation_runs_through_plan_run_collect(tmp_path):
    register_computation("external.bessel", BESSEL)
    spec = tmp_path / "bessel.toml"
    spec.write_text(
        'computation = "external.bessel"\n[parameters]\norder = [0, 1, 2, 3]\n'
        "x = {linspace = [0.0, 10.0, 51]}\n[chunks]\nsize = 3\n"
    )
    sweep = sweeps.plan(spec, tmp_path / "run")
    assert sweep.spec.n_chunks == 2
    # registered at run time: visible in this process only (serial back-end); process pools and
    # SLURM tasks find computations by built-in name, entry point or import path
    sweeps.run(sweep, backend="serial", progress=False)
    ds = xr.open_dataset(sweeps.collect(sweep))
    x = np.linspace(0.0, 10.0, 51)
    for n in range(4):
        np.testing.assert_array_equal(ds["j"].sel(order=n).values, scipy.special.jv(n, x))
    assert "scipy" in ds.attrs["code_version"]
    spec.write_text(spec.read_text().replace("order = [0, 1, 2, 3]", "order = [1, -2]"))
    with pytest.raises(SpecError, match=r"parameters\.order: order must be >= 0"):
        sweeps.plan(spec, tmp_path / "other")
