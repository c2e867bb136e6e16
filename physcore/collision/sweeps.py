"""Parameter sweeps with batched fixed points: coupling sweeps and rectification maps.

The collision map is linear in the ancilla weights, ``Phi = sum_j p_j S_j``
(:func:`.maps.map_components`), and so are the heat and the switching work
(:func:`.maps.collision_observable_changes`). A sweep builds the temperature-independent pieces
once per coupling ``g`` (one 16x16 propagator increment ``U - 1`` each), converts them to real
Pauli transfer matrices of ``S_j - 1``, and then solves all fixed points of the grid in one
stacked call (:mod:`._batched`). Like the one-point API, it never subtracts the identity from a
map, so the sweeps stay accurate at short collision times (:mod:`._increment`). QuTiP
remains the reference: the tests compare these numbers with ``qutip.steadystate``.

Results are :class:`xarray.Dataset` objects whose attrs record the model parameters and the
library versions.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .. import _operators as ops
from .._io import provenance
from . import _batched, _increment
from .correlations import correlation_measures
from .finalized import FinalizedCollision, coupling_generators, finalize
from .model import CollisionModel
from .steady import check_unique_steady_state, trace_distance
from .thermo import rectification_ratio

__all__ = [
    "SweepPieces",
    "check_couplings",
    "sweep_pieces",
    "batched_steady",
    "coupling_sweep",
    "rectification_map",
]


def _model_attrs(model: CollisionModel) -> dict[str, str]:
    def plain(obj):
        d = dataclasses.asdict(obj)
        d.pop("h12", None)
        return d

    params = {"system": plain(model.system), "left": plain(model.left), "right": plain(model.right)}
    return {
        "model": json.dumps(params),
        "tau": model.tau,
        **provenance("scipy", "qutip", "xarray"),
    }


@dataclasses.dataclass(frozen=True)
class SweepPieces:
    """Temperature-independent pieces of one or more couplings (plain arrays).

    increment : (n_g, 4, 16, 16) real Pauli transfer matrices of ``S_j - 1`` (the map of
        ancilla-pair state j minus the identity, formed from ``U - 1``: :mod:`._increment`).
    ancilla_left, ancilla_right, interaction : (n_g, 4, 16) real Pauli coordinates of the
        energy changes ``O_j`` of :func:`.maps.collision_observable_changes`.
    """

    increment: np.ndarray
    ancilla_left: np.ndarray
    ancilla_right: np.ndarray
    interaction: np.ndarray


def check_couplings(g_values, name: str = "g_values") -> np.ndarray:
    """``g_values`` as a non-empty 1-d float array of finite couplings; ValueError otherwise."""
    arr = np.asarray(g_values)
    if arr.ndim != 1 or arr.size < 1:
        raise ValueError(
            f"{name} must be a non-empty 1-d array of couplings, got shape {arr.shape}"
        )
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold finite real couplings, got dtype {arr.dtype}")
    arr = arr.astype(float)
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(
            f"{name} must hold finite real couplings, got {arr[bad[0]]} at index {bad[0]}"
        )
    return arr


def sweep_pieces(
    model: CollisionModel | FinalizedCollision, g_values, scheme: str | None = None
) -> SweepPieces:
    """Build :class:`SweepPieces` of ``model`` for each coupling in ``g_values``.

    ``model`` is a model (with ``scheme``, default ``"exact"``) or ``model.finalized(scheme)``;
    its own ``g`` is replaced by each value. ``H_12`` is linear in g for the named kinds, so
    the generators are ``G(g) = G(0) + g dG/dg`` (:func:`.finalized.coupling_generators`); all
    propagator increments ``U - 1`` come from one batched scaling-and-squaring series
    (:func:`._increment.unitary_increment`).
    """
    fin = finalize(model, scheme)
    model = fin.model
    if model.system.kind == "custom":
        raise ValueError("sweeps over g need a named system kind (H_12 proportional to g)")
    g = check_couplings(g_values)
    a = _increment.unitary_increment(coupling_generators(model, fin.local, g), model.tau)
    step = None
    if fin.local:
        h12 = model.replace(g=1.0).system.h_interaction().full()
        step = _increment.unitary_increment(g[:, None, None] * h12[None], model.tau)
    hl, hr = model.ancilla_hamiltonians()
    vl, vr = model.interactions()

    def change(x):  # Pauli coordinates of <j|U^+ X U - X|j>, (n_g, 4, 16)
        return _batched.pauli_observables(_increment.observable_changes(a, x.full()))

    increments = _increment.increment_components(_increment.then_system_step(a, step).total)
    return SweepPieces(
        increment=_batched.pauli_transfer_matrices(increments),
        ancilla_left=change(hl),
        ancilla_right=change(hr),
        interaction=change(vl + vr),
    )


def _weights(p_left: np.ndarray, p_right: np.ndarray) -> np.ndarray:
    """Ancilla-pair weights ``p_j`` (j = 2 j_L + j_R, 0 = excited), shape (..., 4)."""
    pl, pr = np.asarray(p_left, float)[..., None], np.asarray(p_right, float)[..., None]
    left = np.concatenate([pl, 1.0 - pl], axis=-1)
    right = np.concatenate([pr, 1.0 - pr], axis=-1)
    return (left[..., :, None] * right[..., None, :]).reshape(left.shape[:-1] + (4,))


def batched_steady(pieces: SweepPieces, p_left, p_right) -> dict:
    """Steady states, heat and switching work on a (n_g, n_T) grid.

    Parameters
    ----------
    pieces : SweepPieces
        For n_g couplings.
    p_left, p_right : array_like, shape (n_T,)
        Excited populations of the ancillas (one entry per temperature point).

    Returns
    -------
    dict of ndarrays
        ``"pauli"`` (n_g, n_T, 16), ``"heat_left"``, ``"heat_right"``, ``"work_switching"``
        (n_g, n_T), energies per collision. All come from changes (``Phi - 1`` and
        ``U^dagger X U - X``), so they keep their digits at short collision times.
    """
    w = _weights(p_left, p_right)  # (n_T, 4)
    n_g = pieces.increment.shape[0]
    increment = (w @ pieces.increment.reshape(n_g, 4, 256)).reshape(n_g, w.shape[0], 16, 16)
    r = _batched.pauli_fixed_points(increment)

    def change(obs):  # sum_j p_j Tr[O_j rho] on the grid
        return ((w @ obs) * r).sum(axis=-1)

    return {
        "pauli": r,
        "heat_left": -change(pieces.ancilla_left),
        "heat_right": -change(pieces.ancilla_right),
        "work_switching": -change(pieces.interaction),
    }


def coupling_sweep(
    model: CollisionModel | FinalizedCollision,
    g_values,
    *,
    with_correlations: bool = True,
    progress: bool = True,
) -> xr.Dataset:
    """Exact vs local steady states versus the inter-system coupling g.

    Returns a Dataset over ``g`` with the heat currents and power of both schemes (per unit
    time), the trace distance between the two steady states, the relative error of the left
    current ``|J_loc - J_ex| / |J_ex|`` (NaN where the exact current vanishes, e.g. g = 0),
    and (``with_correlations``) concurrence, mutual information, negativity and discord (bits)
    of the exact steady state. Both schemes are run: a finalized ``model`` contributes its
    model.
    """
    if isinstance(model, FinalizedCollision):
        model = model.model
    g = check_couplings(g_values)
    check_unique_steady_state(model, g)
    p_l, p_r = model.ancilla_populations
    out, states = {}, {}
    for scheme in ("exact", "local"):
        res = batched_steady(sweep_pieces(model, g, scheme), [p_l], [p_r])
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
    model: CollisionModel | FinalizedCollision,
    g_values,
    biases,
    *,
    scheme: str | None = None,
    pieces: SweepPieces | None = None,
) -> xr.Dataset:
    """Rectification over a (g, temperature bias) grid, with the work of both runs.

    The cold temperature is ``model.right.temperature``; the hot one is ``T_c + bias``.
    Forward: left bath hot; backward: right bath hot. ``ratio_left`` (``ratio_right``) uses the
    current out of the left (right) bath in both runs (:func:`.thermo.rectification_ratio`);
    ``power_forward`` / ``power_backward`` is the steady work per unit time
    (``-(J_L + J_R)``), which must be compared with the currents before calling anything
    rectification. ``pieces`` reuses prebuilt :class:`SweepPieces` for ``g_values``. ``model``
    may be finalized (``model.finalized(scheme)``): its scheme is then used.
    """
    fin = finalize(model, scheme)
    model, scheme = fin.model, fin.scheme
    g = check_couplings(g_values)
    check_unique_steady_state(model, g)
    bias = np.asarray(biases, dtype=float)
    if bias.ndim != 1 or bias.size < 1:
        raise ValueError(f"biases must be a non-empty 1-d array, got shape {bias.shape}")
    if np.any(bias <= 0) or not np.all(np.isfinite(bias)):
        raise ValueError("biases must be finite temperature differences > 0")
    if pieces is None:
        pieces = sweep_pieces(fin, g)
    t_cold = model.right.temperature
    t_hot = t_cold + bias
    w_l, w_r = model.ancilla_frequencies

    populations = ops.excited_population
    cold = np.full_like(t_hot, t_cold)
    fwd = batched_steady(pieces, populations(w_l, t_hot), populations(w_r, cold))
    bwd = batched_steady(pieces, populations(w_l, cold), populations(w_r, t_hot))
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
