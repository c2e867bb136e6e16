"""Observables of an NS junction: scattering at one (E, q) and the BTK conductance G(eV).

These functions back :meth:`NSJunction.scattering` and :meth:`NSJunction.conductance`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.special
import xarray as xr

from .._validation import finite_real, nonnegative_real
from . import _kernels
from ._modes import HOLE
from ._precision import (
    PrecisionWarning,
    check_conductance_precision,
    check_scattering_conservation,
)
from ._quadrature import transverse_grid
from ._system import finalize
from .models import PARAMETER_LIMIT

__all__ = [
    "ScatteringResult",
    "scattering",
    "conductance",
    "check_conductance_options",
    "labelled_conductance",
    "NORMALIZATIONS",
    "provenance",
    "PrecisionWarning",
    "BTKIntegrals",
]

#: grids with fewer (E, q) points run on one thread
PARALLEL_MIN_POINTS = 20000
#: largest ``n_modes`` (transverse momenta per energy): the grid is held in memory
MAX_MODES = 1_000_000
#: allowed values of ``conductance(normalize=...)``
NORMALIZATIONS = ("normal", "channels", "none")
_SPECIES = {0: "electron", 1: "hole", 2: "quasiparticle"}


def provenance() -> dict:
    """Library versions for result attributes."""
    import numba
    import scipy

    from physcore import __version__

    return {
        "physcore_version": __version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "numba_version": numba.__version__,
        "xarray_version": xr.__version__,
    }


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
            [np.vdot(phi, s @ phi).real for s in (_PAULI_X, _PAULI_Y, _PAULI_Z)], dtype=float
        )
    else:
        spin = np.full(3, np.nan)
    return vx, vy, spin


_PAULI_X = np.array([[0, 1], [1, 0]], complex)
_PAULI_Y = np.array([[0, -1j], [1j, 0]], complex)
_PAULI_Z = np.array([[1, 0], [0, -1]], complex)


def scattering(junction, energy: float, q: float) -> ScatteringResult:
    """See :meth:`NSJunction.scattering`."""
    energy = finite_real("energy", energy, limit=PARAMETER_LIMIT)
    q = finite_real("q", q, limit=PARAMETER_LIMIT)
    fin = finalize(junction)
    res = _kernels.scatter_point(energy, q, *fin.args())
    status, n_in, k_in, psi_in, n_out, k_out, psi_out, spec_out, prop_out, r = res[:10]
    if status != _kernels.STATUS_OK:
        raise ValueError(
            f"scattering: the mode matching failed at energy={energy:g}, q={q:g} (status "
            f"{status}) for {junction!r}; these parameters are out of the solver's reach (mass, "
            "velocity, mu, gap, U0, delta or the barrier differ by too many orders of magnitude)"
        )
    n = fin.hc.shape[2]
    inc_angle = np.empty(n_in)
    spin_in = np.empty((n_in, 3))
    vy_in = np.empty(n_in)
    for i in range(n_in):
        vx, vy, spin_in[i] = _velocity_and_pseudospin(fin.hc, k_in[i].real, q, psi_in[i, :n], 1)
        inc_angle[i] = math.atan2(vy, vx)
        vy_in[i] = vy
    ref_angle = np.full(n_out, np.nan)
    spin_out = np.empty((n_out, 3))
    vy_out = np.full(n_out, np.nan)
    for j in range(n_out):
        hole = spec_out[j] == HOLE
        orbital = psi_out[j, n:] if hole else psi_out[j, :n]
        vx, vy, spin_out[j] = _velocity_and_pseudospin(
            fin.hc, k_out[j].real if prop_out[j] else k_out[j], q, orbital, -1 if hole else 1
        )
        if prop_out[j]:
            ref_angle[j] = math.atan2(vy, -vx)
            vy_out[j] = vy
    kinds = []
    for i in range(n_in):
        holes = [j for j in range(n_out) if spec_out[j] == HOLE and prop_out[j]]
        if not holes:
            kinds.append("none")
            continue
        j = max(holes, key=lambda jj: abs(r[i, jj]))
        scale = max(abs(vy_in[i]), abs(vy_out[j]), 1e-300)
        if abs(vy_out[j]) <= 1e-9 * scale or abs(vy_in[i]) <= 1e-9 * scale:
            kinds.append("normal-incidence")
        else:
            kinds.append("retro" if np.sign(vy_out[j]) != np.sign(vy_in[i]) else "specular")
    result = ScatteringResult(
        energy=energy,
        q=q,
        incoming_momentum=k_in.real.copy(),
        normal_probability=res[15].copy(),
        andreev_probability=res[14].copy(),
        transmitted_probability=res[16].copy(),
        reflection_amplitude=r.copy(),
        reflected_momentum=k_out.copy(),
        reflected_species=tuple(_SPECIES[int(s)] for s in spec_out),
        reflected_propagating=prop_out.copy(),
        incidence_angle=inc_angle,
        reflection_angle=ref_angle,
        andreev_type=tuple(kinds),
        pseudospin_incoming=spin_in,
        pseudospin_reflected=spin_out,
    )
    check_scattering_conservation(junction, result)
    return result


def _check_bias(bias) -> np.ndarray:
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


def _critical_momenta(junction, fin, energies: np.ndarray, gap: float):
    """q_max (incoming electrons) and the other critical |q| for the quadrature panels."""
    model, theta = junction.model, junction.theta
    ext = model.fermi_q_extent
    electron = ext(fin.mu + energies, theta)
    q_max = electron[:, 0]
    parts = [electron[:, 1:], ext(fin.mu - energies, theta)]
    if gap > 0:
        omega = np.sqrt(np.clip(energies**2 - gap**2, 0, None))
        above = np.abs(energies) > gap
        for sgn in (1, -1):
            parts.append(np.where(above[:, None], ext(fin.mu_s + sgn * omega, theta), np.nan))
    else:
        parts += [ext(fin.mu_s + energies, theta), ext(fin.mu_s - energies, theta)]
    if fin.barrier_kind == _kernels.BARRIER_RECT:
        eps0 = fin.mu - fin.barrier_height
        parts += [ext(eps0 + energies, theta), ext(eps0 - energies, theta)]
    return q_max, np.concatenate(parts, axis=1)


@dataclass(frozen=True)
class BTKIntegrals:
    """The transverse integrals of the BTK sum at each energy (arrays of shape ``(nE,)``)."""

    conductance: np.ndarray  # G = int dq/2pi sum_in (1 - R_ee + R_he), e^2/h per width
    channels: np.ndarray  # N = int dq/2pi n_in, open channels per width
    error: np.ndarray  # int dq/2pi n_in max(|R_ee + R_he + T - 1|, eps): rounding bound on G
    max_current_violation: float  # largest |R_ee + R_he + T - 1| on the grid (NaN if failed)
    failed: np.ndarray  # bool: the mode matching failed at some q of this energy


def btk_integrals(
    junction, energies: np.ndarray, n_modes: int, gap: float | None = None
) -> BTKIntegrals:
    """The BTK integrals per energy (:class:`BTKIntegrals`); ``gap`` overrides the junction's.

    The error bound counts, at each transverse momentum, the current-conservation violation
    (at least the double-precision epsilon) once per incoming channel: R_ee and R_he are
    obtained with absolute errors of that size, which matters when G is far below N.
    """
    fin = finalize(junction)
    gap = fin.gap if gap is None else gap
    energies = np.ascontiguousarray(energies, dtype=float)
    q_max, breaks = _critical_momenta(junction, fin, energies, gap)
    qs, ws = transverse_grid(q_max, breaks, n_modes)
    # the thread pool only pays off on large grids (its start-up costs milliseconds)
    grid = (
        _kernels.conductance_grid
        if ws.size > PARALLEL_MIN_POINTS
        else _kernels.conductance_grid_serial
    )
    andreev, normal, n_in, violation = grid(energies, qs, ws, *fin.args(gap=gap))
    used = ws > 0
    failed = (np.isnan(violation) & used).any(axis=1)
    integrand = n_in - normal + andreev
    g = (ws * integrand).sum(axis=1) / (2 * np.pi)
    channels = (ws * n_in).sum(axis=1) / (2 * np.pi)
    bound = np.maximum(np.nan_to_num(violation, nan=0.0), np.finfo(float).eps)
    error = (ws * n_in * bound).sum(axis=1) / (2 * np.pi)
    worst = float(np.nanmax(np.where(used, violation, 0.0))) if used.any() else 0.0
    return BTKIntegrals(g, channels, error, float("nan") if failed.any() else worst, failed)


#: Gauss-Legendre nodes of the thermal average (see ``_thermal_nodes``)
THERMAL_NODES = 48
#: |E| = gap exactly is evaluated at E^2 = gap^2 (1 - GAP_EDGE_SHIFT) (see _gap_edge)
GAP_EDGE_SHIFT = 1e-15


def _thermal_nodes(temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets x and weights of ``int dx (-df/dx) g(x) = (1/2) int_{-1}^{1} du g(2T atanh u)``.

    With ``u = tanh(x / 2T)`` the Fermi window ``-df/dx = sech^2(x/2T) / 4T`` becomes the flat
    measure du/2, so Gauss-Legendre in u integrates it exactly and places the energies where
    the window has its weight, whatever the bias spacing.
    """
    u, w = scipy.special.roots_legendre(THERMAL_NODES)
    return 2 * temperature * np.arctanh(u), 0.5 * w


