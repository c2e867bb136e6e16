"""The registered GraphFL reproduction: a tiny run end to end (record, selection, summary,
figure, resumption), and the selection rule."""

from __future__ import annotations

import pytest

from mlcore.experiments.graphfl import GraphFLParams, GraphFLRecord, MethodRun
from mlcore.experiments.graphfl.pipeline import select_lr
from mlcore.experiments.graphfl.report import summary, table_rows
from mlcore.runner import run_result

TINY = dict(
    datasets=("cora",),
    settings=("metis",),
    subgraph_clients=4,
    clients_per_round=2,
    rounds=2,
    lr_grid=(0.01, 0.5),
    local_steps=3,
    local_only_steps=2,
    inner_steps=2,
    finetune_steps=2,
    selftrain_steps=3,
    pseudo_per_class=2,
    variants=("selftrain", "sgd_server"),
    test_tasks=3,
    meta_rounds=1,
    tasks_per_round=2,
    newdomain_inner_steps=1,
    finetune_test_steps=2,
)


def _run(i, lr, best_val):
    return MethodRun(
        "cora", "metis", "fedavg", "grid", lr, 0.5, best_val, 0.6, 0.5, i, 0.1, 0, None
    )


def test_step_size_selection_reads_validation_only_and_prefers_the_smaller_step():
    runs = [_run(0, 0.01, 0.30), _run(1, 0.1, 0.80), _run(2, 0.5, 0.80)]
    assert select_lr(runs) == 0.1
    assert select_lr([_run(0, 0.5, 0.9), _run(1, 0.01, 0.2)]) == 0.5


@pytest.mark.slow
def test_tiny_reproduction_record_table_figure_and_resume(tmp_path):
    kw = dict(seeds=[0], threads=1, out_dir=tmp_path, progress=False)
    rec = run_result("graphfl", TINY, **kw)
    assert isinstance(rec, GraphFLRecord)
    m = rec.metrics[0]
    assert len(m.runs) == 3 * 2 + 3 + 1  # grid, self-training per method, SGD server step
    for method in ("local", "fedavg", "graphfl"):
        grid = [r for r in m.runs if r.method == method and r.variant == "grid"]
        assert m.selected_lr("cora", "metis", method) == select_lr(grid)
        st = m.run("cora", "metis", method, "selftrain")
        assert st.pseudo_labels > 0 and 0 <= st.pseudo_precision <= 1
        assert st.lr == m.selected_lr("cora", "metis", method)
    for r in m.runs:
        assert 0 <= r.test_at_best_val <= r.max_test <= 1
    assert {s.method for s in m.newdomain} == {
        "graphfl_maml",
        "fedavg_finetune",
        "random_finetune",
        "prototypical",
    }
    info = m.settings[0]
    assert info.n_clients == 4 and info.edges_dropped > 0
    text = summary(rec)
    assert "GraphFL + self-training" in text and "FedAvg at step 0.01" in text
    assert len(table_rows(rec)) == 7  # 3 methods, the SGD server step, 3 with self-training
    assert (tmp_path / "graphfl.png").stat().st_size > 10_000
    again = run_result("graphfl", TINY, **kw)  # every step resumes from the checkpoints
    assert set(again.runs[0].resumed_steps) >= {
        f"cora-metis-{r.method}-{r.variant}-lr{r.lr:g}" for r in m.runs
    }
    assert again.metrics[0] == m


def test_bad_parameters_name_themselves():
    with pytest.raises(ValueError, match="GraphFLParams.datasets"):
        GraphFLParams(datasets=("pubmed",))
    with pytest.raises(ValueError, match="GraphFLParams.settings"):
        GraphFLParams(settings=("louvain",))
    with pytest.raises(ValueError, match="lr_grid"):
        GraphFLParams(lr_grid=(0.1, 0.1))
