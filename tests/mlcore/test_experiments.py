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


@pytest.mark.slow
def test_killed_bsq_run_resumes_with_identical_numbers(tmp_path):
    """Finished steps survive a kill: a second run with the same parameters reuses them
    (here every step but one alpha, whose checkpoint we delete as if the run died in it) and
    reports exactly the numbers of the uninterrupted run."""
    from mlcore.experiments import run_bsq

    tiny = dict(
        n_samples=400,
        pretrain_epochs=2,
        alphas=(0.0, 1.0),
        uniform_bits=(2,),
        epochs=2,
        requant_interval=1,
        finetune_epochs=1,
        seed=5,
        out_dir=tmp_path,
        progress=False,
    )
    first = run_bsq(**tiny)
    assert first["resumed_steps"] == []
    (step,) = tmp_path.glob("checkpoints/bsq-*/bsq_alpha_1.json")
    step.unlink()
    second = run_bsq(**tiny)
    assert sorted(second.pop("resumed_steps")) == [
        "bsq_alpha_0",
        "pretrained_lenet5",
        "uniform_2bits",
    ]
    first.pop("resumed_steps")
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)
    # other parameters never reuse these steps
    assert run_bsq(**{**tiny, "seed": 6})["resumed_steps"] == []


@pytest.mark.slow
def test_killed_boundary_run_resumes_with_identical_numbers(tmp_path):
    tiny = dict(
        n_samples=300,
        pretrain_epochs=1,
        retrain_rounds=1,
        epochs_per_round=1,
        adversarial_epochs=1,
        pgd_iter=2,
        n_test_attack=30,
        out_dir=tmp_path,
        progress=False,
    )
    first = run_boundary(**tiny)
    assert first.pop("resumed_steps") == []
    # as if the run died while retraining at the boundary: that step and all after it are gone
    folder = next(tmp_path.glob("checkpoints/boundary-*"))
    for name in ("boundary_retraining.pt", "scores_boundary_retraining.json"):
        (folder / name).unlink()
    for later in folder.glob("*mapped*"):
        later.unlink()
    for later in folder.glob("*adversarial*"):
        later.unlink()
    second = run_boundary(**tiny)
    resumed = second.pop("resumed_steps")
    assert "clean_retraining" in resumed and "boundary_retraining" not in resumed
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)
