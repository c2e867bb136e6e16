"""One shape for the solver: frozen junction, finalized system built once per call, one solver
interface for the continuum and kwant paths, named kernel results, parallel == serial."""

import dataclasses
import importlib.util
import subprocess
import sys
import warnings

import numpy as np
import pytest

from physcore import semidirac as sd
from physcore.semidirac import _kernels, _system
from physcore.semidirac.solvers import ContinuumSolver, FinalizedJunction, default_solver
from physcore.semidirac.solvers.common import transverse_momenta

MODEL = sd.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)


def _junction(orientation="quadratic", **kwargs):
    params = dict(mu=10.0, gap=1.0, barrier=sd.DeltaBarrier(0.5)) | kwargs
    return sd.NSJunction(MODEL, orientation, **params)


@pytest.fixture
def finalize_count(monkeypatch):
    """Counts calls of the finalizer behind ``NSJunction.finalized()``."""
    calls = []
    real = _system.finalize

    def counting(junction):
        calls.append(junction)
        return real(junction)

    monkeypatch.setattr(_system, "finalize", counting)
    return calls


def test_junction_is_a_frozen_dataclass_with_one_field_list():
    junction = _junction()
    names = [f.name for f in dataclasses.fields(sd.NSJunction)]
    assert names == ["model", "orientation", "mu", "gap", "U0", "barrier", "phase"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        junction.mu = 3.0
    assert junction.orientation == junction.orientation_deg == 90.0
    assert junction.replace(mu=5.0).mu == 5.0 and junction.mu == 10.0
    assert junction == _junction() and hash(junction) == hash(_junction())
    with pytest.raises(ValueError, match=r"gap must be >= 0 \(gap must lie in \[0, 1e\+30\]\)"):
        junction.replace(gap=-1.0)
    with pytest.raises(TypeError):  # phase is keyword-only
        sd.NSJunction(MODEL, "linear", 1.0, 0.0, 0.0, None, 0.3)


def test_finalized_is_public_and_carries_its_junction():
    junction = _junction()
    syst = junction.finalized()
    assert isinstance(syst, FinalizedJunction)
    assert syst.junction is junction and syst.order == 2 and syst.gap == 1.0


@pytest.mark.parametrize(
    "options",
    [
        dict(normalize="normal"),
        dict(normalize="channels"),
        dict(normalize="none"),
        dict(normalize="normal", temperature=0.05),
    ],
)
def test_conductance_builds_the_finalized_system_once(finalize_count, options):
    """One build per call whatever the options: the normal-state reference, the thermal
    energies and the gap-edge bound (bias 1.0 = gap) reuse it (three builds before)."""
    junction = _junction()
    junction.conductance([0.2, 1.0], n_q=32, **options)
    assert len(finalize_count) == 1
    junction.scattering(0.5, 0.1)
    assert len(finalize_count) == 2


@pytest.mark.skipif(importlib.util.find_spec("kwant") is None, reason="kwant not installed")
def test_kwant_path_builds_each_system_once(finalize_count, monkeypatch):
    """The kwant path: one finalized system and one lattice system per call, not one per bias
    point (the transverse grid of every bias comes from the same finalized system)."""
    from physcore.semidirac import kwant_crosscheck

    builds = []
    real = kwant_crosscheck.build_lattice_system

    def counting(*args, **kwargs):
        builds.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(kwant_crosscheck, "build_lattice_system", counting)
    junction = sd.NSJunction(sd.Parabolic(mass=0.5), 0.0, mu=1.0, gap=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sd.LatticeSpacingWarning)
        g = junction.kwant_conductance(
            [0.05, 0.1, 0.3], lattice_spacing=0.2, n_q=16, progress=False
        )
    assert len(finalize_count) == 1 and len(builds) == 1
    assert g.attrs["n_q"] == 16 and np.all(np.isfinite(g.values))


def test_both_solvers_implement_one_interface():
    from physcore.semidirac.kwant_crosscheck import KwantSolver
    from physcore.semidirac.solvers import ConductanceSolver

    assert isinstance(default_solver, ContinuumSolver)
    assert issubclass(KwantSolver, ConductanceSolver)
    assert KwantSolver.conductance is ConductanceSolver.conductance  # one public algorithm
    junction = _junction("linear", barrier=sd.ThinBarrier(0.5))
    direct = default_solver.conductance(junction.finalized(), [0.3, 0.7], n_q=32)
    np.testing.assert_array_equal(direct.values, junction.conductance([0.3, 0.7], n_q=32).values)


def _grid(junction, n_bias=6, n_q=64):
    syst = junction.finalized()
    energies = np.linspace(0.05, 1.8, n_bias)
    qs, ws = transverse_momenta(syst, energies, n_q, syst.gap)
    return (energies, qs, ws, *syst.args())


@pytest.mark.parametrize(
    "orientation, barrier",
    [("linear", sd.ThinBarrier(0.5)), ("quadratic", sd.DeltaBarrier(0.7)),
     (45.0, sd.RectangularBarrier(height=2.0, width=0.3))],
)  # fmt: skip
def test_parallel_kernel_equals_serial_kernel(orientation, barrier):
    """Both grid kernels on the same grid, whichever PARALLEL_MIN_POINTS would pick."""
    args = _grid(_junction(orientation, barrier=barrier))
    parallel = _kernels.conductance_grid(*args)
    serial = _kernels.conductance_grid_serial(*args)
    assert isinstance(parallel, _kernels.GridSums) and isinstance(serial, _kernels.GridSums)
    for name in _kernels.GridSums._fields:
        np.testing.assert_allclose(
            getattr(parallel, name), getattr(serial, name), rtol=0, atol=1e-12, err_msg=name
        )
    assert np.nanmax(serial.n_in) >= 1  # the grid has open channels


def test_kernel_results_are_named_and_read_by_name():
    """BTK at Z = 0 below the gap (Andreev limit, mu >> gap): R_he = 1 and R_ee = 0, read from
    the kernel's named fields; a reorder of the fields cannot swap them unnoticed."""
    junction = sd.NSJunction(sd.Parabolic(mass=1.0), 0.0, mu=1e8, gap=1.0)
    syst = junction.finalized()
    point = _kernels.scatter_point(0.5, 0.0, *syst.args())
    assert isinstance(point, _kernels.ScatterPoint)
    assert point.status == _kernels.STATUS_OK and point.n_in == 1
    assert point.andreev[0] == pytest.approx(1.0, abs=1e-6)
    assert point.normal[0] == pytest.approx(0.0, abs=1e-6)
    result = junction.scattering(0.5, 0.0)
    np.testing.assert_array_equal(result.andreev_probability, point.andreev)
    np.testing.assert_array_equal(result.normal_probability, point.normal)


def test_n_modes_is_deprecated_but_works():
    junction = _junction()
    with pytest.warns(DeprecationWarning, match="n_modes is deprecated.*use n_q"):
        old = junction.conductance([0.5], n_modes=32)
    new = junction.conductance([0.5], n_q=32)
    np.testing.assert_array_equal(old.values, new.values)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="n_modes must be >= 16"):
        junction.conductance([0.5], n_modes=3)


