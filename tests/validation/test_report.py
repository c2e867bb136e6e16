"""The validation report: the fast checks pass, every reference states its source, and the
report's exit status, table and JSON follow the checks' outcomes."""

import json

import numpy as np
import pytest

from validation import registry, report
from validation.registry import OBTAINED, Outcome, Plot, Reference


def test_every_registered_reference_states_its_source():
    checks = registry.discover()
    for c in checks:
        ref = c.reference
        assert ref.paper and ref.citation and ref.location, c.key
        assert ref.obtained in OBTAINED, c.key
        assert c.metric.strip(), c.key


def test_fast_report_builds_and_passes(tmp_path):
    out = tmp_path / "report"
    code = report.main(["--fast", "--out", str(out), "--no-progress"])
    data = json.loads((out / "report.json").read_text())
    failed = [
        (r["group"], r["check"], r["measured"], r["error"][:300])
        for r in data["checks"]
        if not r["passed"]
    ]
    assert code == 0, failed
    assert (out / "index.html").is_file()
    for row in data["checks"]:
        assert row["fast"]
        assert row["source"] and row["location"] and row["obtained"] in OBTAINED, row
        for key in ("paper", "reference", "metric", "measured", "tolerance", "passed"):
            assert key in row
        if row["plot"]:
            assert (out / row["plot"]).stat().st_size > 1000


_REF = Reference(
    paper="harness-test",
    name="pi",
    citation="Archimedes, Measurement of a Circle",
    location="Proposition 3",
    obtained="claim in the text",
)


@pytest.fixture
def two_checks(monkeypatch):
    """The registry holding one passing and one failing check (harness test, no physics)."""
    monkeypatch.setattr(registry, "_CHECKS", {})
    monkeypatch.setattr(registry, "discover", lambda package=None: registry.registered_checks())
    monkeypatch.setattr(report, "discover", registry.discover)

    @registry.check(_REF, metric="|pi - 22/7|", tolerance=2e-3)
    def upper_bound():
        x = np.linspace(0, 1, 5)
        return Outcome(abs(np.pi - 22 / 7), plot=Plot(x, x * np.pi, x * 22 / 7))

    @registry.check(_REF, metric="|pi - 3|", tolerance=1e-3, fast=False)
    def too_crude():
        return Outcome(abs(np.pi - 3), plot=Plot([0, 1], [0, np.pi], [3.0], x_reference=[1.0]))

    @registry.check(_REF, metric="raises", tolerance=1.0, fast=False)
    def broken():
        raise RuntimeError("solver diverged")

    @registry.check(_REF, metric="|pi - 3|", tolerance=1e-3, discrepancy="pi is not 3")
    def documented():
        return Outcome(abs(np.pi - 3))


def test_report_exit_status_table_and_json_follow_the_checks(two_checks, tmp_path, capsys):
    assert report.main(["--fast", "--out", str(tmp_path / "fast"), "--no-progress"]) == 0
    assert report.main(["--out", str(tmp_path / "all"), "--no-progress"]) == 1
    printed = capsys.readouterr().out
    assert "FAIL test_report/too_crude" in printed and "ERROR test_report/broken" in printed
    assert "solver diverged" in printed and "DISAGREES test_report/documented" in printed
    rows = {
        r["check"]: r for r in json.loads((tmp_path / "all" / "report.json").read_text())["checks"]
    }
    assert rows["upper_bound"]["passed"] and not rows["too_crude"]["passed"]
    assert rows["too_crude"]["measured"] == pytest.approx(np.pi - 3)
    assert rows["broken"]["measured"] is None and "solver diverged" in rows["broken"]["error"]
    # a documented discrepancy is reported, not hidden, and does not fail the run
    assert rows["documented"]["status"] == "DISAGREES" and rows["documented"]["ok"]
    assert not rows["documented"]["passed"]
    assert rows["upper_bound"]["source"] == (
        "Archimedes, Measurement of a Circle, Proposition 3 (claim in the text)"
    )
    page = (tmp_path / "all" / "index.html").read_text()
    assert page.count("<tr class=") == 4 and "1 of 4 checks pass; 1 documented" in page
    for name in ("upper_bound", "too_crude"):
        assert (tmp_path / "all" / rows[name]["plot"]).is_file()


def test_report_selects_by_paper(two_checks, tmp_path):
    assert report.main(["--paper", "no-such-paper", "--out", str(tmp_path)]) == 2
    assert report.main(["--paper", "harness-test", "--fast", "--out", str(tmp_path)]) == 0


def test_documented_discrepancy_that_passes_fails_the_run(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(registry, "_CHECKS", {})
    monkeypatch.setattr(report, "discover", lambda: registry.registered_checks())

    @registry.check(_REF, metric="|pi - 22/7|", tolerance=2e-3, discrepancy="thought too far")
    def now_agrees():
        return Outcome(abs(np.pi - 22 / 7))

    assert report.main(["--out", str(tmp_path), "--no-progress"]) == 1
    assert "AGREES NOW test_report/now_agrees" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["under_a_file", "read_only"])
def test_unwritable_out_is_refused_before_any_check_runs(
    two_checks, monkeypatch, tmp_path, capsys, where
):
    import os

    if where == "under_a_file":  # refused even for root: a file cannot hold a folder
        (tmp_path / "file").write_text("not a folder")
        out = tmp_path / "file" / "report"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        out = tmp_path / "locked"
        out.mkdir()
        out.chmod(0o500)

    def must_not_run(*args, **kwargs):
        raise AssertionError("checks ran although the report could not be written")

    monkeypatch.setattr(report, "run_checks", must_not_run)
    assert report.main(["--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: cannot write the report there" in err, err
