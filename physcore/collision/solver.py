"""Stepping through collisions: ``CollisionSolver.start / step / run`` (QuTiP 5 solver style)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import qutip

from .. import _operators as ops
from .._validation import Choices, Constraint, check_params
from .finalized import FinalizedCollision, finalize
from .model import CollisionModel
from .steady import check_density_matrix, increment_fixed_point

__all__ = ["CollisionSolver", "CollisionResult", "collision_evolve", "OPTIONS"]

#: the solver's option set, declared once (physcore._validation)
OPTIONS = {
    "store_states": Constraint(
        Choices(True, False), True, "keep the state after every collision (else the last only)"
    ),
}


@dataclass
class CollisionResult:
    """Transient of a collision model.

    Attributes
    ----------
    times : ndarray, shape (n + 1,)
        ``k tau`` after k collisions.
    states : list of Qobj
        System states at ``times`` (only the last one unless ``store_states``).
    heat_left, heat_right, work : ndarray, shape (n,)
        Heat from each bath and work per collision. ``work`` is ``Delta E_S - Q_L - Q_R`` (the
        first law defines it here; :func:`.thermo.collision_thermodynamics` computes every term
        from its own operator).
    scheme : str
    """

    times: np.ndarray
    states: list = field(repr=False)
    heat_left: np.ndarray
    heat_right: np.ndarray
    work: np.ndarray
    scheme: str


class CollisionSolver:
    """Repeated collisions of one scheme.

    Parameters
    ----------
    model : CollisionModel or FinalizedCollision
        A model (finalized here with ``scheme``) or ``model.finalized(scheme)``.
    scheme : {"exact", "local"}, optional
        Default ``"exact"`` for a model, the finalized system's scheme otherwise.
    options : dict, optional
        ``{"store_states": bool}`` (default True).

    Attributes
    ----------
    finalized : FinalizedCollision
        The unitary, map, observables and post-collision step in use.
    """

    solver_options = {name: c.default for name, c in OPTIONS.items()}

    def __init__(
        self,
        model: CollisionModel | FinalizedCollision,
        scheme: str | None = None,
        *,
        options=None,
    ):
        if not isinstance(model, CollisionModel | FinalizedCollision):
            raise ValueError(f"model must be a CollisionModel, got {model!r}")
        self.finalized = finalize(model, scheme)
        self.model = self.finalized.model
        self.scheme = self.finalized.scheme
        self.options = check_params(OPTIONS, dict(options or {}), owner="options")
        # steps, heat and energy from the changes Phi - 1 and U^+ X U - X (see ._increment):
        # they are O(J**2 tau**2) at short collisions and are never formed by a subtraction
        fin = self.finalized
        self._increment = fin.map_increment
        self._heat_left = -fin.expected_change("ancilla_left")
        self._heat_right = -fin.expected_change("ancilla_right")
        self._energy = fin.expected_change("system")
        self._rho = None

    @property
    def map(self) -> qutip.Qobj:
        """The collision map as a QuTiP superoperator (the finalized system's)."""
        return self.finalized.map

    def steady_state(self) -> qutip.Qobj:
        """Fixed point of the map (direct null-space solve on ``Phi - 1``)."""
        return increment_fixed_point(self._increment)

    def start(self, rho0) -> None:
        """Set the system state before the first collision."""
        self._rho = check_density_matrix(rho0, "rho0").full()

    def _collide(self):
        rho = self._rho
        change = (self._increment @ rho.T.reshape(16)).reshape(4, 4).T
        q_l = np.trace(self._heat_left @ rho).real
        q_r = np.trace(self._heat_right @ rho).real
        d_e = np.trace(self._energy @ rho).real
        self._rho = rho + change
        return q_l, q_r, d_e - q_l - q_r

    def step(self) -> qutip.Qobj:
        """One collision; returns the new system state."""
        if self._rho is None:
            raise RuntimeError("call start(rho0) before step()")
        self._collide()
        return qutip.Qobj(self._rho, dims=ops.TWO_QUBIT_DIMS)

    def run(self, rho0, n_collisions: int) -> CollisionResult:
        """``n_collisions`` collisions from ``rho0``."""
        n = int(n_collisions)
        if n < 1:
            raise ValueError(f"n_collisions must be >= 1, got {n_collisions!r}")
        self.start(rho0)
        dims = ops.TWO_QUBIT_DIMS
        states = [qutip.Qobj(self._rho, dims=dims)] if self.options["store_states"] else []
        thermo = np.empty((n, 3))
        for k in range(n):
            thermo[k] = self._collide()
            if self.options["store_states"]:
                states.append(qutip.Qobj(self._rho, dims=dims))
        if not self.options["store_states"]:
            states = [qutip.Qobj(self._rho, dims=dims)]
        return CollisionResult(
            times=self.model.tau * np.arange(n + 1),
            states=states,
            heat_left=thermo[:, 0],
            heat_right=thermo[:, 1],
            work=thermo[:, 2],
            scheme=self.scheme,
        )


def collision_evolve(
    model: CollisionModel | FinalizedCollision,
    rho0,
    n_collisions: int,
    scheme: str | None = None,
    *,
    options=None,
) -> CollisionResult:
    """Thin wrapper: ``CollisionSolver(model, scheme, options=options).run(rho0, n_collisions)``."""
    return CollisionSolver(model, scheme, options=options).run(rho0, n_collisions)
