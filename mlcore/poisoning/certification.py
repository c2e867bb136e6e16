"""Deterministic majority vote of sub-models and its certificate against malicious users.

Vote: every sub-model casts one hard prediction; the class with the most votes wins, **ties
go to the smaller class index** (the convention of DPA's ``certify.py``, Levine & Feizi 2021,
github.com/alevine0/DPA, a stable sort of the counts).

Certificate: ``k`` malicious users can change, arbitrarily, every sub-model that trains on one
of them, and nothing else. For a point predicted ``y`` with counts ``n`` and a rival class
``c``, the prediction survives against ``c`` while ``gap_c = n_y - n_c - [c < y] >= 0``
after the attack; a changed sub-model lowers the gap by at most ``1 + [votes y] - [votes c]``
(its *swing*). Two sound per-point radii (the largest ``k`` certified), both valid for
overlapping codes:

* ``greedy``: Finite Aggregation's certificate (Wang, Levine & Feizi, ICML 2022,
  github.com/wangwenxiao/FiniteAggregation) with users as buckets: the swing of user ``j`` is
  the sum of its sub-models' swings; the number of users whose largest swings, summed, stay
  within ``gap_c``, minimised over ``c``. Sound because the swing of a union of supports is at
  most the sum of the users' swings.
* ``reach``: the simple bound: ``k`` users change at most ``T_k`` sub-models
  (:func:`mlcore.poisoning.codes.reach`), each by at most 2, so ``k`` is certified when
  ``2 T_k <= min_c gap_c``.

The reported radius is the larger of the two (both are sound). For a partition both equal
DPA's ``floor(gap / 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codes import check_code, reach_profile

__all__ = ["majority_vote", "Certificate", "certify", "certified_accuracy"]


def _check_votes(votes, n_classes: int, n_submodels: int | None = None) -> np.ndarray:
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
    V = np.asarray(votes)
    if V.ndim != 2 or not np.issubdtype(V.dtype, np.integer):
        raise ValueError(
            f"votes must be an integer matrix (n_submodels, n_points); got "
            f"{V.dtype} of shape {V.shape}"
        )
    if n_submodels is not None and V.shape[0] != n_submodels:
        raise ValueError(
            f"votes must have one row per sub-model ({n_submodels}, the rows of "
            f"code); got {V.shape[0]}"
        )
    if V.size and (V.min() < 0 or V.max() >= n_classes):
        raise ValueError(
            f"votes must be class labels in [0, {n_classes - 1}]; got range [{V.min()}, {V.max()}]"
        )
    return V.astype(np.int64)


def majority_vote(votes, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Plurality vote with ties to the smaller class index.

    Parameters
    ----------
    votes : array_like of int, shape ``(n_submodels, n_points)``
        Each sub-model's predicted class per point.
    n_classes : int
        Number of classes (>= 2).

    Returns
    -------
    prediction : numpy.ndarray
        int64 ``(n_points,)``.
    counts : numpy.ndarray
        int64 ``(n_points, n_classes)``, votes per class.
    """
    V = _check_votes(votes, n_classes)
    n = V.shape[1]
    flat = (V + n_classes * np.arange(n)[None, :]).ravel()
    counts = np.bincount(flat, minlength=n * n_classes).reshape(n, n_classes)
    return counts.argmax(axis=1), counts  # argmax returns the first (smallest) maximal class


@dataclass(frozen=True)
class Certificate:
    """Per-point certified number of malicious users of a vote.

    Attributes
    ----------
    prediction : numpy.ndarray
        int64 ``(n_points,)``, the vote.
    counts : numpy.ndarray
        int64 ``(n_points, n_classes)``.
    radius_greedy, radius_reach : numpy.ndarray
        int64 ``(n_points,)``: users certified by each method (``radius_reach`` is capped at
        ``k_max``, the largest ``k`` whose reach was computed).
    reach : tuple of int
        ``T_0 .. T_kmax`` used (exact or the sound upper bound).
    """

    prediction: np.ndarray
    counts: np.ndarray
    radius_greedy: np.ndarray
    radius_reach: np.ndarray
    reach: tuple[int, ...]

    @property
    def radius(self) -> np.ndarray:
        """The certified number of malicious users, ``max(greedy, reach)`` per point."""
        return np.maximum(self.radius_greedy, self.radius_reach)


