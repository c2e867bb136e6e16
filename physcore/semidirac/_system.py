"""From a junction description to the plain arrays the numba kernels read (``finalize``).

Barrier conventions (see also :mod:`.barriers`). Every barrier is a potential ``U_b(x)`` that
enters the BdG Hamiltonian as ``tau_z (x) U_b(x)``. Thin barriers are characterized by their
integrated strength ``W = int U_b dx`` (energy x length):

* ``DeltaBarrier(Z)``: ``W = Z v_F`` with ``v_F`` the normal region's Fermi velocity along x
  at q = 0 (BTK's Z for a 2DEG: psi' jumps by ``2 k_F Z psi``).
* ``ThinBarrier(chi)``: ``W = chi v`` with ``v`` the model's ``velocity`` (1 for Parabolic).

For a second-order h (h2 invertible) a thin barrier is a derivative jump
``[psi'] = W h2^{-1} psi``; for a first-order h (h2 = 0) it is the exact thin-barrier transfer
matrix ``psi(0+) = exp(-i W h1^{-1}) psi(0-)`` on both the electron and the hole block. The
two definitions agree with ``DeltaBarrier`` being the thin-barrier limit of the first-order
case: ``chi = Z v_F / v``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ._matching import BARRIER_JUMP, BARRIER_NONE, BARRIER_RECT, BARRIER_TRANSFER
from .barriers import DeltaBarrier, RectangularBarrier, ThinBarrier

__all__ = ["FinalizedJunction", "finalize", "fermi_velocity", "momentum_scale"]


@dataclass(frozen=True)
class FinalizedJunction:
    """The finalized system: numba-ready arrays of one junction (see :mod:`._kernels` for
    their meaning), built by ``NSJunction.finalized()`` and read by every solver
    (:mod:`physcore.semidirac.solvers`). ``junction`` is the description it was built from
    (its band model gives the quadrature's critical momenta; its parameters label results).
    """

    hc: np.ndarray  # (3, 3, n, n) complex: h = sum hc[a, b] k_x^a q^b
    order: int  # 1 or 2: highest power of k_x in h
    mu: float  # normal region's Fermi energy
    mu_s: float  # superconductor's Fermi energy, mu + U0
    gap: float
    phase: float
    barrier_kind: int
    barrier_matrix: np.ndarray  # (2n, 2n): jump (order 2) or transfer (order 1) matrix
    barrier_height: float
    barrier_width: float
    ktol: float  # |Im k| below which a mode counts as propagating (absolute part)
    strength: float  # integrated thin-barrier strength W (0 if none)
    junction: object = field(repr=False, compare=False, default=None)

    def args(self, gap: float | None = None) -> tuple:
        """Positional arguments of the kernels after (E, q)."""
        return (
            self.hc,
            self.order,
            self.mu,
            self.mu_s,
            self.gap if gap is None else float(gap),
            self.phase,
            self.barrier_kind,
            self.barrier_matrix,
            self.barrier_height,
            self.barrier_width,
            self.ktol,
        )


def polynomial_coefficients(model, theta: float, q_scale: float = 1.0) -> np.ndarray:
    """``hc[a, b]`` with ``h(k_x; q) = sum_ab hc[a, b] k_x^a q^b`` (h is at most quadratic
    in q for every model), from ``model.transport_coefficients`` at q = -Q, 0, Q.

    ``q_scale`` (Q, inverse length) should be the problem's momentum scale: finite differences
    at |q| = 1 lose the q**2 term to rounding when it is tiny there (a heavy mass at large
    energies), at |q| = Q every term is of the size it has at the Fermi surface.
    """
    scale = float(q_scale)
    hm, h0, hp = (np.array(model.transport_coefficients(theta, q)) for q in (-scale, 0.0, scale))
    hc = np.empty((3, 3) + h0.shape[1:], complex)
    hc[:, 0] = h0
    hc[:, 1] = 0.5 * (hp - hm) / scale
    hc[:, 2] = (0.5 * (hp + hm) - h0) / scale**2
    check = np.array(model.transport_coefficients(theta, 2.0 * scale))
    guess = hc[:, 0] + 2 * scale * hc[:, 1] + 4 * scale**2 * hc[:, 2]
    size = max(np.abs(check).max(), np.abs(h0).max(), np.abs(hp).max())
    if not np.allclose(guess, check, rtol=1e-10, atol=1e-12 * size):
        raise ValueError(f"model {model!r}: h(k_x; q) must be at most quadratic in q")
    return hc


def momentum_scale(junction) -> float:
    """The junction's momentum scale (inverse length): the largest |q| on the Fermi contour
    at the largest energy among mu, mu + U0 and the gap (1 where no contour exists)."""
    energy = max(abs(junction.mu), abs(junction.mu + junction.U0), junction.gap)
    with np.errstate(all="ignore"):
        extent = np.nanmax(np.append(junction.model.fermi_q_extent([energy], junction.theta), 0))
    return float(extent) if np.isfinite(extent) and extent > 0 else 1.0


def fermi_velocity(model, theta: float, mu: float) -> float:
    """Largest |group velocity along x| of the states at energy ``mu`` with q = 0."""
    h0, h1, h2 = (np.asarray(a) for a in model.transport_coefficients(theta, 0.0))
    n = h0.shape[0]
    # det(h(k) - mu) as a polynomial in k (numpy.polynomial, highest power last)
    poly = np.polynomial.Polynomial
    m = [[poly([h0[i, j] - (mu if i == j else 0), h1[i, j], h2[i, j]]) for j in range(n)]
         for i in range(n)]  # fmt: skip
    det = m[0][0] if n == 1 else m[0][0] * m[1][1] - m[0][1] * m[1][0]
    coef = np.trim_zeros(det.coef, "b")
    best = 0.0
    for k in np.roots(coef[::-1]) if coef.size > 1 else []:
        if abs(k.imag) > 1e-9 * max(1.0, abs(k)):
            continue
        k = k.real
        w, vecs = np.linalg.eigh(h0 + h1 * k + h2 * k * k)
        phi = vecs[:, np.argmin(abs(w - mu))]
        best = max(best, abs(np.vdot(phi, (h1 + 2 * h2 * k) @ phi).real))
    return best


#: delta whose band-touching momenta sqrt(2 m |delta|) lie below this fraction of the momentum
#: scale is set to zero (100 times the kernels' tolerance on Im k; see _without_negligible_delta)
NEGLIGIBLE_NODE_SPLITTING = 1e-10


def _without_negligible_delta(model, q_scale: float):
    """``model`` with ``delta = 0`` when its two nodes, at k_a = +-sqrt(2 m delta) (gapped at
    +-i sqrt(2 m |delta|) for delta < 0), are closer than NEGLIGIBLE_NODE_SPLITTING q_scale.

    The kernels cannot tell such roots from the double root at delta = 0 (at the edge of the
    Fermi contour the four roots then form one cluster), so they would misclassify the modes;
    the change moves no momentum by more than that fraction of the momentum scale.
    """
    delta = getattr(model, "delta", 0.0)
    if delta != 0 and 2.0 * model.mass * abs(delta) <= (NEGLIGIBLE_NODE_SPLITTING * q_scale) ** 2:
        return replace(model, delta=0.0)
    return model


def finalize(junction) -> FinalizedJunction:
    """Arrays for the kernels; raises ValueError for barriers the model cannot take."""
    theta = junction.theta
    q_scale = momentum_scale(junction)
    model = _without_negligible_delta(junction.model, q_scale)
    hc = polynomial_coefficients(model, theta, q_scale)
    n = hc.shape[2]
    h1, h2 = hc[1, 0], hc[2, 0]
    # h2 counts as zero when its term is negligible at the momentum scale (relative test)
    energy = max(abs(junction.mu), abs(junction.mu + junction.U0), junction.gap)
    order = 1 if np.abs(hc[2]).max() * q_scale**2 <= 1e-14 * energy else 2
    if order == 2 and abs(np.linalg.det(h2)) < 1e-12 * np.linalg.norm(h2) ** n:
        raise ValueError("model: the k_x^2 coefficient h2 must be zero or invertible")
    if order == 1 and abs(np.linalg.det(h1)) < 1e-12 * max(np.linalg.norm(h1), 1e-300) ** n:
        raise ValueError("model: first-order h needs an invertible k_x coefficient h1")
    barrier = junction.barrier
    kind, matrix, height, width, strength = BARRIER_NONE, np.eye(2 * n, dtype=complex), 0.0, 0.0, 0
    if isinstance(barrier, DeltaBarrier | ThinBarrier):
        if isinstance(barrier, DeltaBarrier):
            vf = fermi_velocity(model, theta, junction.mu)
            if not vf > 0:
                raise ValueError(
                    "barrier: DeltaBarrier(Z) is scaled by the normal region's Fermi velocity "
                    "at q = 0, but there is no propagating state at energy mu there; use "
                    "ThinBarrier(chi) instead"
                )
            strength = barrier.Z * vf
        else:
            strength = barrier.chi * float(getattr(model, "velocity", 1.0))
        if strength != 0:
            if order == 2:
                kind = BARRIER_JUMP
                block = strength * np.linalg.inv(h2)
            else:
                if np.abs(hc[1, 1:]).max() * q_scale > 1e-14 * np.abs(h1).max():
                    raise ValueError("model: thin barrier needs a q-independent h1")
                kind = BARRIER_TRANSFER
                # exp(-i W h1^{-1}) from the eigen-decomposition of the Hermitian h1
                lam, vec = np.linalg.eigh(h1)
                block = (vec * np.exp(-1j * strength / lam)) @ vec.conj().T
            matrix = np.kron(np.eye(2), block).astype(complex)
    elif isinstance(barrier, RectangularBarrier) and barrier.width > 0:
        kind, height, width = BARRIER_RECT, barrier.height, barrier.width
    # absolute tolerance on Im k: a tiny fraction of the normal region's momentum scale
    ktol = 1e-12 * q_scale
    return FinalizedJunction(
        hc=np.ascontiguousarray(hc),
        order=order,
        mu=junction.mu,
        mu_s=junction.mu + junction.U0,
        gap=junction.gap,
        phase=junction.phase,
        barrier_kind=kind,
        barrier_matrix=np.ascontiguousarray(matrix),
        barrier_height=float(height),
        barrier_width=float(width),
        ktol=float(ktol),
        strength=float(strength),
        junction=junction,
    )
