"""model.finalized(scheme): built once per call chain, the scheme checked once, old names warn."""

import numpy as np
import pytest
import qutip

from physcore.collision import finalized as finalized_module
from physcore.collision import model as model_module
from physcore.collision.finalized import FinalizedCollision
from physcore.collision.maps import collision_map, map_increment
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.solver import CollisionSolver
from physcore.collision.steady import collision_steady_state
from physcore.collision.sweeps import rectification_map
from physcore.collision.thermo import rectification, steady_thermodynamics


@pytest.fixture
def count_builds(monkeypatch):
    """Counts FinalizedCollision constructions and scheme checks."""
    counts = {"finalized": 0, "scheme": 0}
    init, check = FinalizedCollision.__init__, model_module.check_scheme

    def counting_init(self, *args, **kwargs):
        counts["finalized"] += 1
        init(self, *args, **kwargs)

    def counting_check(scheme):
        counts["scheme"] += 1
        return check(scheme)

    monkeypatch.setattr(FinalizedCollision, "__init__", counting_init)
    monkeypatch.setattr(finalized_module, "check_scheme", counting_check)
    return counts


@pytest.mark.parametrize("scheme", ["exact", "local"])
def test_each_call_chain_builds_one_finalized_system(exchange_model, count_builds, scheme):
    steady_thermodynamics(exchange_model, scheme)
    assert count_builds == {"finalized": 1, "scheme": 1}
    rectification(exchange_model, scheme)  # forward and backward
    assert count_builds == {"finalized": 3, "scheme": 3}
    solver = CollisionSolver(exchange_model, scheme)
    solver.run(solver.steady_state(), 3)
    assert count_builds["finalized"] == 4
    rectification_map(exchange_model, [0.2, 0.5], [1.0], scheme=scheme)
    assert count_builds["finalized"] == 5
    fin = exchange_model.finalized(scheme)  # passed on, nothing is built again
    steady_thermodynamics(fin)
    rectification_map(fin, [0.2], [1.0])
    CollisionSolver(fin).run(qutip.qeye([2, 2]) / 4, 2)
    assert count_builds == {"finalized": 6, "scheme": 6}


def test_finalized_system_gives_the_model_results(asymmetric_model):
    for scheme in ("exact", "local"):
        fin = asymmetric_model.finalized(scheme)
        assert fin.scheme == scheme and fin.model is asymmetric_model
        np.testing.assert_array_equal(
            map_increment(fin).full(), map_increment(asymmetric_model, scheme).full()
        )
        assert (collision_map(fin) - collision_map(asymmetric_model, scheme)).norm() < 1e-15
        a = steady_thermodynamics(fin)
        b = steady_thermodynamics(asymmetric_model, scheme)
        assert a == b
        # the map's fixed point is the steady state, and the Kraus operators are complete
        rho = collision_steady_state(fin)
        assert (
            qutip.vector_to_operator(fin.map * qutip.operator_to_vector(rho)) - rho
        ).norm() < 1e-12
        completeness = sum(k.dag() * k for k in fin.kraus)
        assert (completeness - qutip.qeye([2, 2])).norm() < 1e-13
    with pytest.raises(ValueError, match="scheme='exact' differs"):
        steady_thermodynamics(asymmetric_model.finalized("local"), "exact")
    with pytest.raises(ValueError, match="scheme"):
        asymmetric_model.finalized("global")


def test_old_xx_names_warn_and_mean_the_same():
    with pytest.warns(DeprecationWarning, match="coupling='xx' is deprecated.*sigma_x_sigma_x"):
        old = AncillaBath(1.0, coupling="xx")
    assert old == AncillaBath(1.0, coupling="sigma_x_sigma_x")
    with pytest.warns(DeprecationWarning, match="kind='xx' is deprecated.*'exchange'"):
        system = TwoQubitSystem(g=0.4, kind="xx")
    assert system == TwoQubitSystem(g=0.4, kind="exchange")
    # the flip-flop conserves the excitation number; the bath coupling sx ax does not
    model = CollisionModel(system, old, AncillaBath(0.5), tau=0.2)
    n = qutip.tensor(qutip.sigmaz(), qutip.qeye(2)) + qutip.tensor(qutip.qeye(2), qutip.sigmaz())
    assert (system.h_interaction() * n - n * system.h_interaction()).norm() < 1e-14
    assert steady_thermodynamics(model).work != 0.0
