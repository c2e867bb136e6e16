"""Declared parameter constraints, checked in one place with one message format.

Each parameters dataclass declares, per field, its constraint, help and unit once
(:func:`parameter`); :func:`check_params` checks every field and raises with the message
``"<Owner>.<name> must be <allowed>; got <value>"``. A value of the wrong type raises
:class:`ParameterTypeError`, which is both a ``TypeError`` and a ``ValueError``. The command
line (help text with units and ranges) is generated from the same declarations
(:func:`parameter_specs`). The pattern follows scikit-learn's ``Interval`` / ``StrOptions``
(``sklearn/utils/_param_validation.py``), which is private API there, so it is restated here.

Example
-------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class AttackParams(Params):
...     eps: float = parameter(0.1, Interval(float, 0, 1, closed="right"),
...                            "L-infinity budget", unit="[0, 1] pixels")
...     norm: str = parameter("linf", Options("linf", "l2"), "perturbation norm")
>>> AttackParams(eps=2.0)
Traceback (most recent call last):
ValueError: AttackParams.eps must be a float in (0, 1] ([0, 1] pixels); got 2.0
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
    "Options",
    "SequenceOf",
    "Instance",
    "ParameterTypeError",
    "ParamSpec",
    "Params",
    "parameter",
    "check_params",
    "check_value",
    "check_argument",
    "parameter_specs",
]


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type: both a ``TypeError`` and a ``ValueError``."""


_TYPE_NAMES = {int: "an integer", float: "a float", bool: "a boolean", str: "a string"}


def _is_type(value, kind) -> bool:
    if kind is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    return isinstance(value, kind)


@dataclass(frozen=True)
class Interval:
    """A real or integer interval; ``None`` is an open infinite end.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``. NaN is never inside.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __post_init__(self):
        if self.kind not in (int, float):
            raise ValueError(f"Interval.kind must be int or float; got {self.kind!r}")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval.closed must be both/left/right/neither; got {self.closed}")

    def type_ok(self, value) -> bool:
        return _is_type(value, self.kind)

    def contains(self, value) -> bool:
        if not self.type_ok(value):
            return False
        v = float(value)
        if math.isnan(v):
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left)):
            return False
        if self.high is not None and (v > self.high or (v == self.high and not right)):
            return False
        return True

    def describe(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        lb = "[" if self.closed in ("both", "left") and self.low is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{_TYPE_NAMES[self.kind]} in {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (strings or numbers)."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", tuple(values))

    def type_ok(self, value) -> bool:
        return any(type(value) is type(v) or _is_type(value, type(v)) for v in self.values)

    def contains(self, value) -> bool:
        return self.type_ok(value) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Instance:
    """An instance of ``kind`` (optionally ``None`` as well)."""

    kind: type | tuple
    allow_none: bool = False

    def type_ok(self, value) -> bool:
        return (value is None and self.allow_none) or isinstance(value, self.kind)

    def contains(self, value) -> bool:
        return self.type_ok(value)

    def describe(self) -> str:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        text = " or ".join(k.__name__ for k in kinds)
        return f"a {text}" + (" or None" if self.allow_none else "")


@dataclass(frozen=True)
class SequenceOf:
    """A list or tuple whose items all satisfy ``item``, of length ``min_len`` .. ``max_len``."""

    item: Interval | Options | Instance
    min_len: int = 1
    max_len: int | None = None

    def type_ok(self, value) -> bool:
        return isinstance(value, list | tuple) and all(self.item.type_ok(v) for v in value)

    def contains(self, value) -> bool:
        n_ok = len(value) >= self.min_len and (self.max_len is None or len(value) <= self.max_len)
        return self.type_ok(value) and n_ok and all(self.item.contains(v) for v in value)

    def describe(self) -> str:
        most = "" if self.max_len is None else f" and at most {self.max_len}"
        return f"a list of at least {self.min_len}{most} items, each {self.item.describe()}"


Constraint = Interval | Options | Instance | SequenceOf


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter: what the command line and the error messages show."""

    name: str
    default: Any
    constraint: Constraint | None
    help: str
    unit: str
    optional: bool

    def describe(self) -> str:
        allowed = self.constraint.describe() if self.constraint is not None else "any value"
        if self.optional:
            allowed += " or None"
        return allowed + (f" ({self.unit})" if self.unit else "")


def parameter(
    default: Any,
    constraint: Constraint | None,
    help: str,  # noqa: A002  (the argparse name)
    *,
    unit: str = "",
    optional: bool = False,
) -> Any:
    """A dataclass field carrying its constraint, help and unit. ``optional`` also admits
    ``None``. List defaults are stored as tuples (dataclass defaults must be immutable)."""
    if isinstance(default, list):
        default = tuple(default)
    meta = {"constraint": constraint, "help": help, "unit": unit, "optional": optional}
    return dataclasses.field(default=default, metadata={"mlcore.param": meta})


def parameter_specs(cls_or_obj) -> list[ParamSpec]:
    """The declared parameters of a dataclass (class or instance), in field order."""
    out = []
    for f in dataclasses.fields(cls_or_obj):
        meta = f.metadata.get("mlcore.param")
        if meta is None:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        out.append(ParamSpec(f.name, default, **meta))
    return out


def check_value(owner: str, spec: ParamSpec, value) -> None:
    """Raise if ``value`` violates ``spec``: ``ParameterTypeError`` for a wrong type, else
    ``ValueError``; the message names ``owner.name``, the allowed range and the value."""
    if value is None and spec.optional:
        return
    if spec.constraint is None:
        return
    message = f"{owner}.{spec.name} must be {spec.describe()}; got {value!r}"
    if not spec.constraint.type_ok(value):
        raise ParameterTypeError(message)
    if not spec.constraint.contains(value):
        raise ValueError(message)


def check_argument(owner: str, name: str, value, constraint) -> None:
    """:func:`check_value` for one function argument ``name`` of ``owner`` (no dataclass):
    ``check_argument("iid_partition", "n_clients", 0, Interval(int, 1, None))`` raises
    ``ValueError: iid_partition.n_clients must be an integer in [1, inf); got 0``."""
    check_value(owner, ParamSpec(name, None, constraint, "", "", False), value)


def check_params(obj) -> None:
    """Check every declared field of dataclass instance ``obj``."""
    owner = type(obj).__name__
    for spec in parameter_specs(obj):
        check_value(owner, spec, getattr(obj, spec.name))


class Params:
    """Base for frozen parameter dataclasses: checked on construction, round-trips through
    plain dicts, and rejects unknown names with the list of allowed ones."""

    def __post_init__(self):
        for spec in parameter_specs(self):  # lists from JSON / argparse become tuples
            value = getattr(self, spec.name)
            if isinstance(value, list):
                object.__setattr__(self, spec.name, tuple(value))
        check_params(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        """Build from ``{name: value}``; ``ValueError`` naming unknown parameters."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for {cls.__name__}; allowed: {sorted(names)}"
            )
        return cls(**dict(values))

    def to_dict(self) -> dict[str, Any]:
        """Plain ``{name: value}`` (tuples as lists), JSON-ready."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def replace(self, **changes):
        """A copy with ``changes`` applied (checked, unknown names refused)."""
        return type(self).from_dict({**self.to_dict(), **changes})
