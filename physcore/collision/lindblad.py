r"""Continuum references: the local and the global Lindblad master equations.

Local master equation = the continuum limit of the collision model
-------------------------------------------------------------------
Expand one collision ``Phi(rho) = Tr_A[U (rho (x) eta) U^dagger]``, ``U = exp(-i tau G)``, in
``tau`` with ``gamma = J**2 tau`` held fixed (so ``J ~ tau**-1/2``). Terms odd in ``V`` vanish
because the Gibbs ancillas have ``<a+-> = <ax> = 0``, and

.. math::

    \Phi = 1 + \tau \mathcal{L} + O(\tau^2), \qquad
    \mathcal{L}\rho = -i[H_S, \rho] + \sum_i \gamma_i \mathcal{D}_i\rho,

with ``D[L] rho = L rho L^dagger - {L^dagger L, rho}/2`` and, for the two couplings,

* exchange ``J (s+ a- + s- a+)``: ``D_i = (1 - p_i) D[s-_i] + p_i D[s+_i]`` (``p_i`` the ancilla
  excited population at the ancilla frequency);
* ``J sx ax``: ``D_i = D[sx_i]`` (``Tr[ax eta ax] = 1`` at any temperature: the non-conserving
  collision heats the qubit towards infinite temperature).

(The ``tau**2 J**2 (V rho V - {V**2, rho}/2)`` term of ``exp(-i tau V)`` is the dissipator; the
``H_12`` inside ``U`` only enters at ``tau**3 J**2 = gamma tau**2``, so the exact and the local
collision schemes share this limit.) ``Phi**n`` with ``n tau = t`` then converges to
``exp(t L)`` with a global error O(tau), and the steady states differ by O(tau): measured
order 1.00 for exchange collisions (both schemes, g = 0.3); for ``sx ax`` collisions at g = 0
the O(tau) term cancels and the measured order is 2.0 (tests/physcore/collision/
test_lindblad.py). The continuum heat current into the system from bath i, computed like the
collision heat from the ancilla energy, is
``J_i = gamma_i wa_i (p_i P_g,i - (1 - p_i) P_e,i)`` (exchange) and
``J_i = -gamma_i wa_i (1 - 2 p_i)`` (``sx ax``: always into the bath).

Global master equation (Breuer and Petruccione, *The Theory of Open Quantum Systems*, Sec. 3.3)
-----------------------------------------------------------------------------------------------
Bath i is a thermal reservoir at ``T_i`` coupled through ``sx_i`` with a flat spectral density
``gamma_i = J_i**2 tau``. Decompose ``sx_i = sum_w A_i(w)`` into eigenoperators of ``H_S``
(``A(w)`` lowers the energy by the Bohr frequency ``w``, degenerate frequencies grouped: full
secular approximation) and use the rates ``gamma_i (1 - f_i(w))`` with the qubit-ancilla
occupation ``f_i(w) = 1 / (exp(w / T_i) + 1)``, which obey KMS detailed balance, so equal
temperatures give the Gibbs state of ``H_S``. At ``g = 0`` with resonant ancillas it coincides
with the local equation of the exchange coupling. It is *not* the continuum limit of the ``sx ax``
collisions (see above); it is the standard weak-coupling reference.
"""

from __future__ import annotations

import numpy as np
import qutip

from .model import CollisionModel

__all__ = [
    "local_lindblad",
    "global_lindblad",
    "lindblad_steady_state",
    "local_heat_currents",
    "bohr_decomposition",
]


def _site(op: qutip.Qobj, site: int) -> qutip.Qobj:
    return qutip.tensor(op, qutip.qeye(2)) if site == 0 else qutip.tensor(qutip.qeye(2), op)