def test_knobs_are_keyword_only():
    """Options by position: deprecated (they are keyword-only), same numbers for one release."""
    junction = _junction()
    with pytest.warns(DeprecationWarning, match="temperature, normalize by position"):
        old = junction.conductance([0.5], 0.05, "none", n_q=32)
    new = junction.conductance([0.5], temperature=0.05, normalize="none", n_q=32)
    np.testing.assert_array_equal(old.values, new.values)
    with pytest.raises(TypeError):
        default_solver.conductance(junction.finalized(), [0.5], 0.05)


def test_no_backend_is_chosen_by_the_library():
    """Importing the demo and plotting modules leaves matplotlib's backend alone."""
    code = (
        "import matplotlib; matplotlib.use('svg');"
        "import physcore.semidirac.demo, physcore.semidirac.kwant_crosscheck;"
        "print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_borrowed_view_shares_data_and_holds_no_reference():
    """The grid kernels' work arrays are borrowed views (physcore.semidirac._borrow): same
    data, shape and strides as the owner, writes visible through both, no reference held."""
    import numba

    from physcore.semidirac._borrow import borrowed

    @numba.njit
    def write_through_view(owner):
        view = borrowed(owner[:, 1])
        view[2] = 7.0 + 1j
        return view.shape[0], view.strides[0], view[0]

    owner = np.arange(12, dtype=complex).reshape(4, 3)
    refs = sys.getrefcount(owner)
    assert write_through_view(owner) == (4, 3 * 16, 1.0 + 0j)
    assert owner[2, 1] == 7.0 + 1j
    assert sys.getrefcount(owner) == refs


@pytest.mark.parametrize("orientation", ["linear", "quadratic", 30.0])
def test_grid_kernel_matches_the_per_point_kernel(orientation):
    """The grid kernel (borrowed work arrays, one workspace per energy reused across q) gives
    the sums of the per-point kernel (fresh owned arrays at every point), point by point."""
    junction = _junction(orientation, barrier=sd.DeltaBarrier(0.4))
    energies, qs, ws, *args = _grid(junction, n_bias=3, n_q=12)
    grid = _kernels.conductance_grid_serial(energies, qs, ws, *args)
    compared = 0
    for ie, energy in enumerate(energies):
        for iq in np.flatnonzero(ws[ie]):
            point = _kernels.scatter_point(energy, qs[ie, iq], *args)
            assert grid.n_in[ie, iq] == point.n_in
            assert grid.andreev[ie, iq] == pytest.approx(point.andreev.sum(), abs=1e-12)
            assert grid.normal[ie, iq] == pytest.approx(point.normal.sum(), abs=1e-12)
            compared += point.n_in > 0
    assert compared >= 10
