"""Dense complex linear solve for the small mode-matching systems (numba, plain arrays)."""

from __future__ import annotations

import math

import numba as nb

from ._modes import abs2

__all__ = ["lu_solve"]


@nb.njit(cache=True, error_model="numpy")
def lu_solve(a, b, n, nr):  # pragma: no cover - compiled
    """Solve a x = b in place (b holds x on return) by Gaussian elimination with partial
    pivoting, on the leading ``n x n`` block of ``a`` and the first ``nr`` columns of ``b``
    (preallocated work arrays of the largest size). Hand-written because the systems are at
    most 16 x 16 and LAPACK's per-call overhead would dominate the per-point cost. Returns
    False when a pivot vanishes."""
    for col in range(n):
        piv = col
        best = abs2(a[col, col])  # pivot by |a|^2: the same order as |a|, no hypot call
        for r in range(col + 1, n):
            v = abs2(a[r, col])
            if v > best:
                best = v
                piv = r
        if best == 0.0 or not math.isfinite(best):
            return False
        if piv != col:
            for c in range(n):
                a[col, c], a[piv, c] = a[piv, c], a[col, c]
            for c in range(nr):
                b[col, c], b[piv, c] = b[piv, c], b[col, c]
        inv = 1.0 / a[col, col]
        for r in range(col + 1, n):
            f = a[r, col] * inv
            if f != 0:
                for c in range(col + 1, n):
                    a[r, c] -= f * a[col, c]
                for c in range(nr):
                    b[r, c] -= f * b[col, c]
    for col in range(n - 1, -1, -1):
        inv = 1.0 / a[col, col]
        for c in range(nr):
            acc = b[col, c]
            for k in range(col + 1, n):
                acc -= a[col, k] * b[k, c]
            b[col, c] = acc * inv
    return True
