"""Fixed points of collision maps and checks that a matrix is a density matrix.

The steady state of a trace-preserving map ``Phi`` solves ``(Phi - 1) vec(rho) = 0`` with
``Tr rho = 1``. Trace preservation makes the rows of ``Phi - 1`` that belong to the diagonal
entries sum to zero, so one of them (row 0, the entry rho_00) is redundant: it is replaced by
the trace row and the linear system is solved directly (a dense LU on 16x16). This is QuTiP's
"direct" steady-state method written for a map; ``qutip.propagator_steadystate`` instead picks
an eigenvector by eigenvalue closeness and is ill-conditioned for weak dissipation (QuTiP
issue 556), so it is not used. :func:`qutip_fixed_point` is the QuTiP reference the tests
compare with.
"""

from __future__ import annotations

import numpy as np
import qutip

from .maps import map_increment
from .model import CollisionModel

__all__ = [
    "fixed_point",
    "increment_fixed_point",
    "qutip_fixed_point",
    "state_checks",
    "check_density_matrix",
    "collision_steady_state",
    "trace_distance",
]

_DIMS_S = [[2, 2], [2, 2]]


def _as_superop(superop, name: str = "superop") -> np.ndarray:
    arr = superop.full() if isinstance(superop, qutip.Qobj) else np.asarray(superop, complex)
    if arr.shape != (16, 16):
        raise ValueError(f"{name} must be a 16x16 two-qubit superoperator, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries")
    return arr


def state_checks(rho) -> dict[str, float]:
    """Trace error, hermiticity error (max abs of rho - rho^dagger) and smallest eigenvalue."""
    arr = rho.full() if isinstance(rho, qutip.Qobj) else np.asarray(rho, complex)
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
    arr = rho.full() if isinstance(rho, qutip.Qobj) else np.asarray(rho, complex)
    if arr.shape != (4, 4):
        raise ValueError(f"{name} must be a 4x4 two-qubit density matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries")
    c = state_checks(arr)
    if c["hermiticity_error"] > atol:
        raise ValueError(f"{name} must be Hermitian (error {c['hermiticity_error']:.2e})")
    if c["trace_error"] > atol:
        raise ValueError(f"{name} must have unit trace (error {c['trace_error']:.2e})")
    if c["min_eigenvalue"] < -atol:
        raise ValueError(f"{name} must be positive semidefinite (eigenvalue {c['min_eigenvalue']})")
    return qutip.Qobj(arr, dims=_DIMS_S)


def fixed_point(superop, *, atol: float = 1e-9) -> qutip.Qobj:
    """Steady state of a trace-preserving two-qubit map by a direct null-space solve.

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

    Solves ``(Phi - 1) vec(rho) = 0`` with the trace row in place of row 0 (see the module
    notes); the trace row is scaled to the size of ``Phi - 1`` so that the solve stays balanced
    when ``Phi - 1`` is of order ``tau``. Parameters, returns and errors as
    :func:`fixed_point`.
    """
    a = _as_superop(increment, "increment").copy()
    scale = float(np.abs(a).max())
    if scale == 0.0:
        raise RuntimeError("the map has no unique fixed point (it is the identity)")
    a[0, :] = scale * np.eye(4).reshape(16)  # trace row: sum of rho_kk (column stacking: 5 k)
    rhs = np.zeros(16, complex)
    rhs[0] = scale
    try:
        x = np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError as err:
        raise RuntimeError("the map has no unique fixed point (singular system)") from err
    rho = x.reshape(4, 4).T  # column stacking -> matrix
    c = state_checks(rho)
    if c["trace_error"] > atol or c["hermiticity_error"] > atol or c["min_eigenvalue"] < -atol:
        raise RuntimeError(f"fixed point fails the density-matrix checks: {c}")
    return qutip.Qobj(rho, dims=_DIMS_S)


def qutip_fixed_point(superop: qutip.Qobj) -> qutip.Qobj:
    """QuTiP reference: ``qutip.steadystate(Phi - 1, method="direct")``."""
    e = superop if isinstance(superop, qutip.Qobj) else qutip.Qobj(_as_superop(superop))
    if e.shape != (16, 16):
        raise ValueError(f"superop must be a 16x16 two-qubit superoperator, got {e.shape}")
    e = qutip.Qobj(e.full(), dims=[_DIMS_S, _DIMS_S], superrep="super")
    one = qutip.to_super(qutip.qeye([2, 2]))
    return qutip.steadystate(e - one, method="direct")


def collision_steady_state(model: CollisionModel, scheme: str = "exact") -> qutip.Qobj:
    """Steady state of the collision model (``"exact"`` or ``"local"`` scheme), from
    ``Phi - 1`` (:func:`.maps.map_increment`), accurate down to short collision times."""
    return increment_fixed_point(map_increment(model, scheme))


def trace_distance(rho, sigma) -> float:
    """``1/2 || rho - sigma ||_1`` (QuTiP's ``tracedist`` on Hermitian inputs)."""
    a = rho.full() if isinstance(rho, qutip.Qobj) else np.asarray(rho, complex)
    b = sigma.full() if isinstance(sigma, qutip.Qobj) else np.asarray(sigma, complex)
    d = a - b
    return float(0.5 * np.abs(np.linalg.eigvalsh(0.5 * (d + d.conj().T))).sum())