def _gap_edge(junction, energies: np.ndarray, n_modes: int) -> tuple:
    """``(energies to evaluate, error bound function)`` for energies with |E| = gap exactly.

    At |E| = gap the superconductor's two quasiparticle branches coincide and the mode set
    is incomplete. G is continuous there and approaches its value as
    ``G(x) = G(0) + a sqrt(x)`` in ``x = 1 - E^2/gap^2`` (measured), on a scale x ~ 1/Z^4
    behind a barrier of strength Z (the coherence peak). Such energies are evaluated at
    ``x = 1e-15``, and a second evaluation at 4x bounds the error: ``|G(4x) - G(x)|`` equals
    ``|G(x) - G(0)|`` on the square-root law and exceeds it on a linear one.
    """
    edge = (junction.gap > 0) & (np.abs(energies) == junction.gap)
    shifted = energies.copy()
    shifted[edge] *= math.sqrt(1 - GAP_EDGE_SHIFT)

    def error(g: np.ndarray) -> np.ndarray:
        out = np.zeros(energies.size)
        if edge.any():
            farther = energies[edge] * math.sqrt(1 - 4 * GAP_EDGE_SHIFT)
            out[edge] = np.abs(btk_integrals(junction, farther, n_modes).conductance - g[edge])
        return out

    return shifted, error


