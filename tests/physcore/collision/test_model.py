import numpy as np
import pytest
import qutip

from physcore.collision import correlations as corr
from physcore.collision.maps import collision_map
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.solver import CollisionSolver
from physcore.collision.steady import check_density_matrix, fixed_point
from physcore.collision.thermo import collision_thermodynamics


def test_spin_convention_basis0_is_excited():
    # the fresh ancilla's excited population sits on basis(2, 0), the +1 state of sigma_z
    model = CollisionModel(TwoQubitSystem(), AncillaBath(0.7), AncillaBath(0.3), tau=0.1)
    eta_l, _ = model.ancilla_states()
    p = 1.0 / (1.0 + np.exp(1.0 / 0.7))
    assert eta_l.full()[0, 0].real == pytest.approx(p, rel=1e-14)
    h = model.system.h_local()
    assert qutip.expect(h, qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0))) == pytest.approx(1.0)
    # H_12 of every named kind conserves the excitation number
    n = qutip.tensor(qutip.sigmaz(), qutip.qeye(2)) + qutip.tensor(qutip.qeye(2), qutip.sigmaz())
    for kind in ("exchange", "xxz", "dm"):
        h12 = TwoQubitSystem(g=0.7, kind=kind, anisotropy=0.4).h_interaction()
        assert (h12 * n - n * h12).norm() < 1e-14
        assert h12.isherm


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: AncillaBath(-1.0), "temperature"),
        (lambda: AncillaBath(0.0), "temperature"),
        (lambda: AncillaBath(1.0, coupling="yy"), "coupling"),
        (lambda: AncillaBath(1.0, frequency=-2.0), "frequency"),
        (lambda: AncillaBath(1.0, strength=np.nan), "strength"),
        (lambda: TwoQubitSystem(omega_1=0.0), "omega_1"),
        (lambda: TwoQubitSystem(kind="zz"), "kind"),
        (lambda: TwoQubitSystem(kind="custom"), "h12"),
        (lambda: TwoQubitSystem(kind="custom", h12=np.triu(np.ones((4, 4)))), "h12"),
        (lambda: TwoQubitSystem(kind="custom", h12=np.eye(2)), "h12"),
        (lambda: CollisionModel(TwoQubitSystem(), AncillaBath(1), AncillaBath(1), tau=0.0), "tau"),
        (lambda: CollisionModel(TwoQubitSystem(), AncillaBath(1), AncillaBath(1), tau=-1), "tau"),
        (lambda: CollisionModel(TwoQubitSystem(), AncillaBath(1), 3.0, tau=0.1), "right"),
    ],
)
def test_bad_input_names_the_parameter(factory, name):
    with pytest.raises(ValueError, match=name):
        factory()


def test_bad_states_and_maps(exchange_model):
    with pytest.raises(ValueError, match="rho"):
        check_density_matrix(np.eye(2) / 2)
    with pytest.raises(ValueError, match="rho"):
        collision_thermodynamics(exchange_model, np.diag([1.0, 0, 0, 1.0]))  # trace 2
    with pytest.raises(ValueError, match="rho"):
        corr.discord(np.array([[0.5, 0.5j, 0, 0], [0.5j, 0.5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="superop"):
        fixed_point(np.eye(4))
    with pytest.raises(ValueError, match="scheme"):
        collision_map(exchange_model, "global")
    with pytest.raises(ValueError, match="n_collisions"):
        CollisionSolver(exchange_model).run(qutip.qeye([2, 2]) / 4, 0)
    with pytest.raises(ValueError, match="options"):
        CollisionSolver(exchange_model, options={"atol": 1})
    with pytest.raises(ValueError, match="X state"):
        corr.discord_x_state(qutip.rand_dm([2, 2], seed=1))
    with pytest.raises(ValueError, match="measured"):
        corr.discord(qutip.qeye([2, 2]) / 4, measured=2)


def test_custom_h12_equals_named_kind():
    named = TwoQubitSystem(g=0.3, kind="exchange")
    custom = TwoQubitSystem(kind="custom", h12=named.h_interaction().full())
    assert (named.hamiltonian() - custom.hamiltonian()).norm() < 1e-15


def test_replace_and_swap(exchange_model):
    swapped = exchange_model.swapped_temperatures()
    assert swapped.left.temperature == exchange_model.right.temperature
    assert swapped.right.temperature == exchange_model.left.temperature
    assert exchange_model.replace(g=2.0).system.g == 2.0
    with pytest.raises(ValueError, match="temperature"):
        exchange_model.replace(temperature_left=-1.0)
