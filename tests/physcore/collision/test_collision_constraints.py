"""The declared constraint tables drive the constructors' errors and the sweep adapter's."""

import dataclasses

import pytest

from physcore import sweeps
from physcore._validation import ParameterTypeError, constraint_table
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.solver import CollisionSolver
from physcore.sweeps import _collision

SPEC = """
computation = "collision.steady_state"
[parameters]
temperature_left = 2.0
temperature_right = 0.5
tau = 0.2
g = [0.0, 0.5]
"""


def _plan_error(tmp_path, old, new) -> str:
    (tmp_path / "spec.toml").write_text(SPEC.replace(old, new))
    with pytest.raises(sweeps.SpecError) as err:
        sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    return str(err.value)


def test_constructor_and_sweep_give_the_same_message(tmp_path):
    with pytest.raises(ValueError) as direct:
        CollisionModel(TwoQubitSystem(), AncillaBath(1.0), AncillaBath(1.0), tau=-0.5)
    assert "tau" in str(direct.value) and "(0, inf)" in str(direct.value)
    planned = _plan_error(tmp_path, "tau = 0.2", "tau = -0.5")
    assert planned == f"parameters.tau: {direct.value}"
    # a bath field: the same message under its suffixed sweep name
    with pytest.raises(ValueError) as bath:
        AncillaBath(temperature=-3.0)
    planned = _plan_error(tmp_path, "temperature_left = 2.0", "temperature_left = -3.0")
    renamed = str(bath.value).replace("temperature", "temperature_left")
    assert planned == f"parameters.temperature_left: {renamed}"


def test_sweep_table_is_generated_from_the_constructors():
    for cls, suffixes in ((TwoQubitSystem, ("",)), (AncillaBath, ("_left", "_right"))):
        for name, constraint in constraint_table(cls).items():
            for suffix in suffixes:
                par = _collision.PARAMETERS.get(name + suffix)
                if par is None or par.vector:
                    continue
                default = None if constraint.required else constraint.default
                assert par.default == (
                    "resonant" if default is None and name == "frequency" else default
                )
                assert par.doc == constraint.describe()
    tau = constraint_table(CollisionModel)["tau"]
    assert _collision.PARAMETERS["tau"].default == tau.default
    assert {f.name for f in dataclasses.fields(TwoQubitSystem)} - set(_collision.PARAMETERS) == {
        "h12"
    }


def test_wrong_types_are_type_and_value_errors():
    with pytest.raises(ParameterTypeError, match="temperature must lie in") as err:
        AncillaBath(temperature="hot")
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)
    with pytest.raises(TypeError, match="right must lie in"):
        CollisionModel(TwoQubitSystem(), AncillaBath(1.0), 3.0)
    model = CollisionModel(TwoQubitSystem(), AncillaBath(1.0), AncillaBath(1.0))
    with pytest.raises(TypeError, match="options.store_states must lie in"):
        CollisionSolver(model, options={"store_states": "yes"})
    with pytest.raises(TypeError):
        CollisionSolver(model, "exact", {"store_states": False})  # options is keyword-only
