"""Our stored curves (validation/regression/data) still come out of the code unchanged."""

import numpy as np
import pytest

from validation.regression import CURVES, Curve, compare


@pytest.mark.parametrize("curve", CURVES, ids=[c.name for c in CURVES])
def test_curve_unchanged(curve):
    deviation = compare(curve)
    assert deviation.passed, deviation.message


def test_a_changed_curve_fails_naming_it_and_the_largest_deviation():
    curve = CURVES[0]
    from validation.regression import _load

    stored = _load(curve.path)
    changed = stored.copy()
    i = stored.sizes[stored.dims[0]] // 2
    changed[i] = stored[i] + 3e-6
    dev = compare(curve, changed)
    assert not dev.passed
    assert curve.name in dev.message and "3.000e-06" in dev.message
    assert dev.where == {stored.dims[0]: stored[stored.dims[0]].values[i].item()}
    assert dev.new - dev.stored == pytest.approx(3e-6)
    # NaN appearing where the stored curve has a number is a change too
    changed = stored.copy()
    changed[0] = np.nan
    assert not compare(curve, changed).passed


def test_missing_data_says_how_to_regenerate(tmp_path):
    ghost = Curve("not-stored", CURVES[0].producer, CURVES[0].kwargs)
    dev = compare(ghost)
    assert not dev.passed and "regenerate not-stored" in dev.message


def test_curve_names_unique():
    assert len({c.name for c in CURVES}) == len(CURVES)
