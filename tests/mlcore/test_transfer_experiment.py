"""The registered transfer reproduction: a tiny run end to end (record, summary, figure,
resumption) and its parameter errors."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.experiments.transfer import TransferParams, TransferRecord
from mlcore.experiments.transfer.records import TRANSFER_METHODS
from mlcore.experiments.transfer.report import strength_correlation, summary
from mlcore.runner import run_result

TINY = dict(
    environments=("coarse",),
    n_per_class=60,
    epochs=4,
    epsilons=(0.2, 0.3),
    steps=3,
    attack_images=10,
    feature_epochs=1,
    query_budget=12,
    query_images=3,
)


@pytest.mark.slow
def test_tiny_reproduction_record_summary_figure_and_resume(tmp_path):
    kw = dict(seeds=[0], threads=1, out_dir=tmp_path, progress=False)
    rec = run_result("transfer", TINY, **kw)
    assert isinstance(rec, TransferRecord)
    env = rec.metrics[0].environment("coarse")
    counts = np.array(env.correspondence)
    assert counts.shape == (5, 2) and (counts.sum(1) == counts.sum(1)[0]).all()
    assert {(p.method, p.epsilon) for p in env.transfer} == {
        (m, e) for m in TRANSFER_METHODS for e in (0.2, 0.3)
    }
    assert all(0 <= p.success <= 1 for p in env.transfer)
    assert len(env.targets) == 2 and all(len(t.success_by_rank) == 2 for t in env.targets)
    assert all(0 <= p.base_rate < 0.5 for p in env.transfer)
    for q in env.queries:
        assert 1 <= q.median_queries <= 12 and q.mean_queries <= 12
    assert "Spearman" in summary(rec)
    assert np.isnan(strength_correlation(rec, "coarse")[0])  # 2 pairs: too few to rank
    assert (tmp_path / "transfer.png").stat().st_size > 10_000
    again = run_result("transfer", TINY, **kw)
    assert "coarse-metrics" in again.runs[0].resumed_steps
    assert again.metrics[0] == rec.metrics[0]


def test_bad_parameters_name_themselves():
    with pytest.raises(ValueError, match="TransferParams.environments"):
        TransferParams(environments=("cifar",))
    with pytest.raises(ValueError, match="TransferParams.epsilons"):
        TransferParams(epsilons=(0.0,))
    with pytest.raises(ValueError, match="TransferParams.n_per_class"):
        TransferParams(n_per_class=500)
