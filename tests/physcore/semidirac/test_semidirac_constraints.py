"""The declared constraint tables: one check, one message, from constructors and sweeps alike."""

import numpy as np
import pytest

from physcore import semidirac as sd
from physcore._validation import (
    AnyOf,
    Choices,
    Interval,
    ParameterTypeError,
    check_params,
    check_value,
    constraint_table,
)
from physcore.semidirac.solvers.common import CONDUCTANCE_OPTIONS
from physcore.sweeps import _semidirac as adapter


@pytest.mark.parametrize(
    "rule, good, bad",
    [
        (Interval(float, 0, 1, "both"), [0.0, 1.0, 0.5], [-1e-9, 1.000001, np.nan, np.inf]),
        (Interval(float, 0, 1, "neither"), [1e-12, 0.999], [0.0, 1.0]),
        (Interval(float, 0, None, "left"), [0.0, 1e300], [-1.0]),
        (Interval(int, 16, 32), [16, 32, 20.0, np.int64(17)], [15, 33, 20.5]),
        (Choices("a", "b"), ["a", "b"], ["c", "A"]),
        (AnyOf(Choices("x"), Interval(float)), ["x", 1.5], ["y"]),
    ],
)
def test_rules_accept_their_domain_and_refuse_the_rest(rule, good, bad):
    for value in good:
        check_value("p", value, rule)
    for value in bad:
        with pytest.raises(ValueError, match=r"^p must be .* \(p must lie in .*\); got "):
            check_value("p", value, rule)


@pytest.mark.parametrize("value", ["1.0", None, 1 + 0j, np.complex128(1.0), True, [1.0]])
def test_wrong_type_is_both_type_error_and_value_error(value):
    with pytest.raises(ParameterTypeError) as info:
        check_value("mu", value, Interval(float))
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert str(info.value).startswith("mu must be a finite real number (mu must lie in (-inf,")


def test_check_params_fills_defaults_and_refuses_unknown_names():
    out = check_params(CONDUCTANCE_OPTIONS, {"n_q": 64.0})
    assert out == {"temperature": 0.0, "normalize": "normal", "n_q": 64}
    assert isinstance(out["n_q"], int)
    with pytest.raises(ParameterTypeError, match="n_modes is not a parameter"):
        check_params(CONDUCTANCE_OPTIONS, {"n_modes": 64})


def test_tables_are_declared_once_on_the_classes():
    assert set(constraint_table(sd.SemiDirac)) == {"mass", "velocity", "delta"}
    junction = constraint_table(sd.NSJunction)
    assert list(junction) == ["model", "orientation", "mu", "gap", "U0", "barrier", "phase"]
    assert junction["gap"].rule == Interval(float, 0, 1e30)
    # the sweep's table is generated from them: same ranges in its docs, same defaults
    for name in ("mass", "delta", "U0", "orientation", "temperature", "n_q", "Z"):
        assert adapter.constraints()[name].rule.domain() in adapter.PARAMETERS[name].doc
    assert adapter.PARAMETERS["U0"].default == junction["U0"].default
    assert adapter.PARAMETERS["n_q"].default == CONDUCTANCE_OPTIONS["n_q"].default


def _point(**changes):
    point = {name: p.default for name, p in adapter.PARAMETERS.items()}
    point.update(mu=10.0, gap=1.0, bias=np.array([0.1, 0.2]))
    point.update(changes)
    return point


def _message(call) -> str:
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize(
    "construct, point",
    [
        (lambda: sd.SemiDirac(mass=-1.0), dict(mass=-1.0)),  # a model
        (lambda: sd.NSJunction(sd.SemiDirac(), gap=-0.5, mu=10.0), dict(gap=-0.5)),  # junction
        (lambda: sd.DeltaBarrier(Z=-2.0), dict(barrier="delta", Z=-2.0)),  # a barrier
        (
            lambda: sd.NSJunction(sd.SemiDirac(), mu=10.0).conductance([0.1], temperature=-1.0),
            dict(temperature=-1.0),
        ),  # an option set
    ],
)
def test_constructor_and_sweep_adapter_give_the_same_message(construct, point):
    expected = _message(construct)
    assert expected == _message(lambda: adapter.validate(_point(**point)))
    assert " must lie in " in expected


def test_sweep_adapter_runs_with_the_generated_table():
    point = _point(n_q=32)
    adapter.validate(point)
    g = adapter.compute(point)["conductance"]
    direct = sd.NSJunction(sd.SemiDirac(), mu=10.0, gap=1.0).conductance([0.1, 0.2], n_q=32)
    np.testing.assert_array_equal(g, direct.values)
    with pytest.warns(DeprecationWarning, match="n_modes is deprecated"):
        old = adapter.compute(_point(n_modes=32))["conductance"]
    np.testing.assert_array_equal(old, g)
