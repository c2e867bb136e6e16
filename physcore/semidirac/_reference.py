"""Plain numpy/scipy mode matching built on general eigen-solves (test and benchmark reference).

Independent of the numba kernels: the BdG matrices are built from the model's
``transport_coefficients`` at each q, the modes are the eigenvalues of the linearized
polynomial eigenproblem ``(A0 - E + A1 k + A2 k^2) psi = 0`` (``scipy.linalg.eig`` of the
companion pencil), the barrier matrices come from ``A1``, ``A2`` directly, and the matching
system is solved with ``numpy.linalg.solve``. It is slow (~1 ms per point) and exists to check
the fast solver and to give the benchmark its ratio.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._system import fermi_velocity
from .barriers import DeltaBarrier, RectangularBarrier, ThinBarrier

__all__ = ["reference_scattering", "reference_conductance_integrand"]

_TAU_Z = np.diag([1.0, -1.0])


def _bdg_matrices(junction, q: float, potential: float, gap: float):
    h0, h1, h2 = (np.asarray(a, complex) for a in junction.model.transport_coefficients(
        junction.theta, q))  # fmt: skip
    n = h0.shape[0]
    pair = gap * np.exp(1j * junction.phase)
    a0 = np.kron(_TAU_Z, h0 - (junction.mu - potential) * np.eye(n))
    a0 += np.kron(np.array([[0, pair], [np.conj(pair), 0]]), np.eye(n))
    return a0, np.kron(_TAU_Z, h1), np.kron(_TAU_Z, h2)


def _modes(a0, a1, a2, energy, order):
    dim = a0.shape[0]
    shifted = a0 - energy * np.eye(dim)
    if order == 1:
        ks, vecs = scipy.linalg.eig(-shifted, a1)
    else:
        zero, one = np.zeros((dim, dim)), np.eye(dim)
        lhs = np.block([[zero, one], [-shifted, -a1]])
        rhs = np.block([[one, zero], [zero, a2]])
        ks, vecs = scipy.linalg.eig(lhs, rhs)
        vecs = vecs[:dim]
    out = []
    for k, v in zip(ks, vecs.T):
        v = v / np.linalg.norm(v)
        scale = 1e-9 * max(1.0, abs(k))
        if abs(k.imag) < scale:
            k = k.real
            current = np.vdot(v, (a1 + 2 * a2 * k) @ v).real
            v = v / np.sqrt(abs(current))
            out.append((k, v, True, current))
        else:
            out.append((k, v, False, 0.0))
    return out


def _value(m, x=0.0):
    return m[1] * np.exp(1j * m[0] * x)


def _deriv(m, x=0.0):
    return 1j * m[0] * m[1] * np.exp(1j * m[0] * x)


def _rect_system(junction, q, energy, order, dim, incoming, outN, outS):
    """Columns, right-hand sides and the superconductor's column offset of the rectangular
    barrier's matching system (barrier modes growing to the right referred to x = d)."""
    barrier = junction.barrier
    d = barrier.width
    modesB = _modes(*_bdg_matrices(junction, q, barrier.height, 0.0), energy, order)
    shift = [0.0 if m[0].imag >= 0 else d for m in modesB]
    zero = np.zeros(dim)
    cols = []
    for m in outN:
        cols.append(np.concatenate([-_value(m), -_deriv(m), zero, zero] if order == 2
                                   else [-_value(m), zero]))  # fmt: skip
    for m, s in zip(modesB, shift):
        parts = [_value(m, -s), -_value(m, d - s)]
        if order == 2:
            parts = [_value(m, -s), _deriv(m, -s), -_value(m, d - s), -_deriv(m, d - s)]
        cols.append(np.concatenate(parts))
    for m in outS:
        cols.append(np.concatenate([zero, zero, _value(m), _deriv(m)] if order == 2
                                   else [zero, _value(m)]))  # fmt: skip
    rhs = [np.concatenate([_value(m), _deriv(m)] if order == 2 else [_value(m)]) for m in incoming]
    rhs = [np.concatenate([r, np.zeros_like(r)]) for r in rhs]
    return cols, rhs, len(outN) + len(modesB)


