"""The finalized collision model: everything one scheme needs, computed once.

:meth:`.CollisionModel.finalized` (kwant's ``Builder.finalized()`` pattern) validates the scheme
once and returns a :class:`FinalizedCollision`, which holds plain arrays:

* ``generator``: the Hamiltonian of one collision, ``H_S + H_R + V`` (exact) or
  ``H_0 + H_R + V`` (local), 16x16, order (qubit 1, qubit 2, ancilla L, ancilla R);
* ``collision_step``: ``U - 1`` of ``U = exp(-i tau generator)``, kept as exact first-order
  term plus remainder (:class:`._increment.Increment`, no cancellation at short collisions);
* ``post_step``: the local scheme's separate inter-system step ``exp(-i tau H_12) - 1`` (4x4),
  None for the exact scheme, and ``total_step``, the whole collision;
* ``weights``: the ancilla-pair Gibbs weights ``p_j`` (j = 2 j_L + j_R, 0 = excited);
* ``increment_components`` (``Phi_j - 1``, (4, 16, 16)) and ``map_increment`` (``Phi - 1``);
* ``observables``: the Heisenberg energy changes ``O_j = <j|U^dagger X U - X|j>`` of the left
  and right ancilla energies, of ``V`` and of ``H_S`` (:func:`.maps.collision_observable_changes`
  documents them), and their weighted sums in :meth:`FinalizedCollision.expected_change`.

The QuTiP objects (``unitary``, ``kraus``, ``map``) are formed on first use and kept. The
solver (:class:`.CollisionSolver`), the thermodynamics, the steady state and the sweeps take
either a model and a scheme or a finalized model; every public function that receives a model
finalizes it once and passes the finalized object on.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import qutip

from .. import _operators as ops
from . import _increment
from .model import CollisionModel, check_scheme

__all__ = ["FinalizedCollision", "finalize", "coupling_generators"]


def coupling_generators(model: CollisionModel, local: bool, g_values) -> np.ndarray:
    """Collision generators at each inter-system coupling g, shape (n_g, 16, 16).

    ``H_12`` is linear in g for the named kinds, so ``G(g) = G(0) + g dG/dg``; the local
    generator does not contain ``H_12`` (then all are equal to ``G(0)``).
    """
    g = np.asarray(g_values, dtype=float)
    g0 = model.replace(g=0.0)._generator_array(local=local)
    if local:
        return np.broadcast_to(g0, g.shape + g0.shape).copy()
    dg = model.replace(g=1.0)._generator_array(local=local) - g0
    return g0[None] + g[:, None, None] * dg[None]


class FinalizedCollision:
    """One collision of ``model`` under ``scheme``, as arrays computed once (see the module).

    Parameters
    ----------
    model : CollisionModel
    scheme : {"exact", "local"}

    Attributes
    ----------
    model, scheme, tau
        What was finalized; ``tau`` is ``model.tau``.
    generator : ndarray, (16, 16)
    collision_step, total_step : _increment.Increment
        ``U - 1`` of the collision step and of the whole collision.
    post_step : _increment.Increment or None
        ``exp(-i tau H_12) - 1`` (4x4), local scheme only.
    weights : ndarray, (4,)
    """

    def __init__(self, model: CollisionModel, scheme: str = "exact"):
        if not isinstance(model, CollisionModel):
            raise ValueError(f"model must be a CollisionModel, got {model!r}")
        self.model = model
        self.scheme = check_scheme(scheme)
        self.tau = model.tau
        self.generator = _frozen(model._generator_array(local=self.local))
        self.collision_step = _increment.unitary_increment(self.generator, model.tau)
        self.post_step = None
        if self.local:
            self.post_step = _increment.unitary_increment(
                model.system.h_interaction().full(), model.tau
            )
        self.total_step = _increment.then_system_step(self.collision_step, self.post_step)
        self.weights = _frozen(np.kron(*ops.gibbs_populations(*_ancilla_data(model))))

    def __repr__(self) -> str:
        return f"FinalizedCollision({self.model!r}, scheme={self.scheme!r})"

    @property
    def local(self) -> bool:
        """True for the local (split) scheme."""
        return self.scheme == "local"

    # -- the map ---------------------------------------------------------------------------
    @cached_property
    def increment_components(self) -> np.ndarray:
        """``Phi_j - 1`` per ancilla-pair basis state, (4, 16, 16), column stacking."""
        return _frozen(_increment.increment_components(self.total_step.total))

    @cached_property
    def map_increment(self) -> np.ndarray:
        """``Phi - 1 = sum_j p_j (Phi_j - 1)``, (16, 16), column stacking."""
        return _frozen(np.einsum("j,jab->ab", self.weights, self.increment_components))

    @cached_property
    def post_collision_unitary(self) -> np.ndarray:
        """``exp(-i tau H_12)`` (local scheme) or the identity (exact), 4x4."""
        if self.post_step is None:
            return np.eye(ops.TWO_QUBIT_DIM, dtype=complex)
        return (-1j * self.tau * self.model.system.h_interaction()).expm().full()

    @cached_property
    def unitary(self) -> qutip.Qobj:
        """The collision unitary ``exp(-i tau generator)`` (16x16 Qobj, QuTiP's expm)."""
        return (-1j * self.tau * self.model._generator_qobj(local=self.local)).expm()

    @cached_property
    def kraus(self) -> list[qutip.Qobj]:
        """``K_ij = sqrt(p_j) P <i|U|j>`` (``P`` the post-collision step); ``sum K^+ K = 1``."""
        u = self.unitary.full().reshape(4, 4, 4, 4)  # [s_out, a_out, s_in, a_in]
        post = self.post_collision_unitary
        return [
            qutip.Qobj(np.sqrt(self.weights[j]) * post @ u[:, i, :, j], dims=ops.TWO_QUBIT_DIMS)
            for j in range(4)
            for i in range(4)
        ]

    @cached_property
    def map(self) -> qutip.Qobj:
        """One collision as a QuTiP superoperator (16x16, column stacking), ``kraus_to_super``."""
        return qutip.kraus_to_super(self.kraus)

    # -- observables -----------------------------------------------------------------------
    @cached_property
    def observables(self) -> dict[str, np.ndarray]:
        """``O_j`` arrays (4, 4, 4) for ``"ancilla_left"``, ``"ancilla_right"``,
        ``"interaction"`` (collision step) and ``"system"`` (whole collision)."""
        hl, hr = (h.full() for h in self.model.ancilla_hamiltonians())
        v = sum(x.full() for x in self.model.interactions())
        out = {
            key: _increment.observable_changes(self.collision_step, x)
            for key, x in (("ancilla_left", hl), ("ancilla_right", hr), ("interaction", v))
        }
        h_s = np.kron(self.model.system.hamiltonian().full(), np.eye(4))
        out["system"] = _increment.observable_changes(self.total_step, h_s)
        return {key: _frozen(o) for key, o in out.items()}

    @cached_property
    def local_energy_change(self) -> np.ndarray:
        """``O_j`` of ``H_0`` over the collision step (4, 4, 4). The local scheme's splitting
        work is ``Delta E_S`` minus its weighted trace (:mod:`.thermo`)."""
        h_0 = np.kron(self.model.system.h_local().full(), np.eye(4))
        return _increment.observable_changes(self.collision_step, h_0)

    def expected_change(self, key: str) -> np.ndarray:
        """``sum_j p_j O_j`` (4x4): one collision of ``rho`` changes ``<X>`` by its trace with
        ``rho``. ``key`` is one of :attr:`observables` or ``"system_local"`` (``H_0``)."""
        o = self.local_energy_change if key == "system_local" else self.observables[key]
        return np.einsum("j,jab->ab", self.weights, o)


def _frozen(arr: np.ndarray) -> np.ndarray:
    """``arr`` made read-only: a finalized system's arrays are shared by every caller."""
    arr.flags.writeable = False
    return arr


def _ancilla_data(model: CollisionModel):
    """(frequencies, temperatures) of the left and right ancillas, as arrays of 2."""
    temps = (model.left.temperature, model.right.temperature)
    return np.array(model.ancilla_frequencies), np.array(temps)


def finalize(system, scheme: str | None = None) -> FinalizedCollision:
    """``system`` finalized: a :class:`FinalizedCollision` is returned as is, a
    :class:`.CollisionModel` finalized with ``scheme`` (default ``"exact"``).

    A finalized system with a different ``scheme`` is a ValueError (its scheme is fixed).
    """
    if isinstance(system, FinalizedCollision):
        if scheme is not None and scheme != system.scheme:
            raise ValueError(
                f"scheme={scheme!r} differs from the finalized system's scheme "
                f"{system.scheme!r}; finalize the model again with the scheme you want"
            )
        return system
    if not isinstance(system, CollisionModel):
        raise ValueError(
            f"expected a CollisionModel or a FinalizedCollision (model.finalized(scheme)), "
            f"got {system!r}"
        )
    return FinalizedCollision(system, "exact" if scheme is None else scheme)
