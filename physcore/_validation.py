"""Parameter checks shared by physcore's public constructors and functions.

Each raises :class:`ValueError` naming the parameter and the allowed range, so that a bad
input fails once, at the public boundary, with a message a user can act on.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["finite_real", "positive_real", "nonnegative_real"]


def finite_real(name: str, value, *, limit: float | None = None) -> float:
    """``value`` as a finite float, else ValueError naming ``name``.

    Complex numbers are refused (even with a zero imaginary part: float() would drop it
    silently for numpy scalars). With ``limit``, ``|value| <= limit`` is required too.
    """
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got the complex value {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if limit is not None and abs(number) > limit:
        raise ValueError(
            f"{name} must lie in [-{limit:g}, {limit:g}] (larger magnitudes overflow the "
            f"solver's arithmetic), got {value!r}"
        )
    return number


def positive_real(
    name: str, value, *, limit: float | None = None, smallest: float | None = None
) -> float:
    """``value`` as a finite float > 0, else ValueError naming ``name``.

    With ``limit`` and ``smallest``, ``smallest <= value <= limit`` is required too.
    """
    number = finite_real(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if (limit is not None and number > limit) or (smallest is not None and number < smallest):
        low = f"{smallest:g}" if smallest is not None else "0 (exclusive)"
        high = f"{limit:g}" if limit is not None else "inf (exclusive)"
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return number


def nonnegative_real(name: str, value, *, limit: float | None = None) -> float:
    """``value`` as a finite float >= 0, else ValueError naming ``name``.

    With ``limit``, ``value <= limit`` is required too.
    """
    number = finite_real(name, value)
    if number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if limit is not None and number > limit:
        raise ValueError(
            f"{name} must lie in [0, {limit:g}] (larger values overflow the solver's "
            f"arithmetic), got {value!r}"
        )
    return number
