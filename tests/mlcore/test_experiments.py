"""The registered results end to end (tiny configurations), the command line generated from
their parameters, and the committed reference records that the validation checks read."""

import json
import math
import re

import numpy as np
import pytest

from mlcore.__main__ import main
from mlcore.params import parameter_specs
from mlcore.records import RecordError, reference_runs_dir
from mlcore.registry import get, load_record, results
from mlcore.runner import run_result

TINY_BSQ = dict(
    n_samples=400,
    pretrain_epochs=3,
    alphas=(0.0, 50.0),
    uniform_bits=(2,),
    epochs=2,
    requant_interval=1,
    finetune_epochs=1,
)
TINY_BOUNDARY = dict(
    n_samples=300,
    pretrain_epochs=1,
    retrain_rounds=1,
    epochs_per_round=1,
    adversarial_epochs=1,
    pgd_iter=2,
    n_test_attack=30,
    n_test_sweep=20,
    sweep_eps=(0.1, 0.3),
)


@pytest.fixture(scope="module")
def tiny_records(tmp_path_factory):
    """One tiny two-seed record of each result (run once for this module)."""
    out = tmp_path_factory.mktemp("tiny")
    return {
        "bsq": run_result(
            "bsq",
            TINY_BSQ,
            seeds=(0, 1),
            device="cpu",
            threads=1,
            out_dir=out / "bsq",
            record_path=out / "bsq.json",
            progress=False,
        ),
        "boundary": run_result(
            "boundary",
            TINY_BOUNDARY,
            seeds=(0, 1),
            device="cpu",
            threads=1,
            out_dir=out / "boundary",
            record_path=out / "boundary.json",
            progress=False,
        ),
        "dir": out,
    }


