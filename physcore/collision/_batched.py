"""Batched fixed points of many two-qubit maps (plain arrays in, plain arrays out).

QuTiP's ``steadystate`` spends about 17 ms of fixed overhead per call, while the solve of one
16x16 system takes microseconds, so parameter maps stack their small linear systems and hand
them to one ``np.linalg.solve`` call (LAPACK gesv in a C loop over the stack; numba would not
be faster here, the work is already inside LAPACK).

A Hermiticity- and trace-preserving map is real in the two-qubit Pauli basis
``B_mu = s_a (x) s_b`` (the Pauli transfer matrix ``T_mu,nu = Tr[B_mu Phi(B_nu)] / 4``), and
``rho = sum_mu r_mu B_mu / 4`` with ``r_0 = 1``. The fixed point then solves the *real* 15x15
system ``-D[1:, 1:] r' = D[1:, 0]`` for the transfer matrix ``D = T - 1`` of ``Phi - 1``; the
trace condition is built in. This is a quarter of the flops of the complex 16x16 null-space
solve and needs no row replacement. ``D`` is taken as given (the sweeps form it from ``U - 1``,
:mod:`._increment`): subtracting the identity from ``T`` would lose the dissipative part of a
short collision, which is ``O(J**2 tau**2)``.
"""

from __future__ import annotations

import numpy as np

from .. import _operators as ops

__all__ = [
    "pauli_basis",
    "pauli_transfer_matrices",
    "pauli_observables",
    "pauli_fixed_points",
    "pauli_to_density",
    "density_to_pauli",
]

_P1 = ops.PAULI  # (1, sx, sy, sz)


def pauli_basis() -> np.ndarray:
    """``B[mu] = s_a (x) s_b`` with ``mu = 4 a + b`` (s_0 = 1, then x, y, z); shape (16, 4, 4)."""
    return np.einsum("aij,bkl->abikjl", _P1, _P1).reshape(16, 4, 4)


_B = pauli_basis()
# vec(B_mu) in column stacking: vec index = row + 4 col
_VEC_B = np.stack([b.T.reshape(16) for b in _B], axis=1)  # (16 vec, 16 mu)
_VEC_B_DAG = _VEC_B.conj().T


def pauli_transfer_matrices(superops: np.ndarray) -> np.ndarray:
    """Real Pauli transfer matrices of column-stacking superoperators, (..., 16, 16) -> same.

    ``T = V^dagger S V / 4`` (linear, and the identity maps to the identity, so ``Phi - 1``
    maps to ``T - 1``) with ``V[:, mu] = vec(B_mu)``; the imaginary part (zero for
    Hermiticity-preserving maps, up to rounding) is dropped.
    """
    s = np.asarray(superops, dtype=complex)
    return np.real(_VEC_B_DAG @ s @ _VEC_B) / 4.0


def pauli_observables(ops: np.ndarray) -> np.ndarray:
    """``o[mu] = Tr[O B_mu] / 4`` so that ``Tr[O rho] = o . r``; (..., 4, 4) -> (..., 16) real."""
    o = np.asarray(ops, dtype=complex)
    return np.real(np.einsum("...ij,mji->...m", o, _B)) / 4.0


def pauli_fixed_points(increments: np.ndarray) -> np.ndarray:
    """Fixed points ``r`` (with ``r_0 = 1``) of stacked maps, from ``D = T - 1``.

    Parameters
    ----------
    increments : ndarray, shape (..., 16, 16), real
        Pauli transfer matrices of ``Phi - 1`` for trace-preserving maps ``Phi`` (first row
        zero); :func:`pauli_transfer_matrices` of ``Phi - 1`` gives them.

    Returns
    -------
    ndarray, shape (..., 16)
        Pauli coordinates of the fixed points; ``np.linalg.LinAlgError`` if any is not unique.
    """
    d = np.asarray(increments, dtype=float)
    x = np.linalg.solve(-d[..., 1:, 1:], d[..., 1:, 0:1])[..., 0]
    return np.concatenate([np.ones(x.shape[:-1] + (1,)), x], axis=-1)


def pauli_to_density(r: np.ndarray) -> np.ndarray:
    """``rho = sum_mu r_mu B_mu / 4``: (..., 16) -> (..., 4, 4) complex."""
    return np.einsum("...m,mij->...ij", np.asarray(r, dtype=float), _B) / 4.0


def density_to_pauli(rho: np.ndarray) -> np.ndarray:
    """``r_mu = Tr[B_mu rho]``: (..., 4, 4) -> (..., 16) real."""
    return np.real(np.einsum("mji,...ij->...m", _B, np.asarray(rho, dtype=complex)))
