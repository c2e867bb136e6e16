"""The registered result ``coded_aggregation`` end to end (a tiny configuration), its parameter
errors, and the committed reference record the validation checks read."""

import math

import numpy as np
import pytest

from mlcore.records import reference_runs_dir
from mlcore.registry import get, load_record
from mlcore.runner import run_result

TINY = dict(
    n_users=13,
    n_submodels=13,
    column_weight=4,  # PG(2, 3): 13 points, 13 lines, 4 points per line
    ks_prime=5,
    n_attackers=1,
    n_samples=600,
    epochs=2,
    hidden=16,
    fedavg_rounds=1,
    anneal_iterations=10,
    k_max=3,
)


@pytest.fixture(scope="module")
def tiny_record(tmp_path_factory):
    out = tmp_path_factory.mktemp("coded")
    return run_result(
        "coded_aggregation",
        TINY,
        seeds=(0, 1),
        device="cpu",
        threads=1,
        out_dir=out,
        record_path=out / "coded_aggregation.json",
        progress=False,
    )


@pytest.mark.slow
def test_tiny_pipeline_reports_every_code_consistently(tiny_record):
    m = tiny_record.metrics[0]
    names = [c.code for c in m.codes]
    assert names == [
        "partition",
        "random_selection",
        "cyclic",
        "projective_plane",
        "annealed",
        "kautz_singleton",
    ]
    for c in m.codes:
        acc = np.array(c.certified_accuracy)
        assert acc[0] == pytest.approx(c.clean_accuracy)
        assert (np.diff(acc) <= 0).all()  # certified against more users: never more points
        best = np.maximum(c.certified_accuracy_greedy, c.certified_accuracy_reach)
        assert (acc >= best - 1e-12).all()
        assert c.reach[0] == 0 and all(np.diff(c.reach) >= 0)
    assert m.code("partition").utilization == pytest.approx(1 / 13)
    assert m.code("projective_plane").reach[2] == 7  # 2 (q + 1) - 1
    assert m.anneal_objective <= m.anneal_start_objective
    loc = m.localization
    assert len(loc.attackers) == 1 and loc.design_k >= 1 and loc.disjunct_verified
    assert loc.true_positives + loc.false_negatives == 1
    assert loc.false_positives == len(set(loc.identified) - set(loc.attackers))
    assert 0 <= m.fedavg.attack_success_rate <= 1
    assert sum(m.users_per_class) == 13 * 2  # shard split: two classes per user
    assert "projective_plane" in get("coded_aggregation").summary(tiny_record)
    assert {"train_projective_plane", "attackers", "poison", "fedavg"} <= set(
        tiny_record.runs[0].derived_seeds
    )


@pytest.mark.slow
def test_tiny_pipeline_is_reproducible(tiny_record):
    again = run_result(
        "coded_aggregation", TINY, seeds=(1,), device="cpu", threads=1, progress=False
    )
    assert again.metrics[0] == tiny_record.metrics[1]
    assert again.metrics[0] != tiny_record.metrics[0]  # another seed: other users, attackers


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(n_attackers=14), "n_attackers must be <= n_users = 13"),
        (dict(column_weight=20), "column_weight <= n_submodels"),
        (dict(ks_prime=6), "ks_prime must be a prime"),
    ],
)
def test_bad_parameters_name_the_field(change, match):
    with pytest.raises(ValueError, match=match):
        run_result(
            "coded_aggregation", {**TINY, **change}, seeds=(0,), device="cpu", progress=False
        )


def test_reference_record_is_typed_and_complete():
    runs = reference_runs_dir()
    path = None if runs is None else runs / "coded_aggregation.json"
    if path is None or not path.is_file():
        pytest.skip("no committed coded_aggregation record next to mlcore")
    rec = load_record(path, "coded_aggregation")
    assert len(rec.seeds) >= 3 and rec.command.startswith("python -m mlcore coded_aggregation")
    assert rec.torch_threads == 1 and rec.versions["torch"].startswith("2.13")
    assert all(math.isfinite(s.mean) for s in rec.spread().values())
    for m in rec.metrics:
        assert [c.code for c in m.codes][:3] == ["partition", "random_selection", "cyclic"]


@pytest.mark.slow
def test_validation_checks_read_the_typed_record(tiny_record, tmp_path, monkeypatch):
    """Every poisoning check computes from a record read through its class (the tiny
    two-seed record stands in for the committed one)."""
    import validation.references.poisoning  # noqa: F401  (registers its checks)
    from validation.registry import registered_checks

    tiny_record.save(tmp_path / "coded_aggregation.json")
    monkeypatch.setattr("mlcore.records.reference_runs_dir", lambda: tmp_path)
    checks = [c for c in registered_checks() if c.group == "poisoning"]
    assert len(checks) == 4
    for item in checks:
        outcome = item.compute()
        assert math.isfinite(outcome.measured) and outcome.measured >= 0
        assert "seeds [0, 1]" in outcome.note
