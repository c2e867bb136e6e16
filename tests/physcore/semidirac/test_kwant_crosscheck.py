"""kwant cross-check of the NS conductance: discretized continuum lattice vs the continuum solver.

Physics checked: the discretized Hamiltonian is the model's; the Wilson term removes the fermion
doubler; Klein tunnelling (no backscattering of a 1D Dirac electron) and BTK's closed form at
normal incidence; convergence of G(eV) to the continuum solver for both orientations, with and
without a barrier; continuity at exactly zero bias; the labelled result format.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

kwant = pytest.importorskip(
    "kwant", reason="kwant is not importable (the physics extra builds it, see README Set-up)"
)

from physcore import semidirac as sd  # noqa: E402
from physcore.semidirac.kwant_crosscheck import (  # noqa: E402
    andreev_terms,
    build_lattice_system,
    kwant_conductance,
)
from physcore.semidirac.lattice.continuum import normal_hamiltonian_expression  # noqa: E402

MODELS = [
    (sd.SemiDirac(mass=0.7, velocity=1.3, delta=0.2), 0.0),
    (sd.SemiDirac(mass=0.7, velocity=1.3, delta=-0.1), np.pi / 2),
    (sd.SemiDirac(mass=0.7, velocity=1.3, delta=0.2), 0.6),
    (sd.Graphene(velocity=2.0), 0.0),
    (sd.Parabolic(mass=0.5), 0.0),
]


@pytest.mark.parametrize(("model", "theta"), MODELS)
def test_discretized_expression_is_the_model(model, theta):
    from kwant.continuum import momentum_operators

    k_x, k_y = momentum_operators[:2]
    expr = normal_hamiltonian_expression(model, theta)
    for kx, ky in [(0.3, -0.7), (-1.1, 0.4), (0.0, 2.0)]:
        h = np.array(expr.subs({k_x: kx, k_y: ky}).evalf(), dtype=complex)
        np.testing.assert_allclose(h, model.hamiltonian(kx, ky, theta), atol=1e-12)


def test_wilson_term_removes_fermion_doubler():
    """Along the linear axis, central differences give a second electron mode at k ~ pi/a;
    the Wilson term gaps it, leaving the one physical mode."""
    junction = sd.NSJunction(sd.SemiDirac(), "linear", mu=1.0, gap=0.2)
    doubled = build_lattice_system(junction, 0.1, wilson=0.0)
    cured = build_lattice_system(junction, 0.1, wilson=1.0)
    assert andreev_terms(doubled, 0.05, 0.0)[0] == 2
    assert andreev_terms(cured, 0.05, 0.0)[0] == 1


@pytest.mark.slow
def test_klein_tunnelling_at_normal_incidence():
    """At q = 0 along the linear axis the model is a 1D Dirac fermion: no scalar potential
    backscatters it, so below the gap R_ee -> 0 and R_he -> 1 through any barrier and doping
    mismatch. The lattice's R_ee must vanish with a (at second order here) while R_ee + R_he = 1
    holds exactly (no transmission below the gap)."""
    junction = sd.NSJunction(
        sd.SemiDirac(), "linear", mu=1.0, gap=0.2, U0=0.5, barrier=sd.RectangularBarrier(2.0, 0.4)
    )
    normal_reflection = []
    for a in (0.2, 0.1, 0.05):
        system = build_lattice_system(junction, a)
        for energy in (0.0, 0.1):
            n_e, r_ee, r_he = andreev_terms(system, energy, 0.0)
            assert n_e == 1
            assert abs(r_ee + r_he - 1.0) < 1e-9
        normal_reflection.append(r_ee)
    assert normal_reflection[0] > 3 * normal_reflection[1] > 9 * normal_reflection[2]
    assert normal_reflection[-1] < 2e-3


def _btk(energy: float, gap: float, z: float) -> float:
    """BTK (PRB 25, 4515 (1982), Table II) G_NS per channel, 1 + A - B, in e^2/h."""
    if energy < gap:
        andreev = gap**2 / (energy**2 + (gap**2 - energy**2) * (1 + 2 * z**2) ** 2)
        return 2 * andreev
    u2 = 0.5 * (1 + np.sqrt(energy**2 - gap**2) / energy)
    v2 = 1 - u2
    gamma = u2 + z**2 * (u2 - v2)
    andreev = u2 * v2 / gamma**2
    normal = (u2 - v2) ** 2 * z**2 * (1 + z**2) / gamma**2
    return 1 + andreev - normal


@pytest.mark.slow
def test_btk_normal_incidence_parabolic():
    """Parabolic 2DEG with a delta barrier at q = 0 is BTK's 1D problem. gap / mu = 0.002 keeps
    the Andreev approximation's error ~ gap / mu below 1e-3; the delta barrier (U / a on one
    cell) converges at first order in a."""
    z, gap = 0.8, 0.002
    junction = sd.NSJunction(sd.Parabolic(), mu=1.0, gap=gap, barrier=sd.DeltaBarrier(z))
    errors = []
    for a in (0.04, 0.02):
        system = build_lattice_system(junction, a)
        n_n, r_nn, _ = andreev_terms(system, 0.5 * gap, 0.0, normal_state=True)
        assert abs((n_n - r_nn) - 1 / (1 + z**2)) < 5 * a  # first order in a
        err = 0.0
        for energy in (1e-7, 0.5 * gap, 2.0 * gap):
            n_e, r_ee, r_he = andreev_terms(system, energy, 0.0)
            err = max(err, abs((n_e - r_ee + r_he) - _btk(energy, gap, z)))
        errors.append(err)
    assert errors[1] < errors[0]
    assert errors[1] < 0.01


CONVERGENCE_CASES = {
    "linear-clean": ("linear", None),
    "linear-barrier": ("linear", sd.RectangularBarrier(height=1.5, width=0.4)),
    "quadratic-clean": ("quadratic", None),
    "quadratic-barrier": ("quadratic", sd.RectangularBarrier(height=1.5, width=0.4)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CONVERGENCE_CASES))
def test_lattice_converges_to_continuum(case):
    """|G_kwant - G_continuum| / G_N < 0.02 at the finest spacing and shrinking with a.

    k_F = 1 (normal) and 1.5 or sqrt(3) (superconductor), so a = 0.05 is 1/13 of the shortest
    Fermi wavelength / (2 pi)... (k_F a <= 0.09). One bias below and one above the gap; both
    solvers integrate over the same transverse momenta (the continuum solver's quadrature)."""
    orientation, barrier = CONVERGENCE_CASES[case]
    junction = sd.NSJunction(sd.SemiDirac(), orientation, mu=1.0, gap=0.2, U0=0.5, barrier=barrier)
    bias = np.array([0.05, 0.3])
    n_modes = 24 if barrier is None else 32
    continuum = junction.conductance(bias, n_q=n_modes).values
    deviation = []
    for a in (0.1, 0.05):
        lattice = kwant_conductance(
            junction, bias, lattice_spacing=a, n_q=n_modes, progress=False
        ).values
        deviation.append(np.max(np.abs(lattice - continuum)))
    assert deviation[1] < deviation[0]
    assert deviation[1] < 0.02


@pytest.mark.slow
def test_delta_barrier_converges_at_first_order():
    """A delta barrier on the quadratic axis is U / a on one cell: its error is first order in
    a (halving a halves it), unlike the second-order clean junction."""
    junction = sd.NSJunction(
        sd.SemiDirac(), "quadratic", mu=1.0, gap=0.2, U0=0.5, barrier=sd.DeltaBarrier(0.5)
    )
    bias = np.array([0.05])
    continuum = junction.conductance(bias, n_q=36).values
    errors = [
        float(
            np.abs(
                kwant_conductance(junction, bias, lattice_spacing=a, n_q=36, progress=False).values
                - continuum
            )[0]
        )
        for a in (0.1, 0.05)
    ]
    assert 1.5 < errors[0] / errors[1] < 2.8
    assert errors[1] < 0.03


@pytest.mark.slow
def test_thin_barrier_on_linear_axis():
    """On the linear axis a thin barrier is the exact transfer matrix exp(-i chi v h1^-1) in the
    continuum and a rectangular barrier of width d = sqrt(a v / (mu + U0)) (rounded to cells)
    and height chi v / d on the lattice; at a = 0.025 (d = 0.125) they agree to 0.01 G_N."""
    junction = sd.NSJunction(
        sd.SemiDirac(), "linear", mu=1.0, gap=0.2, U0=0.5, barrier=sd.ThinBarrier(0.5)
    )
    bias = np.array([0.05])
    lattice = kwant_conductance(junction, bias, lattice_spacing=0.025, n_q=16, progress=False)
    assert "thin-barrier stand-in" in lattice.attrs["lattice_barrier_on_lattice"]
    continuum = junction.conductance(bias, n_q=16).values
    assert abs(float(lattice.values[0] - continuum[0])) < 0.01


def test_zero_bias_matches_slightly_off_zero():
    """At E = 0 exactly (where kwant 1.5 can keep a broken particle-hole symmetry) the
    probabilities equal those at E = +-1e-6 for every q; here h0(q) is complex, so the
    symmetry is broken at fixed q != 0."""
    junction = sd.NSJunction(
        sd.SemiDirac(delta=0.1), "quadratic", mu=1.0, gap=0.2, barrier=sd.ThinBarrier(0.3)
    )
    system = build_lattice_system(junction, 0.1)
    for q in (0.0, 0.3, 0.7):
        at_zero = np.array(andreev_terms(system, 0.0, q))
        for energy in (1e-6, -1e-6):
            np.testing.assert_allclose(andreev_terms(system, energy, q), at_zero, atol=1e-8)


@pytest.mark.slow
def test_result_is_labelled_like_the_continuum():
    """Same dims, coords, name and junction attributes as ``junction.conductance`` plus the
    lattice provenance; a thin barrier on the quadratic axis (a delta potential on one cell,
    first order in a) already agrees to 0.05 G_N at a = 0.1."""
    junction = sd.NSJunction(
        sd.SemiDirac(delta=0.1), "quadratic", mu=1.0, gap=0.2, barrier=sd.ThinBarrier(0.3)
    )
    bias = np.array([0.0, 0.1])
    result = junction.kwant_conductance(bias, lattice_spacing=0.1, n_q=16, progress=False)
    continuum = junction.conductance(bias, n_q=16)
    assert result.dims == continuum.dims == ("bias",)
    assert result.name == continuum.name == "conductance"
    np.testing.assert_array_equal(result.bias.values, continuum.bias.values)
    for key in ("units", "normalize", "n_q", "mu", "gap", "model", "barrier", "model_delta"):
        assert result.attrs[key] == continuum.attrs[key], key
    assert result.attrs["lattice_spacing"] == 0.1
    assert result.attrs["mumps"] in (0, 1)
    assert "kwant" in result.attrs["method"]
    assert np.max(np.abs(result.values - continuum.values)) < 0.05


@pytest.mark.slow
def test_channels_and_none_normalizations_agree_with_continuum():
    junction = sd.NSJunction(sd.Graphene(), mu=1.0, gap=0.1, U0=1.0)
    bias = np.array([0.05])
    for normalize in ("channels", "none"):
        lattice = kwant_conductance(
            junction, bias, lattice_spacing=0.05, n_q=16, normalize=normalize, progress=False
        )
        continuum = junction.conductance(bias, n_q=16, normalize=normalize)
        assert lattice.attrs["units"] == continuum.attrs["units"]
        scale = 1.0 if normalize == "channels" else float(continuum.values[0])
        assert abs(float(lattice.values[0] - continuum.values[0])) < 0.02 * scale


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lattice": "square"}, "lattice must be"),
        ({"normalize": "max"}, "normalize must be"),
        ({"temperature": 0.1}, "temperature must be 0"),
        ({"n_q": 4}, "n_q must be"),
        ({"lattice_spacing": -0.1}, "lattice_spacing must be"),
        ({"wilson": -1.0}, "wilson must be"),
    ],
)
def test_bad_input_raises(kwargs, message):
    junction = sd.NSJunction(sd.SemiDirac(), "linear", mu=1.0, gap=0.2)
    options = {"lattice_spacing": 0.1, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        kwant_conductance(junction, [0.1], **options)


@pytest.mark.slow
def test_convergence_study_order_and_plot(tmp_path):
    """Clean transport along the quadratic axis has no Wilson term and no barrier cell, so the
    lattice error is that of central differences: second order in a. The dataset round-trips
    through netCDF and the figure is written."""
    import xarray as xr

    from physcore.semidirac.kwant_crosscheck import convergence_study, plot_convergence

    junction = sd.NSJunction(sd.SemiDirac(), "quadratic", mu=1.0, gap=0.2, U0=0.5)
    ds = convergence_study(junction, [0.05], [0.2, 0.1], n_q=16, progress=False)
    assert ds.conductance_kwant.dims == ("lattice_spacing", "bias")
    assert 1.6 < ds.attrs["observed_order"] < 2.6
    ds.to_netcdf(tmp_path / "c.nc", engine="h5netcdf")
    back = xr.load_dataset(tmp_path / "c.nc", engine="h5netcdf")
    np.testing.assert_allclose(back.max_deviation, ds.max_deviation)
    plot_convergence(ds, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


README_JUNCTION = dict(mu=10.0, gap=1.0, U0=0.0)


def test_coarse_lattice_is_refused_or_warned():
    """k_F a > 1 (the lattice band cannot reach the Fermi energy): ValueError naming the
    spacing; 0.3 < k_F a <= 1: LatticeSpacingWarning. README junction: k_F = 11 at eV = 0.5."""
    from physcore.semidirac.kwant_crosscheck import LatticeSpacingWarning, largest_fermi_momentum

    junction = sd.NSJunction(sd.SemiDirac(), "linear", **README_JUNCTION)
    assert largest_fermi_momentum(junction, [0.5]) == pytest.approx(11.0)
    with pytest.raises(ValueError, match="lattice_spacing"):
        kwant_conductance(junction, [0.5], lattice_spacing=0.1, n_q=16, progress=False)
    with pytest.warns(LatticeSpacingWarning, match="k a = 0.55"):
        kwant_conductance(junction, [0.5], lattice_spacing=0.05, n_q=16, progress=False)


@pytest.mark.slow
def test_readme_junction_accuracy_claims():
    """The numbers of the kwant_conductance docstring (and the README) on the README junction
    at eV = 0.5: clean, 3.1e-3 G_N at a = 0.05 falling to 1.3e-4 at a = 0.00625; with
    ThinBarrier(0.5), 2.4e-2 at a = 0.05 and between 6e-3 and 1e-2 below a = 0.025 (a thin
    barrier on the linear axis does not converge further)."""
    bias = np.array([0.5])

    def deviation(junction, a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lattice = kwant_conductance(junction, bias, lattice_spacing=a, n_q=16, progress=False)
        return float(abs(lattice.values[0] - junction.conductance(bias, n_q=16).values[0]))

    clean = sd.NSJunction(sd.SemiDirac(), "linear", **README_JUNCTION)
    assert 2e-3 < deviation(clean, 0.05) < 5e-3
    assert deviation(clean, 0.00625) < 2e-4
    thin = clean.replace(barrier=sd.ThinBarrier(0.5))
    assert 1.5e-2 < deviation(thin, 0.05) < 4e-2
    stalled = [deviation(thin, a) for a in (0.025, 0.0125, 0.00625)]
    assert all(5e-3 < d < 1e-2 for d in stalled), stalled


@pytest.mark.slow
def test_wilson_term_barrier_converges_at_first_order():
    """The lattice.continuum docstring's numbers: the demo junction (rectangular barrier on
    the linear axis) deviates by 0.017 and 0.0087 G_N at a = 0.1 and 0.05 (first order)."""
    from physcore.semidirac.kwant_crosscheck import convergence_study

    junction = sd.NSJunction(
        sd.SemiDirac(),
        "linear",
        mu=1.0,
        gap=0.2,
        U0=0.5,
        barrier=sd.RectangularBarrier(height=1.5, width=0.4),
    )
    ds = convergence_study(junction, [0.05, 0.3], [0.1, 0.05], n_q=16, progress=False)
    coarse, fine = (
        ds.max_deviation.sel(lattice_spacing=0.1),
        ds.max_deviation.sel(lattice_spacing=0.05),
    )
    assert float(coarse) == pytest.approx(0.017, rel=0.15)
    assert float(fine) == pytest.approx(0.0087, rel=0.15)
    assert 1.6 < float(coarse / fine) < 2.4


@pytest.mark.slow
def test_thin_barrier_on_linear_axis_rate():
    """The lattice.profile docstring's numbers: ThinBarrier(0.5) on the linear axis at mu = 1,
    U0 = 0.5 deviates by 7.3e-3 G_N at a = 0.05 and 2.0e-3 at a = 0.00625 (about a^0.6)."""
    junction = sd.NSJunction(
        sd.SemiDirac(), "linear", mu=1.0, gap=0.2, U0=0.5, barrier=sd.ThinBarrier(0.5)
    )
    bias = np.array([0.05])
    continuum = junction.conductance(bias, n_q=16).values[0]
    deviation = [
        abs(
            kwant_conductance(junction, bias, lattice_spacing=a, n_q=16, progress=False).values[0]
            - continuum
        )
        for a in (0.05, 0.00625)
    ]
    assert deviation[0] == pytest.approx(7.3e-3, rel=0.15)
    assert deviation[1] == pytest.approx(2.0e-3, rel=0.15)
