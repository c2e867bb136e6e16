"""Fixed points of collision maps and checks that a matrix is a density matrix.

The steady state of a trace-preserving map ``Phi`` solves ``(Phi - 1) vec(rho) = 0`` with
``Tr rho = 1``. In the two-qubit Pauli basis this is a real 15x15 system with the trace built in
(:mod:`._batched`), solved directly (a dense LU). This is QuTiP's "direct" steady-state method
written for a map, and it is fed ``Phi - 1`` formed without cancellation
(:func:`.maps.map_increment`), which the short-collision limit needs.
``qutip.propagator_steadystate`` instead picks an eigenvector by eigenvalue closeness and is
ill-conditioned for weak dissipation (QuTiP issue 556), so it is not used.
:func:`qutip_fixed_point` is the QuTiP reference the tests compare with.
"""

from __future__ import annotations

import numpy as np
import qutip

from .. import _operators as ops
from . import _batched
from .finalized import FinalizedCollision, finalize
from .model import CollisionModel

__all__ = [
    "fixed_point",
    "increment_fixed_point",
    "qutip_fixed_point",
    "state_checks",
    "check_density_matrix",
    "check_unique_steady_state",
    "collision_steady_state",
    "trace_distance",
]

_DIMS_S = ops.TWO_QUBIT_DIMS


def _as_superop(superop, name: str = "superop") -> np.ndarray:
    arr = ops.as_array(superop, name)
    if arr.shape != (16, 16):
        raise ValueError(f"{name} must be a 16x16 two-qubit superoperator, got {arr.shape}")
    return arr


def state_checks(rho) -> dict[str, float]:
    """Trace error, hermiticity error (max abs of rho - rho^dagger) and smallest eigenvalue."""
    arr = ops.as_array(rho, "rho")
    herm = 0.5 * (arr + arr.conj().T)
    return {
        "trace_error": float(abs(np.trace(arr) - 1.0)),
        "hermiticity_error": float(np.abs(arr - arr.conj().T).max()),
        "min_eigenvalue": float(np.linalg.eigvalsh(herm).min()),
    }


def check_density_matrix(rho, name: str = "rho", *, atol: float = 1e-8) -> qutip.Qobj:
    """Return ``rho`` as a two-qubit Qobj after checking shape, trace, hermiticity, positivity.

    Raises ValueError naming ``name`` when any check fails by more than ``atol``.
    """
    arr = ops.as_array(rho, name)
    if arr.shape != (4, 4):
        raise ValueError(f"{name} must be a 4x4 two-qubit density matrix, got shape {arr.shape}")
    c = state_checks(arr)
    if c["hermiticity_error"] > atol:
        raise ValueError(f"{name} must be Hermitian (error {c['hermiticity_error']:.2e})")
    if c["trace_error"] > atol:
        raise ValueError(f"{name} must have unit trace (error {c['trace_error']:.2e})")
    if c["min_eigenvalue"] < -atol:
        raise ValueError(f"{name} must be positive semidefinite (eigenvalue {c['min_eigenvalue']})")
    return qutip.Qobj(arr, dims=_DIMS_S)


def fixed_point(superop, *, atol: float = 1e-9) -> qutip.Qobj:
    """Steady state of a trace- and Hermiticity-preserving two-qubit map (direct solve).

    Parameters
    ----------
    superop : Qobj or ndarray
        16x16 superoperator ``Phi`` (column stacking, as :func:`qutip.operator_to_vector`).
    atol : float
        Tolerance of the trace/hermiticity/positivity checks of the result.

    Returns
    -------
    Qobj
        The 4x4 fixed point, dims ``[[2, 2], [2, 2]]``.

    Raises
    ------
    ValueError
        Wrong shape; RuntimeError when the fixed point is not unique (singular system) or the
        result fails the density-matrix checks.

    Notes
    -----
    ``Phi - 1`` is formed here by a subtraction, which loses the map's dissipative part at
    short collision times (it is ``O(J**2 tau**2)``); :func:`increment_fixed_point` takes
    ``Phi - 1`` directly (:func:`.maps.map_increment`).
    """
    return increment_fixed_point(_as_superop(superop) - np.eye(16), atol=atol)


