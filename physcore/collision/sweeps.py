"""Parameter sweeps with batched fixed points: coupling sweeps and rectification maps.

The collision map is linear in the ancilla weights, ``Phi = sum_j p_j S_j``
(:func:`.maps.map_components`), and so are the heat and the switching work
(:func:`.maps.collision_observables`). A sweep builds the temperature-independent pieces once per
coupling ``g`` (one 16x16 matrix exponential each), converts them to real Pauli transfer matrices,
and then solves all fixed points of the grid in one stacked call (:mod:`._batched`). QuTiP
remains the reference: the tests compare these numbers with ``qutip.steadystate``.

Results are :class:`xarray.Dataset` objects whose attrs record the model parameters and the
library versions.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import qutip
import scipy
import xarray as xr
from tqdm.auto import tqdm

from . import _batched
from .correlations import correlation_measures
from .maps import unitary_components, unitary_observables
from .model import CollisionModel, check_scheme
from .steady import trace_distance
from .thermo import rectification_ratio

__all__ = ["SweepPieces", "sweep_pieces", "batched_steady", "coupling_sweep", "rectification_map"]


def _versions() -> dict[str, str]:
    import physcore

    return {
        "physcore_version": physcore.__version__,
        "qutip_version": qutip.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "xarray_version": xr.__version__,
    }


def _model_attrs(model: CollisionModel) -> dict[str, str]:
    def plain(obj):
        d = dataclasses.asdict(obj)
        d.pop("h12", None)
        return d

    params = {"system": plain(model.system), "left": plain(model.left), "right": plain(model.right)}
    return {"model": json.dumps(params), "tau": model.tau, **_versions()}


@dataclasses.dataclass(frozen=True)
class SweepPieces:
    """Temperature-independent pieces of one or more couplings (plain arrays).

    transfer : (n_g, 4, 16, 16) real Pauli transfer matrices of ``S_j``.
    heat_left, heat_right, interaction_after, interaction_before : (n_g, 4, 16) real Pauli
        coordinates of the observables of :func:`.maps.collision_observables`.
    """

    transfer: np.ndarray
    ancilla_left: np.ndarray
    ancilla_right: np.ndarray
    interaction_after: np.ndarray
    interaction_before: np.ndarray


def _expm_hermitian(h: np.ndarray, tau: float) -> np.ndarray:
    """``exp(-i tau h)`` for stacked Hermitian ``h`` via one batched ``eigh`` (faster than
    calling ``expm`` per point; exact for Hermitian generators)."""
    e, v = np.linalg.eigh(h)
    return (v * np.exp(-1j * tau * e)[..., None, :]) @ np.swapaxes(v.conj(), -1, -2)


def sweep_pieces(model: CollisionModel, g_values, scheme: str = "exact") -> SweepPieces:
    """Build :class:`SweepPieces` of ``model`` for each coupling in ``g_values``.

    ``H_12`` is linear in g for the named kinds, so the generators are
    ``G(g) = G(0) + g dG/dg`` and all unitaries come from one batched eigen-decomposition.
    """
    scheme = check_scheme(scheme)
    if model.system.kind == "custom":
        raise ValueError("sweeps over g need a named system kind (H_12 proportional to g)")
    g = np.asarray(g_values, dtype=float).reshape(-1)
    base = model.replace(g=0.0)
    unit = model.replace(g=1.0)
    g0 = base.collision_generator(scheme).full()
    dg = unit.collision_generator(scheme).full() - g0
    u = _expm_hermitian(g0[None] + g[:, None, None] * dg[None], model.tau)
    post = None
    if scheme == "local":
        h12 = unit.system.h_interaction().full()
        post = _expm_hermitian(g[:, None, None] * h12[None], model.tau)
    hl, hr = model.ancilla_hamiltonians()
    vl, vr = model.interactions()
    v = (vl + vr).full()
    before = unitary_observables(np.eye(16), v)
    return SweepPieces(
        transfer=_batched.pauli_transfer_matrices(unitary_components(u, post)),
        ancilla_left=_batched.pauli_observables(unitary_observables(u, hl.full())),
        ancilla_right=_batched.pauli_observables(unitary_observables(u, hr.full())),
        interaction_after=_batched.pauli_observables(unitary_observables(u, v)),
        interaction_before=np.broadcast_to(_batched.pauli_observables(before), (g.size, 4, 16)),
    )


def _weights(p_left: np.ndarray, p_right: np.ndarray) -> np.ndarray:
    """Ancilla-pair weights ``p_j`` (j = 2 j_L + j_R, 0 = excited), shape (..., 4)."""
    pl, pr = np.asarray(p_left, float)[..., None], np.asarray(p_right, float)[..., None]
    left = np.concatenate([pl, 1.0 - pl], axis=-1)
    right = np.concatenate([pr, 1.0 - pr], axis=-1)
    return (left[..., :, None] * right[..., None, :]).reshape(left.shape[:-1] + (4,))


def batched_steady(pieces: SweepPieces, p_left, p_right, omega_left, omega_right) -> dict:
    """Steady states, heat and switching work on a (n_g, n_T) grid.

    Parameters
    ----------
    pieces : SweepPieces
        For n_g couplings.
    p_left, p_right : array_like, shape (n_T,)
        Excited populations of the ancillas (one entry per temperature point).
    omega_left, omega_right : float
        Ancilla frequencies (for the fresh ancillas' energy).

    Returns
    -------
    dict of ndarrays
        ``"pauli"`` (n_g, n_T, 16), ``"heat_left"``, ``"heat_right"``, ``"work_switching"``
        (n_g, n_T), per collision.
    """
    w = _weights(p_left, p_right)  # (n_T, 4)
    n_g = pieces.transfer.shape[0]
    transfer = (w @ pieces.transfer.reshape(n_g, 4, 256)).reshape(n_g, w.shape[0], 16, 16)
    r = _batched.pauli_fixed_points(transfer)

    def expect(obs):  # sum_j p_j Tr[O_j rho] on the grid
        return ((w @ obs) * r).sum(axis=-1)

    e0_left = 0.5 * omega_left * (2.0 * np.asarray(p_left, float) - 1.0)
    e0_right = 0.5 * omega_right * (2.0 * np.asarray(p_right, float) - 1.0)
    return {
        "pauli": r,
        "heat_left": -(expect(pieces.ancilla_left) - e0_left[None, :]),
        "heat_right": -(expect(pieces.ancilla_right) - e0_right[None, :]),
        "work_switching": expect(pieces.interaction_before) - expect(pieces.interaction_after),
    }


def coupling_sweep(
    model: CollisionModel, g_values, *, with_correlations: bool = True, progress: bool = True
) -> xr.Dataset:
    """Exact vs local steady states versus the inter-system coupling g.

    Returns a Dataset over ``g`` with the heat currents and power of both schemes (per unit
    time), the trace distance between the two steady states, the relative error of the left
    current ``|J_loc - J_ex| / |J_ex|`` (NaN where the exact current vanishes, e.g. g = 0),
    and (``with_correlations``) concurrence, mutual information, negativity and discord (bits)
    of the exact steady state.
    """
    g = np.asarray(g_values, dtype=float)
    if g.ndim != 1 or g.size < 1:
        raise ValueError("g_values must be a non-empty 1-d array of couplings")
    p_l, p_r = model.ancilla_populations
    w_l, w_r = model.ancilla_frequencies
    out, states = {}, {}
    for scheme in ("exact", "local"):
        res = batched_steady(sweep_pieces(model, g, scheme), [p_l], [p_r], w_l, w_r)
        states[scheme] = _batched.pauli_to_density(res["pauli"][:, 0])
        out[f"current_left_{scheme}"] = res["heat_left"][:, 0] / model.tau
        out[f"current_right_{scheme}"] = res["heat_right"][:, 0] / model.tau
        # steady state: W = -(Q_L + Q_R) (first law; equals the switching work in the exact scheme)
        out[f"power_{scheme}"] = -(res["heat_left"][:, 0] + res["heat_right"][:, 0]) / model.tau
        if scheme == "exact":
            out["power_switching_exact"] = res["work_switching"][:, 0] / model.tau
    out["trace_distance"] = np.array(
        [trace_distance(a, b) for a, b in zip(states["exact"], states["local"])]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_current_error"] = np.abs(
            out["current_left_local"] - out["current_left_exact"]
        ) / np.abs(out["current_left_exact"])
    if with_correlations:
        corr = [
            correlation_measures(rho)
            for rho in tqdm(states["exact"], desc="correlations", disable=not progress, leave=False)
        ]
        for key in corr[0]:
            out[key] = np.array([c[key] for c in corr])
    ds = xr.Dataset({k: ("g", v) for k, v in out.items()}, coords={"g": g})
    ds["rho_exact_real"] = (("g", "i", "j"), states["exact"].real)
    ds["rho_exact_imag"] = (("g", "i", "j"), states["exact"].imag)
    ds.attrs.update(_model_attrs(model))
    ds.attrs["units"] = "currents and power per unit time (energy units); entropies in bits"
    return ds


def rectification_map(
    model: CollisionModel,
    g_values,
    biases,
    *,
    scheme: str = "exact",
    pieces: SweepPieces | None = None,
) -> xr.Dataset:
    """Rectification over a (g, temperature bias) grid, with the work of both runs.

    The cold temperature is ``model.right.temperature``; the hot one is ``T_c + bias``.
    Forward: left bath hot; backward: right bath hot. ``ratio_left`` (``ratio_right``) uses the
    current out of the left (right) bath in both runs (:func:`.thermo.rectification_ratio`);
    ``power_forward`` / ``power_backward`` is the steady work per unit time
    (``-(J_L + J_R)``), which must be compared with the currents before calling anything
    rectification. ``pieces`` reuses prebuilt :class:`SweepPieces` for ``g_values``.
    """
    scheme = check_scheme(scheme)
    g = np.asarray(g_values, dtype=float)
    bias = np.asarray(biases, dtype=float)
    if g.ndim != 1 or bias.ndim != 1 or g.size < 1 or bias.size < 1:
        raise ValueError("g_values and biases must be non-empty 1-d arrays")
    if np.any(bias <= 0) or not np.all(np.isfinite(bias)):
        raise ValueError("biases must be finite temperature differences > 0")
    if pieces is None:
        pieces = sweep_pieces(model, g, scheme)
    t_cold = model.right.temperature
    t_hot = t_cold + bias
    w_l, w_r = model.ancilla_frequencies

    def populations(omega, temperature):
        return 0.5 * (1.0 - np.tanh(0.5 * omega / temperature))

    cold = np.full_like(t_hot, t_cold)
    fwd = batched_steady(pieces, populations(w_l, t_hot), populations(w_r, cold), w_l, w_r)
    bwd = batched_steady(pieces, populations(w_l, cold), populations(w_r, t_hot), w_l, w_r)
    data = {}
    for name, res in (("forward", fwd), ("backward", bwd)):
        data[f"current_left_{name}"] = res["heat_left"] / model.tau
        data[f"current_right_{name}"] = res["heat_right"] / model.tau
        data[f"power_{name}"] = -(res["heat_left"] + res["heat_right"]) / model.tau
        if scheme == "exact":
            data[f"power_switching_{name}"] = res["work_switching"] / model.tau
    data["ratio_left"] = rectification_ratio(
        data["current_left_forward"], data["current_left_backward"]
    )
    data["ratio_right"] = rectification_ratio(
        data["current_right_forward"], data["current_right_backward"]
    )
    ds = xr.Dataset({k: (("g", "bias"), v) for k, v in data.items()}, coords={"g": g, "bias": bias})
    ds.attrs.update(_model_attrs(model))
    ds.attrs.update(
        {
            "scheme": scheme,
            "temperature_cold": t_cold,
            "bias": "T_hot = temperature_cold + bias; forward = left bath hot",
        }
    )
    return ds