def test_list_names_every_registered_result(capsys):
    main(["list"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [r.name for r in results()]
    assert {"bsq", "boundary"} <= {r.name for r in results()}


@pytest.mark.parametrize("name", ["bsq", "boundary"])
def test_help_shows_every_parameter_with_unit_and_range(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for spec in parameter_specs(get(name).params):
        assert "--" + spec.name.replace("_", "-") in text
        assert " ".join(spec.describe().split()) in text  # range and unit
    for option in ("--seeds", "--device", "--threads", "--out", "--record"):
        assert option in text


@pytest.mark.parametrize(
    "argv, named",
    [
        (["bsq", "--n-epochs", "3"], "--n-epochs"),
        (["bsq", "--alphas", "-0.1"], "alphas"),
        (["bsq", "--bits", "9"], "bits"),
        (["boundary", "--eps", "1.5"], "eps"),
        (["boundary", "--bits", "two"], "--bits"),
        (["bsq", "--seeds", "1", "1"], "--seeds"),
        (["bsq", "--device", "tpu"], "device"),
        (["nonsense"], "nonsense"),
    ],
)
def test_bad_command_line_exits_2_naming_the_parameter(argv, named, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--out", str(tmp_path)] if argv[0] != "nonsense" else argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert named in err
    if named in ("alphas", "bits", "eps"):  # the allowed range is in the message
        assert re.search(r"in [\[(]", err)


def test_cli_run_writes_record_figure_and_summary(tmp_path, capsys):
    main([
        "bsq", "--n-samples", "200", "--pretrain-epochs", "1", "--alphas", "0.1",
        "--uniform-bits", "2", "--epochs", "1", "--finetune-epochs", "0", "--seeds", "4",
        "--device", "cpu", "--threads", "1", "--quiet", "--out", str(tmp_path),
    ])  # fmt: skip
    rec = load_record(tmp_path / "record.json", "bsq")
    assert rec.seeds == (4,) and rec.params.alphas == (0.1,) and rec.device == "cpu"
    assert rec.torch_threads == 1 and rec.command.startswith("python -m mlcore bsq")
    assert (tmp_path / "bsq_accuracy_vs_bits.png").stat().st_size > 10_000
    assert "BSQ alpha=0.1" in capsys.readouterr().out


@pytest.mark.slow
def test_multi_seed_record_holds_each_seed_and_its_spread(tiny_records):
    rec = tiny_records["bsq"]
    assert rec.seeds == (0, 1) and rec.params.alphas == (0.0, 50.0)
    fp = [m.accuracy_full_precision for m in rec.metrics]
    assert fp[0] != fp[1]  # seeds differ: split, init and training all change
    spread = rec.spread()["accuracy_full_precision"]
    assert spread.mean == pytest.approx(np.mean(fp)) and spread.std == pytest.approx(
        np.std(fp, ddof=1)
    )
    assert set(rec.runs[0].stage_times_s) == {"prepare_data", "pretrain", "bsq", "uniform"}
    assert {"split", "init", "pretrain", "bsq", "qat"} <= set(rec.runs[0].derived_seeds)
    on_disk = json.loads((tiny_records["dir"] / "bsq.json").read_text())
    assert on_disk["summary"]["bsq.alpha_50.average_bits"]["mean"] == pytest.approx(
        rec.stat(lambda m: m.bsq[1].average_bits).mean
    )


@pytest.mark.slow
def test_collapsed_runs_are_flagged_and_kept(tiny_records):
    """alpha = 50 prunes every bit plane: the network falls to chance. The point stays in the
    record and in the mean, flagged, and the summary says so."""
    rec = tiny_records["bsq"]
    strong = [m.bsq[1] for m in rec.metrics]
    assert all(p.collapsed and p.accuracy <= 0.2 for p in strong)
    assert not any(m.bsq[0].collapsed for m in rec.metrics)
    assert rec.stat(lambda m: m.bsq[1].accuracy).mean == pytest.approx(
        np.mean([p.accuracy for p in strong])
    )
    assert "2 of 2 seeds collapsed" in get("bsq").summary(rec)


@pytest.mark.slow
def test_boundary_criteria_telescope(tiny_records):
    rec = tiny_records["boundary"]
    for m in rec.metrics:
        fp = m.full_precision.clean
        for name in ("plain_quantization", "boundary_retraining", "boundary_retraining_mapping"):
            row = getattr(m.methods, name)
            assert row.total_loss_pgd == pytest.approx(fp - row.scores.pgd)
            assert row.quantization_loss == pytest.approx(fp - row.scores.clean)
        assert m.methods.boundary_retraining_mapping.scores.pgd_bpda is not None
        assert m.methods.plain_quantization.scores.pgd_bpda is None
        assert m.eps_sweep.eps == (0.1, 0.3) and len(m.eps_sweep.with_mapping_bpda) == 2
    assert (tiny_records["dir"] / "boundary" / "boundary_losses.png").is_file()


@pytest.mark.slow
def test_same_seed_device_threads_give_identical_records(tiny_records, tmp_path):
    again = run_result("bsq", TINY_BSQ, seeds=(0, 1), device="cpu", threads=1, progress=False)
    first = tiny_records["bsq"]
    assert again.metrics == first.metrics
    assert [r.derived_seeds for r in again.runs] == [r.derived_seeds for r in first.runs]
    timing = ("wall_time_s", "created_utc", "command", "runs", "summary")
    strip = lambda d: {k: v for k, v in d.items() if k not in timing}  # noqa: E731
    assert strip(again.to_dict()) == strip(first.to_dict())


@pytest.mark.slow
def test_demo_iterates_the_registry(tiny_records, tmp_path, capsys):
    from mlcore.demo import demo

    figures = demo(tmp_path / "demo", runs_dir=tiny_records["dir"])
    names = {f.name for f in figures}
    assert {"boundary_losses.png", "bsq_accuracy_vs_bits.png"} <= names
    out = capsys.readouterr().out
    for result in results():  # every registered one (tests may register toy results too)
        assert f"\n{result.name} (" in "\n" + out
    for name in ("bsq", "boundary"):
        assert f"{name} (record {tiny_records['dir'] / name}.json, seeds [0, 1])" in out


@pytest.mark.slow
def test_killed_run_resumes_with_identical_numbers(tmp_path):
    """Finished steps survive a kill: a second run with the same parameters reuses them (here
    every step but one alpha, whose checkpoint we delete as if the run died in it) and reports
    exactly the numbers of the uninterrupted run; other seeds never reuse them."""
    tiny = dict(TINY_BSQ, n_samples=300, pretrain_epochs=1, alphas=(0.0, 1.0))
    kw = dict(seeds=(5,), device="cpu", threads=1, out_dir=tmp_path, progress=False, plot=False)
    first = run_result("bsq", tiny, **kw)
    assert first.runs[0].resumed_steps == ()
    (step,) = tmp_path.glob("checkpoints/bsq-*/bsq_alpha_1.json")
    step.unlink()
    second = run_result("bsq", tiny, **kw)
    assert sorted(second.runs[0].resumed_steps) == [
        "bsq_alpha_0", "pretrained_lenet5", "uniform_2bits",
    ]  # fmt: skip
    assert second.metrics == first.metrics
    assert run_result("bsq", tiny, **{**kw, "seeds": (6,)}).runs[0].resumed_steps == ()


@pytest.mark.parametrize("name", ["bsq", "boundary"])
def test_reference_records_are_typed_and_complete(name):
    """The committed records: >= 3 seeds, read through the record class, with provenance."""
    runs = reference_runs_dir()
    if runs is None:
        pytest.skip("no source checkout (validation/runs) next to mlcore")
    rec = load_record(runs / f"{name}.json", name)
    assert len(rec.seeds) >= 3 and len(set(rec.seeds)) == len(rec.seeds)
    assert rec.command.startswith(f"python -m mlcore {name}")
    assert rec.versions["torch"].startswith("2.13") and rec.torch_threads >= 1
    assert rec.device in ("cpu", "cuda", "cuda:0") and rec.git_describe and rec.wall_time_s > 0
    assert all(r.derived_seeds and r.wall_time_s > 0 for r in rec.runs)
    assert all(math.isfinite(s.mean) for s in rec.spread().values())


def test_record_of_another_result_or_schema_is_refused(tmp_path):
    runs = reference_runs_dir()
    if runs is None:
        pytest.skip("no source checkout")
    data = json.loads((runs / "bsq.json").read_text())
    with pytest.raises(RecordError, match="expected 'boundary'"):
        load_record(runs / "bsq.json", "boundary")
    (tmp_path / "old.json").write_text(json.dumps({**data, "schema": "mlcore-run/1"}))
    with pytest.raises(RecordError, match="schema"):
        load_record(tmp_path / "old.json")
    (tmp_path / "alien.json").write_text(json.dumps({**data, "result": "soteria_v0"}))
    with pytest.raises(RecordError, match="unknown result 'soteria_v0'"):
        load_record(tmp_path / "alien.json")


def test_record_class_declaration_is_checked_when_the_class_is_made():
    """The class keywords of a record are what the registered results use; a wrong one fails
    at declaration, naming the class and the keyword."""
    from dataclasses import dataclass

    from mlcore.experiments.bsq import BSQMetrics, BSQParams, BSQRecord
    from mlcore.records import RunRecord

    assert (BSQRecord.result, BSQRecord.params_type, BSQRecord.metrics_type) == (
        "bsq",
        BSQParams,
        BSQMetrics,
    )
    with pytest.raises(TypeError, match="BadRecord: metrics_type must be a Metrics dataclass"):

        @dataclass(frozen=True)
        class BadRecord(RunRecord, result="bad", params_type=BSQParams, metrics_type=dict):
            pass

    with pytest.raises(ValueError, match="Bad2Record: result must be an identifier"):

        @dataclass(frozen=True)
        class Bad2Record(RunRecord, result="not a name", params_type=BSQParams):
            pass

    with pytest.raises(TypeError, match="Bad3Record: params_type must be a Params dataclass"):

        @dataclass(frozen=True)
        class Bad3Record(RunRecord, result="bad3", params_type=int):
            pass


@pytest.mark.slow
def test_validation_checks_read_typed_records(tiny_records, monkeypatch):
    """Every quantization check computes from records read through the record classes (here
    the tiny two-seed records stand in for the committed ones)."""
    import validation.references.quantization  # noqa: F401  (registers its checks)
    from validation.registry import registered_checks

    monkeypatch.setattr("mlcore.records.reference_runs_dir", lambda: tiny_records["dir"])
    checks = [c for c in registered_checks() if c.group == "quantization"]
    assert len(checks) == 8
    for item in checks:
        outcome = item.compute()
        assert math.isfinite(outcome.measured) or outcome.measured == math.inf
        assert "seeds [0, 1]" in outcome.note and "mean ± std" in outcome.note