def _gaps(prediction: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``gap[p, c] = n_y - n_c - [c < y]`` (``y`` the prediction), large where ``c = y``."""
    n, n_classes = counts.shape
    n_y = counts[np.arange(n), prediction][:, None]
    classes = np.arange(n_classes)[None, :]
    gap = n_y - counts - (classes < prediction[:, None])
    gap[np.arange(n), prediction] = np.iinfo(np.int64).max // 4
    return gap


def _greedy_radius(C: np.ndarray, V: np.ndarray, prediction, gap, n_classes: int) -> np.ndarray:
    """Finite Aggregation's greedy count with users as buckets, vectorized over points."""
    n = V.shape[1]
    Cf = C.astype(np.float32)  # float32 BLAS products are exact for counts < 2**24
    Vt = V.T  # (n, M): the user axis ends up last, contiguous for the sort
    # swings are at most 2 M: int16 when that fits (a faster sort), else int32
    small = np.int16 if 2 * C.shape[0] < np.iinfo(np.int16).max else np.int32
    weight = C.sum(axis=0).astype(small)[None, :]  # (1, N)
    # per point and user, sub-models of the user voting class c: (Vt == c) @ C
    for_pred = ((Vt == prediction[:, None]).astype(np.float32) @ Cf).astype(small)
    radius = np.full(n, C.shape[1], dtype=np.int64)
    for c in range(n_classes):
        rival = prediction != c
        against = ((Vt == c).astype(np.float32) @ Cf).astype(small)
        swing = np.sort(weight + for_pred - against, axis=1)[:, ::-1]  # (n, N), largest first
        within = (np.cumsum(swing, axis=1, dtype=np.int64) <= gap[:, c][:, None]).sum(axis=1)
        radius[rival] = np.minimum(radius[rival], within[rival])
    return radius


def certify(code, votes, n_classes: int, *, k_max: int | None = None, reach=None) -> Certificate:
    """Certify every point of a vote against malicious users.

    Parameters
    ----------
    code : array_like, shape ``(n_submodels, n_users)``
        Binary code (checked by :func:`mlcore.poisoning.codes.check_code`).
    votes : array_like of int, shape ``(n_submodels, n_points)``
        Each sub-model's prediction.
    n_classes : int
        Number of classes.
    k_max : int, optional
        Largest ``k`` for the reach certificate (default ``min(n_users, 10)``).
    reach : sequence of int, optional
        Precomputed ``T_0 .. T_kmax`` (e.g. from :func:`mlcore.poisoning.codes.reach_profile`),
        which must be exact or upper bounds.

    Returns
    -------
    Certificate
    """
    C = check_code(code)
    V = _check_votes(votes, n_classes, C.shape[0])
    prediction, counts = majority_vote(V, n_classes)
    gap = _gaps(prediction, counts)
    greedy = _greedy_radius(C, V, prediction, gap, n_classes)
    if reach is None:
        k_max = min(C.shape[1], 10) if k_max is None else k_max
        reach = tuple(r.value for r in reach_profile(C, k_max))
    T = np.asarray(reach, dtype=np.int64)
    if T.ndim != 1 or T.size < 1 or T[0] != 0 or np.any(np.diff(T) < 0):
        raise ValueError(f"reach must list T_0 = 0, T_1, ... non-decreasing; got {reach!r}")
    # largest k with 2 T_k <= min_c gap_c (T non-decreasing: a sorted search)
    radius_reach = np.searchsorted(2 * T, gap.min(axis=1), side="right") - 1
    return Certificate(prediction, counts, greedy, radius_reach, tuple(int(t) for t in T))


_METHODS = ("best", "greedy", "reach")


def certified_accuracy(certificate: Certificate, labels, ks, *, method: str = "best") -> np.ndarray:
    """Share of points predicted correctly **and** certified against ``k`` users, per ``k``.

    ``method`` picks the radius: ``"best"`` (:attr:`Certificate.radius`), ``"greedy"`` or
    ``"reach"``. Returns float ``(len(ks),)`` in [0, 1]; ``k = 0`` gives the vote's clean
    accuracy.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; got {method!r}")
    y = np.asarray(labels)
    if y.shape != certificate.prediction.shape:
        raise ValueError(f"labels must have shape {certificate.prediction.shape}; got {y.shape}")
    ks = np.asarray(ks, dtype=np.int64)
    if ks.ndim != 1 or (ks < 0).any():
        raise ValueError(f"ks must be a 1-D sequence of integers >= 0; got {ks!r}")
    radius = {
        "best": certificate.radius,
        "greedy": certificate.radius_greedy,
        "reach": certificate.radius_reach,
    }[method]
    correct = certificate.prediction == y
    return (correct[None, :] & (radius[None, :] >= ks[:, None])).mean(axis=1)
