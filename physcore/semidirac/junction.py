"""The normal-superconductor junction: model + orientation + region parameters (data).

BdG Hamiltonian (hbar = 1), electron block first::

    H_BdG = tau_z (x) (h(k) - mu + U(x)) + Delta(x) (cos(phi) tau_x - sin(phi) tau_y)

with U(x) = U_b(x) (the barrier) in the normal region and -U0 in the superconductor, and
Delta(x) = gap for x > 0 (after the barrier), 0 otherwise. The superconductor's Fermi energy is
mu + U0 (Beenakker's U_0 doping, PRL 97, 067007 (2006)).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import KW_ONLY, dataclass

from .._validation import (
    AnyOf,
    Choices,
    Instance,
    Interval,
    check_fields,
    check_value,
    parameter,
)
from .barriers import BARRIER_RULE, Barrier
from .models import ENERGY, PARAMETER_LIMIT, BandModel

__all__ = ["NSJunction", "parse_orientation", "ORIENTATION_RULE"]

_NAMED_ORIENTATIONS = {"linear": 0.0, "quadratic": 90.0}
#: declared rule of ``orientation``: a named axis or a finite angle in degrees
ORIENTATION_RULE = AnyOf(Choices(*_NAMED_ORIENTATIONS), Interval(float))


def parse_orientation(orientation) -> float:
    """Orientation -> angle in degrees from the linear axis.

    Accepts "linear" (0), "quadratic" (90) (any case, surrounding blanks ignored) or a finite
    number of degrees; anything else fails :data:`ORIENTATION_RULE`'s check.
    """
    if isinstance(orientation, str):
        orientation = orientation.strip().lower()
    value = check_value("orientation", orientation, ORIENTATION_RULE)
    return _NAMED_ORIENTATIONS[value] if isinstance(value, str) else value


@dataclass(frozen=True, repr=False)
class NSJunction:
    """A normal-metal / superconductor junction of one band model (immutable data).

    Parameters
    ----------
    model : BandModel
        :class:`SemiDirac`, :class:`Graphene` or :class:`Parabolic`.
    orientation : {"linear", "quadratic"} or float
        Transport direction as an angle in degrees from the model's linear axis; stored as
        the angle in degrees (also :attr:`orientation_deg`; radians: :attr:`theta`).
    mu : float
        Fermi energy of the normal region (energy units, measured from the node).
    gap : float
        Superconducting gap Delta_0 >= 0 (energy units).
    U0 : float
        Extra doping of the superconductor (energy units); its Fermi energy is mu + U0 > 0.
        mu, gap and U0 lie within +-1e30 (:data:`~.models.PARAMETER_LIMIT`).
    barrier : Barrier or None
        Interface barrier: None, DeltaBarrier, ThinBarrier or RectangularBarrier.
    phase : float
        Superconducting phase phi (radians, keyword-only); no observable here depends on it.

    Notes
    -----
    Every field declares its constraint (:func:`physcore._validation.constraint_table`
    ``(NSJunction)``); the sweep adapter ``semidirac.conductance`` is generated from it.
    """

    model: BandModel = parameter(rule=Instance(BandModel), doc="band model")
    orientation: float = parameter(
        "linear", ORIENTATION_RULE, "transport direction", "degrees from the linear axis"
    )
    mu: float = parameter(1.0, ENERGY, "Fermi energy of the normal region", "energy")
    gap: float = parameter(
        0.0, Interval(float, 0, PARAMETER_LIMIT), "superconducting gap Delta_0", "energy"
    )
    U0: float = parameter(0.0, ENERGY, "extra doping of the superconductor", "energy")
    barrier: Barrier | None = parameter(None, BARRIER_RULE, "interface barrier")
    _: KW_ONLY
    phase: float = parameter(0.0, Interval(float), "superconducting phase phi", "radians")

    def __post_init__(self):
        object.__setattr__(self, "orientation", parse_orientation(self.orientation))
        check_fields(self)
        if not self.mu + self.U0 > 0:
            raise ValueError(
                "the superconductor's Fermi energy mu + U0 must be > 0, "
                f"got mu={self.mu!r}, U0={self.U0!r}"
            )

    @property
    def orientation_deg(self) -> float:
        """Transport direction in degrees from the linear axis."""
        return self.orientation

    @property
    def theta(self) -> float:
        """Transport direction in radians from the linear axis."""
        return math.radians(self.orientation)

    def replace(self, **changes) -> NSJunction:
        """A copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def normal_state(self) -> NSJunction:
        """The same junction with the gap switched off (the normal-state reference)."""
        return self.replace(gap=0.0)

    def finalized(self):
        """The finalized system: the numba-ready arrays both solvers read.

        Returns a :class:`~physcore.semidirac.solvers.FinalizedJunction` (immutable); like
        kwant's ``Builder.finalized()``, each call builds it anew, so a caller that solves
        several times (a sweep over options) builds it once and passes it to a solver
        (:mod:`physcore.semidirac.solvers`). Raises ValueError for a barrier the model cannot
        take.
        """
        from ._system import finalize

        return finalize(self)

    def params(self) -> dict:
        """Parameters as plain values, for result attributes and provenance."""
        out = {
            "model": self.model.name,
            **{f"model_{k}": v for k, v in vars(self.model).items()},
            "orientation_deg": self.orientation_deg,
            "mu": self.mu,
            "gap": self.gap,
            "U0": self.U0,
            "phase": self.phase,
            "barrier": type(self.barrier).__name__ if self.barrier else "None",
        }
        if self.barrier is not None:
            out.update({f"barrier_{k}": v for k, v in vars(self.barrier).items()})
        return out

    def conductance(
        self,
        bias,
        *args,
        temperature: float = 0.0,
        normalize: str = "normal",
        n_q: int = 400,
        n_modes: int | None = None,
    ):
        """Differential conductance G(eV) by the Blonder-Tinkham-Klapwijk sum over channels.

        ``G(eV) = (e^2/h) (W / 2 pi) int dq sum_incoming (1 - R_ee(eV, q) + R_he(eV, q))``
        (BTK, PRB 25, 4515 (1982)), with the exact continuum BdG scattering probabilities
        at electron energy E = eV above mu and conserved transverse momentum q.

        Parameters
        ----------
        bias : array_like, shape (n_bias,)
            eV in energy units, measured from mu; non-empty, real, finite, within +-1e30,
            strictly increasing. Negative values are allowed.
        temperature : float
            k_B T in [0, 1e30] energy units. At T > 0 each bias point is the thermal average
            ``int dE G_0(E) (-df/dE)(E - eV)``, evaluated by Gauss-Legendre quadrature in
            ``u = tanh((E - eV) / 2T)`` with 48 energies per bias point (exact for the Fermi
            window; accurate when G_0 varies little on the scale T / 48). No requirement on
            the bias grid beyond being increasing; the cost is 48 times the T = 0 one. The
            reference conductance in ``normalize`` is averaged the same way.
        normalize : {"normal", "channels", "none"}
            ``"normal"``: divided by the same junction's conductance with ``gap = 0``
            (:meth:`normal_state`), at the same bias and temperature. ``"channels"``:
            divided by the number of open channels N(eV) at energy mu + eV (Beenakker's
            G_0 = (4 e^2/h) N convention, spin and valley factors cancel; perfect Andreev
            reflection gives 2; NaN where no channel is open). ``"none"``: e^2/h per unit
            width (1/length), one spin and valley.
        n_q : int
            Transverse momenta per energy (16 to 1e6). The q-integral is split at every
            critical momentum where a channel opens or closes, in every region and at every
            angle (see :mod:`._quadrature`), with Gauss-Legendre nodes in a sine-mapped
            variable on each panel. The default 400 agrees with a converged quadrature to
            1e-6 relative away from band-structure singularities (Lifshitz points), which
            tests measure at 0, 30, 45, 60, 90 and 120 degrees.

        Returns
        -------
        xarray.DataArray
            dims ``("bias",)``, coords ``{"bias": bias}``, name ``"conductance"``. attrs:
            ``units``, ``normalize``, ``temperature``, ``n_q``, ``convention``,
            ``method``, ``max_current_violation`` (largest ``|R_ee + R_he + T - 1|`` on the
            grid), ``max_relative_error`` (the estimated error bound below, relative to the
            returned value), every entry of :meth:`params` and the library versions.

        Raises
        ------
        ValueError
            For a bad option (naming it), when the mode matching fails, or when the
            estimated relative error of a returned value exceeds 1e-2.

        Warns
        -----
        PrecisionWarning
            When the estimated relative error exceeds 1e-6 (the values are returned).
        DeprecationWarning
            For ``n_modes`` or options given by position.

        Notes
        -----
        The error estimate and |eV| = gap are described, with measured values, in
        :mod:`physcore.semidirac._precision`. The finalized system is built once per call
        and handed to the default solver (:mod:`physcore.semidirac.solvers`). Deprecated for
        one release (DeprecationWarning): ``n_modes`` (now ``n_q``) and the options by
        position (``*args``; they are keyword-only).
        """
        from .solvers.common import positional_options, resolve_n_q
        from .solvers.default import default_solver

        knobs = dict(temperature=temperature, normalize=normalize, n_q=n_q)
        knobs = positional_options(args, knobs)  # deprecated: knobs by position
        n_q, label = resolve_n_q(knobs.pop("n_q"), n_modes)
        return default_solver._conductance(
            self.finalized(), bias, **knobs, n_q=n_q, n_q_label=label
        )

    def scattering(self, energy: float, q: float):
        """Normal and Andreev reflection of every incoming electron mode at (energy, q).

        Parameters
        ----------
        energy : float
            Electron energy E above mu (energy units).
        q : float
            Conserved transverse momentum k_y (inverse length).

        Returns
        -------
        ScatteringResult
            Probabilities ``normal_probability`` (R_ee), ``andreev_probability`` (R_he) and
            ``transmitted_probability`` (T, summed independently from the superconductor's
            outgoing quasiparticle currents, so ``R_ee + R_he + T = 1`` is a real check),
            unit-current amplitudes, the reflected modes' group-velocity angles, retro or
            specular Andreev reflection, and pseudo-spin textures; see
            :class:`~physcore.semidirac.observables.ScatteringResult`. At and beyond the
            edge of the Fermi contour a grazing channel (group velocity below 1e-5 of the
            velocity scale) carries no current and is not listed as incoming.

        Warns
        -----
        PrecisionWarning
            When ``R_ee + R_he + T - 1`` exceeds 1e-6 for some incoming channel.

        Raises
        ------
        ValueError
            When it exceeds 1e-2, or the mode matching fails: the parameters are out of reach.
        """
        from .solvers.default import default_solver

        return default_solver.scattering(self.finalized(), energy, q)

    def kwant_conductance(self, bias, *, lattice_spacing: float, **options):
        """The same conductance as :meth:`conductance`, from a kwant tight-binding model.

        See :func:`physcore.semidirac.kwant_crosscheck.kwant_conductance` for the options
        (:class:`~physcore.semidirac.kwant_crosscheck.KwantSolver` on :meth:`finalized`).
        """
        from .kwant_crosscheck import kwant_conductance  # kwant is an optional, heavy import

        return kwant_conductance(self, bias, lattice_spacing=lattice_spacing, **options)

    def __repr__(self) -> str:
        return (
            f"NSJunction({self.model!r}, orientation={self.orientation:g} deg, mu={self.mu:g}, "
            f"gap={self.gap:g}, U0={self.U0:g}, barrier={self.barrier!r})"
        )
