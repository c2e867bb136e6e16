"""Correlations between the two qubits: concurrence, mutual information, negativity, discord.

Entropies here are in bits (log base 2). QuTiP supplies concurrence, mutual information and
negativity; it has no quantum discord, so :func:`discord` minimizes over projective measurements
on the measured qubit numerically, and :func:`discord_x_state` gives the X-state reduction used
to test it.

Discord with a measurement on qubit A (Ollivier and Zurek, PRL 88, 017901 (2001); Henderson and
Vedral, J. Phys. A 34, 6899 (2001)):
``D(B|A) = S(A) - S(AB) + min_n sum_k p_k S(rho_B|k)`` over projectors
``P_+- = (1 +- n.sigma)/2`` on A, ``n = (sin t cos f, sin t sin f, cos t)``.
"""

from __future__ import annotations

import math

import numpy as np
import qutip
from scipy.optimize import minimize, minimize_scalar

from .. import _operators as ops
from .steady import check_density_matrix

__all__ = [
    "concurrence",
    "mutual_information",
    "negativity",
    "discord",
    "discord_x_state",
    "is_x_state",
    "correlation_measures",
]

_PAULI = ops.PAULI[1:]  # sx, sy, sz


def _entropy_bits(probabilities) -> float:
    p = np.asarray(probabilities, float)
    p = p[p > 1e-15]
    return float(-(p * np.log2(p)).sum())


def _binary_entropy_of_bloch(r):
    """Entropy (bits) of a qubit with Bloch-vector length r (broadcasts)."""
    r = np.clip(np.asarray(r, float), 0.0, 1.0)
    out = np.zeros_like(r)
    for sign in (1.0, -1.0):
        q = 0.5 * (1.0 + sign * r)
        with np.errstate(divide="ignore", invalid="ignore"):
            out -= np.where(q > 1e-15, q * np.log2(np.where(q > 1e-15, q, 1.0)), 0.0)
    return out


def concurrence(rho) -> float:
    """Wootters concurrence (QuTiP's ``concurrence``), in [0, 1]."""
    return float(qutip.concurrence(check_density_matrix(rho)))


def mutual_information(rho) -> float:
    """Quantum mutual information ``S(A) + S(B) - S(AB)`` in bits."""
    return float(qutip.entropy_mutual(check_density_matrix(rho), 0, 1, base=2))


def negativity(rho) -> float:
    """Negativity ``(||rho^T_A||_1 - 1) / 2`` (QuTiP's ``negativity``), in [0, 1/2]."""
    return float(qutip.negativity(check_density_matrix(rho), 0))


def _qubit_entropy_bits(m: np.ndarray) -> float:
    """Entropy (bits) of a 2x2 unit-trace Hermitian matrix (closed-form eigenvalues)."""
    det = (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]).real
    r = math.sqrt(min(max(1.0 - 4.0 * det, 0.0), 1.0))  # Bloch length: eigenvalues (1 +- r)/2
    total = 0.0
    for q in (0.5 * (1.0 + r), 0.5 * (1.0 - r)):
        if q > 1e-15:
            total -= q * math.log2(q)
    return total


def _conditional_entropy(angles, rho_b: np.ndarray, pieces: np.ndarray) -> float:
    """``sum_k p_k S(rho_B|k)`` after measuring ``P_+- = (1 +- n.sigma)/2`` on one qubit.

    ``p_+- rho_B|+- = Tr_A[(P_+- (x) 1) rho] = (rho_B +- sum_i n_i R_i) / 2`` with the 2x2
    pieces ``R_i = Tr_A[(s_i (x) 1) rho]`` (precomputed once per state).
    """
    t, f = angles
    st = math.sin(t)
    shift = st * math.cos(f) * pieces[0] + st * math.sin(f) * pieces[1] + math.cos(t) * pieces[2]
    total = 0.0
    for sign in (1.0, -1.0):
        cond = 0.5 * (rho_b + sign * shift)
        p = (cond[0, 0] + cond[1, 1]).real
        if p > 1e-14:
            total += p * _qubit_entropy_bits(cond / p)
    return total


