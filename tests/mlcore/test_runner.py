"""The registry, the typed records and the generic runner, on a toy result registered here."""

import dataclasses
import json
import random
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.params import Interval, Params, parameter
from mlcore.records import Metrics, RecordError, RunRecord, Spread, user_runs_dir
from mlcore.registry import Result, get, register
from mlcore.runner import run_result
from mlcore.training import evaluate, fit


@dataclass(frozen=True)
class ToyParams(Params):
    epochs: int = parameter(3, Interval(int, 1, 50), "training", unit="epochs")


@dataclass(frozen=True)
class ToyPoint(Metrics):
    accuracy: float
    loss: float | None = None


@dataclass(frozen=True)
class ToyMetrics(Metrics):
    accuracy: float
    history: tuple[ToyPoint, ...]


@dataclass(frozen=True)
class ToyRecord(RunRecord):
    result: ClassVar[str] = "toy_digits"
    params_type: ClassVar[type] = ToyParams
    metrics_type: ClassVar[type] = ToyMetrics


def _toy_run(p: ToyParams, ctx) -> ToyMetrics:
    with ctx.stage("prepare_data"):
        train, test = ctx.image_split("digits", test_fraction=0.2, n_samples=600)
    with ctx.stage("train"):
        model = ctx.init_model(tiny_mlp, "init")
        history = fit(model, train, epochs=p.epochs, lr=3e-3, seed=ctx.streams.seed("train"),
                      progress=False)  # fmt: skip
    points = tuple(ToyPoint(h["train_accuracy"], h["loss"]) for h in history)
    return ToyMetrics(evaluate(model, test), points)


TOY = register(
    Result(
        "toy_digits",
        "a toy MLP on digits",
        ToyParams,
        ToyRecord,
        _toy_run,
        plot=lambda rec, out: [],
        summary=lambda rec: "toy",
    )  # fmt: skip
)


def test_registered_result_is_found_by_name():
    assert get("toy_digits") is TOY
    with pytest.raises(ValueError, match="unknown result 'nope'.*bsq"):
        get("nope")
    with pytest.raises(ValueError, match="already registered"):
        register(dataclasses.replace(TOY, description="other"))
    with pytest.raises(ValueError, match="identifier"):
        dataclasses.replace(TOY, name="toy digits")
    with pytest.raises(TypeError, match="Params"):
        dataclasses.replace(TOY, params=dict)


def test_runner_records_seeds_device_threads_and_restores_threads():
    before = torch.get_num_threads()
    rec = run_result("toy_digits", {"epochs": 2}, seeds=(0, 7), device="cpu", threads=1,
                     progress=False)  # fmt: skip
    assert torch.get_num_threads() == before
    assert isinstance(rec, ToyRecord) and rec.seeds == (0, 7)
    assert rec.device == "cpu" and rec.torch_threads == 1 and rec.versions["torch_threads"] == 1
    assert set(rec.runs[0].derived_seeds) == {"split", "init", "train"}
    assert rec.runs[0].derived_seeds != rec.runs[1].derived_seeds
    assert set(rec.runs[0].stage_times_s) == {"prepare_data", "train"}
    acc = [m.accuracy for m in rec.metrics]
    assert rec.stat(lambda m: m.accuracy) == Spread.of(acc)
    assert rec.spread()["history.1.loss"].mean == pytest.approx(
        np.mean([m.history[1].loss for m in rec.metrics])
    )


def test_record_round_trip_and_clear_errors(tmp_path):
    rec = run_result("toy_digits", {"epochs": 1}, seeds=(3,), device="cpu", threads=1,
                     progress=False, record_path=tmp_path / "r.json")  # fmt: skip
    assert ToyRecord.load(tmp_path / "r.json") == rec
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["accuracy"]["std"] == 0.0
    bad = {**data, "runs": [{**data["runs"][0], "metrics": {"acuracy": 0.5, "history": []}}]}
    with pytest.raises(RecordError, match="unknown field.*acuracy"):
        ToyRecord.from_dict(bad)
    with pytest.raises(RecordError, match="schema"):
        ToyRecord.from_dict({**data, "schema": "mlcore-run/1"})
    with pytest.raises(ValueError, match="ToyParams.epochs must be an integer in \\[1, 50\\]"):
        ToyRecord.from_dict({**data, "params": {"epochs": 0}})


def test_runner_refuses_bad_run_options():
    with pytest.raises(ValueError, match="seeds"):
        run_result("toy_digits", seeds=(1, 1))
    with pytest.raises(ValueError, match="threads"):
        run_result("toy_digits", seeds=(1,), threads=0)
    with pytest.raises(ValueError, match="unknown parameter.*epoch"):
        run_result("toy_digits", {"epoch": 3})


def test_user_runs_never_go_into_the_package(tmp_path):
    import mlcore

    path = user_runs_dir("bsq", tmp_path)
    assert path == tmp_path / "results" / "mlcore" / "bsq"
    assert not str(user_runs_dir("bsq").resolve()).startswith(str(mlcore.__path__[0]))


def test_runner_leaves_the_callers_global_generators_alone():
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    torch.manual_seed(11)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    torch.manual_seed(11)
    run_result("toy_digits", {"epochs": 1}, seeds=(0,), device="cpu", progress=False)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected  # noqa: NPY002
