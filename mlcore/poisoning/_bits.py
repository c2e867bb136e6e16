"""Exhaustive max-coverage over user sets on bit-packed columns (private kernel).

Plain arrays in and out: ``pack_columns`` turns a binary ``(M, N)`` matrix into ``(N, W)``
uint64 words (bit ``i`` of column ``j`` is ``C[i, j]``), and ``max_union`` enumerates every
set of ``k`` columns level by level (numpy, no Python loop over sets) to find the largest
union, optionally counting how many sets attain it. Written here rather than handed to an
integer-program solver (scipy's HiGHS, used by :func:`mlcore.poisoning.codes.reach` for larger
codes) because the annealing objective needs the *number* of maximal sets, and the disjunctness
test many small searches, where enumeration is faster than a solver call.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack_columns", "popcount", "max_union"]


def pack_columns(C: np.ndarray) -> np.ndarray:
    """Columns of the binary ``C`` (shape ``(M, N)``) as bitsets, uint64 ``(N, ceil(M/64))``."""
    M, N = C.shape
    W = -(-M // 64)
    bits = np.zeros((N, W * 64), dtype=np.uint8)
    bits[:, :M] = C.T
    # little-endian bit order within each byte, bytes little-endian within each word
    return np.packbits(bits, axis=1, bitorder="little").view("<u8").astype(np.uint64)


def popcount(words: np.ndarray) -> np.ndarray:
    """Number of set bits per row of uint64 words ``(n, W)``, int64 ``(n,)``."""
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64)


def max_union(
    cols: np.ndarray,
    k: int,
    *,
    weights: np.ndarray | None = None,
    floor: int = -1,
    count: bool = False,
):
    """Largest ``|union of k columns|`` over all ``C(N, k)`` sets of ``k`` columns.

    Parameters
    ----------
    cols : numpy.ndarray
        uint64 ``(N, W)`` from :func:`pack_columns`.
    k : int
        Set size, ``0 <= k <= N``.
    weights : numpy.ndarray, optional
        Column popcounts; with ``floor``, partial sets whose union plus the largest remaining
        weights cannot exceed ``floor`` are dropped (branch and bound).
    floor : int
        A value known to be attained (e.g. by greedy); the result is ``max(floor, best)``.
    count : bool
        Also return how many sets attain the maximum and ``C(N, k)`` (no pruning then).

    Returns
    -------
    int, or (int, int, int) with ``count``
    """
    N, W = cols.shape
    masks = np.zeros((1, W), dtype=np.uint64)
    last = np.full(1, -1, dtype=np.int64)
    prune = weights is not None and not count
    top = np.sort(np.asarray(weights))[::-1] if prune else None
    for level in range(1, k + 1):
        left = k - level  # columns still to add after this one
        bound = int(top[:left].sum()) if prune else 0
        new_masks, new_last = [], []
        for j in range(N - left):
            sel = last < j
            if not sel.any():
                continue
            m = masks[sel] | cols[j]
            if prune:
                keep = popcount(m) + bound > floor
                m = m[keep]
            new_masks.append(m)
            new_last.append(np.full(m.shape[0], j, dtype=np.int64))
        if not new_masks:
            return max(floor, 0)
        masks, last = np.concatenate(new_masks), np.concatenate(new_last)
        if masks.shape[0] == 0:
            return max(floor, 0)
    sizes = popcount(masks)
    best = int(sizes.max()) if sizes.size else 0
    if count:
        return best, int((sizes == best).sum()), int(sizes.size)
    return max(floor, best)
