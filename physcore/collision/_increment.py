r"""Changes made by one collision, computed without cancellation (plain arrays in and out).

One collision changes the joint state by ``U X U^dagger - X`` with ``U = exp(-i tau G)``. At
short collision times the map is ``Phi = 1 + O(tau)`` and the dissipative part of the change
is of order ``(J tau)**2``: forming ``U X U^dagger`` and then subtracting ``X`` (or forming the
map and then ``Phi - 1``) loses every digit below the rounding of the O(1) state, ``~2e-16``.
At ``tau = 1e-8`` and ``J = 1`` the heat of one collision (~1e-16) is then pure rounding, and
the steady state, which the dissipator selects, is lost too. Everything here is written in
terms of the increment of the propagator

.. math::  A = U - 1 = \mathrm{expm1}(-i \tau G),

computed directly, so that the changes are sums of small terms (no O(1) difference):

.. math::

    U X U^\dagger - X = A X A^\dagger + A X + X A^\dagger, \qquad
    U^\dagger X U - X = A^\dagger X A + A^\dagger X + X A.

For the system map ``Phi_j(rho) = Tr_A[U (rho (x) |j><j|) U^dagger]`` of the ancilla-pair
basis state ``j``, with the blocks ``A_ij = <i|A|j>`` (4x4 on the system),

.. math::

    \Phi_j(\rho) - \rho
    = \sum_i A_{ij} \rho A_{ij}^\dagger + A_{jj} \rho + \rho A_{jj}^\dagger.

``A`` comes from the Taylor series of ``expm1`` on ``-i tau G / 2**s`` (norm <= 1/4, degree 14,
truncation ~1e-22 relative) followed by ``s`` exact doublings ``A(2t) = 2 A(t) + A(t)**2``
(scaling and squaring for ``expm1``, Higham, *Functions of Matrices*, SIAM 2008, Sec. 10.3).
Neither numpy nor scipy has a matrix ``expm1``: ``scipy.linalg.expm`` returns ``U``, and
``U - 1`` is the very subtraction that must be avoided; an eigendecomposition of ``G`` would
mix the large ``J`` terms into every block and round the ``A_jj`` at ``eps J tau`` instead of
``eps tau``. The Taylor form keeps the structural zeros of ``V`` (odd orders in ``V`` vanish
exactly in the ancilla-diagonal blocks), so the relative error of the dissipator is about
``eps / (J**2 tau)``, the conditioning of the map itself.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "unitary_increment",
    "embed_system",
    "state_change",
    "observable_change",
    "increment_components",
    "observable_changes",
]

_THETA = 0.25  # largest 1-norm of the scaled generator -i tau G / 2**s
_DEGREE = 14  # Taylor degree: 0.25**15 / 15! ~ 7e-22, far below rounding


def unitary_increment(h: np.ndarray, tau: float) -> np.ndarray:
    """``exp(-i tau h') - 1`` for stacked Hermitian ``h`` (..., n, n), without cancellation.

    ``h' = h - Tr(h) / n``: the trace is a global phase that no map ``U X U^dagger`` and no
    Heisenberg observable ``U^dagger X U`` sees; removing it keeps ``A`` as small as the
    physics allows.
    """
    h = np.asarray(h, dtype=complex)
    n = h.shape[-1]
    eye = np.eye(n)
    shift = np.trace(h, axis1=-2, axis2=-1)[..., None, None] / n
    x = -1j * tau * (h - shift * eye)
    norm = float(np.abs(x).sum(axis=-2).max()) if x.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm / _THETA))) if norm > 0 else 0
    x = x / 2.0**squarings
    # expm1(x) = sum_k x**k / k!, summed term by term: a Horner form x (1 + x/2 (1 + ...))
    # would round each x**k / k! against the identity and lose its digits below eps * |x|
    term = a = x
    for k in range(2, _DEGREE + 1):
        term = (term @ x) / k
        a = a + term
    for _ in range(squarings):
        a = 2.0 * a + a @ a
    return a


def embed_system(b: np.ndarray) -> np.ndarray:
    """``b (x) 1_A``: system operators (..., 4, 4) on the 16-dim space (system first)."""
    b = np.asarray(b)
    out = np.einsum("...ab,ij->...aibj", b, np.eye(4))
    return out.reshape(b.shape[:-2] + (16, 16))


def state_change(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``U X U^dagger - X = A X A^dagger + A X + X A^dagger`` for ``U = 1 + A``."""
    a_dag = np.swapaxes(np.conj(a), -1, -2)
    ax = a @ x
    return ax @ a_dag + ax + x @ a_dag


def observable_change(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``U^dagger X U - X = A^dagger X A + A^dagger X + X A`` for ``U = 1 + A``."""
    a_dag = np.swapaxes(np.conj(a), -1, -2)
    xa = x @ a
    return a_dag @ xa + a_dag @ x + xa


def increment_components(a: np.ndarray) -> np.ndarray:
    """Superoperators ``Phi_j - 1`` (column stacking) from ``A = U - 1``.

    Parameters
    ----------
    a : ndarray, shape (..., 16, 16)
        Increment of the collision propagator on (system, ancilla pair), system first; in the
        local scheme the propagator includes the system-only ``H_12`` step.

    Returns
    -------
    ndarray, shape (..., 4, 16, 16)
        ``Phi_j - 1`` for the ancilla-pair basis states ``j`` (see the module equation).
    """
    a = np.asarray(a)
    blocks = a.reshape(a.shape[:-2] + (4, 4, 4, 4))  # [s_out, a_out, s_in, a_in]
    # vec(K rho L) = (L^T (x) K) vec(rho) in column stacking
    jump = np.einsum("...xiyj,...uivj->...jxuyv", blocks.conj(), blocks)
    diag = np.einsum("...xjyj->...jxy", blocks)  # A_jj
    eye = np.eye(4)
    left = np.einsum("xy,...juv->...jxuyv", eye, diag)  # 1 (x) A_jj: A_jj rho
    right = np.einsum("...jxy,uv->...jxuyv", diag.conj(), eye)  # conj(A_jj) (x) 1: rho A_jj^+
    return (jump + left + right).reshape(a.shape[:-2] + (4, 16, 16))


def observable_changes(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``<j| U^dagger X U - X |j>`` per ancilla-pair state j: (..., 16, 16) -> (..., 4, 4, 4).

    ``Tr[X (sigma - rho (x) eta)] = sum_j p_j Tr[O_j rho]`` for the returned ``O_j``.
    """
    m = observable_change(a, x)
    m = m.reshape(m.shape[:-2] + (4, 4, 4, 4))
    return np.einsum("...xjyj->...jxy", m)
