"""The two-qubit system, its ancilla baths and the collision model, as validated data.

Conventions (used throughout :mod:`physcore.collision`)
-------------------------------------------------------
* Units: hbar = k_B = 1. Frequencies, couplings and temperatures share one energy unit; the
  collision time ``tau`` is in its inverse.
* Spin states follow QuTiP: ``sigmaz() = diag(+1, -1)`` and ``basis(2, 0)`` is the *excited*
  state of ``w/2 sigma_z``. ``sigmap()`` raises and ``sigmam()`` lowers the energy.
  (``destroy(2)`` would raise it: it is never used here.)
* Hilbert-space order of the collision unitary: system qubit 1, system qubit 2, ancilla of the
  left bath, ancilla of the right bath (dimension 16). Qubit 1 touches the left bath, qubit 2
  the right one.
* System Hamiltonian ``H_S = w1/2 sz1 + w2/2 sz2 + H_12``; ``H_0`` is ``H_S`` without ``H_12``.
  The inter-system term ``H_12`` (``TwoQubitSystem.kind``):

  - ``"exchange"``: the excitation-conserving flip-flop ``g (s1+ s2- + s1- s2+)``
    ``= g/2 (sx sx + sy sy)`` (the XX model; the old name ``"xx"`` is deprecated: it read like
    ``sx sx``);
  - ``"xxz"``: ``g/2 (sx sx + sy sy + anisotropy sz sz)`` (anisotropy = 1: Heisenberg);
  - ``"dm"``: Dzyaloshinskii-Moriya along z, ``g/2 (sx1 sy2 - sy1 sx2)``;
  - ``"custom"``: any Hermitian 4x4 ``h12`` (then ``g`` is ignored).

  All named kinds conserve the total number of excitations.
* Each bath is a stream of fresh ancilla qubits ``H_a = wa/2 sigma_z`` in the Gibbs state at the
  bath temperature; the excited population is ``p = 1 / (1 + exp(wa / T))``. Each collision
  couples qubit i to one ancilla of bath i (both sides at the same time) through
  ``"exchange"``: ``J (s+ a- + s- a+)`` (excitation conserving) or ``"sigma_x_sigma_x"``:
  ``J sx ax`` (not conserving; the old name ``"xx"`` is deprecated).

Model choices that the paper (Tian et al., Entropy 23, 471 (2021), arXiv:2012.12364) does not
pin down for us are parameters here, with the defaults documented on each class.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import qutip

from .. import _operators as ops
from .._validation import (
    REQUIRED,
    AnyOf,
    Choices,
    Instance,
    Interval,
    check_fields,
    check_value,
    constraint_table,
    parameter,
)

__all__ = [
    "TwoQubitSystem",
    "AncillaBath",
    "CollisionModel",
    "SYSTEM_KINDS",
    "BATH_COUPLINGS",
    "SCHEMES",
    "constraint_table",
]

SYSTEM_KINDS = ("exchange", "xxz", "dm", "custom")
BATH_COUPLINGS = ("exchange", "sigma_x_sigma_x")
SCHEMES = ("exact", "local")
#: deprecated names (one release): TwoQubitSystem.kind and AncillaBath.coupling
_DEPRECATED_KINDS = {"xx": "exchange"}
_DEPRECATED_COUPLINGS = {"xx": "sigma_x_sigma_x"}

# the declared constraints (physcore._validation): each class's field list is its table,
# ``constraint_table(TwoQubitSystem)``; the sweep adapter generates its parameters from them
_POSITIVE = Interval(float, 0, None, "neither")
_REAL = Interval(float)


def _renamed(field_name: str, value, renames: dict[str, str]):
    """The new name for a deprecated ``value`` of ``field_name`` (DeprecationWarning)."""
    if isinstance(value, str) and value in renames:
        warnings.warn(
            f"{field_name}={value!r} is deprecated and will be removed in the next release; "
            f"use {field_name}={renames[value]!r} (same physics)",
            DeprecationWarning,
            stacklevel=4,
        )
        return renames[value]
    return value


_I2 = qutip.qeye(2)
_SZ, _SX, _SY = qutip.sigmaz(), qutip.sigmax(), qutip.sigmay()
_SP, _SM = qutip.sigmap(), qutip.sigmam()


def _embed(op: qutip.Qobj, site: int, n: int = 4) -> qutip.Qobj:
    """``op`` on tensor factor ``site`` of ``n`` qubits (identity elsewhere)."""
    return qutip.tensor([op if k == site else _I2 for k in range(n)])


def check_two_qubit_operator(name: str, op, *, hermitian: bool = True) -> qutip.Qobj:
    """Return ``op`` as a 4x4 Qobj with dims ``[[2, 2], [2, 2]]``; ValueError otherwise."""
    arr = ops.as_array(op, name)
    if arr.shape != (4, 4):
        raise ValueError(f"{name} must be a 4x4 two-qubit operator, got shape {arr.shape}")
    if hermitian and not np.allclose(arr, arr.conj().T, atol=1e-12):
        raise ValueError(f"{name} must be Hermitian (H = H^dagger to 1e-12)")
    return qutip.Qobj(arr, dims=ops.TWO_QUBIT_DIMS)


@dataclass(frozen=True)
class TwoQubitSystem:
    """Two qubits ``H_S = w1/2 sz1 + w2/2 sz2 + H_12`` (see the module conventions).

    Parameters
    ----------
    omega_1, omega_2 : float
        Qubit frequencies w1, w2 > 0 (energy units); they may differ (detuning).
    g : float
        Inter-system coupling strength (energy units, any sign).
    kind : {"exchange", "xxz", "dm", "custom"}
        Form of ``H_12`` (``"xx"``, the old name of ``"exchange"``, is deprecated).
    anisotropy : float
        The sz-sz weight of ``"xxz"`` (dimensionless).
    h12 : array_like or Qobj, optional
        Hermitian 4x4 ``H_12`` for ``kind="custom"``.
    """

    omega_1: float = parameter(1.0, _POSITIVE, "frequency w1 of qubit 1", unit="energy")
    omega_2: float = parameter(1.0, _POSITIVE, "frequency w2 of qubit 2", unit="energy")
    g: float = parameter(0.0, _REAL, "inter-system coupling g", unit="energy")
    kind: str = parameter("exchange", Choices(*SYSTEM_KINDS), "inter-system Hamiltonian H_12")
    anisotropy: float = parameter(1.0, _REAL, "sz-sz weight of kind 'xxz'", unit="dimensionless")
    h12: qutip.Qobj | None = field(default=None, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "kind", _renamed("kind", self.kind, _DEPRECATED_KINDS))
        check_fields(self)
        if self.kind == "custom":
            if self.h12 is None:
                raise ValueError("h12 must be given (a Hermitian 4x4 operator) for kind='custom'")
            object.__setattr__(self, "h12", check_two_qubit_operator("h12", self.h12))
        elif self.h12 is not None:
            raise ValueError("h12 is only used with kind='custom'")

    def h_local(self) -> qutip.Qobj:
        """``H_0 = w1/2 sz1 + w2/2 sz2`` (4x4)."""
        return 0.5 * self.omega_1 * qutip.tensor(_SZ, _I2) + 0.5 * self.omega_2 * qutip.tensor(
            _I2, _SZ
        )

    def h_interaction(self) -> qutip.Qobj:
        """The inter-system term ``H_12`` (4x4)."""
        if self.kind == "custom":
            return self.h12
        flip = qutip.tensor(_SP, _SM) + qutip.tensor(_SM, _SP)  # = (sx sx + sy sy) / 2
        if self.kind == "exchange":
            return self.g * flip
        if self.kind == "xxz":
            return self.g * flip + 0.5 * self.g * self.anisotropy * qutip.tensor(_SZ, _SZ)
        # "dm": g/2 (sx1 sy2 - sy1 sx2) = i g (s1+ s2- - s1- s2+)
        return 0.5 * self.g * (qutip.tensor(_SX, _SY) - qutip.tensor(_SY, _SX))

    def hamiltonian(self) -> qutip.Qobj:
        """``H_S = H_0 + H_12`` (4x4)."""
        return self.h_local() + self.h_interaction()


@dataclass(frozen=True)
class AncillaBath:
    """A thermal bath as a stream of fresh ancilla qubits.

    Parameters
    ----------
    temperature : float
        T > 0 (energy units, k_B = 1).
    coupling : {"exchange", "sigma_x_sigma_x"}
        ``J (s+ a- + s- a+)`` (excitation conserving) or ``J sx ax`` (not conserving; the old
        name ``"xx"`` is deprecated).
    strength : float
        J (energy units); the continuum rate is ``J**2 * tau``.
    frequency : float or None
        Ancilla frequency wa > 0; None means resonant with the qubit it touches.
    """

    temperature: float = parameter(REQUIRED, _POSITIVE, "bath temperature T", unit="energy")
    coupling: str = parameter(
        "exchange", Choices(*BATH_COUPLINGS), "system-ancilla coupling (exchange or sx ax)"
    )
    strength: float = parameter(1.0, _REAL, "system-ancilla coupling J", unit="energy")
    frequency: float | None = parameter(
        None,
        AnyOf(Choices(None), _POSITIVE),
        "ancilla frequency wa (None: resonant with its qubit)",
        unit="energy",
    )

    def __post_init__(self):
        renamed = _renamed("coupling", self.coupling, _DEPRECATED_COUPLINGS)
        object.__setattr__(self, "coupling", renamed)
        check_fields(self)

    def excited_population(self, omega: float) -> float:
        """Gibbs excited-state population ``1 / (1 + exp(omega / T))`` of an ancilla."""
        return ops.excited_population(omega, self.temperature)


@dataclass(frozen=True)
class CollisionModel:
    """Two qubits between two ancilla baths, one collision every ``tau``.

    Parameters
    ----------
    system : TwoQubitSystem
    left, right : AncillaBath
        Baths of qubit 1 and qubit 2.
    tau : float
        Collision time tau > 0 (inverse energy units); collisions follow back to back.

    Notes
    -----
    The operators below act on the 16-dimensional space (qubit 1, qubit 2, ancilla L,
    ancilla R); ``rho_ancillas`` is the product of the two ancilla Gibbs states.
    """

    system: TwoQubitSystem = parameter(REQUIRED, Instance(TwoQubitSystem), "the two qubits")
    left: AncillaBath = parameter(REQUIRED, Instance(AncillaBath), "bath of qubit 1")
    right: AncillaBath = parameter(REQUIRED, Instance(AncillaBath), "bath of qubit 2")
    tau: float = parameter(0.1, _POSITIVE, "collision time tau", unit="1/energy")

    def __post_init__(self):
        check_fields(self)

    # -- convenience -----------------------------------------------------------------------
    def replace(self, **changes) -> CollisionModel:
        """A copy with some fields changed. ``g``, ``temperature_left`` and
        ``temperature_right`` are accepted as shortcuts into the system and the baths."""
        system, left, right = self.system, self.left, self.right
        if "g" in changes:
            system = replace(system, g=changes.pop("g"))
        if "temperature_left" in changes:
            left = replace(left, temperature=changes.pop("temperature_left"))
        if "temperature_right" in changes:
            right = replace(right, temperature=changes.pop("temperature_right"))
        return replace(self, **{"system": system, "left": left, "right": right, **changes})

    def swapped_temperatures(self) -> CollisionModel:
        """The same model with ``T_L`` and ``T_R`` exchanged (the backward configuration)."""
        return self.replace(
            temperature_left=self.right.temperature, temperature_right=self.left.temperature
        )

    @property
    def ancilla_frequencies(self) -> tuple[float, float]:
        """(wa_L, wa_R); resonant with qubit 1 and qubit 2 unless set."""
        wl = self.left.frequency if self.left.frequency is not None else self.system.omega_1
        wr = self.right.frequency if self.right.frequency is not None else self.system.omega_2
        return wl, wr

    @property
    def ancilla_populations(self) -> tuple[float, float]:
        """Excited populations (p_L, p_R) of the fresh ancillas."""
        wl, wr = self.ancilla_frequencies
        return self.left.excited_population(wl), self.right.excited_population(wr)

    @property
    def rates(self) -> tuple[float, float]:
        """Continuum rates ``gamma_i = J_i**2 * tau`` (energy units)."""
        return self.left.strength**2 * self.tau, self.right.strength**2 * self.tau

    # -- operators on the 16-dimensional space ------------------------------------------------
    def ancilla_states(self) -> tuple[qutip.Qobj, qutip.Qobj]:
        """Gibbs states of one left and one right ancilla (2x2 each)."""
        return tuple(qutip.Qobj(np.diag([p, 1.0 - p])) for p in self.ancilla_populations)

    def ancilla_hamiltonians(self) -> tuple[qutip.Qobj, qutip.Qobj]:
        """``wa/2 sz`` of the left and right ancillas, embedded in the 16-dim space."""
        wl, wr = self.ancilla_frequencies
        return 0.5 * wl * _embed(_SZ, 2), 0.5 * wr * _embed(_SZ, 3)

    def system_hamiltonian_full(self, *, local: bool = False) -> qutip.Qobj:
        """``H_S`` (or ``H_0`` when ``local``) embedded in the 16-dim space."""
        h = self.system.h_local() if local else self.system.hamiltonian()
        return qutip.tensor(h, _I2, _I2)

    def interactions(self) -> tuple[qutip.Qobj, qutip.Qobj]:
        """System-ancilla couplings ``(V_L, V_R)`` in the 16-dim space."""
        out = []
        for bath, s, a in ((self.left, 0, 2), (self.right, 1, 3)):
            if bath.coupling == "exchange":
                v = _embed(_SP, s) * _embed(_SM, a) + _embed(_SM, s) * _embed(_SP, a)
            else:  # "sigma_x_sigma_x"
                v = _embed(_SX, s) * _embed(_SX, a)
            out.append(bath.strength * v)
        return tuple(out)

    def collision_generator(self, scheme: str) -> qutip.Qobj:
        """The Hamiltonian generating one collision: ``H_S + H_R + V`` for ``"exact"``,
        ``H_0 + H_R + V`` for ``"local"`` (16x16)."""
        return self._generator_qobj(local=check_scheme(scheme) == "local")

    def _generator_qobj(self, *, local: bool) -> qutip.Qobj:
        hl, hr = self.ancilla_hamiltonians()
        vl, vr = self.interactions()
        return self.system_hamiltonian_full(local=local) + hl + hr + vl + vr

    def _generator_array(self, *, local: bool) -> np.ndarray:
        return self._generator_qobj(local=local).full()

    def finalized(self, scheme: str = "exact"):
        """The model finalized for one scheme: a :class:`.FinalizedCollision` holding the
        collision unitary, the map, the energy observables and the post-collision step,
        computed once (the scheme is validated here, once).

        Parameters
        ----------
        scheme : {"exact", "local"}
        """
        from .finalized import FinalizedCollision

        return FinalizedCollision(self, scheme)


def check_scheme(scheme: str) -> str:
    """Validate a collision scheme name ("exact" or "local")."""
    return check_value("scheme", scheme, Choices(*SCHEMES))
