"""The one operator module of physcore: Pauli matrices, two-qubit dimensions, Qobj-to-array and
Gibbs populations, as plain numpy (no QuTiP import: semidirac uses it too).

Conventions
-----------
* Pauli matrices in the standard basis: ``PAULI_Z = diag(+1, -1)``, as QuTiP's ``sigmaz()``.
  The first basis state is the *upper* (+1) state of ``w/2 sigma_z``, so for a qubit
  ``SIGMA_PLUS = |0><1|`` raises the energy and ``SIGMA_MINUS = |1><0|`` lowers it (QuTiP's
  ``sigmap()`` / ``sigmam()``; QuTiP's ``destroy(2)`` is ``|0><1|`` and would raise it).
* ``PAULI`` stacks ``(1, sigma_x, sigma_y, sigma_z)``, index 0 the identity, so that
  ``PAULI[1:]`` is the vector ``(sigma_x, sigma_y, sigma_z)``.
* Two qubits: tensor factor 0 first (``np.kron(a, b)`` is ``a`` on qubit 0, ``b`` on qubit 1);
  ``TWO_QUBIT_DIMS`` is QuTiP's ``dims`` of such an operator and ``TWO_QUBIT_SUPER_DIMS`` that
  of a superoperator on it.
* Gibbs populations of a two-level system with level splitting ``omega`` at temperature ``T``
  (k_B = 1): excited ``1 / (1 + exp(omega / T)) = (1 - tanh(omega / 2T)) / 2`` (the tanh form
  never overflows).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "IDENTITY_2",
    "PAULI_X",
    "PAULI_Y",
    "PAULI_Z",
    "PAULI",
    "SIGMA_PLUS",
    "SIGMA_MINUS",
    "QUBIT_DIM",
    "TWO_QUBIT_DIM",
    "TWO_QUBIT_DIMS",
    "TWO_QUBIT_SUPER_DIMS",
    "as_array",
    "embed",
    "excited_population",
    "gibbs_populations",
    "log_gibbs_populations",
]


def _frozen(values) -> np.ndarray:
    arr = np.array(values, dtype=complex)
    arr.flags.writeable = False
    return arr


IDENTITY_2 = _frozen([[1, 0], [0, 1]])
PAULI_X = _frozen([[0, 1], [1, 0]])
PAULI_Y = _frozen([[0, -1j], [1j, 0]])
PAULI_Z = _frozen([[1, 0], [0, -1]])
#: (1, sigma_x, sigma_y, sigma_z), shape (4, 2, 2)
PAULI = _frozen([IDENTITY_2, PAULI_X, PAULI_Y, PAULI_Z])
#: |0><1|: raises the energy of w/2 sigma_z (QuTiP's sigmap())
SIGMA_PLUS = _frozen([[0, 1], [0, 0]])
#: |1><0|: lowers the energy of w/2 sigma_z (QuTiP's sigmam())
SIGMA_MINUS = _frozen([[0, 0], [1, 0]])

QUBIT_DIM = 2
TWO_QUBIT_DIM = 4
#: QuTiP dims of a two-qubit operator (lists: QuTiP reads nested tuples differently; QuTiP
#: copies them, never mutate)
TWO_QUBIT_DIMS = [[2, 2], [2, 2]]
#: QuTiP dims of a superoperator on two qubits
TWO_QUBIT_SUPER_DIMS = [TWO_QUBIT_DIMS, TWO_QUBIT_DIMS]


def as_array(op, name: str = "op", *, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``op`` (a QuTiP ``Qobj``, or anything numpy reads) as a complex ndarray.

    A ``Qobj`` is recognised by its ``full()`` method, so this module needs no QuTiP import.
    With ``shape``, ValueError naming ``name`` when the shape differs; ValueError too for
    non-finite entries.
    """
    full = getattr(op, "full", None)
    try:
        arr = np.asarray(full() if callable(full) else op, dtype=complex)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array or a Qobj, got {op!r}") from err
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries")
    return arr


def embed(op, site: int, n_sites: int, dim: int = QUBIT_DIM) -> np.ndarray:
    """``op`` on tensor factor ``site`` of ``n_sites`` factors of dimension ``dim``."""
    if not 0 <= int(site) < int(n_sites):
        raise ValueError(f"site must lie in [0, {int(n_sites) - 1}], got {site!r}")
    out = np.ones((1, 1), dtype=complex)
    for k in range(int(n_sites)):
        out = np.kron(out, as_array(op, "op", shape=(dim, dim)) if k == site else np.eye(dim))
    return out


def excited_population(omega, temperature):
    """Excited population ``1 / (1 + exp(omega / T))`` of a two-level system (broadcasts).

    ``omega`` (level splitting) and ``temperature`` share one energy unit (k_B = 1); a float
    for scalar input.
    """
    out = 0.5 * (1.0 - np.tanh(0.5 * np.asarray(omega, float) / np.asarray(temperature, float)))
    return float(out) if np.ndim(out) == 0 else out


def gibbs_populations(omega, temperature) -> np.ndarray:
    """``(p_excited, p_ground)`` of a two-level system, stacked on the last axis (..., 2).

    Ordered like the basis (first state excited, see the module conventions), so that
    ``np.diag(gibbs_populations(w, T))`` is the Gibbs state of ``w/2 sigma_z``.
    """
    p = np.asarray(excited_population(omega, temperature), float)
    return np.stack([p, 1.0 - p], axis=-1)


def log_gibbs_populations(omega, temperature) -> np.ndarray:
    """``log`` of :func:`gibbs_populations`, taken analytically (finite for every T > 0).

    ``log p_e = -log(1 + exp(omega / T))`` and ``log p_g = -log(1 + exp(-omega / T))``, where
    the log of a rounded population would be ``-inf`` for a cold two-level system.
    """
    x = np.asarray(omega, float) / np.asarray(temperature, float)
    return np.stack([-np.logaddexp(0.0, x), -np.logaddexp(0.0, -x)], axis=-1)
