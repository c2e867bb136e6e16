"""The registry interface: references must state their source, checks must have a metric."""

import math

import pytest

from validation import registry
from validation.registry import OBTAINED, Check, Outcome, Plot, Reference


def _ref(**changes):
    params = dict(
        paper="2101.01333",
        name="test-ref",
        citation="A. Author, Journal 1, 1 (2021)",
        location="Eq. (1)",
        obtained="analytic formula",
    )
    params.update(changes)
    return Reference(**params)


@pytest.mark.parametrize("field", ["paper", "name", "citation", "location"])
def test_reference_without_source_field_is_refused(field):
    with pytest.raises(ValueError, match=field):
        _ref(**{field: "  "})


def test_reference_obtained_must_be_a_known_kind():
    with pytest.raises(ValueError, match="obtained"):
        _ref(obtained="guessed")
    assert all(_ref(obtained=kind).source.endswith(f"({kind})") for kind in OBTAINED)


@pytest.mark.parametrize("tolerance", [-1.0, math.nan, math.inf, "0.1", True])
def test_check_tolerance_must_be_a_finite_nonnegative_number(tolerance):
    with pytest.raises(ValueError, match="tolerance"):
        Check(_ref(), "c", "metric", tolerance, lambda: Outcome(0.0), group="g")


def test_check_passes_only_finite_distances_within_tolerance():
    c = Check(_ref(), "c", "metric", 0.1, lambda: Outcome(0.0), group="g")
    assert c.passes(0.0) and c.passes(0.1)
    assert not c.passes(0.1000001)
    assert not c.passes(math.nan)
    assert not c.passes(-0.01)  # a distance is never negative: a sign error in a checker fails


def test_plot_shapes_are_checked():
    with pytest.raises(ValueError, match="ours"):
        Plot(x=[0, 1], ours=[0, 1, 2], reference=[0, 1])
    with pytest.raises(ValueError, match="x_reference"):
        Plot(x=[0, 1], ours=[0, 1], reference=[0, 1], x_reference=[0.5])
    Plot(x=[0, 1], ours=[0, 1], reference=[0.5], x_reference=[0.5])


def test_duplicate_check_names_are_refused(monkeypatch):
    monkeypatch.setattr(registry, "_CHECKS", {})
    ref = _ref()

    @registry.check(ref, metric="m", tolerance=1.0)
    def some_check():
        return Outcome(0.0)

    with pytest.raises(ValueError, match="already registered"):

        @registry.check(ref, metric="m", tolerance=1.0, name="some_check")
        def other():
            return Outcome(0.0)

    assert [c.name for c in registry.registered_checks()] == ["some_check"]
    assert registry.registered_checks()[0].group == "test_registry"
