"""Declared parameter constraints, checked by one function with one message format.

A constraint table maps each parameter name to a :class:`Constraint`: a rule (an
:class:`Interval` with open or closed ends, a set of :class:`Choices`, an :class:`Instance`
of some types, or :class:`AnyOf` several rules), a default, a one-line doc and a unit. A frozen
dataclass declares its table in its field list (:func:`parameter`, read back by
:func:`constraint_table`) and checks itself with :func:`check_fields` in ``__post_init__``; an
option set (a function's keyword arguments) keeps its table in a module-level dict and checks
it with :func:`check_params`. Sweep adapters generate their parameter tables from the same
declarations, so that a constructor and a sweep refuse a value with the same message.

Every failure is raised by :func:`check_value` with the message::

    "<label> must be <requirement> (<label> must lie in <domain>); got <value>"

e.g. ``"gap must be >= 0 (gap must lie in [0, 1e+30]); got -0.5"``. A value of the wrong type
raises :class:`ParameterTypeError`, which is both a ``TypeError`` and a ``ValueError``; a value
of the right type out of range raises ``ValueError``. The pattern is scikit-learn's
``Interval`` / ``StrOptions`` (``sklearn/utils/_param_validation.py``), private API there, so
it is restated here (:mod:`physcore` and :mod:`mlcore` never import each other).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Interval",
    "Choices",
    "Instance",
    "AnyOf",
    "Constraint",
    "ParameterTypeError",
    "REQUIRED",
    "parameter",
    "constraint_table",
    "check_value",
    "check_params",
    "check_fields",
    "finite_real",
    "positive_real",
    "nonnegative_real",
]


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type: both a ``TypeError`` and a ``ValueError``."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: default of a parameter that has none (the caller must give it)
REQUIRED: Any = _Required()


def _is_real(value) -> bool:
    """Real numbers, numpy's included; not bool, not complex (even with zero imaginary part)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not _is_bool(value)


def _is_bool(value) -> bool:
    return type(value).__name__ == "bool_" or isinstance(value, bool)


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"


@dataclass(frozen=True)
class Interval:
    """Finite real (``kind=float``) or integer (``kind=int``) values between two ends.

    ``low`` / ``high``: ``None`` for an unbounded end. ``closed``: which ends belong to the
    interval, ``"both"``, ``"left"``, ``"right"`` or ``"neither"``. NaN and infinities are never
    inside. An ``int`` interval accepts integral floats (``400.0``) and returns an ``int``.
    """

    kind: type = float
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __post_init__(self):
        if self.kind not in (int, float):
            raise ValueError(f"Interval.kind must be int or float; got {self.kind!r}")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval.closed must be both/left/right/neither; got {self.closed}")

    @property
    def kind_name(self) -> str:
        return "an integer" if self.kind is int else "a finite real number"

    def domain(self) -> str:
        left = self.closed in ("both", "left") and self.low is not None
        right = self.closed in ("both", "right") and self.high is not None
        low = _fmt(-math.inf if self.low is None else self.low)
        high = _fmt(math.inf if self.high is None else self.high)
        return f"{'[' if left else '('}{low}, {high}{']' if right else ')'}"

    def convert(self, value):
        """``value`` as float/int; raises _Fail with the requirement that failed."""
        if not _is_real(value):
            raise _Fail(self.kind_name, type_error=True)
        number = float(value)
        if not math.isfinite(number):
            raise _Fail(self.kind_name)
        if self.kind is int and int(number) != number:
            raise _Fail(self.kind_name, type_error=True)
        if self.low is not None:
            if number < self.low or (number == self.low and self.closed in ("right", "neither")):
                op = ">=" if self.closed in ("both", "left") else ">"
                raise _Fail(f"{op} {_fmt(self.low)}")
        if self.high is not None:
            if number > self.high or (number == self.high and self.closed in ("left", "neither")):
                op = "<=" if self.closed in ("both", "right") else "<"
                raise _Fail(f"{op} {_fmt(self.high)}")
        return int(number) if self.kind is int else number


@dataclass(frozen=True)
class Choices:
    """One of a fixed set of values (strings compare exactly; no case folding)."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", tuple(values))

    def domain(self) -> str:
        return "{" + ", ".join(repr(v) for v in self.values) + "}"

    def convert(self, value):
        kinds = {type(v) for v in self.values}
        if not any(isinstance(value, k) for k in kinds):
            raise _Fail("one of these", type_error=True)
        if value not in self.values:
            raise _Fail("one of these")
        return value


@dataclass(frozen=True)
class Instance:
    """An instance of one of ``kinds`` (optionally ``None`` too)."""

    kinds: tuple
    allow_none: bool = False

    def __init__(self, *kinds, allow_none: bool = False):
        object.__setattr__(self, "kinds", tuple(kinds))
        object.__setattr__(self, "allow_none", allow_none)

    def domain(self) -> str:
        names = [k.__name__ for k in self.kinds] + (["None"] if self.allow_none else [])
        return "{" + ", ".join(names) + "}"

    def convert(self, value):
        if (value is None and self.allow_none) or isinstance(value, self.kinds):
            return value
        raise _Fail("an instance of one of these", type_error=True)


@dataclass(frozen=True)
class AnyOf:
    """A value that satisfies one of several rules (the first that accepts it converts it)."""

    rules: tuple

    def __init__(self, *rules):
        object.__setattr__(self, "rules", tuple(rules))

    def domain(self) -> str:
        return " or ".join(r.domain() for r in self.rules)

    def convert(self, value):
        fails = []
        for rule in self.rules:
            try:
                return rule.convert(value)
            except _Fail as fail:
                fails.append(fail)
        # a type error only when every rule refused the type
        kept = [f for f in fails if not f.type_error] or fails
        requirement = " or ".join(f.requirement for f in kept)
        raise _Fail(requirement, type_error=all(f.type_error for f in fails))


class _Fail(Exception):
    """Internal: a rule's requirement that a value failed."""

    def __init__(self, requirement: str, *, type_error: bool = False):
        super().__init__(requirement)
        self.requirement = requirement
        self.type_error = type_error


