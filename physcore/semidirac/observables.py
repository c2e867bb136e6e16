"""Observables of an NS junction: the scattering result at one (E, q), and the functional
entry points kept from before the solver interface (:mod:`.solvers`).

:func:`scattering_result` turns the kernel's named result at one point into a
:class:`ScatteringResult` (group-velocity angles, pseudo-spin, retro or specular Andreev
reflection). :func:`scattering`, :func:`conductance` and :func:`btk_integrals` take a junction
and call the default solver on ``junction.finalized()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._operators import PAULI_X, PAULI_Y, PAULI_Z
from ._modes import HOLE
from ._precision import PrecisionWarning
from .solvers import common as _common
from .solvers import continuum as _continuum
from .solvers.common import (
    MAX_N_Q,
    NORMALIZATIONS,
    BTKIntegrals,
    labelled_conductance,
    library_versions,
    resolve_n_q,
)

__all__ = [
    "ScatteringResult",
    "scattering",
    "scattering_result",
    "conductance",
    "check_conductance_options",
    "labelled_conductance",
    "NORMALIZATIONS",
    "provenance",
    "PrecisionWarning",
    "BTKIntegrals",
    "btk_integrals",
]

#: largest transverse-momentum count (kept under its old name)
MAX_MODES = MAX_N_Q
_SPECIES = {0: "electron", 1: "hole", 2: "quasiparticle"}

#: library versions for result attributes (:func:`physcore._io.provenance`)
provenance = library_versions


@dataclass(frozen=True)
class ScatteringResult:
    """Scattering of every incoming electron mode at one energy and transverse momentum.

    Angles are directions of the group velocity: ``incidence_angle = atan2(v_y, v_x)`` of the
    incoming electron (v_x > 0) and ``reflection_angle = atan2(v_y, -v_x)`` of each outgoing
    mode (v_x < 0), so specular reflection has ``reflection_angle == incidence_angle`` and
    retro-reflection ``reflection_angle == -incidence_angle`` (radians; NaN for evanescent
    modes). Pseudo-spin ``<sigma_x, sigma_y, sigma_z>`` is that of the mode's orbital part
    (electron or hole block), in the crystal's orbital basis (NaN for one-orbital models).
    """

    energy: float
    q: float
    incoming_momentum: np.ndarray  # (n_in,) k_x of the incoming electrons
    normal_probability: np.ndarray  # (n_in,) R_ee
    andreev_probability: np.ndarray  # (n_in,) R_he
    transmitted_probability: np.ndarray  # (n_in,) T, from the superconductor's currents
    reflection_amplitude: np.ndarray  # (n_in, n_out), unit-current normalized
    reflected_momentum: np.ndarray  # (n_out,) complex k_x
    reflected_species: tuple  # (n_out,) "electron" / "hole"
    reflected_propagating: np.ndarray  # (n_out,) bool
    incidence_angle: np.ndarray  # (n_in,)
    reflection_angle: np.ndarray  # (n_out,)
    andreev_type: tuple  # (n_in,) "retro", "specular", "normal-incidence" or "none"
    pseudospin_incoming: np.ndarray  # (n_in, 3)
    pseudospin_reflected: np.ndarray  # (n_out, 3)

    @property
    def conservation_error(self) -> np.ndarray:
        """``R_ee + R_he + T - 1`` per incoming mode (zero up to rounding)."""
        return self.normal_probability + self.andreev_probability + self.transmitted_probability - 1


def _velocity_and_pseudospin(hc, k, q, orbital, sign):
    n = hc.shape[2]
    h1 = hc[1, 0] + q * hc[1, 1] + q * q * hc[1, 2]
    h2 = hc[2, 0]
    dhdq = sum(k**a * (hc[a, 1] + 2 * q * hc[a, 2]) for a in range(3))
    phi = orbital / np.linalg.norm(orbital)
    vx = sign * np.vdot(phi, (h1 + 2 * h2 * k) @ phi).real
    vy = sign * np.vdot(phi, dhdq @ phi).real
    if n == 2:
        spin = np.array(
            [np.vdot(phi, s @ phi).real for s in (PAULI_X, PAULI_Y, PAULI_Z)], dtype=float
        )
    else:
        spin = np.full(3, np.nan)
    return vx, vy, spin


def scattering_result(syst, energy: float, q: float, point) -> ScatteringResult:
    """The :class:`ScatteringResult` of the kernel's named result ``point``
    (:class:`~._kernels.ScatterPoint`) at (energy, q) of the finalized system ``syst``."""
    hc, k_in, psi_in, k_out, psi_out = syst.hc, point.k_in, point.psi_in, point.k_out, point.psi_out
    species, propagating = point.species_out, point.propagating_out
    n = hc.shape[2]
    inc_angle = np.empty(point.n_in)
    spin_in = np.empty((point.n_in, 3))
    vy_in = np.empty(point.n_in)
    for i in range(point.n_in):
        vx, vy, spin_in[i] = _velocity_and_pseudospin(hc, k_in[i].real, q, psi_in[i, :n], 1)
        inc_angle[i] = math.atan2(vy, vx)
        vy_in[i] = vy
    ref_angle = np.full(point.n_out, np.nan)
    spin_out = np.empty((point.n_out, 3))
    vy_out = np.full(point.n_out, np.nan)
    for j in range(point.n_out):
        hole = species[j] == HOLE
        orbital = psi_out[j, n:] if hole else psi_out[j, :n]
        vx, vy, spin_out[j] = _velocity_and_pseudospin(
            hc, k_out[j].real if propagating[j] else k_out[j], q, orbital, -1 if hole else 1
        )
        if propagating[j]:
            ref_angle[j] = math.atan2(vy, -vx)
            vy_out[j] = vy
    return ScatteringResult(
        energy=energy,
        q=q,
        incoming_momentum=k_in.real.copy(),
        normal_probability=np.array(point.normal, copy=True),
        andreev_probability=np.array(point.andreev, copy=True),
        transmitted_probability=np.array(point.transmitted, copy=True),
        reflection_amplitude=point.r.copy(),
        reflected_momentum=k_out.copy(),
        reflected_species=tuple(_SPECIES[int(s)] for s in species),
        reflected_propagating=propagating.copy(),
        incidence_angle=inc_angle,
        reflection_angle=ref_angle,
        andreev_type=_andreev_types(point, vy_in, vy_out),
        pseudospin_incoming=spin_in,
        pseudospin_reflected=spin_out,
    )


def _andreev_types(point, vy_in, vy_out) -> tuple:
    """Per incoming mode: retro, specular, normal-incidence or none (no propagating hole), from
    the transverse velocities of the incoming electron and its strongest Andreev hole."""
    kinds = []
    for i in range(point.n_in):
        holes = [
            j for j in range(point.n_out)
            if point.species_out[j] == HOLE and point.propagating_out[j]
        ]  # fmt: skip
        if not holes:
            kinds.append("none")
            continue
        j = max(holes, key=lambda jj: abs(point.r[i, jj]))
        scale = max(abs(vy_in[i]), abs(vy_out[j]), 1e-300)
        if abs(vy_out[j]) <= 1e-9 * scale or abs(vy_in[i]) <= 1e-9 * scale:
            kinds.append("normal-incidence")
        else:
            kinds.append("retro" if np.sign(vy_out[j]) != np.sign(vy_in[i]) else "specular")
    return tuple(kinds)


def scattering(junction, energy: float, q: float) -> ScatteringResult:
    """See :meth:`NSJunction.scattering` (the default solver on ``junction.finalized()``)."""
    from .solvers.default import default_solver

    return default_solver.scattering(junction.finalized(), energy, q)


def conductance(junction, bias, temperature=0.0, normalize="normal", n_q=400, *, n_modes=None):
    """See :meth:`NSJunction.conductance` (the default solver on ``junction.finalized()``)."""
    from .solvers.default import default_solver

    n_q, label = resolve_n_q(n_q, n_modes)
    return default_solver._conductance(
        junction.finalized(), bias, temperature, normalize, n_q, n_q_label=label
    )


def btk_integrals(junction, energies, n_q: int, gap: float | None = None) -> BTKIntegrals:
    """The continuum solver's BTK integrals per energy of ``junction`` (see
    :func:`.solvers.continuum.btk_integrals`)."""
    return _continuum.btk_integrals(junction.finalized(), energies, n_q, gap)


def check_conductance_options(bias, temperature, normalize, n_q):
    """``(bias, temperature, n_q)`` checked (:func:`.solvers.common.check_conductance_options`)."""
    return _common.check_conductance_options(bias, temperature, normalize, n_q)
