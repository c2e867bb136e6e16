"""Continuum limit tau -> 0 at fixed J^2 tau, and the global master equation."""

import numpy as np
import pytest
import qutip

from physcore.collision.lindblad import (
    bohr_decomposition,
    global_lindblad,
    lindblad_steady_state,
    local_heat_currents,
    local_lindblad,
)
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.solver import CollisionSolver
from physcore.collision.steady import collision_steady_state, trace_distance
from physcore.collision.thermo import steady_thermodynamics

GAMMA = 0.05  # J^2 tau held fixed
TAUS = np.array([0.2, 0.1, 0.05, 0.025])


def continuum_model(tau, *, g, left="exchange"):
    j = np.sqrt(GAMMA / tau)
    return CollisionModel(
        TwoQubitSystem(omega_2=1.1, g=g),
        AncillaBath(2.0, coupling=left, strength=j),
        AncillaBath(0.5, strength=1.3 * j),
        tau=tau,
    )


def fitted_order(errors):
    return np.polyfit(np.log(TAUS), np.log(errors), 1)[0]


@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_exchange_collisions_converge_to_local_lindblad_first_order(scheme):
    # Phi = 1 + tau L + O(tau^2): the steady states differ by O(tau) (measured slope 1.00)
    errors, current_errors = [], []
    for tau in TAUS:
        model = continuum_model(tau, g=0.3)
        rho_me = lindblad_steady_state(local_lindblad(model))
        errors.append(trace_distance(collision_steady_state(model, scheme), rho_me))
        t = steady_thermodynamics(model, scheme)
        j_me = local_heat_currents(model, rho_me)
        current_errors.append(abs(t.current_left - j_me[0]) / abs(j_me[0]))
    assert 0.9 < fitted_order(errors) < 1.1
    assert errors[-1] < 2e-4
    assert 0.9 < fitted_order(current_errors) < 1.1
    assert current_errors[-1] < 2e-3


def test_xx_collisions_at_g0_converge_at_second_order():
    # For J sx ax and g = 0 the O(tau) correction to the steady state cancels (measured 2.0):
    # pinned so that a change of the expansion shows up.
    errors = []
    for tau in TAUS:
        model = continuum_model(tau, g=0.0, left="sigma_x_sigma_x")
        rho_me = lindblad_steady_state(local_lindblad(model))
        errors.append(trace_distance(collision_steady_state(model, "exact"), rho_me))
        # the sx ax collisions always dump heat into the bath: J_L = -gamma wa (1 - 2 p)
        j_l = steady_thermodynamics(model).current_left
        assert j_l < 0
        assert j_l == pytest.approx(local_heat_currents(model, rho_me)[0], rel=0.1)
    assert 1.9 < fitted_order(errors) < 2.1


def test_collision_transient_follows_mesolve():
    tau = 0.01
    model = continuum_model(tau, g=0.4)
    rho0 = qutip.ket2dm(qutip.tensor(qutip.basis(2, 1), qutip.basis(2, 0)))
    n = 300
    res = CollisionSolver(model).run(rho0, n)
    me = qutip.mesolve(local_lindblad(model), rho0, res.times[::50], options={"atol": 1e-10})
    worst = max(trace_distance(a, b) for a, b in zip(res.states[::50], me.states))
    assert worst < 2e-3  # O(tau) global error


def test_global_equals_local_at_g0_and_thermalizes():
    model = CollisionModel(
        TwoQubitSystem(omega_2=1.1, g=0.0),
        AncillaBath(2.0, strength=0.3),
        AncillaBath(0.5, strength=0.2),
        tau=0.1,
    )
    assert (global_lindblad(model) - local_lindblad(model)).norm() < 1e-12
    hot = CollisionModel(
        TwoQubitSystem(omega_2=1.1, g=0.6, kind="xxz", anisotropy=0.3),
        AncillaBath(2.0, strength=0.3),
        AncillaBath(2.0, strength=0.2),
        tau=0.1,
    )
    gibbs = (-hot.system.hamiltonian() / 2.0).expm()
    gibbs = gibbs / gibbs.tr()
    assert trace_distance(lindblad_steady_state(global_lindblad(hot)), gibbs) < 1e-10
    # while the local equation does not reach the Gibbs state of H_S
    assert trace_distance(lindblad_steady_state(local_lindblad(hot)), gibbs) > 1e-3


def test_bohr_decomposition_reassembles_and_lowers_energy():
    h = TwoQubitSystem(omega_2=1.2, g=0.5).hamiltonian()
    op = qutip.tensor(qutip.sigmax(), qutip.qeye(2))
    parts = bohr_decomposition(h, op)
    assert (sum(a for _, a in parts) - op).norm() < 1e-12
    for w, a in parts:
        assert (h * a - a * h + w * a).norm() < 1e-10
