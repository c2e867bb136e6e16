"""The solver interface both conductance solvers implement, and the labelling they share.

Modelled on kwant's ``kwant/solvers/common.py``: :class:`ConductanceSolver` holds the public
algorithm (options, thermal average, normalization, precision checks, the labelled result) and
reads only a finalized system (:class:`~physcore.semidirac._system.FinalizedJunction`, from
``junction.finalized()``); a back-end supplies two hooks:

* ``_prepare(syst, bias, temperature)``: per-call state (the continuum solver: the finalized
  system itself; kwant: the tight-binding system, built once per call);
* ``_btk_integrals(state, energies, n_q, normal_state)``: the transverse BTK integrals
  (:class:`BTKIntegrals`) at each energy, with the pairing switched off for
  ``normal_state=True``.

The continuum solver is :class:`~physcore.semidirac.solvers.continuum.ContinuumSolver`, the
kwant cross-check :class:`~physcore.semidirac.kwant_crosscheck.KwantSolver`; both return the
result of :func:`labelled_conductance`, so that their curves overlay.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.special
import xarray as xr

from ..._io import provenance
from ..._validation import Choices, Constraint, Interval, check_value
from .._matching import BARRIER_RECT
from .._precision import check_conductance_precision
from .._quadrature import transverse_grid
from ..models import PARAMETER_LIMIT

__all__ = [
    "ConductanceSolver",
    "BTKIntegrals",
    "CONDUCTANCE_OPTIONS",
    "NORMALIZATIONS",
    "MAX_N_Q",
    "check_bias",
    "check_conductance_options",
    "resolve_n_q",
    "critical_momenta",
    "transverse_momenta",
    "labelled_conductance",
    "library_versions",
]

#: allowed values of ``conductance(normalize=...)``
NORMALIZATIONS = ("normal", "channels", "none")
#: largest ``n_q`` (transverse momenta per energy): the grid is held in memory
MAX_N_Q = 1_000_000
#: Gauss-Legendre nodes of the thermal average (see :func:`thermal_nodes`)
THERMAL_NODES = 48

#: the declared options of every ``conductance`` (both solvers, the junction's methods and the
#: sweep adapter): one table, one check, one message format
CONDUCTANCE_OPTIONS = {
    "temperature": Constraint(
        Interval(float, 0, PARAMETER_LIMIT), 0.0, "temperature k_B T", "energy"
    ),
    "normalize": Constraint(Choices(*NORMALIZATIONS), "normal", "normalization of G"),
    "n_q": Constraint(Interval(int, 16, MAX_N_Q), 400, "transverse momenta per energy"),
}

_CONDUCTANCE_UNITS = {
    "normal": "G_NS / G_NN (dimensionless; G_NN: same junction with gap = 0)",
    "channels": "G / (N(eV) e^2/h) (dimensionless; N: open channels at mu + eV)",
    "none": "e^2/h per unit junction width (1/length), one spin and valley",
}


def library_versions() -> dict:
    """Library versions for result attributes (:func:`physcore._io.provenance`)."""
    return provenance("scipy", "numba", "xarray")


def resolve_n_q(n_q, n_modes, *, stacklevel: int = 3) -> tuple[object, str]:
    """``(value, label)`` of the transverse-momentum count; ``n_modes`` is its deprecated name.

    ``n_modes`` (given, i.e. not None) warns with a DeprecationWarning and wins; the label is
    the name the caller used, so that an error names it.
    """
    if n_modes is None:
        return n_q, "n_q"
    warnings.warn(
        "n_modes is deprecated (it counts transverse momenta, not modes): use n_q; "
        "n_modes will be removed in the next release",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return n_modes, "n_modes"


def positional_options(args: tuple, options: dict, *, stacklevel: int = 3) -> dict:
    """``options`` updated with the knobs passed positionally in ``args`` (deprecated).

    The knobs (temperature, normalize, n_q) are keyword-only; passing them by position keeps
    working for one release, in the old order, with a DeprecationWarning.
    """
    if not args:
        return options
    names = ("temperature", "normalize", "n_q")
    if len(args) > len(names):
        raise TypeError(
            f"conductance() takes at most 4 positional arguments ({len(args) + 1} given)"
        )
    warnings.warn(
        f"passing {', '.join(names[: len(args)])} by position is deprecated: they are "
        "keyword-only (conductance(bias, temperature=..., normalize=..., n_q=...))",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return {**options, **dict(zip(names, args))}


def check_bias(bias) -> np.ndarray:
    """``bias`` as a non-empty, finite, strictly increasing 1-D float array within +-1e30."""
    try:
        raw = np.asarray(bias)
        if np.iscomplexobj(raw):
            raise ValueError(f"bias must be real (eV in energy units), got complex values {bias!r}")
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as err:
        if "complex" in str(err):
            raise
        raise ValueError(f"bias must be a 1-D array of real numbers, got {bias!r}") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"bias must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("bias must contain only finite values (no NaN or inf)")
    if np.abs(arr).max() > PARAMETER_LIMIT:
        raise ValueError(
            f"bias must lie in [-{PARAMETER_LIMIT:g}, {PARAMETER_LIMIT:g}] (energy units), "
            f"got values up to {np.abs(arr).max():g}"
        )
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise ValueError("bias must be strictly increasing")
    return arr


def check_conductance_options(bias, temperature, normalize, n_q, *, n_q_label: str = "n_q"):
    """Validate the options of every conductance calculation against CONDUCTANCE_OPTIONS.

    Returns ``(bias, temperature, n_q)`` as a float array, a float and an int.
    """
    bias = check_bias(bias)
    table = CONDUCTANCE_OPTIONS
    temperature = check_value("temperature", temperature, table["temperature"].rule)
    check_value("normalize", normalize, table["normalize"].rule)
    n_q = check_value(n_q_label, n_q, table["n_q"].rule)
    return bias, temperature, n_q


def critical_momenta(syst, energies: np.ndarray, gap: float):
    """q_max (incoming electrons) and the other critical |q| for the quadrature panels."""
    model, theta = syst.junction.model, syst.junction.theta
    ext = model.fermi_q_extent
    electron = ext(syst.mu + energies, theta)
    q_max = electron[:, 0]
    parts = [electron[:, 1:], ext(syst.mu - energies, theta)]
    if gap > 0:
        omega = np.sqrt(np.clip(energies**2 - gap**2, 0, None))
        above = np.abs(energies) > gap
        for sgn in (1, -1):
            parts.append(np.where(above[:, None], ext(syst.mu_s + sgn * omega, theta), np.nan))
    else:
        parts += [ext(syst.mu_s + energies, theta), ext(syst.mu_s - energies, theta)]
    if syst.barrier_kind == BARRIER_RECT:
        eps0 = syst.mu - syst.barrier_height
        parts += [ext(eps0 + energies, theta), ext(eps0 - energies, theta)]
    return q_max, np.concatenate(parts, axis=1)


def transverse_momenta(syst, energies, n_q: int, gap: float):
    """The transverse quadrature ``(qs, ws)``, shape ``(nE, M)``, of both solvers."""
    q_max, breaks = critical_momenta(syst, energies, gap)
    return transverse_grid(q_max, breaks, n_q)


def thermal_nodes(temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets x and weights of ``int dx (-df/dx) g(x) = (1/2) int_{-1}^{1} du g(2T atanh u)``.

    With ``u = tanh(x / 2T)`` the Fermi window ``-df/dx = sech^2(x/2T) / 4T`` becomes the flat
    measure du/2, so Gauss-Legendre in u integrates it exactly and places the energies where
    the window has its weight, whatever the bias spacing.
    """
    u, w = scipy.special.roots_legendre(THERMAL_NODES)
    return 2 * temperature * np.arctanh(u), 0.5 * w


