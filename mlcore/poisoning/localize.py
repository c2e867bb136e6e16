"""Locating malicious users with disjunct codes (non-adaptive group testing).

After training, each sub-model is tested for the backdoor; the positive sub-models are, for an
exact test, the union of the attackers' supports (a Boolean OR: sub-models are the tests, users
the items). A code is ``k``-disjunct when no user's support lies inside the union of the
supports of ``k`` other users; then :func:`decode` (COMP: user ``j`` is named iff every
sub-model of ``j`` is positive) returns exactly the attackers whenever there are at most ``k``
of them (Du & Hwang, *Combinatorial Group Testing*, 2nd ed., ch. 7). The mapping of the
paper's "special codes can track the attackers" onto group testing is ours [DERIVED].

Constructions: :func:`kautz_singleton_code` (Reed-Solomon over a prime field, each symbol
one-hot expanded; Kautz & Singleton 1964) and :func:`random_disjunct_code` (Bernoulli entries,
checked exhaustively by :func:`is_disjunct` when small).
"""

from __future__ import annotations

import math

import numpy as np

from ..rng import RandomState, as_generator
from ._bits import max_union, pack_columns
from .codes import _check_k, _is_prime, check_code

__all__ = [
    "kautz_singleton_code",
    "kautz_singleton_design_k",
    "random_disjunct_code",
    "is_disjunct",
    "positive_tests",
    "decode",
]


def kautz_singleton_code(n_users: int, q: int, length: int | None = None) -> np.ndarray:
    """Kautz-Singleton code for ``n_users`` users over GF(``q``), ``q`` prime.

    User ``j`` is the polynomial whose coefficients are the base-``q`` digits of ``j`` (``L``
    digits, ``q^L >= n_users``), evaluated at the ``n = length`` points ``0 .. n - 1``
    (default ``n = q``); symbol ``s`` at position ``p`` becomes row ``p q + s``. Rows no user
    reaches are dropped. Two distinct polynomials of degree ``< L`` agree on at most ``L - 1``
    points, so the code is ``k``-disjunct for ``k <= (n - 1) / (L - 1)``
    (:func:`kautz_singleton_design_k`). Every column has weight ``n``.
    """
    if isinstance(q, bool) or not isinstance(q, int | np.integer) or not _is_prime(int(q)):
        raise ValueError(f"kautz_singleton_code.q must be a prime; got {q!r}")
    if isinstance(n_users, bool) or not isinstance(n_users, int | np.integer) or n_users < 2:
        raise ValueError(f"kautz_singleton_code.n_users must be an integer >= 2; got {n_users!r}")
    q, N = int(q), int(n_users)
    n = q if length is None else length
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= n <= q:
        raise ValueError(f"kautz_singleton_code.length must be an integer in [2, {q}]; got {n!r}")
    L = max(1, math.ceil(math.log(N, q) - 1e-12))
    while q**L < N:
        L += 1
    digits = (np.arange(N)[:, None] // q ** np.arange(L)[None, :]) % q  # (N, L)
    points = np.arange(n)
    powers = points[:, None] ** np.arange(L)[None, :] % q  # (n, L)
    symbols = (digits @ powers.T) % q  # (N, n): codeword of user j
    C = np.zeros((n * q, N), dtype=np.uint8)
    C[(np.arange(n)[None, :] * q + symbols).ravel(), np.repeat(np.arange(N), n)] = 1
    return check_code(C[C.sum(axis=1) > 0])


def kautz_singleton_design_k(n_users: int, q: int, length: int | None = None) -> int:
    """The disjunctness guaranteed by :func:`kautz_singleton_code`: ``floor((n - 1) / (L -
    1))`` (every user is distinct, so any ``k`` when ``L = 1``: returned as ``n_users - 1``)."""
    n = q if length is None else length
    L = 1
    while q**L < n_users:
        L += 1
    return n_users - 1 if L == 1 else min(n_users - 1, (n - 1) // (L - 1))


def random_disjunct_code(
    n_users: int, n_submodels: int, k: int, *, random_state: RandomState = 0
) -> np.ndarray:
    """Bernoulli(``1 / (k + 1)``) entries, the classic random ``k``-disjunct design (disjunct
    with high probability once ``M = O(k^2 log N)``; check it with :func:`is_disjunct`). Empty
    rows and columns are redrawn."""
    rng = as_generator(random_state)
    _check_k(k, n_users - 1)
    for _ in range(1000):
        C = (rng.random((n_submodels, n_users)) < 1 / (k + 1)).astype(np.uint8)
        if C.sum(axis=0).min() > 0 and C.sum(axis=1).min() > 0:
            return C
    raise ValueError(
        f"random_disjunct_code: no draw without empty rows or columns; raise "
        f"n_submodels (got {n_submodels})"
    )


def is_disjunct(code, k: int) -> bool:
    """True when no user's support is covered by the union of the supports of ``k`` others;
    checked exhaustively (for each user, a max-coverage search over ``k``-sets of the others
    restricted to its support)."""
    C = check_code(code)
    N = C.shape[1]
    k = _check_k(k, N - 1)
    if k == 0:
        return True
    for j in range(N):
        inside = C[:, j].astype(bool)
        others = np.delete(C[inside], j, axis=1)
        covered = max_union(
            pack_columns(others), k, weights=others.sum(axis=0), floor=int(inside.sum()) - 1
        )
        if covered >= inside.sum():
            return False
    return True


def positive_tests(success_rates, threshold: float = 0.5) -> np.ndarray:
    """Sub-models flagged as backdoored: attack success rate on triggered probes above
    ``threshold`` (in (0, 1)); bool ``(n_submodels,)``."""
    rates = np.asarray(success_rates, dtype=float)
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1); got {threshold!r}")
    return rates > threshold


def decode(code, positive) -> np.ndarray:
    """COMP decoding: the users all of whose sub-models are positive (sorted int64 indices)."""
    C = check_code(code)
    pos = np.asarray(positive, dtype=bool)
    if pos.shape != (C.shape[0],):
        raise ValueError(
            f"positive must be bool of shape ({C.shape[0]},) (one per sub-model); got {pos.shape}"
        )
    negatives = C[~pos].sum(axis=0)
    return np.flatnonzero(negatives == 0).astype(np.int64)