def conductance(
    junction,
    bias,
    temperature: float = 0.0,
    normalize: str = "normal",
    n_modes: int = 400,
) -> xr.DataArray:
    """See :meth:`NSJunction.conductance` (the documented entry point)."""
    bias, temperature, n_modes = check_conductance_options(bias, temperature, normalize, n_modes)

    if temperature == 0:
        energies, weights = bias, np.ones((1,))
    else:
        offsets, weights = _thermal_nodes(temperature)
        energies = (bias[:, None] + offsets[None, :]).ravel()
    evaluated, edge_error = _gap_edge(junction, energies, n_modes)
    main = btk_integrals(junction, evaluated, n_modes)
    parts = [main]
    g = main.conductance
    error = main.error + edge_error(g)
    g_ref = error_ref = None
    if normalize == "normal":
        parts.append(btk_integrals(junction, energies, n_modes, gap=0.0))
        g_ref, error_ref = parts[1].conductance, parts[1].error
    elif normalize == "channels":
        g_ref, error_ref = main.channels, np.zeros_like(main.channels)
    _check_failures(junction, energies, parts)

    def average(values):  # thermal average per bias point (identity at T = 0)
        return values.reshape(bias.size, -1) @ weights

    g, error = average(g), average(error)
    if g_ref is not None:
        g_ref, error_ref = average(g_ref), average(error_ref)
    relative = _relative_error(g, error, g_ref, error_ref, average(main.channels))
    check_conductance_precision(junction, bias, relative, g, error)
    return labelled_conductance(
        junction,
        bias,
        g,
        g_ref,
        normalize=normalize,
        temperature=temperature,
        n_modes=n_modes,
        convention="BTK: G(eV) = (e^2/h) (W/2pi) int dq sum_incoming (1 - R_ee + R_he); "
        "finite temperature: convolution with -df/dE",
        method="continuum BdG mode matching (physcore.semidirac, numba)",
        max_current_violation=max(p.max_current_violation for p in parts),
        max_relative_error=float(relative.max()),
    )


#: below this size (in G_N, or in N for normalize="none") a returned value counts as zero
#: in the precision check, so that an exact zero (no Andreev reflection and no transmission)
#: is not refused for its relative error
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


def check_conductance_options(bias, temperature, normalize, n_modes):
    """Validate the options shared by every conductance calculation (continuum and lattice).

    Returns ``(bias, temperature, n_modes)`` as a float array, a float and an int.
    """
    bias = _check_bias(bias)
    temperature = nonnegative_real("temperature", temperature, limit=PARAMETER_LIMIT)
    if not isinstance(normalize, str) or normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    if not _is_integer(n_modes) or not 16 <= n_modes <= MAX_MODES:
        raise ValueError(f"n_modes must be an integer in [16, {MAX_MODES}], got {n_modes!r}")
    return bias, temperature, int(n_modes)


def _is_integer(value) -> bool:
    """True for ints and integral floats (not bool, NaN, inf or strings)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value) and int(value) == value


_CONDUCTANCE_UNITS = {
    "normal": "G_NS / G_NN (dimensionless; G_NN: same junction with gap = 0)",
    "channels": "G / (N(eV) e^2/h) (dimensionless; N: open channels at mu + eV)",
    "none": "e^2/h per unit junction width (1/length), one spin and valley",
}


def labelled_conductance(
    junction,
    bias: np.ndarray,
    g: np.ndarray,
    g_reference: np.ndarray | None,
    *,
    normalize: str,
    temperature: float,
    n_modes: int,
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
        "n_modes": n_modes,
        "convention": convention,
        "method": method,
        **extra_attrs,
        **junction.params(),
        **provenance(),
    }
    return xr.DataArray(
        values, dims=("bias",), coords={"bias": bias}, name="conductance", attrs=attrs
    )
