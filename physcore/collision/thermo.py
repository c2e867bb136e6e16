"""Thermodynamics of one collision: heat, work, first law, entropy production, rectification.

Per collision of the system state ``rho`` with fresh ancillas ``eta = eta_L (x) eta_R``
(Strasberg et al., PRX 7, 021003 (2017); De Chiara et al., NJP 20, 113024 (2018)), with
``sigma = U (rho (x) eta) U^dagger``:

* heat from bath i: ``Q_i = -(Tr[H_Ai sigma] - Tr[H_Ai eta_i])``, minus the ancilla's energy gain
  (Q_i > 0: energy flows from bath i into the system);
* switching work: the collision unitary conserves ``G = H_sys + H_R + V``, so switching ``V`` on
  and off costs ``W_switch = Tr[V (rho (x) eta)] - Tr[V sigma]``
  ``= Tr[(H_sys + H_R)(sigma - rho (x) eta)]``;
  it vanishes when ``V`` commutes with ``H_sys + H_R`` (resonant exchange);
* the local scheme's collisions conserve ``H_0 + H_R + V`` instead, and its separate ``H_12`` step
  changes ``H_0``; the energy the splitting injects into ``H_S`` is booked as
  ``W_split = Delta_coll Tr[H_12 rho] + Delta_step Tr[H_0 rho]`` (zero in the exact scheme);
* first law: ``Delta E_S = Q_L + Q_R + W`` with ``W = W_switch + W_split`` and
  ``E_S = Tr[H_S rho]``; in the steady state ``Q_L + Q_R + W = 0``. Every term is computed from
  its own operator, so the identity tests energy conservation of the unitaries;
* entropy production (Esposito, Lindenberg, Van den Broeck, NJP 12, 013013 (2010)):
  ``Sigma = I(S:A)_sigma + D(sigma_A || eta) >= 0`` (nats), which equals
  ``Delta S_S - Q_L / T_L - Q_R / T_R`` for Gibbs ancillas (the Clausius form, kept as a check).

Currents are per unit time: ``J_i = Q_i / tau``. Heat and work are ``O(J**2 tau**2)`` per
collision at short collision times, so every term above is computed as the trace of the state
*change* ``sigma - rho (x) eta``, formed from ``U - 1`` without subtracting O(1) numbers
(:mod:`._increment`); the currents then tend smoothly to the local Lindblad ones as tau -> 0.

Rectification (temperatures swapped between the forward and backward runs) is
``R = |J_f + J_b| / max(|J_f|, |J_b|)`` for the current out of one bath: 0 for a symmetric
conductor, 1 for a perfect diode. Non-conserving collisions do work that ends up as heat in
*both* baths; then J_f and J_b can share a sign for reasons unrelated to the bias and R alone is
meaningless, so :class:`Rectification` always carries the work of both runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _operators as ops
from . import _increment
from .finalized import FinalizedCollision, finalize
from .model import CollisionModel
from .steady import check_density_matrix, collision_steady_state

__all__ = [
    "CollisionThermodynamics",
    "collision_thermodynamics",
    "steady_thermodynamics",
    "Rectification",
    "rectification",
    "rectification_ratio",
]


@dataclass(frozen=True)
class CollisionThermodynamics:
    """Energy and entropy balance of one collision (energies per collision, entropy in nats).

    Attributes
    ----------
    heat_left, heat_right : float
        Heat Q_L, Q_R drawn from each bath during the collision.
    work_switching, work_splitting : float
        Switching work and the local scheme's splitting work (0 for ``"exact"``).
    energy_change : float
        ``Delta E_S = Tr[H_S (rho' - rho)]``.
    entropy_production : float
        ``I(S:A) + D(sigma_A || eta)``.
    entropy_production_clausius : float
        ``Delta S_S - Q_L/T_L - Q_R/T_R`` (equal to the above; a check).
    mutual_information, relative_entropy : float
        The two terms of the entropy production.
    tau : float
        Collision time, to turn energies into currents.
    """

    heat_left: float
    heat_right: float
    work_switching: float
    work_splitting: float
    energy_change: float
    entropy_production: float
    entropy_production_clausius: float
    mutual_information: float
    relative_entropy: float
    tau: float

    @property
    def work(self) -> float:
        """Total work per collision ``W_switch + W_split``."""
        return self.work_switching + self.work_splitting

    @property
    def first_law_residual(self) -> float:
        """``Delta E_S - (Q_L + Q_R + W)``; zero up to rounding."""
        return self.energy_change - (self.heat_left + self.heat_right + self.work)

    @property
    def current_left(self) -> float:
        """Heat current from the left bath, ``Q_L / tau``."""
        return self.heat_left / self.tau

    @property
    def current_right(self) -> float:
        """Heat current from the right bath, ``Q_R / tau``."""
        return self.heat_right / self.tau

    @property
    def power(self) -> float:
        """Work per unit time ``W / tau`` done on system and ancillas."""
        return self.work / self.tau


def _trace(op: np.ndarray, state: np.ndarray) -> float:
    """``Re Tr[op state]`` for plain arrays."""
    return float(np.real(np.einsum("ij,ji->", op, state)))


def _log_gibbs(model: CollisionModel) -> np.ndarray:
    """Diagonal of ``log(eta_L (x) eta_R)`` (j = 2 j_L + j_R), taken analytically.

    ``log p = -log(1 + exp(+-w / T))`` is finite for every T > 0, where QuTiP's
    ``entropy_relative`` drops small eigenvalues of ``eta`` and returns inf for cold ancillas.
    """
    temps = (model.left.temperature, model.right.temperature)
    log_p = ops.log_gibbs_populations(np.array(model.ancilla_frequencies), np.array(temps))
    return (log_p[0][:, None] + log_p[1][None, :]).reshape(4)


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)
_NODES, _WEIGHTS = 0.5 * (_NODES + 1.0), 0.5 * _WEIGHTS  # on [0, 1]


def _entropy(rho: np.ndarray) -> float:
    p = np.linalg.eigvalsh(rho)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _entropy_change(rho: np.ndarray, d: np.ndarray) -> float:
    """``S(rho + d) - S(rho)`` in nats for a Hermitian, traceless change ``d``.

    ``d/dt S(rho + t d) = -Tr[log(rho + t d) d]`` (``Tr d = 0``). When
    ``||d|| <= lambda_min(rho) / 4`` the integrand is analytic on a disc of radius >= 4 around
    ``t`` in [0, 1] and 8-point Gauss-Legendre integrates it to rounding (its error falls like
    ``16**-16``): the change keeps its digits even when it is ``O(J**2 tau**2)``, where the
    difference of two O(1) entropies would be rounding. Otherwise (a singular or nearly
    singular ``rho``, or a large change) the direct difference, accurate to about 1e-15 nats.
    """
    lam_min = float(np.linalg.eigvalsh(rho)[0])
    if lam_min <= 0.0 or np.linalg.norm(d, 2) > 0.25 * lam_min:
        return _entropy(rho + d) - _entropy(rho)
    e, v = np.linalg.eigh(rho[None] + _NODES[:, None, None] * d[None])
    d_eig = np.real(np.einsum("tki,kl,tli->ti", v.conj(), d, v))  # <v_i|d|v_i>
    return float(-(_WEIGHTS * (np.log(e) * d_eig).sum(axis=-1)).sum())


def collision_thermodynamics(
    model: CollisionModel | FinalizedCollision, rho, scheme: str | None = None
) -> CollisionThermodynamics:
    """Heat, work and entropy production of one collision starting from ``rho``.

    Parameters
    ----------
    model : CollisionModel or FinalizedCollision
        A model, or ``model.finalized(scheme)`` (then nothing is built again).
    rho : Qobj or array_like
        4x4 system density matrix before the collision.
    scheme : {"exact", "local"}, optional
        Default ``"exact"`` for a model, the finalized system's scheme otherwise.

    Notes
    -----
    Heat, switching work and ``Delta E_S`` are ``Tr[(U^dagger X U - X)(rho (x) eta)]`` with
    ``U^dagger X U - X = A^dagger X A + A^dagger X + X A`` (``A = U - 1``, module
    :mod:`._increment`), so they keep their digits when they are ``O(J**2 tau**2)`` (the
    O(tau) terms odd in ``V`` vanish exactly in this form): at short collision times the
    currents ``Q / tau`` tend smoothly to the local Lindblad ones. The splitting work is
    ``Delta E_S - Delta_coll <H_0>`` (equal to the module's definition because the ``H_12``
    step conserves ``H_12``). The entropy changes are integrated along ``rho + t D``
    (``_entropy_change``) rather than taken as differences of O(1) entropies, so the entropy
    production keeps its digits too, unless ``rho`` or the ancilla Gibbs state is (nearly)
    singular: then it is accurate to about 1e-15 nats per collision.
    """
    fin = finalize(model, scheme)
    model = fin.model
    rho = check_density_matrix(rho, "rho").full()
    eta = np.diag(fin.weights)  # eta_L (x) eta_R, diagonal in the ancilla-pair basis
    before = np.kron(rho, eta)

    def gain(key):  # sum_j p_j Tr[O_j rho]: the change of <X> over the collision
        return _trace(fin.expected_change(key), rho)

    heat_left, heat_right = -gain("ancilla_left"), -gain("ancilla_right")
    w_switch = -gain("interaction")
    energy_change = gain("system")
    # W_split = Delta_coll <H_12> + Delta_step <H_0> = Delta E_S - Delta_coll <H_0>, since the
    # H_12 step conserves H_12; both terms of the second form are conserved at first order,
    # so no O(tau) parts cancel in floating point
    w_split = energy_change - gain("system_local") if fin.local else 0.0
    # entropies from the state change D = sigma - rho (x) eta, each as an accurate difference:
    # I(S:A) = Delta S_S + Delta S_A (S(sigma) = S(rho (x) eta) for the unitary U) and
    # D(sigma_A || eta) = -Delta S_A - Tr[D_A log eta] (S(eta) = -Tr[eta log eta]); the
    # information form then differs from the Clausius form only in its bath term, the
    # Schroedinger D_A here against the Heisenberg heat there (a check of both)
    change = _increment.state_change(fin.collision_step, before)
    blocks = change.reshape(4, 4, 4, 4)
    d_sys, d_anc = np.einsum("aibi->ab", blocks), np.einsum("aiaj->ij", blocks)
    ds_sys = _entropy_change(rho, d_sys)
    ds_anc = _entropy_change(eta, d_anc)
    mutual = ds_sys + ds_anc
    relative = -ds_anc - float(np.real(np.diag(d_anc)) @ _log_gibbs(model))
    t_l, t_r = model.left.temperature, model.right.temperature
    clausius = ds_sys - heat_left / t_l - heat_right / t_r
    return CollisionThermodynamics(
        heat_left=heat_left,
        heat_right=heat_right,
        work_switching=w_switch,
        work_splitting=w_split,
        energy_change=energy_change,
        entropy_production=float(mutual + relative),
        entropy_production_clausius=float(clausius),
        mutual_information=float(mutual),
        relative_entropy=float(relative),
        tau=model.tau,
    )


def steady_thermodynamics(
    model: CollisionModel | FinalizedCollision, scheme: str | None = None
) -> CollisionThermodynamics:
    """:func:`collision_thermodynamics` at the steady state of the scheme (one finalized
    system for both)."""
    fin = finalize(model, scheme)
    return collision_thermodynamics(fin, collision_steady_state(fin))


def rectification_ratio(forward, backward, *, atol: float = 1e-12):
    """``|J_f + J_b| / max(|J_f|, |J_b|)`` (broadcasts).

    NaN where both currents are below ``atol`` (energy per time): there is nothing to rectify
    (e.g. at g = 0 the far bath exchanges no heat), and the ratio of rounding errors would be
    noise.
    """
    jf, jb = np.asarray(forward, float), np.asarray(backward, float)
    den = np.maximum(np.abs(jf), np.abs(jb))
    ok = den > atol
    out = np.where(ok, np.abs(jf + jb) / np.where(ok, den, 1.0), np.nan)
    return out if out.ndim else float(out)


@dataclass(frozen=True)
class Rectification:
    """Forward and backward steady states (temperatures swapped) and their rectification.

    ``ratio_left`` uses the current out of the left bath in both runs, ``ratio_right`` the one
    out of the right bath; they agree only when no work is done. ``work_fraction`` is
    ``max |W| / max |J|`` over both runs: rectification claims need it to be small.
    """

    forward: CollisionThermodynamics
    backward: CollisionThermodynamics

    @property
    def ratio_left(self) -> float:
        return rectification_ratio(self.forward.current_left, self.backward.current_left)

    @property
    def ratio_right(self) -> float:
        return rectification_ratio(self.forward.current_right, self.backward.current_right)

    @property
    def work_fraction(self) -> float:
        runs = (self.forward, self.backward)
        power = max(abs(r.power) for r in runs)
        current = max(max(abs(r.current_left), abs(r.current_right)) for r in runs)
        return power / current if current > 0 else float("nan")


def rectification(
    model: CollisionModel | FinalizedCollision, scheme: str | None = None
) -> Rectification:
    """Steady thermodynamics of ``model`` and of its temperature-swapped copy."""
    forward = finalize(model, scheme)
    backward = forward.model.swapped_temperatures().finalized(forward.scheme)
    return Rectification(
        forward=steady_thermodynamics(forward), backward=steady_thermodynamics(backward)
    )