def increment_fixed_point(increment, *, atol: float = 1e-9) -> qutip.Qobj:
    """Steady state from ``Phi - 1`` (16x16, column stacking), the map minus the identity.

    Solves the real Pauli-basis system of :func:`._batched.pauli_fixed_points` (Hermiticity
    and unit trace built in; the same solve as the batched sweeps). Parameters, returns and
    errors as :func:`fixed_point`.
    """
    a = _as_superop(increment, "increment")
    try:
        r = _batched.pauli_fixed_points(_batched.pauli_transfer_matrices(a))
    except np.linalg.LinAlgError as err:
        raise RuntimeError("the map has no unique fixed point (singular system)") from err
    rho = _batched.pauli_to_density(r)
    c = state_checks(rho)
    if not np.all(np.isfinite(rho)) or c["trace_error"] > atol or c["min_eigenvalue"] < -atol:
        raise RuntimeError(f"fixed point fails the density-matrix checks: {c}")
    return qutip.Qobj(rho, dims=_DIMS_S)


def qutip_fixed_point(superop: qutip.Qobj) -> qutip.Qobj:
    """QuTiP reference: ``qutip.steadystate(Phi - 1, method="direct")``."""
    e = superop if isinstance(superop, qutip.Qobj) else qutip.Qobj(_as_superop(superop))
    if e.shape != (16, 16):
        raise ValueError(f"superop must be a 16x16 two-qubit superoperator, got {e.shape}")
    e = qutip.Qobj(e.full(), dims=ops.TWO_QUBIT_SUPER_DIMS, superrep="super")
    one = qutip.to_super(qutip.qeye([2, 2]))
    return qutip.steadystate(e - one, method="direct")


def check_unique_steady_state(model: CollisionModel, g_values=None) -> None:
    """ValueError when the model's steady state is not unique (no bath, or an isolated qubit).

    Both bath strengths 0 leave the system undamped; ``g = 0`` (a named ``H_12`` kind) with one
    bath strength 0 leaves that qubit undamped. ``g_values`` (1-d, optional) checks a sweep's
    couplings instead of ``model.system.g``. ``kind="custom"`` is not checked here (the
    fixed-point solve then reports a singular system).
    """
    strengths = {"left": model.left.strength, "right": model.right.strength}
    if all(j == 0.0 for j in strengths.values()):
        raise ValueError(
            "left.strength and right.strength are both 0: no bath damps the system and the "
            "steady state is not unique; give at least one bath a strength != 0"
        )
    if model.system.kind == "custom":
        return
    g = np.atleast_1d(model.system.g if g_values is None else g_values)
    for side, j in strengths.items():
        if j == 0.0 and np.any(g == 0.0):
            where = "g = 0" if g_values is None else f"g_values[{int(np.argmax(g == 0.0))}] = 0"
            raise ValueError(
                f"{side}.strength = 0 with {where}: that qubit is isolated and the steady state "
                "is not unique; use g != 0 or a strength != 0"
            )


def collision_steady_state(
    model: CollisionModel | FinalizedCollision, scheme: str | None = None
) -> qutip.Qobj:
    """Steady state of the collision model (``"exact"`` or ``"local"`` scheme), from
    ``Phi - 1`` (:func:`.maps.map_increment`), accurate down to short collision times.

    ``model`` is a model (with ``scheme``, default ``"exact"``) or ``model.finalized(scheme)``.
    Raises ValueError when the steady state is not unique (:func:`check_unique_steady_state`).
    """
    fin = finalize(model, scheme)
    check_unique_steady_state(fin.model)
    return increment_fixed_point(fin.map_increment)


def trace_distance(rho, sigma) -> float:
    """``1/2 || rho - sigma ||_1`` (QuTiP's ``tracedist`` on Hermitian inputs)."""
    a = ops.as_array(rho, "rho")
    b = ops.as_array(sigma, "sigma")
    d = a - b
    return float(0.5 * np.abs(np.linalg.eigvalsh(0.5 * (d + d.conj().T))).sum())
