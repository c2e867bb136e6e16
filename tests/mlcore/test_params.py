"""The parameter-constraint helper: one declaration per field, one check, one message format."""

import math
from dataclasses import dataclass

import pytest

from mlcore.params import (
    Instance,
    Interval,
    Options,
    ParameterTypeError,
    Params,
    SequenceOf,
    check_params,
    parameter,
    parameter_specs,
)


@dataclass(frozen=True)
class AttackParams(Params):
    eps: float = parameter(
        0.1, Interval(float, 0, 1, closed="right"), "L-infinity budget", unit="[0, 1] pixels"
    )
    steps: int = parameter(10, Interval(int, 1, None), "PGD steps", unit="steps")
    norm: str = parameter("linf", Options("linf", "l2"), "perturbation norm")
    budgets: tuple = parameter((0.1, 0.2), SequenceOf(Interval(float, 0, 1), max_len=3), "sweep")
    limit: int | None = parameter(None, Interval(int, 1, None), "query budget", optional=True)
    name: str = parameter("pgd", Instance(str), "label")


@pytest.mark.parametrize(
    "constraint, inside, outside",
    [
        (Interval(float, 0, 1, closed="both"), [0, 0.5, 1], [-1e-9, 1.0000001, math.nan]),
        (Interval(float, 0, 1, closed="left"), [0, 0.999], [1, -0.1]),
        (Interval(float, 0, 1, closed="right"), [1e-12, 1], [0, 2]),
        (Interval(float, 0, 1, closed="neither"), [0.5], [0, 1]),
        (Interval(int, 1, None), [1, 10**9], [0, -3]),
        (Interval(float, None, 0), [-math.inf, 0], [1e-300]),
        (Options("a", "b"), ["a", "b"], ["c"]),
        (SequenceOf(Interval(int, 1, 8), min_len=1, max_len=2), [[1], (1, 8)], [[], [1, 2, 3]]),
    ],
)
def test_constraints_contain_exactly_their_values(constraint, inside, outside):
    assert all(constraint.contains(v) for v in inside)
    assert not any(constraint.contains(v) for v in outside)


def test_interval_types_and_descriptions():
    assert not Interval(int, 0, 5).contains(2.0) and not Interval(int, 0, 5).contains(True)
    assert Interval(float, 0, 5).contains(2)  # an int is a valid float
    assert Interval(float, 0, 1, closed="right").describe() == "a float in (0, 1]"
    assert Interval(int, 1, None).describe() == "an integer in [1, inf)"
    with pytest.raises(ValueError, match="closed"):
        Interval(float, 0, 1, closed="open")


def test_out_of_range_message_names_parameter_range_and_value():
    with pytest.raises(ValueError) as err:
        AttackParams(eps=2.0)
    assert str(err.value) == ("AttackParams.eps must be a float in (0, 1] ([0, 1] pixels); got 2.0")
    assert not isinstance(err.value, TypeError)
    with pytest.raises(
        ValueError, match=r"AttackParams\.norm must be one of 'linf', 'l2'; got 'l1'"
    ):
        AttackParams(norm="l1")
    with pytest.raises(ValueError, match=r"budgets must be a list of at least 1 and at most 3"):
        AttackParams(budgets=(0.1, 0.2, 0.3, 0.4))


@pytest.mark.parametrize(
    "field, value", [("steps", 2.5), ("steps", "10"), ("eps", "0.1"), ("name", 3), ("limit", 1.5)]
)
def test_wrong_type_is_both_type_and_value_error(field, value):
    with pytest.raises(ParameterTypeError, match=f"AttackParams.{field} must be") as err:
        AttackParams(**{field: value})
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)


def test_optional_none_and_lists_become_tuples():
    p = AttackParams(limit=None, budgets=[0.3])
    assert p.limit is None and p.budgets == (0.3,)
    check_params(p)
    with pytest.raises(ValueError, match="limit"):
        AttackParams(limit=0)


def test_dict_round_trip_replace_and_unknown_names():
    p = AttackParams(eps=0.2, budgets=(0.5,))
    assert AttackParams.from_dict(p.to_dict()) == p
    assert p.to_dict()["budgets"] == [0.5]
    assert p.replace(steps=3).steps == 3 and p.replace(steps=3).eps == 0.2
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['epsilon'\].*allowed"):
        AttackParams.from_dict({"epsilon": 0.1})
    with pytest.raises(ValueError, match="steps"):
        p.replace(steps=0)


def test_specs_carry_help_unit_and_default_for_the_command_line():
    specs = {s.name: s for s in parameter_specs(AttackParams)}
    assert list(specs) == ["eps", "steps", "norm", "budgets", "limit", "name"]
    assert specs["eps"].help == "L-infinity budget" and specs["eps"].default == 0.1
    assert specs["eps"].describe() == "a float in (0, 1] ([0, 1] pixels)"
    assert specs["limit"].describe() == "an integer in [1, inf) or None"
