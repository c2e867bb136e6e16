"""The registered dynamic-topology reproduction: a tiny run end to end (record, summary,
figures, resumption)."""

from __future__ import annotations

import pytest

from mlcore.experiments.dynamic import DynamicRecord
from mlcore.experiments.dynamic.records import SELECTIONS
from mlcore.experiments.dynamic.report import summary
from mlcore.runner import run_result

TINY = dict(
    datasets=("digits",),
    widths=(4, 8, 8, 8),
    epochs=2,
    truth_images=100,
    selector_epochs=1,
    examples=3,
)


@pytest.mark.slow
def test_tiny_reproduction_record_summary_figures_and_resume(tmp_path):
    kw = dict(seeds=[0], threads=1, out_dir=tmp_path, progress=False)
    rec = run_result("dynamic", TINY, **kw)
    assert isinstance(rec, DynamicRecord)
    d = rec.metrics[0].dataset("digits")
    assert d.configurations_by_layers == (4, 16, 64, 256)
    n_test = 359  # the stratified 20 % of scikit-learn's 1797 digits
    assert sum(d.oracle_configuration_counts) == n_test  # every test image once
    assert [s.name for s in d.selections] == list(SELECTIONS)
    for s in d.selections:
        assert 0 <= s.accuracy <= 1 and 0 <= s.oracle_agreement <= 1
        assert all(sum(layer) == n_test for layer in s.option_counts)
    oracle, worst = d.selection("oracle"), d.selection("worst")
    assert worst.accuracy <= d.default_accuracy <= oracle.accuracy
    assert 0 < d.selection("learned").macs_per_image < oracle.macs_per_image
    assert oracle.macs_per_image < d.oracle_loop_macs_per_image
    assert all(e.static_prediction != e.label == e.oracle_prediction for e in d.examples)
    assert "oracle with 1..4 dynamic layers" in summary(rec)
    for name in ("accuracy", "options", "examples"):
        assert (tmp_path / f"dynamic_{name}.png").stat().st_size > 5_000
    again = run_result("dynamic", TINY, **kw)
    assert "digits-metrics" in again.runs[0].resumed_steps
    assert again.metrics[0] == rec.metrics[0]
