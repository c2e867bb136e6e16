"""The reduced-scale pipelines end to end (tiny versions), the CLI, and the stored run records
that the validation checks read."""

import json
import math

import pytest

from mlcore.__main__ import main
from mlcore.experiments import run_boundary
from mlcore.records import default_runs_dir, read_record


@pytest.mark.slow
def test_tiny_bsq_pipeline_through_cli(tmp_path, capsys):
    record = tmp_path / "bsq.json"
    main(
        [
            "bsq",
            "--n-samples",
            "600",
            "--pretrain-epochs",
            "6",
            "--alphas",
            "0",
            "1.0",
            "--uniform-bits",
            "2",
            "--epochs",
            "6",
            "--requant-interval",
            "3",
            "--finetune-epochs",
            "1",
            "--threads",
            "1",
            "--quiet",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--record",
            str(record),
        ]
    )
    rec = read_record(record, "bsq")
    assert rec["seeds"]["split"] == 3 and rec["params"]["alphas"] == [0.0, 1.0]
    assert "--n-samples" in rec["command"] and rec["versions"]["torch"].startswith("2.13")
    free, strong = rec["numbers"]["bsq"]
    assert strong["average_bits"] < free["average_bits"]
    assert (tmp_path / "bsq_accuracy_vs_bits.png").stat().st_size > 10_000
    assert "BSQ alpha=1 " in capsys.readouterr().out


@pytest.mark.slow
def test_tiny_boundary_pipeline(tmp_path):
    numbers = run_boundary(
        n_samples=500,
        pretrain_epochs=4,
        retrain_rounds=1,
        epochs_per_round=1,
        adversarial_epochs=1,
        pgd_iter=3,
        n_test_attack=60,
        out_dir=tmp_path,
        record=tmp_path / "b.json",
        progress=False,
    )
    rows = numbers["methods"]
    assert set(rows["boundary retraining + nonlinear mapping"]["scores"]) == {
        "clean",
        "fgsm",
        "pgd",
        "transfer",
        "pgd_bpda",
    }
    for row in rows.values():  # the sum telescopes to acc(fp, clean) - acc(q, attacked)
        fp = numbers["full_precision"]["scores"]["clean"]
        assert row["total_loss_pgd"] == pytest.approx(fp - row["scores"]["pgd"])
    assert read_record(tmp_path / "b.json")["result"] == "boundary"
    assert (tmp_path / "boundary_losses.png").is_file()


def test_bad_experiment_parameters():
    with pytest.raises(ValueError, match="unknown parameters"):
        run_boundary(n_epochs=3)


@pytest.mark.parametrize("result", ["bsq", "boundary"])
def test_stored_run_records_are_complete(result):
    path = default_runs_dir() / f"{result}.json"
    if not path.is_file():
        pytest.skip(f"{path} not produced yet")
    rec = read_record(path, result)
    assert rec["command"].startswith("python -m mlcore " + result)
    assert rec["seeds"] and rec["versions"]["torch"] and rec["wall_time_s"] > 0
    json.dumps(rec)


def test_validation_checks_read_the_records():
    import validation.references.quantization  # noqa: F401  (registers its checks)
    from validation.registry import registered_checks

    checks = [c for c in registered_checks() if c.group == "quantization"]
    assert len(checks) == 8
    for item in checks:
        if not (default_runs_dir() / "bsq.json").is_file():
            pytest.skip("run records not produced yet")
        try:
            outcome = item.compute()
        except FileNotFoundError:
            continue  # the boundary record may be absent while it is being produced
        assert math.isfinite(outcome.measured) or outcome.measured == math.inf
        assert "seeds" in outcome.note
