"""Parameter checks shared by physcore's public constructors and functions.

Each raises :class:`ValueError` naming the parameter and the allowed range, so that a bad
input fails once, at the public boundary, with a message a user can act on.
"""

from __future__ import annotations

import math

__all__ = ["finite_real", "positive_real", "nonnegative_real"]


def finite_real(name: str, value) -> float:
    """``value`` as a finite float, else ValueError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return number


def positive_real(name: str, value) -> float:
    """``value`` as a finite float > 0, else ValueError naming ``name``."""
    number = finite_real(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def nonnegative_real(name: str, value) -> float:
    """``value`` as a finite float >= 0, else ValueError naming ``name``."""
    number = finite_real(name, value)
    if number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number
