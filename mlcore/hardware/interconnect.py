"""Placement and interconnect: cores on a k x k x T mesh, hop counts, Rent's-rule wire lengths.

Placement. A network needs ``cores = max(ceil(neurons / neurons_per_core), ceil(synapses /
synapses_per_core))`` cores; they go onto ``T`` tiers of a square ``k x k`` mesh with
``k = ceil(sqrt(ceil(cores / T)))`` (the smallest square holding a tier's share). Traffic runs
over the whole ``k x k x T`` mesh (spare slots included), with dimension-order routing, so a
packet's hops are the Manhattan distance between its source and destination cores.

Traffic. Source and destination are drawn over all ``k^2 T`` cores.

* ``"uniform"``: independent and uniform, self-pairs included. On a line of ``k`` nodes the mean
  ``|x1 - x2|`` is ``(k^2 - 1) / (3k)``, so the mean lateral hop count is ``2(k^2 - 1)/(3k)`` and
  the mean vertical one ``(T^2 - 1)/(3T)`` (exact combinatorics, :func:`uniform_mean_hops`).
* ``"rent"``: locality-weighted by Rent's rule ``T = k G^p`` (Landman and Russo 1971), as in
  the derivation of Davis and Meindl's wire-length distribution (IEEE TED 45:580, 1998): the
  traffic per core longer than distance ``l`` scales like the terminals per gate of a block of
  the ``V(l)`` cores within distance ``l``, ``V(l)^(p - 1)`` (:func:`rent_mean_hops`). Written
  with the mesh's own ``V(l)``, it gives Davis-Meindl's ``l^(2p-3)`` traffic-length law on a
  single large tier and the 3D law ``l^(3p-4)`` in a thick stack, without choosing an
  exponent per geometry (our generalisation; Joyner and Meindl derived the 3D law for
  continuous stacks). Self-pairs carry no mesh traffic.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "TRAFFIC",
    "mesh_side",
    "line_distance_counts",
    "uniform_mean_hops",
    "rent_mean_hops",
    "brute_force_mean_hops",
    "davis_meindl_distribution",
    "davis_meindl_mean_length",
]

#: traffic patterns of :func:`rent_mean_hops` / :func:`uniform_mean_hops`
TRAFFIC = ("uniform", "rent")


def mesh_side(cores, tiers) -> np.ndarray:
    """Side ``k`` of the square mesh per tier holding ``cores`` cores on ``tiers`` tiers."""
    cores = np.asarray(cores, dtype=np.int64)
    tiers = np.asarray(tiers, dtype=np.int64)
    per_tier = -(-cores // tiers)
    k = np.ceil(np.sqrt(per_tier)).astype(np.int64)
    k = np.where(k * k < per_tier, k + 1, k)  # guard against sqrt rounding down
    return np.where((k - 1) ** 2 >= per_tier, k - 1, k)


def line_distance_counts(k: int, length: int | None = None) -> np.ndarray:
    """Ordered node pairs of a ``k``-node line at distance ``d = 0 .. length - 1``.

    ``k`` pairs at distance 0 and ``2 (k - d)`` at ``1 <= d < k`` (zero beyond).
    """
    length = k if length is None else length
    d = np.arange(length)
    counts = np.where(d < k, 2.0 * (k - d), 0.0)
    counts[0] = k
    return counts


def uniform_mean_hops(k, tiers) -> np.ndarray:
    """Mean lateral and vertical hops for uniform traffic on ``k x k x tiers`` (exact).

    Returns an array of shape ``(2, *broadcast(k, tiers).shape)``: lateral
    ``2 (k^2 - 1) / (3k)`` and vertical ``(T^2 - 1) / (3T)``.
    """
    k, t = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(tiers, dtype=float))
    return np.stack([2.0 * (k * k - 1.0) / (3.0 * k), (t * t - 1.0) / (3.0 * t)])


def _lateral_counts(sides: np.ndarray, length: int) -> np.ndarray:
    """Ordered pairs of a k x k mesh at lateral Manhattan distance h, one row per side k."""
    out = np.zeros((len(sides), length))
    for row, k in enumerate(sides):
        line = line_distance_counts(int(k))
        full = np.convolve(line, line)
        out[row, : len(full)] = full
    return out


def _rent_pair_weight(pairs: np.ndarray, nodes: np.ndarray, rent_exponent: float) -> np.ndarray:
    """Traffic weight of one ordered pair at each Manhattan distance (last axis), Rent's rule.

    ``pairs[..., l]`` counts the ordered pairs at distance ``l`` of a mesh of ``nodes`` nodes.
    With ``V(l)`` the mean number of nodes within distance ``l`` of a node, the traffic longer
    than ``l`` per node is ``V(l)^(p - 1)``; distance ``l >= 1`` carries the difference
    ``V(l-1)^(p-1) - V(l)^(p-1)``, shared equally by its pairs.
    """
    within = np.cumsum(pairs, axis=-1) / nodes[..., None]
    beyond = within ** (rent_exponent - 1.0)
    share = np.zeros_like(pairs)
    share[..., 1:] = beyond[..., :-1] - beyond[..., 1:]
    return np.divide(share, pairs, out=np.zeros_like(share), where=pairs > 0)


def rent_mean_hops(k, tiers, rent_exponent: float) -> np.ndarray:
    """Mean lateral and vertical hops for Rent-weighted traffic on ``k x k x tiers``.

    Traffic at Manhattan distance ``l >= 1`` follows Rent's rule through the mean number of
    nodes ``V(l)`` within distance ``l``: a share ``V(l-1)^(p-1) - V(l)^(p-1)`` of the traffic,
    split equally over the pairs at that distance. On a large single tier ``V ~ 2 l^2`` and the
    traffic at distance ``l`` goes like ``l^(2p-3)``, Davis and Meindl's ``l^(2p-4)`` occupation
    times the ``~l`` pairs at that distance; in a thick stack ``V ~ l^3`` gives the 3D law
    ``l^(3p-4)``. One core alone (``k = T = 1``) has no mesh traffic: 0 hops. Vectorised over
    the unique sides and tier counts.

    Returns an array of shape ``(2, *broadcast(k, tiers).shape)``.
    """
    k, t = np.broadcast_arrays(np.asarray(k, dtype=np.int64), np.asarray(tiers, dtype=np.int64))
    sides, k_index = np.unique(k, return_inverse=True)
    stacks, t_index = np.unique(t, return_inverse=True)
    n_h, n_v = 2 * int(sides.max()) - 1, int(stacks.max())
    lateral = _lateral_counts(sides, n_h)[:, None, :]  # (side, 1, h)
    vertical = np.stack([line_distance_counts(int(n), n_v) for n in stacks])[None]  # (1, T, v)
    pairs = np.zeros((len(sides), len(stacks), n_h + n_v - 1))
    for v in range(n_v):  # pairs at l = h + v
        pairs[..., v : v + n_h] += lateral * vertical[..., v : v + 1]
    nodes = (sides[:, None] ** 2 * stacks[None, :]).astype(float)
    weight = _rent_pair_weight(pairs, nodes, rent_exponent)
    h = np.arange(n_h)
    total, sum_h, sum_v = (np.zeros(pairs.shape[:2]) for _ in range(3))
    for v in range(n_v):
        w = lateral * vertical[..., v : v + 1] * weight[..., v : v + n_h]
        total += w.sum(-1)
        sum_h += (w * h).sum(-1)
        sum_v += v * w.sum(-1)
    mean_h = np.divide(sum_h, total, out=np.zeros_like(total), where=total > 0)
    mean_v = np.divide(sum_v, total, out=np.zeros_like(total), where=total > 0)
    pick = (k_index.reshape(k.shape), t_index.reshape(t.shape))
    return np.stack([mean_h[pick], mean_v[pick]])


def brute_force_mean_hops(
    k: int, tiers: int, traffic: str = "uniform", rent_exponent: float = 0.75
) -> tuple[float, float]:
    """Mean lateral and vertical hops by enumerating every ordered core pair (small meshes).

    The independent check of :func:`uniform_mean_hops` and :func:`rent_mean_hops`: distances,
    pair counts and the nodes within each distance all come from the enumeration.
    """
    if traffic not in TRAFFIC:
        raise ValueError(f"traffic must be one of {TRAFFIC}; got {traffic!r}")
    nodes = np.array(list(itertools.product(range(k), range(k), range(tiers))), dtype=float)
    diff = np.abs(nodes[:, None, :] - nodes[None, :, :])
    lateral = diff[..., 0] + diff[..., 1]
    vertical = diff[..., 2]
    if traffic == "uniform":
        weight = np.ones_like(lateral)
    else:
        dist = (lateral + vertical).astype(np.int64)
        pairs = np.bincount(dist.ravel()).astype(float)
        per_pair = _rent_pair_weight(pairs, np.asarray(float(len(nodes))), rent_exponent)
        weight = per_pair[dist]
    if weight.sum() == 0:
        return 0.0, 0.0
    return float((weight * lateral).sum() / weight.sum()), float(
        (weight * vertical).sum() / weight.sum()
    )


def davis_meindl_distribution(
    length,
    gates: float,
    rent_exponent: float,
    *,
    rent_coefficient: float = 4.0,
    fan_out: float = 3.0,
) -> np.ndarray:
    """Davis-Meindl stochastic wire-length density ``i(l)`` of a ``gates``-gate square array.

    J. A. Davis, V. K. De, J. D. Meindl, IEEE TED 45(3):580 (1998), Eqs. (13)-(14) as usually
    restated: with ``alpha = f / (f + 1)`` and ``N = gates``,

    * ``1 <= l < sqrt(N)``: ``i = (alpha k G / 2) (l^3/3 - 2 sqrt(N) l^2 + 2 N l) l^(2p - 4)``
    * ``sqrt(N) <= l < 2 sqrt(N)``: ``i = (alpha k G / 6) (2 sqrt(N) - l)^3 l^(2p - 4)``

    with ``G`` fixed so that the wires number ``alpha k N (1 - N^(p - 1))``. Lengths are in gate
    pitches; zero outside ``[1, 2 sqrt(N))``. Implemented from the published form (no library
    ships it); it holds for ``0 < p < 1``.
    """
    if not 0.0 < rent_exponent < 1.0:
        raise ValueError(f"rent_exponent must lie in (0, 1); got {rent_exponent!r}")
    if not gates >= 4:
        raise ValueError(f"gates must be >= 4; got {gates!r}")
    length = np.asarray(length, dtype=float)
    root = np.sqrt(gates)
    grid = np.arange(1.0, np.floor(2 * root - 1e-9) + 1.0)
    shape_all = _dm_shape(grid, gates, rent_exponent)
    alpha = fan_out / (fan_out + 1.0)
    wires = alpha * rent_coefficient * gates * (1.0 - gates ** (rent_exponent - 1.0))
    return wires * _dm_shape(length, gates, rent_exponent) / shape_all.sum()


def _dm_shape(length: np.ndarray, gates: float, p: float) -> np.ndarray:
    """Davis-Meindl's unnormalised density (the two regions, zero outside [1, 2 sqrt(N)))."""
    root = np.sqrt(gates)
    ell = np.maximum(length, 1.0)
    region1 = (ell**3 / 3.0 - 2.0 * root * ell**2 + 2.0 * gates * ell) / 2.0
    region2 = (2.0 * root - ell) ** 3 / 6.0
    geometric = np.where(ell < root, region1, region2)
    inside = (length >= 1.0) & (length < 2.0 * root)
    return np.where(inside, geometric * ell ** (2.0 * p - 4.0), 0.0)


def davis_meindl_mean_length(gates: float, rent_exponent: float) -> float:
    """Mean wire length (gate pitches) of :func:`davis_meindl_distribution`, over integer
    lengths ``1 .. 2 sqrt(N)``. Grows like ``N^(p - 1/2)`` for ``p > 1/2`` (Donath)."""
    grid = np.arange(1.0, np.floor(2 * np.sqrt(gates) - 1e-9) + 1.0)
    density = _dm_shape(grid, gates, rent_exponent)
    return float((grid * density).sum() / density.sum())