def _local_c_ops(model: CollisionModel) -> list[qutip.Qobj]:
    c_ops = []
    for site, (bath, gamma, p) in enumerate(
        zip((model.left, model.right), model.rates, model.ancilla_populations)
    ):
        if bath.coupling == "exchange":
            c_ops.append(np.sqrt(gamma * (1.0 - p)) * _site(qutip.sigmam(), site))
            c_ops.append(np.sqrt(gamma * p) * _site(qutip.sigmap(), site))
        else:
            c_ops.append(np.sqrt(gamma) * _site(qutip.sigmax(), site))
    return c_ops


def local_lindblad(model: CollisionModel) -> qutip.Qobj:
    """Liouvillian of the local master equation, the tau -> 0 limit at fixed ``J**2 tau``."""
    return qutip.liouvillian(model.system.hamiltonian(), _local_c_ops(model))


def bohr_decomposition(
    hamiltonian: qutip.Qobj, op: qutip.Qobj, *, atol: float = 1e-9
) -> list[tuple[float, qutip.Qobj]]:
    """Split ``op = sum_w A(w)`` with ``[H, A(w)] = -w A(w)`` (``A(w)`` lowers the energy by w).

    Bohr frequencies closer than ``atol`` are grouped; components with norm below ``atol`` are
    dropped. Returns ``[(w, A(w)), ...]``.
    """
    energies, vecs = np.linalg.eigh(hamiltonian.full())
    a = vecs.conj().T @ op.full() @ vecs
    bohr = energies[None, :] - energies[:, None]  # w_ab = E_b - E_a for |a><b|
    out = []
    done = np.zeros(a.shape, bool)
    for idx in np.argwhere(np.abs(a) > atol):
        if done[tuple(idx)]:
            continue
        w = bohr[tuple(idx)]
        mask = (np.abs(bohr - w) < atol) & (np.abs(a) > atol)
        done |= mask
        comp = vecs @ np.where(mask, a, 0.0) @ vecs.conj().T
        out.append((float(w), qutip.Qobj(comp, dims=hamiltonian.dims)))
    return out


def global_lindblad(model: CollisionModel) -> qutip.Qobj:
    """Liouvillian of the global (Breuer-Petruccione) master equation, see the module notes."""
    h = model.system.hamiltonian()
    c_ops = []
    for site, (bath, gamma) in enumerate(zip((model.left, model.right), model.rates)):
        for w, comp in bohr_decomposition(h, _site(qutip.sigmax(), site)):
            emission = 0.5 * (1.0 + np.tanh(0.5 * w / bath.temperature))  # 1 - f(w)
            c_ops.append(np.sqrt(gamma * emission) * comp)
    return qutip.liouvillian(h, c_ops)


def lindblad_steady_state(liouvillian: qutip.Qobj) -> qutip.Qobj:
    """``qutip.steadystate(L, method="direct")`` for a two-qubit Liouvillian."""
    if not isinstance(liouvillian, qutip.Qobj) or liouvillian.shape != (16, 16):
        raise ValueError("liouvillian must be a 16x16 two-qubit Liouvillian Qobj")
    return qutip.steadystate(liouvillian, method="direct")


def local_heat_currents(model: CollisionModel, rho: qutip.Qobj) -> tuple[float, float]:
    """Continuum heat currents (J_L, J_R) into the system, from the ancilla energy balance.

    See the module notes; ``rho`` is the 4x4 system state.
    """
    out = []
    for site, (bath, gamma, p, wa) in enumerate(
        zip(
            (model.left, model.right),
            model.rates,
            model.ancilla_populations,
            model.ancilla_frequencies,
        )
    ):
        if bath.coupling == "exchange":
            excited = _site(qutip.sigmap() * qutip.sigmam(), site)  # |e><e| = basis(2, 0)
            p_exc = float(np.real(qutip.expect(excited, rho)))
            out.append(gamma * wa * (p * (1.0 - p_exc) - (1.0 - p) * p_exc))
        else:
            out.append(-gamma * wa * (1.0 - 2.0 * p))
    return tuple(out)
