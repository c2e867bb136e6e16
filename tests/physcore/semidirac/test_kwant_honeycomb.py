"""The honeycomb lattice with t' = 2t - delta as a physical semi-Dirac point (kwant).

Checked: the bulk bands near the merged node are the SemiDirac model's (which bond carries t',
the masses and velocities, the sign of delta), the inverse mapping, and the NS conductance of
the wrapped lattice against the continuum solver at energies well below the bandwidth.
"""

from __future__ import annotations

import numpy as np
import pytest

kwant = pytest.importorskip(
    "kwant", reason="kwant is not importable (the physics extra builds it, see README Set-up)"
)

from physcore import semidirac as sd  # noqa: E402
from physcore.semidirac.lattice.honeycomb import (  # noqa: E402
    bulk_energies,
    honeycomb_hoppings,
    node_momentum,
    semidirac_from_honeycomb,
)

ORIENTATIONS = {"linear": (0.0, 0.0), "quadratic": (90.0, np.pi / 2)}


@pytest.mark.parametrize("t_prime", [2.0, 1.9, 2.1])
@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_bands_near_node_are_semidirac(orientation, t_prime):
    """E_lattice(K + p) = E_SemiDirac(p) up to the next order of the expansion, whose largest
    term is (9/8) t' (p a)^2 (from cos(3 p a / 2) on the t' bond): bound 3 t (|p| a)^2.
    t' = 1.9 (delta = +0.1, two Dirac cones) and 2.1 (gapped) fix the sign of delta."""
    t, a = 1.0, 1.0
    model = semidirac_from_honeycomb(t, t_prime, a)
    degrees, theta = ORIENTATIONS[orientation]
    node = node_momentum(a, degrees)
    rng = np.random.default_rng(7)
    p = rng.uniform(-0.03, 0.03, size=(12, 2)) / a
    lattice = bulk_energies(t, t_prime, a, degrees, node[0] + p[:, 0], node[1] + p[:, 1])
    continuum = np.array([model.energies(px, py, theta) for px, py in p])
    bound = 3 * t * (np.hypot(p[:, 0], p[:, 1]) * a) ** 2
    assert np.all(np.abs(lattice - continuum).max(axis=1) <= bound)
    # the linear axis is along the t' bond: E grows linearly there, quadratically across
    along = np.array([0.01, 0.0]) if degrees == 0.0 else np.array([0.0, 0.01])
    e_along = bulk_energies(t, 2.0, a, degrees, *(node + along)[:, None])[0, 1]
    assert abs(e_along - 3 * t * a * 0.01) < 1e-5


def test_mapping_round_trip():
    model = sd.SemiDirac(mass=0.4, velocity=2.5, delta=0.05)
    t, t_prime, a = honeycomb_hoppings(model)
    back = semidirac_from_honeycomb(t, t_prime, a)
    np.testing.assert_allclose(
        [back.mass, back.velocity, back.delta], [model.mass, model.velocity, model.delta]
    )
    assert np.isclose(honeycomb_hoppings(sd.SemiDirac(mass=1.0, velocity=1.0))[2], 2.0)


@pytest.mark.slow
@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_honeycomb_conductance_matches_continuum(orientation):
    """G/G_N of the honeycomb NS junction vs the continuum semi-Dirac solver.

    Tolerance 2 (mu + |eV|) / t: the lattice corrections to the dispersion are of relative order
    energy / t with coefficients up to ~1.5 (measured: 1.5 mu / t along the linear axis,
    ~0.02 mu / t along the quadratic one, at gap = 0.2 mu, U0 = 0). The deviation must also
    shrink when mu / t is halved, i.e. be a lattice correction and not a mismatch."""
    model = semidirac_from_honeycomb(1.0, 2.0, 1.0)  # t = 1, bond length 1
    deviation = []
    for mu in (0.02, 0.01):
        junction = sd.NSJunction(model, orientation, mu=mu, gap=0.2 * mu)
        bias = np.array([0.5, 1.5]) * junction.gap
        continuum = junction.conductance(bias, n_q=24).values
        lattice = junction.kwant_conductance(
            bias, lattice_spacing=1.0, lattice="honeycomb", n_q=24, progress=False
        ).values
        dev = np.abs(lattice - continuum)
        assert np.all(dev < 2 * (mu + bias)), (mu, dev)
        deviation.append(dev.max())
    assert deviation[1] < deviation[0] or deviation[0] < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_honeycomb_barrier_matches_continuum(orientation):
    """A wide rectangular barrier (30 bond lengths, height 1.5 mu, doped superconductor): the
    barrier is averaged over the slab each atomic row stands for, so its width is exact and
    G agrees within the same 2 (mu + |eV|) / t bound. (Putting the full height on the rows with
    0 <= x < width instead errs by 0.08 G_N along the quadratic axis: G oscillates with the
    width and rows quantize it in steps of sqrt(3) a / 2.)"""
    model = semidirac_from_honeycomb(1.0, 2.0, 1.0)
    mu = 0.01
    junction = sd.NSJunction(
        model,
        orientation,
        mu=mu,
        gap=0.2 * mu,
        U0=mu,
        barrier=sd.RectangularBarrier(height=1.5 * mu, width=30.0),
    )
    bias = np.array([0.1 * mu])
    continuum = junction.conductance(bias, n_q=24).values
    lattice = junction.kwant_conductance(
        bias, lattice_spacing=1.0, lattice="honeycomb", n_q=24, progress=False
    ).values
    assert np.all(np.abs(lattice - continuum) < 2 * (mu + bias))


def test_honeycomb_rejects_what_it_cannot_represent():
    from physcore.semidirac.kwant_crosscheck import kwant_conductance

    model = sd.SemiDirac(mass=1.0, velocity=1.0)
    good = sd.NSJunction(model, "linear", mu=0.01, gap=0.002)
    with pytest.raises(ValueError, match="lattice_spacing must be the bond length"):
        kwant_conductance(good, [0.001], lattice_spacing=1.0, lattice="honeycomb")
    with pytest.raises(ValueError, match="orientation must be"):
        kwant_conductance(
            good.replace(orientation=30.0), [0.001], lattice_spacing=2.0, lattice="honeycomb"
        )
    with pytest.raises(ValueError, match="SemiDirac models only"):
        kwant_conductance(
            sd.NSJunction(sd.Graphene(), mu=1.0), [0.1], lattice_spacing=1.0, lattice="honeycomb"
        )