def discord(rho, *, measured: int = 0, n_starts: int = 6, atol: float = 1e-10) -> float:
    """Quantum discord (bits) with a projective measurement on qubit ``measured``.

    Parameters
    ----------
    rho : Qobj or array_like
        Two-qubit density matrix.
    measured : {0, 1}
        The qubit that is measured (0: ``D(B|A)``).
    n_starts : int
        Nelder-Mead starts, on a deterministic set of measurement directions that includes
        the z axis and the equator (where the X-state optimum usually sits).
    atol : float
        Tolerance of the angle search.

    Notes
    -----
    Deterministic (no random starts). The minimization is over the two angles of the
    measurement direction; Nelder-Mead is used because the entropy has unbounded derivatives
    where a conditional state turns pure.
    """
    if measured not in (0, 1):
        raise ValueError(f"measured must be 0 or 1, got {measured!r}")
    if int(n_starts) < 1:
        raise ValueError(f"n_starts must be >= 1, got {n_starts!r}")
    rho = check_density_matrix(rho)
    rho4 = rho.full().reshape(2, 2, 2, 2)  # rho4[a, b, a', b']
    if measured == 0:
        pieces = np.einsum("ica,abcd->ibd", _PAULI, rho4)
    else:
        pieces = np.einsum("idb,abcd->iac", _PAULI, rho4)
    rho_b = rho.ptrace(1 - measured).full()
    s_ab = _entropy_bits(np.linalg.eigvalsh(rho.full()))
    s_a = _entropy_bits(np.linalg.eigvalsh(rho.ptrace(measured).full()))
    starts = [(0.0, 0.0)] + [
        (np.pi / 2 if k % 2 == 0 else np.pi / 4, np.pi * k / max(int(n_starts) - 1, 1))
        for k in range(int(n_starts) - 1)
    ]
    best = np.inf
    for start in starts:
        res = minimize(
            _conditional_entropy,
            np.array(start),
            args=(rho_b, pieces),
            method="Nelder-Mead",
            options={"xatol": atol, "fatol": atol, "maxiter": 2000},
        )
        best = min(best, float(res.fun), _conditional_entropy(start, rho_b, pieces))
    return max(s_a - s_ab + best, 0.0)


def is_x_state(rho, *, atol: float = 1e-12) -> bool:
    """True when only the diagonal and the anti-diagonal of ``rho`` are non-zero."""
    arr = ops.as_array(rho, "rho")
    mask = np.eye(4, dtype=bool) | np.eye(4, dtype=bool)[::-1]
    return bool(np.abs(arr[~mask]).max() <= atol)


def _x_state_parameters(rho: np.ndarray):
    """Bloch data of an X state with qubit A measured: a_z, b_z, T_zz and the largest singular
    value of the transverse correlation block ``T_ij = Tr[rho s_i (x) s_j]``, i, j in {x, y}."""
    corr = np.einsum("iab,jcd,bdac->ij", _PAULI, _PAULI, rho.reshape(2, 2, 2, 2)).real
    a_z = float(np.real(np.trace(rho @ np.kron(_PAULI[2], np.eye(2)))))
    b_z = float(np.real(np.trace(rho @ np.kron(np.eye(2), _PAULI[2]))))
    c_perp = float(np.linalg.svd(corr[:2, :2], compute_uv=False)[0])
    return a_z, b_z, float(corr[2, 2]), c_perp


def discord_x_state(rho, *, endpoints_only: bool = False) -> float:
    """Discord (bits, qubit A measured) of an X state by the one-angle reduction.

    For an X state the measured qubit's optimal azimuth aligns with the largest singular vector
    of the transverse correlation block, and the conditional entropy is a closed form of the
    polar angle t alone (Ali, Rau and Alber, PRA 81, 042105 (2010)):
    ``sum_+- p_+- h(|b +- T^T n| / (1 +- a.n))`` with ``p_+- = (1 +- a_z cos t)/2``.
    Ali-Rau-Alber took the minimum at t = 0 or pi/2 (``endpoints_only=True``); arXiv:1102.0181
    ("Quantum discord of two-qubit X-states") and Yurischev (arXiv:1503.00840) showed that it
    can sit in between, so by
    default the whole interval [0, pi/2] is searched (grid, then bounded refinement).
    """
    rho = check_density_matrix(rho)
    if not is_x_state(rho, atol=1e-10):
        raise ValueError("rho must be an X state (non-zero only on the diagonal and anti-diagonal)")
    arr = rho.full()
    a_z, b_z, t_zz, c_perp = _x_state_parameters(arr)

    def conditional(theta):
        c, s = np.cos(theta), np.sin(theta)
        total = 0.0
        for sign in (1.0, -1.0):
            p = 0.5 * (1.0 + sign * a_z * c)
            if p > 1e-14:
                r = np.hypot(b_z + sign * t_zz * c, c_perp * s) / (2.0 * p)
                total += p * _binary_entropy_of_bloch(r)
        return float(total)

    if endpoints_only:
        best = min(conditional(0.0), conditional(np.pi / 2))
    else:
        grid = np.linspace(0.0, np.pi / 2, 201)
        values = [conditional(t) for t in grid]
        k = int(np.argmin(values))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        res = minimize_scalar(
            conditional, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
        )
        best = min(values[k], float(res.fun))
    s_ab = _entropy_bits(np.linalg.eigvalsh(arr))
    s_a = _entropy_bits(np.linalg.eigvalsh(rho.ptrace(0).full()))
    return max(s_a - s_ab + best, 0.0)


def correlation_measures(rho) -> dict[str, float]:
    """All four measures of a two-qubit state: concurrence, mutual information (bits),
    negativity and discord (bits, qubit 1 measured)."""
    return {
        "concurrence": concurrence(rho),
        "mutual_information": mutual_information(rho),
        "negativity": negativity(rho),
        "discord": discord(rho),
    }