Rule = Interval | Choices | Instance | AnyOf


@dataclass(frozen=True)
class Constraint:
    """One declared parameter: its rule, default, one-line doc and unit."""

    rule: Rule
    default: Any = REQUIRED
    doc: str = ""
    unit: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """``doc``, the unit and the domain on one line (help texts, sweep tables)."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.doc}{unit}; {self.rule.domain()}"


def _shown(value) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text


def check_value(label: str, value, rule: Rule, *, hint: str = ""):
    """``value`` checked against ``rule`` and converted (float, int or the value itself).

    Raises
    ------
    ParameterTypeError
        (a TypeError and a ValueError) for a value of the wrong type.
    ValueError
        for a value of the right type outside the domain. Both read
        ``"<label> must be <requirement> (<label> must lie in <domain>); got <value>"``,
        followed by ``hint`` when one is given.
    """
    try:
        return rule.convert(value)
    except _Fail as fail:
        got = _shown(value) + (f" ({type(value).__name__})" if fail.type_error else "")
        message = (
            f"{label} must be {fail.requirement} ({label} must lie in {rule.domain()}); got {got}"
        )
        if hint:
            message += f" ({hint})"
        error = ParameterTypeError if fail.type_error else ValueError
        raise error(message) from None


def check_params(table: Mapping[str, Constraint], values: Mapping[str, Any], *, owner: str = ""):
    """Check every entry of ``values`` against ``table``; return the converted values.

    Unknown names raise ``ParameterTypeError`` naming the known ones (as a wrong keyword
    argument would); missing names take their default, a missing required one raises
    ``ParameterTypeError``. ``owner`` (e.g. ``"DeltaBarrier"``) prefixes the labels as
    ``"DeltaBarrier.Z"``.
    """
    prefix = f"{owner}." if owner else ""
    unknown = sorted(set(values) - set(table))
    if unknown:
        raise ParameterTypeError(
            f"{prefix}{unknown[0]} is not a parameter; the parameters are {sorted(table)}"
        )
    out = {}
    for name, constraint in table.items():
        if name in values:
            out[name] = check_value(prefix + name, values[name], constraint.rule)
        elif constraint.required:
            raise ParameterTypeError(f"{prefix}{name} is required; {constraint.describe()}")
        else:
            out[name] = constraint.default
    return out


def parameter(default=REQUIRED, rule: Rule = Interval(), doc: str = "", unit: str = "", **field):
    """A dataclass field that declares its constraint (read by :func:`constraint_table`)."""
    constraint = Constraint(rule, default, doc, unit)
    if default is not REQUIRED:
        field["default"] = default
    return dataclasses.field(metadata={"constraint": constraint}, **field)


def constraint_table(cls) -> dict[str, Constraint]:
    """The constraint table a dataclass declares in its field list (fields without one skipped)."""
    return {
        f.name: f.metadata["constraint"]
        for f in dataclasses.fields(cls)
        if "constraint" in f.metadata
    }


def check_fields(obj, *, owner: str = "") -> None:
    """Check and convert, in place, every declared field of a (frozen) dataclass instance.

    Call it from ``__post_init__``; the messages name the field (``owner.field`` with owner).
    """
    prefix = f"{owner}." if owner else ""
    for name, constraint in constraint_table(type(obj)).items():
        value = check_value(prefix + name, getattr(obj, name), constraint.rule)
        object.__setattr__(obj, name, value)


# -- shorthands kept for callers that check one scalar (same messages as check_value) --------


def finite_real(name: str, value, *, limit: float | None = None) -> float:
    """``value`` as a finite float (within ``[-limit, limit]`` with ``limit``)."""
    low = None if limit is None else -limit
    return check_value(name, value, Interval(float, low, limit))


def positive_real(
    name: str, value, *, limit: float | None = None, smallest: float | None = None
) -> float:
    """``value`` as a float > 0 (``smallest <= value <= limit`` with those given)."""
    if smallest is not None:
        rule = Interval(float, smallest, limit, "both")
    else:
        rule = Interval(float, 0, limit, "right" if limit is not None else "neither")
    return check_value(name, value, rule)


def nonnegative_real(name: str, value, *, limit: float | None = None) -> float:
    """``value`` as a float >= 0 (``<= limit`` with ``limit``)."""
    return check_value(name, value, Interval(float, 0, limit))
