"""Binary codes that say which users' data each sub-model trains on (subset aggregation).

A code is a binary matrix ``C`` of shape ``(n_submodels, n_users)``: ``C[i, j] = 1`` when
sub-model ``i`` trains on the data of user ``j`` (arXiv:2101.08177 casts the choice of ``C`` as
a code design problem; its own definitions are not available to us, so the quantities below are
ours, labelled [DERIVED] in ``shared/papers/2101.08177.md`` section 4, and live only here).

* data utilization ratio ``rho(C) = ones(C) / (M N)``: the mean share of all data a sub-model
  trains on (users of equal size);
* worst-case reach ``T_k(C) = max_{|K| <= k} |union_{j in K} supp(j)|``: how many sub-models
  ``k`` malicious users can corrupt. Exact by exhaustive search over user sets for small codes
  or by an integer program (scipy's HiGHS) within a time limit (:func:`reach`), otherwise the
  stated bound ``T_k <= min(M, sum of the k largest column weights)``.

Constructions: :func:`partition_code` (Deep Partition Aggregation),
:func:`random_selection_code` (bagging without replacement), :func:`cyclic_code` (constant
column weight), :func:`projective_plane_code` (the lines of PG(2, q), a symmetric
2-design), and :func:`anneal_code` (simulated annealing on :func:`reach`, never worse than
its start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..rng import RandomState, as_generator
from ._bits import max_union, pack_columns

__all__ = [
    "Reach",
    "check_code",
    "utilization",
    "reach",
    "reach_profile",
    "certifiable_users",
    "partition_code",
    "random_selection_code",
    "cyclic_code",
    "projective_plane_code",
    "AnnealResult",
    "anneal_code",
]

#: Exhaustive search over user sets is done when there are at most this many k-sets.
MAX_EXACT_SETS = 3_000_000


def check_code(code, name: str = "code") -> np.ndarray:
    """``code`` as a validated uint8 matrix ``(n_submodels, n_users)``.

    Raises
    ------
    ValueError
        Not a 2-D matrix of zeros and ones, or a sub-model (row) training on no user, or a user
        (column) used by no sub-model; the message names ``name`` and the offending index.
    """
    C = np.asarray(code)
    if C.ndim != 2 or C.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D matrix (n_submodels, n_users); got shape {C.shape}"
        )
    if C.dtype == bool:
        C = C.astype(np.uint8)
    if not np.issubdtype(C.dtype, np.number) or not np.isin(C, (0, 1)).all():
        where = np.argwhere(~np.isin(C, (0, 1)))[0] if np.issubdtype(C.dtype, np.number) else None
        bad = (
            ""
            if where is None
            else f" {C[tuple(where)].item()!r} at {tuple(int(i) for i in where)}"
        )
        raise ValueError(
            f"{name} must be binary (entries 0 or 1); found{bad or ' ' + str(C.dtype)}"
        )
    C = C.astype(np.uint8)
    empty_rows = np.flatnonzero(C.sum(axis=1) == 0)
    if empty_rows.size:
        raise ValueError(
            f"{name} has an empty row: sub-model {int(empty_rows[0])} trains on no "
            "user (every row needs at least one 1)"
        )
    empty_cols = np.flatnonzero(C.sum(axis=0) == 0)
    if empty_cols.size:
        raise ValueError(
            f"{name} has an empty column: user {int(empty_cols[0])} is used by no "
            "sub-model (every column needs at least one 1)"
        )
    return C


def _check_k(k, n_users: int, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= n_users:
        raise ValueError(
            f"{name} (number of malicious users) must be an integer in [0, {n_users}] (the "
            f"number of users); got {k!r}"
        )
    return int(k)


def utilization(code) -> float:
    """Data utilization ratio ``ones(C) / (n_submodels n_users)`` in (0, 1] [DERIVED]."""
    C = check_code(code)
    return float(C.sum() / C.size)


@dataclass(frozen=True)
class Reach:
    """Worst-case number of sub-models that ``k`` users reach.

    Attributes
    ----------
    k : int
        Number of malicious users.
    value : int
        ``T_k`` when ``exact``, else the upper bound ``min(M, sum of the k largest column
        weights)`` (sound for certification).
    lower : int
        A reach actually attained by some user set (the greedy max-coverage set when not exact).
    exact : bool
        True when ``value`` is ``T_k`` itself.
    method : str
        How: ``"greedy"`` (the greedy set attains the bound), ``"enumeration"`` (every user set
        of size ``k``), ``"milp"`` (an integer program solved to optimality) or ``"bound"``.
    """

    k: int
    value: int
    lower: int
    exact: bool
    method: str = "bound"


def _greedy_cover(C: np.ndarray, k: int) -> int:
    covered = np.zeros(C.shape[0], dtype=bool)
    for _ in range(k):
        gain = (C[~covered]).sum(axis=0)
        covered |= C[:, int(np.argmax(gain))].astype(bool)
    return int(covered.sum())


def _milp_reach(C: np.ndarray, k: int, time_limit: float) -> int | None:
    """``T_k`` as the max-coverage integer program (HiGHS through scipy): maximise
    ``sum_i z_i`` subject to ``z_i <= sum_j C[i, j] x_j``, ``sum_j x_j <= k``, ``x`` binary,
    ``0 <= z <= 1``. ``None`` unless solved to proven optimality within ``time_limit`` s."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    M, N = C.shape
    cover = np.hstack([-C.astype(float), np.eye(M)])  # z_i - sum_j C[i, j] x_j <= 0
    budget = np.hstack([np.ones(N), np.zeros(M)])[None, :]
    res = milp(
        c=np.hstack([np.zeros(N), -np.ones(M)]),
        constraints=[LinearConstraint(cover, -np.inf, 0), LinearConstraint(budget, 0, k)],
        integrality=np.hstack([np.ones(N), np.zeros(M)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    return int(round(-res.fun)) if res.status == 0 else None


def reach(code, k: int, *, max_sets: int = MAX_EXACT_SETS, milp_time_limit: float = 10.0) -> Reach:
    """Worst-case reach ``T_k`` of ``k`` users.

    Exact by exhaustive search when at most ``max_sets`` user sets of size ``k`` exist (level
    by level on bit-packed columns, dropping partial sets that cannot beat the greedy value),
    else by the max-coverage integer program (scipy's HiGHS, at most ``milp_time_limit``
    seconds; 0 skips it), else the stated bound ``min(M, sum of the k largest column
    weights)`` with the greedy max-coverage value as a lower bound. Max coverage is NP-hard in
    general.
    """
    C = check_code(code)
    M, N = C.shape
    k = _check_k(k, N)
    weights = np.sort(C.sum(axis=0))[::-1]
    bound = int(min(M, weights[:k].sum()))
    greedy = _greedy_cover(C, k)
    if greedy == bound:
        return Reach(k, bound, greedy, True, "greedy")
    if math.comb(N, k) <= max_sets:
        value = max_union(pack_columns(C), k, weights=C.sum(axis=0), floor=greedy)
        return Reach(k, int(value), int(value), True, "enumeration")
    value = _milp_reach(C, k, milp_time_limit) if milp_time_limit > 0 else None
    if value is not None:
        return Reach(k, value, value, True, "milp")
    return Reach(k, bound, greedy, False, "bound")


def reach_profile(code, k_max: int, *, max_sets: int = MAX_EXACT_SETS) -> tuple[Reach, ...]:
    """:func:`reach` for ``k = 0 .. k_max``."""
    C = check_code(code)
    _check_k(k_max, C.shape[1], "k_max")
    return tuple(reach(C, k, max_sets=max_sets) for k in range(k_max + 1))


def certifiable_users(code, *, max_sets: int = MAX_EXACT_SETS) -> int:
    """The largest ``k`` for which even a unanimous vote is certified by reach:
    ``2 T_k <= M - 1`` (necessary condition of section 4 [DERIVED]); uses the sound upper
    bound where ``T_k`` is not exact."""
    C = check_code(code)
    M, N = C.shape
    k = 0
    while k < N and 2 * reach(C, k + 1, max_sets=max_sets).value <= M - 1:
        k += 1
    return k


# -- constructions -------------------------------------------------------------------------------


def _check_size(owner: str, name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{owner}.{name} must be an integer >= {low}; got {value!r}")
    if value < low or (high is not None and value > high):
        top = "inf" if high is None else str(high)
        raise ValueError(f"{owner}.{name} must be an integer in [{low}, {top}]; got {value!r}")
    return int(value)


def partition_code(n_users: int, n_submodels: int) -> np.ndarray:
    """Non-overlapping partition (DPA, Levine & Feizi 2021): user ``j`` trains only sub-model
    ``j mod M``. Utilization ``1 / M``; ``T_k = min(k, M)`` when ``M | N``."""
    N = _check_size("partition_code", "n_users", n_users, 1)
    M = _check_size("partition_code", "n_submodels", n_submodels, 1, N)
    C = np.zeros((M, N), dtype=np.uint8)
    C[np.arange(N) % M, np.arange(N)] = 1
    return C


def random_selection_code(
    n_users: int,
    n_submodels: int,
    users_per_submodel: int,
    *,
    random_state: RandomState = 0,
    max_draws: int = 1000,
) -> np.ndarray:
    """Random selection: every sub-model draws ``s = users_per_submodel`` distinct users
    uniformly (bagging without replacement, cf. Jia, Cao & Gong, AAAI 2021). Utilization
    ``s / N`` exactly. A draw that leaves a user unused is redrawn (at most ``max_draws``
    times, then ``ValueError``), so that the code has no empty column."""
    owner = "random_selection_code"
    N = _check_size(owner, "n_users", n_users, 1)
    M = _check_size(owner, "n_submodels", n_submodels, 1)
    s = _check_size(owner, "users_per_submodel", users_per_submodel, 1, N)
    if M * s < N:
        raise ValueError(
            f"{owner}: n_submodels * users_per_submodel must be >= n_users = {N} "
            f"so that every user is used; got {M} * {s}"
        )
    rng = as_generator(random_state)
    for _ in range(max_draws):
        C = np.zeros((M, N), dtype=np.uint8)
        for i in range(M):
            C[i, rng.choice(N, size=s, replace=False)] = 1
        if C.sum(axis=0).min() > 0:
            return C
    raise ValueError(
        f"{owner}: no draw in {max_draws} used every user; raise users_per_submodel or n_submodels"
    )


def cyclic_code(n_users: int, n_submodels: int, column_weight: int, shifts=None) -> np.ndarray:
    """Constant column weight ``d``: user ``j`` trains sub-models ``(j + t) mod M`` for the
    ``d`` distinct shifts ``t`` (default ``0 .. d - 1``, a sliding window; Finite Aggregation
    uses random shifts). Utilization ``d / M``; every row has weight ``d N / M`` when
    ``M | N``."""
    owner = "cyclic_code"
    N = _check_size(owner, "n_users", n_users, 1)
    M = _check_size(owner, "n_submodels", n_submodels, 1)
    d = _check_size(owner, "column_weight", column_weight, 1, M)
    t = np.arange(d) if shifts is None else np.asarray(shifts, dtype=np.int64)
    if t.shape != (d,) or np.unique(t % M).size != d:
        raise ValueError(f"{owner}.shifts must be {d} distinct integers mod {M}; got {shifts!r}")
    if N < M and d * N < M:
        raise ValueError(
            f"{owner}: column_weight * n_users must be >= n_submodels = {M} so that "
            f"every sub-model has a user; got {d} * {N}"
        )
    C = np.zeros((M, N), dtype=np.uint8)
    for shift in t:
        C[(np.arange(N) + shift) % M, np.arange(N)] = 1
    return check_code(C)


def _is_prime(q: int) -> bool:
    return q >= 2 and all(q % p for p in range(2, math.isqrt(q) + 1))


def projective_plane_code(q: int) -> np.ndarray:
    """The incidence matrix of the projective plane PG(2, q), ``q`` prime: sub-models are the
    ``q^2 + q + 1`` lines, users the ``q^2 + q + 1`` points. Every user is in ``q + 1``
    sub-models and every two users share exactly one (a symmetric 2-design), so
    ``T_2 = 2 (q + 1) - 1``. Utilization ``(q + 1) / (q^2 + q + 1)``."""
    if isinstance(q, bool) or not isinstance(q, int | np.integer) or not _is_prime(int(q)):
        raise ValueError(
            f"projective_plane_code.q must be a prime (2, 3, 5, 7, 11, ...); got {q!r}"
        )
    q = int(q)
    # normalised homogeneous coordinates of GF(q)^3 \ {0}: first non-zero entry equal to 1
    pts = [(1, a, b) for a in range(q) for b in range(q)] + [(0, 1, b) for b in range(q)]
    pts.append((0, 0, 1))
    P = np.array(pts, dtype=np.int64)
    # lines have the same normalised coordinates; point x lies on line l when l . x = 0 mod q
    return check_code(((P @ P.T) % q == 0).astype(np.uint8))


# -- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnealResult:
    """Outcome of :func:`anneal_code`.

    Attributes
    ----------
    code : numpy.ndarray
        The best code found (same shape, row and column weights as the start).
    objective, start_objective : float
        ``T_k + (share of k-sets attaining T_k)`` of the best code and of the start (lower is
        better; the fraction separates codes of equal ``T_k``).
    accepted, iterations : int
        Accepted moves and moves tried.
    """

    code: np.ndarray
    objective: float
    start_objective: float
    accepted: int
    iterations: int


def _objective(C: np.ndarray, k: int) -> float:
    value, attaining, total = max_union(pack_columns(C), k, count=True)
    return float(value + attaining / total)


def anneal_code(
    start,
    k: int,
    *,
    iterations: int = 200,
    temperature: float = 0.05,
    random_state: RandomState = 0,
) -> AnnealResult:
    """Simulated annealing for a code of smaller worst-case reach ``T_k`` at the start's row
    and column weights (so at its utilization).

    A move swaps two ones ``C[a, u], C[b, v]`` into ``C[a, v], C[b, u]`` (both zeros before),
    which keeps every row and column weight. Moves are accepted by the Metropolis rule at a
    temperature falling linearly to zero; the best code seen is returned, so the result is never
    worse than ``start``. The objective enumerates all ``C(N, k)`` user sets per move.
    """
    C = check_code(start, "start").copy()
    k = _check_k(k, C.shape[1])
    _check_size("anneal_code", "iterations", iterations, 0)
    if not (isinstance(temperature, int | float) and 0 <= temperature < math.inf):
        raise ValueError(
            f"anneal_code.temperature must be a float in [0, inf); got {temperature!r}"
        )
    if math.comb(C.shape[1], k) > MAX_EXACT_SETS:
        raise ValueError(
            f"anneal_code: C(n_users, k) = {math.comb(C.shape[1], k)} user sets "
            f"exceed {MAX_EXACT_SETS}; lower k"
        )
    rng = as_generator(random_state)
    current = start_value = _objective(C, k)
    best, best_value, accepted = C.copy(), current, 0
    ones = np.argwhere(C == 1)
    for it in range(iterations):
        (a, u), (b, v) = ones[rng.choice(len(ones), 2, replace=False)]
        if a == b or u == v or C[a, v] or C[b, u]:
            continue
        C[a, u] = C[b, v] = 0
        C[a, v] = C[b, u] = 1
        value = _objective(C, k)
        t = temperature * (1 - it / iterations)
        if value <= current or (t > 0 and rng.random() < math.exp((current - value) / t)):
            current, accepted = value, accepted + 1
            ones = np.argwhere(C == 1)
            if value < best_value:
                best, best_value = C.copy(), value
        else:
            C[a, v] = C[b, u] = 0
            C[a, u] = C[b, v] = 1
    return AnnealResult(best, best_value, start_value, accepted, iterations)
