"""Collision maps are CPTP; fixed points agree with QuTiP; equilibrium and g = 0 limits."""

import numpy as np
import pytest
import qutip

from physcore.collision.maps import (
    ancilla_weights,
    collision_kraus,
    collision_map,
    map_components,
)
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.solver import CollisionSolver
from physcore.collision.steady import (
    collision_steady_state,
    fixed_point,
    qutip_fixed_point,
    state_checks,
    trace_distance,
)
from physcore.collision.thermo import steady_thermodynamics


def gibbs(h, temperature):
    rho = (-h / temperature).expm()
    return rho / rho.tr()


@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_map_is_cptp_and_decomposes(asymmetric_model, scheme):
    kraus = collision_kraus(asymmetric_model, scheme)
    completeness = sum(k.dag() * k for k in kraus)
    assert (completeness - qutip.qeye([2, 2])).norm() < 1e-13
    e = collision_map(asymmetric_model, scheme)
    assert e.iscptp
    # Phi = sum_j p_j S_j with temperature-independent S_j
    s = map_components(asymmetric_model, scheme)
    np.testing.assert_allclose(
        np.einsum("j,jab->ab", ancilla_weights(asymmetric_model), s), e.full(), atol=1e-14
    )


@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_fixed_point_matches_qutip_and_is_a_state(asymmetric_model, scheme):
    e = collision_map(asymmetric_model, scheme)
    ours = fixed_point(e)
    ref = qutip_fixed_point(e)
    assert np.abs(ours.full() - ref.full()).max() < 1e-10
    checks = state_checks(ours)
    assert checks["trace_error"] < 1e-12
    assert checks["hermiticity_error"] < 1e-12
    assert checks["min_eigenvalue"] > -1e-12
    assert (e(ours) - ours).norm() < 1e-12


def test_iteration_converges_to_fixed_point(asymmetric_model):
    solver = CollisionSolver(asymmetric_model, "exact", options={"store_states": False})
    res = solver.run(qutip.ket2dm(qutip.tensor(qutip.basis(2, 1), qutip.basis(2, 0))), 600)
    assert trace_distance(res.states[-1], solver.steady_state()) < 1e-9
    # stepping API agrees with run
    solver.start(qutip.qeye([2, 2]) / 4)
    for _ in range(3):
        state = solver.step()
    res3 = CollisionSolver(asymmetric_model).run(qutip.qeye([2, 2]) / 4, 3)
    assert trace_distance(state, res3.states[-1]) < 1e-14
    assert len(res3.states) == 4 and res3.times[-1] == pytest.approx(3 * asymmetric_model.tau)


@pytest.mark.parametrize("kind", ["exchange", "xxz", "dm"])
@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_equal_temperatures_resonant_exchange_give_gibbs_and_no_current(kind, scheme):
    # All named H_12 conserve the excitation number N and resonant exchange collisions conserve
    # N + N_ancillas, so exp(-N w / T) of system (x) ancillas is invariant: the fixed point is the
    # Gibbs state of the bare H_0 = w/2 (sz1 + sz2) at any g and tau, with no heat and no work.
    temperature = 0.7
    model = CollisionModel(
        TwoQubitSystem(g=0.9, kind=kind, anisotropy=0.6),
        AncillaBath(temperature, strength=0.8),
        AncillaBath(temperature, strength=1.4),
        tau=0.37,
    )
    rho = collision_steady_state(model, scheme)
    assert trace_distance(rho, gibbs(model.system.h_local(), temperature)) < 1e-12
    # ... which is not the Gibbs state of the full H_S (that one is the global-ME fixed point)
    assert trace_distance(rho, gibbs(model.system.hamiltonian(), temperature)) > 1e-3
    t = steady_thermodynamics(model, scheme)
    assert max(abs(t.heat_left), abs(t.heat_right), abs(t.work)) < 1e-13


@pytest.mark.parametrize("kind", ["exchange", "sigma_x_sigma_x"])
def test_g0_each_qubit_thermalizes_with_its_own_bath(kind):
    model = CollisionModel(
        TwoQubitSystem(omega_1=1.0, omega_2=1.7, g=0.0),
        AncillaBath(2.0, coupling=kind, strength=0.9),
        AncillaBath(0.4, coupling="exchange", strength=0.6),
        tau=0.25,
    )
    rho = collision_steady_state(model, "exact")
    right = gibbs(0.5 * 1.7 * qutip.sigmaz(), 0.4)
    if kind == "exchange":
        expected = qutip.tensor(gibbs(0.5 * qutip.sigmaz(), 2.0), right)
    else:
        # J sx ax collisions at finite tau: qubit 1 ends in its own diagonal state, uncorrelated
        expected = qutip.tensor(rho.ptrace(0), right)
        assert abs(rho.ptrace(0).full()[0, 1]) < 1e-12
    assert trace_distance(rho, expected) < 1e-12
    assert trace_distance(rho, collision_steady_state(model, "local")) < 1e-14