@dataclass(frozen=True)
class BTKIntegrals:
    """The transverse integrals of the BTK sum at each energy (arrays of shape ``(nE,)``)."""

    conductance: np.ndarray  # G = int dq/2pi sum_in (1 - R_ee + R_he), e^2/h per width
    channels: np.ndarray  # N = int dq/2pi n_in, open channels per width
    error: np.ndarray  # rounding bound on G (0 where the back-end gives none)
    max_current_violation: float  # largest |R_ee + R_he + T - 1| on the grid (NaN if failed)
    failed: np.ndarray  # bool: the mode matching failed at some q of this energy


#: below this size (in G_N, or in N for normalize="none") a returned value counts as zero
#: in the precision check, so that an exact zero is not refused for its relative error
ZERO_SCALE = 1e-6


def _relative_error(g, error, g_ref, error_ref, channels) -> np.ndarray:
    """Estimated error of the returned value (G, G/N or G/G_N) relative to its size.

    The size counts at least ZERO_SCALE (in N for G, else 1), so that a vanishing G is judged
    by its absolute error. A normalized value adds the reference's relative error.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if g_ref is None:
            value, value_error, floor = g, error, ZERO_SCALE * channels
        else:
            value = g / g_ref
            value_error = (error + np.abs(value) * error_ref) / np.abs(g_ref)
            floor = ZERO_SCALE
        relative = value_error / np.maximum(np.abs(value), floor)
    return np.where(np.isnan(relative), 0.0, relative)  # NaN: no open channel


def _check_failures(junction, energies: np.ndarray, parts) -> None:
    """ValueError when the mode matching failed anywhere (the result would hold NaN)."""
    failed = np.logical_or.reduce([p.failed for p in parts])
    if failed.any():
        raise ValueError(
            f"conductance: the mode matching failed at {int(failed.sum())} of {failed.size} "
            f"energies (first at E = {energies[failed][0]:g}) for {junction!r}; these "
            "parameters are out of the solver's reach (mass, velocity, mu, gap, U0, delta "
            "or the barrier differ by too many orders of magnitude)"
        )


class ConductanceSolver:
    """A BTK conductance solver on a finalized system (the interface; see the module notes).

    Subclasses set :attr:`method` and :attr:`convention` and implement ``_btk_integrals``
    (and ``_prepare``, ``_result_attrs`` where they need per-call state or extra attributes).
    """

    #: the construction, for the result's ``method`` attribute
    method: str = ""
    #: the conductance formula, for the result's ``convention`` attribute
    convention: str = (
        "BTK: G(eV) = (e^2/h) (W/2pi) int dq sum_incoming (1 - R_ee + R_he); "
        "finite temperature: convolution with -df/dE"
    )

    def conductance(
        self,
        syst,
        bias,
        *,
        temperature: float = 0.0,
        normalize: str = "normal",
        n_q: int = 400,
        n_modes: int | None = None,
    ) -> xr.DataArray:
        """G(eV) of the finalized system ``syst``; see :meth:`NSJunction.conductance`.

        ``n_modes`` is the deprecated name of ``n_q`` (DeprecationWarning).
        """
        n_q, label = resolve_n_q(n_q, n_modes)
        return self._conductance(syst, bias, temperature, normalize, n_q, n_q_label=label)

    def _conductance(self, syst, bias, temperature, normalize, n_q, *, n_q_label="n_q"):
        """:meth:`conductance` once the deprecated name is resolved (errors name the option
        by the name the caller used, ``n_q_label``)."""
        bias, temperature, n_q = check_conductance_options(
            bias, temperature, normalize, n_q, n_q_label=n_q_label
        )
        state = self._prepare(syst, bias, temperature)
        if temperature == 0:
            energies, weights = bias, np.ones((1,))
        else:
            offsets, weights = thermal_nodes(temperature)
            energies = (bias[:, None] + offsets[None, :]).ravel()
        main = self._btk_integrals(state, energies, n_q, normal_state=False)
        parts = [main]
        g_ref = error_ref = None
        if normalize == "normal":
            parts.append(self._btk_integrals(state, energies, n_q, normal_state=True))
            g_ref, error_ref = parts[1].conductance, parts[1].error
        elif normalize == "channels":
            g_ref, error_ref = main.channels, np.zeros_like(main.channels)
        _check_failures(syst.junction, energies, parts)

        def average(values):  # thermal average per bias point (identity at T = 0)
            return values.reshape(bias.size, -1) @ weights

        g, error = average(main.conductance), average(main.error)
        if g_ref is not None:
            g_ref, error_ref = average(g_ref), average(error_ref)
        relative = _relative_error(g, error, g_ref, error_ref, average(main.channels))
        check_conductance_precision(syst.junction, bias, relative, g, error)
        return labelled_conductance(
            syst.junction,
            bias,
            g,
            g_ref,
            normalize=normalize,
            temperature=temperature,
            n_q=n_q,
            convention=self.convention,
            method=self.method,
            **self._result_attrs(state, parts, relative),
        )

    def _prepare(self, syst, bias: np.ndarray, temperature: float):
        """Per-call state handed to ``_btk_integrals`` (default: the finalized system)."""
        return syst

    def _btk_integrals(self, state, energies: np.ndarray, n_q: int, *, normal_state: bool):
        raise NotImplementedError

    def _result_attrs(self, state, parts, relative: np.ndarray) -> dict:
        """Extra attributes of the labelled result."""
        return {}


def labelled_conductance(
    junction,
    bias: np.ndarray,
    g: np.ndarray,
    g_reference: np.ndarray | None,
    *,
    normalize: str,
    temperature: float,
    n_q: int,
    convention: str,
    method: str,
    **extra_attrs,
) -> xr.DataArray:
    """The labelled conductance result that every solver returns (so that curves overlay).

    ``g`` is the BTK integral in e^2/h per unit width; ``g_reference`` the normal-state
    conductance (normalize="normal") or the open-channel count ("channels"), or None ("none").
    Where the reference vanishes (no open channel) the normalized value is NaN.
    """
    if g_reference is None:
        values = g
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(
                g_reference > 0, g / np.where(g_reference > 0, g_reference, 1.0), np.nan
            )
    attrs = {
        "long_name": "differential conductance dI/dV",
        "units": _CONDUCTANCE_UNITS[normalize],
        "normalize": normalize,
        "temperature": temperature,
        "temperature_units": "energy (k_B = 1)",
        "bias_units": "energy (eV, measured from mu)",
        "n_q": n_q,
        "convention": convention,
        "method": method,
        **extra_attrs,
        **junction.params(),
        **library_versions(),
    }
    return xr.DataArray(
        values, dims=("bias",), coords={"bias": bias}, name="conductance", attrs=attrs
    )