def _contact_system(junction, aN, n, order, incoming, outN, outS):
    """Columns and right-hand sides of a contact (delta jump or thin-barrier transfer)."""
    model, theta, barrier = junction.model, junction.theta, junction.barrier
    w = 0.0
    if isinstance(barrier, DeltaBarrier):
        w = barrier.Z * fermi_velocity(model, theta, junction.mu)
    elif isinstance(barrier, ThinBarrier):
        w = barrier.chi * float(getattr(model, "velocity", 1.0))
    tz = np.kron(_TAU_Z, np.eye(n))
    if order == 2:
        jump = w * np.linalg.inv(aN[2]) @ tz  # psi'(0+) - psi'(0-) = jump psi(0)
        cols = [np.concatenate([-_value(m), -_deriv(m)]) for m in outN]
        cols += [np.concatenate([_value(m), _deriv(m) - jump @ _value(m)]) for m in outS]
        rhs = [np.concatenate([_value(m), _deriv(m)]) for m in incoming]
    else:
        transfer = scipy.linalg.expm(-1j * w * np.linalg.inv(aN[1]) @ tz)
        cols = [-transfer @ _value(m) for m in outN] + [_value(m) for m in outS]
        rhs = [transfer @ _value(m) for m in incoming]
    return cols, rhs, len(outN)


def reference_scattering(junction, energy: float, q: float):
    """``(R_ee, R_he, T)`` arrays over the incoming electron modes at (energy, q)."""
    model, theta = junction.model, junction.theta
    n = np.asarray(model.transport_coefficients(theta, q)[0]).shape[0]
    aN = _bdg_matrices(junction, q, 0.0, 0.0)
    aS = _bdg_matrices(junction, q, -junction.U0, junction.gap)
    order = 1 if np.allclose(aN[2], 0) else 2
    modesN = _modes(*aN, energy, order)
    modesS = _modes(*aS, energy, order)

    def electron(m):
        return np.linalg.norm(m[1][:n]) > np.linalg.norm(m[1][n:])

    incoming = [m for m in modesN if m[2] and m[3] > 0 and electron(m)]
    outN = [m for m in modesN if (m[2] and m[3] < 0) or (not m[2] and m[0].imag < 0)]
    outS = [m for m in modesS if (m[2] and m[3] > 0) or (not m[2] and m[0].imag > 0)]
    if not incoming:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    barrier = junction.barrier
    if isinstance(barrier, RectangularBarrier) and barrier.width > 0:
        cols, rhs, n_skip = _rect_system(junction, q, energy, order, 2 * n, incoming, outN, outS)
    else:
        cols, rhs, n_skip = _contact_system(junction, aN, n, order, incoming, outN, outS)
    sol = np.linalg.solve(np.array(cols).T, np.array(rhs).T)
    r_ee, r_he, t = np.zeros(len(incoming)), np.zeros(len(incoming)), np.zeros(len(incoming))
    for j, m in enumerate(outN):
        if m[2]:
            if electron(m):
                r_ee += np.abs(sol[j]) ** 2
            else:
                r_he += np.abs(sol[j]) ** 2
    for j, m in enumerate(outS):
        if m[2]:
            t += np.abs(sol[n_skip + j]) ** 2
    return r_ee, r_he, t


def reference_conductance_integrand(junction, energies, qs) -> np.ndarray:
    """``sum_in (1 - R_ee + R_he)`` on the grid ``energies[i], qs[i, j]`` (slow loop)."""
    out = np.zeros(np.shape(qs))
    for i, e in enumerate(energies):
        for j, q in enumerate(qs[i]):
            r_ee, r_he, _ = reference_scattering(junction, float(e), float(q))
            out[i, j] = np.sum(1 - r_ee + r_he)
    return out
