"""The labelled conductance result and its input validation."""

import numpy as np
import pytest

from physcore import semidirac


@pytest.fixture(scope="module")
def junction():
    model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
    return semidirac.NSJunction(
        model, orientation="linear", mu=10.0, gap=1.0, U0=0.0, barrier=semidirac.ThinBarrier(0.5)
    )


def test_conductance_is_labelled(junction):
    bias = np.linspace(0.0, 2.0, 5)
    g = junction.conductance(bias, n_q=64)
    assert g.dims == ("bias",) and g.name == "conductance"
    np.testing.assert_array_equal(g["bias"].values, bias)
    for key, value in junction.params().items():
        assert g.attrs[key] == value
    for key in ("units", "normalize", "temperature", "numba_version", "max_current_violation"):
        assert key in g.attrs
    assert g.attrs["max_current_violation"] < 1e-8
    # G_NS / G_NN lies in [0, 2] (perfect Andreev reflection doubles the normal conductance)
    assert np.all((g.values > 0) & (g.values <= 2 + 1e-12))


def test_normal_state_is_one(junction):
    g = junction.normal_state().conductance([0.1, 0.5], n_q=64)
    np.testing.assert_allclose(g.values, 1.0, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(bias=[]), "bias"),
        (dict(bias=[0.0, np.nan]), "bias"),
        (dict(bias=[0.0, 0.2, 0.1]), "bias"),
        (dict(bias=[0.0, 0.0]), "bias"),
        (dict(bias=[0.0], temperature=-1.0), "temperature"),
        (dict(bias=[0.0], temperature=np.inf), "temperature"),
        (dict(bias=[0.0], normalize="gauss"), "normalize"),
        (dict(bias=[0.0], n_q=3), "n_q"),
    ],
)
def test_bad_conductance_input(junction, kwargs, name):
    with pytest.raises(ValueError, match=name):
        junction.conductance(**kwargs)


@pytest.mark.parametrize("kwargs, name", [(dict(energy=np.nan, q=0.0), "energy"),
                                          (dict(energy=0.1, q="x"), "q")])  # fmt: skip
def test_bad_scattering_input(junction, kwargs, name):
    with pytest.raises(ValueError, match=name):
        junction.scattering(**kwargs)
