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
It is kept as ``A = F + R`` with the exact first-order term ``F = -i tau G`` apart from the
rest ``R = O(tau**2)`` (:class:`Increment`): the first-order parts of a heat or an energy
change cancel exactly (``Tr[H_A [G, rho (x) eta]] = 0``), which they would not after
``F + R`` is rounded into one matrix (an error ``eps tau |G|`` against a heat ``J**2 tau**2``).
Neither numpy nor scipy has a matrix ``expm1``: ``scipy.linalg.expm`` returns ``U``, and
``U - 1`` is the very subtraction that must be avoided; an eigendecomposition of ``G`` would
mix the large ``J`` terms into every block and round the ``A_jj`` at ``eps J tau`` instead of
``eps tau``. The Taylor form keeps the structural zeros of ``V`` (odd orders in ``V`` vanish
exactly in the ancilla-diagonal blocks), so the relative error of the dissipator is about
``eps / (J**2 tau)``, the conditioning of the map itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Increment",
    "unitary_increment",
    "embed_system",
    "then_system_step",
    "state_change",
    "observable_change",
    "increment_components",
    "observable_changes",
]

_THETA = 0.25  # largest 1-norm of the scaled generator -i tau G / 2**s
_DEGREE = 14  # Taylor degree: 0.25**15 / 15! ~ 7e-22, far below rounding


def _dagger(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(np.conj(a), -1, -2)


@dataclass(frozen=True)
class Increment:
    """``U - 1 = first + rest`` for stacked unitaries (arrays of shape (..., n, n)).

    ``first = -i tau h`` is the exact first-order term and ``rest`` the remainder, of order
    ``tau**2``. Kept apart, the first-order parts of a change cancel exactly where they must
    (``Tr[H_A [H_S, rho (x) eta]] = 0`` is then 0, not ``eps tau``).
    """

    first: np.ndarray
    rest: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """``U - 1``."""
        return self.first + self.rest


def unitary_increment(h: np.ndarray, tau: float) -> Increment:
    """``exp(-i tau h') - 1`` for stacked Hermitian ``h`` (..., n, n), without cancellation.

    ``h' = h - Tr(h) / n``: the trace is a global phase that no map ``U X U^dagger`` and no
    Heisenberg observable ``U^dagger X U`` sees; removing it keeps ``U - 1`` as small as the
    physics allows.
    """
    h = np.asarray(h, dtype=complex)
    n = h.shape[-1]
    shift = np.trace(h, axis1=-2, axis2=-1)[..., None, None] / n
    first = -1j * tau * (h - shift * np.eye(n))
    norm = float(np.abs(first).sum(axis=-2).max()) if first.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm / _THETA))) if norm > 0 else 0
    x = first / 2.0**squarings
    # rest = expm1(x) - x = sum_{k >= 2} x**k / k!, summed term by term (a Horner form
    # x (1 + x/2 (1 + ...)) would round each term against the identity, losing eps * |x|)
    term, rest = x, np.zeros_like(x)
    for k in range(2, _DEGREE + 1):
        term = (term @ x) / k
        rest = rest + term
    for _ in range(squarings):
        # U(2t) - 1 = 2 A + A**2 with A = x + rest; the first-order part doubles exactly
        a = x + rest
        rest = 2.0 * rest + a @ a
        x = 2.0 * x
    return Increment(first=first, rest=rest)


def embed_system(inc: Increment) -> Increment:
    """``B (x) 1_A`` for a system increment (..., 4, 4) on the 16-dim space (system first)."""

    def embed(b):
        out = np.einsum("...ab,ij->...aibj", b, np.eye(4))
        return out.reshape(b.shape[:-2] + (16, 16))

    return Increment(first=embed(inc.first), rest=embed(inc.rest))


def then_system_step(collision: Increment, step: Increment | None) -> Increment:
    """Increment of ``(P (x) 1_A) U`` from those of ``U`` (16x16) and ``P`` (4x4 or None).

    ``P U - 1 = A + B + B A`` with ``A = U - 1``, ``B = P (x) 1_A - 1``; the first-order parts
    add, the rest collects ``B A``.
    """
    if step is None:
        return collision
    b = embed_system(step)
    return Increment(
        first=collision.first + b.first,
        rest=collision.rest + b.rest + b.total @ collision.total,
    )


def state_change(inc: Increment, x: np.ndarray) -> np.ndarray:
    """``U X U^dagger - X = A X A^dagger + (R X + X R^dagger) + (F X + X F^dagger)``.

    ``A = U - 1 = F + R`` (:class:`Increment`); the exact first-order group comes last.
    """
    a, f, r = inc.total, inc.first, inc.rest
    return (a @ x) @ _dagger(a) + (r @ x + x @ _dagger(r)) + (f @ x + x @ _dagger(f))


def observable_change(inc: Increment, x: np.ndarray) -> np.ndarray:
    """``U^dagger X U - X = A^dagger X A + (R^dagger X + X R) + (F^dagger X + X F)``."""
    a, f, r = inc.total, inc.first, inc.rest
    return _dagger(a) @ (x @ a) + (_dagger(r) @ x + x @ r) + (_dagger(f) @ x + x @ f)


def increment_components(a: np.ndarray) -> np.ndarray:
    """Superoperators ``Phi_j - 1`` (column stacking) from ``A = U - 1``.

    Parameters
    ----------
    a : ndarray, shape (..., 16, 16)
        ``U - 1`` of the collision propagator on (system, ancilla pair), system first
        (:attr:`Increment.total`); in the local scheme the propagator includes the
        system-only ``H_12`` step.

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


def observable_changes(inc: Increment, x: np.ndarray) -> np.ndarray:
    """``<j| U^dagger X U - X |j>`` per ancilla-pair state j: (..., 16, 16) -> (..., 4, 4, 4).

    ``Tr[X (sigma - rho (x) eta)] = sum_j p_j Tr[O_j rho]`` for the returned ``O_j``.

    ``X`` must be conserved at first order inside the ancilla-diagonal blocks,
    ``<j|[G, X]|j> = 0``: true for the ancilla energies, for ``V`` and for the system
    Hamiltonian contained in ``G`` (``[H_S + H_R, X] = 0`` and ``[V, X]`` is off-diagonal in
    the ancillas). The first-order group ``F^dagger X + X F = i tau [G, X]`` is then zero in
    these blocks, and it is dropped rather than left to contribute its rounding,
    ``eps tau |G| |X|``, to a change of order ``tau**2``. RuntimeError if ``X`` breaks the
    condition.
    """
    f = inc.first
    first = _dagger(f) @ x + x @ f
    first_blocks = np.einsum("...xjyj->...jxy", first.reshape(first.shape[:-2] + (4, 4, 4, 4)))
    scale = np.abs(f).max() * np.abs(x).max() if f.size else 0.0
    if np.abs(first_blocks).max(initial=0.0) > 1e-12 * scale:
        raise RuntimeError("observable_changes: X is not conserved at first order (<j|[G, X]|j>)")
    a, r = inc.total, inc.rest
    m = _dagger(a) @ (x @ a) + (_dagger(r) @ x + x @ r)
    m = m.reshape(m.shape[:-2] + (4, 4, 4, 4))
    return np.einsum("...xjyj->...jxy", m)
