"""Table, figure and headline text of a GraphFL record: accuracy per method, dataset and client
setting, mean ± std over seeds, selected on validation nodes, with the test-selected number
(the reference code's) beside it; and the new-label-domain comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...records import Spread
from .._common import percent, percent_bars, save_figure
from .records import METHOD_LABELS, GraphFLRecord

__all__ = ["plot", "summary", "table_rows", "ROWS", "NEWDOMAIN_LABELS", "paired_difference"]

#: Table rows: (label, method, variant); "selected" = the grid run at the selected step size.
ROWS = (
    ("local only", "local", "selected"),
    ("FedAvg", "fedavg", "selected"),
    ("GraphFL (1st order)", "graphfl", "selected"),
    ("GraphFL, 2nd order", "graphfl", "second_order"),
    ("GraphFL, SGD server step", "graphfl", "sgd_server"),
    ("local only + self-training", "local", "selftrain"),
    ("FedAvg + self-training", "fedavg", "selftrain"),
    ("GraphFL + self-training", "graphfl", "selftrain"),
)

NEWDOMAIN_LABELS = {
    "graphfl_maml": "GraphFL meta-learning + fine-tuning",
    "fedavg_finetune": "FedAvg + fine-tuning",
    "random_finetune": "random init + fine-tuning",
    "prototypical": "prototypical network (our extension)",
}


def _runs(rec: GraphFLRecord, dataset, setting, method, variant) -> list | None:
    runs = [m.run(dataset, setting, method, variant) for m in rec.metrics]
    return None if any(r is None for r in runs) else runs


def paired_difference(rec: GraphFLRecord, dataset, setting, a: tuple, b: tuple) -> Spread | None:
    """Spread over seeds of ``accuracy(a) - accuracy(b)`` (test at the best validation round),
    each of ``a``, ``b`` a ``(method, variant)`` pair; None when either was not run."""
    ra, rb = _runs(rec, dataset, setting, *a), _runs(rec, dataset, setting, *b)
    if ra is None or rb is None:
        return None
    return Spread.of(x.test_at_best_val - y.test_at_best_val for x, y in zip(ra, rb, strict=True))


def table_rows(rec: GraphFLRecord) -> list[dict]:
    """One row per (dataset, setting, table row): label, selected step sizes, accuracy selected
    on validation and on test (mean ± std over seeds)."""
    out = []
    for dataset in rec.params.datasets:
        for setting in rec.params.settings:
            for label, method, variant in ROWS:
                runs = _runs(rec, dataset, setting, method, variant)
                if runs is None:
                    continue
                out.append(
                    dict(
                        dataset=dataset,
                        setting=setting,
                        label=label,
                        lrs=sorted({r.lr for r in runs}),
                        val_selected=Spread.of(r.test_at_best_val for r in runs),
                        test_selected=Spread.of(r.max_test for r in runs),
                    )
                )
    return out


def _reference_rows(rec: GraphFLRecord) -> list[str]:
    """FedAvg and GraphFL at the reference code's step size (the first of the grid)."""
    lr = rec.params.lr_grid[0]
    lines = []
    for dataset in rec.params.datasets:
        for setting in rec.params.settings:
            for method in ("fedavg", "graphfl"):
                runs = [m.grid_run(dataset, setting, method, lr) for m in rec.metrics]
                acc = Spread.of(r.test_at_best_val for r in runs)
                label = f"{METHOD_LABELS[method]} at step {lr:g}"
                lines.append(f"  {dataset:9s} {setting:10s} {label:38s} {percent(acc)}")
    return lines


def summary(rec: GraphFLRecord) -> str:
    """The table as text: test accuracy selected on validation (and on test, the reference
    code's choice), mean ± std over seeds; then the new-label-domain scores."""
    lines = [
        f"GraphFL reproduction ({rec.params.model.upper()}), seeds {list(rec.seeds)}; "
        "test accuracy at the best validation round [best test over rounds]"
    ]
    for row in table_rows(rec):
        lrs = ",".join(f"{v:g}" for v in row["lrs"])
        lines.append(
            f"  {row['dataset']:9s} {row['setting']:10s} {row['label']:38s} "
            f"{percent(row['val_selected'])}  [{percent(row['test_selected'])}]  step {lrs}"
        )
    lines.append("At the reference code's client step size:")
    lines += _reference_rows(rec)
    if rec.params.newdomain:
        p = rec.params
        lines.append(
            f"New label domains ({p.n_way}-way {p.k_shot}-shot on held-out classes, "
            f"{p.test_tasks} tasks): query accuracy after {p.finetune_test_steps} steps "
            "[at the best step, read from the query labels]"
        )
        for dataset in p.datasets:
            for method, label in NEWDOMAIN_LABELS.items():
                scores = [m.newdomain_score(dataset, method) for m in rec.metrics]
                if any(s is None for s in scores):
                    continue
                final = Spread.of(s.final for s in scores)
                best = Spread.of(s.best_step for s in scores)
                lines.append(f"  {dataset:9s} {label:42s} {percent(final)}  [{percent(best)}]")
    return "\n".join(lines)


def _accuracy_panel(ax, rec: GraphFLRecord, dataset: str) -> None:
    settings = rec.params.settings
    width = 0.8 / len(ROWS)
    for i, (label, method, variant) in enumerate(ROWS):
        spreads = []
        for setting in settings:
            runs = _runs(rec, dataset, setting, method, variant)
            spreads.append(Spread.of(r.test_at_best_val for r in runs) if runs else None)
        if all(s is None for s in spreads):
            continue
        mean, std = percent_bars([s or Spread.of([np.nan]) for s in spreads])
        x = np.arange(len(settings)) + (i - len(ROWS) / 2 + 0.5) * width
        hatch = "//" if variant == "selftrain" else None
        ax.bar(x, mean, width, yerr=std, capsize=2, label=label, hatch=hatch, color=f"C{i % 10}")
    ax.set_xticks(np.arange(len(settings)), settings)
    ax.set_ylabel("test accuracy (%), selected on validation")
    ax.set_title(dataset, fontsize=9)
    ax.set_ylim(0, 100)


def _newdomain_panel(ax, rec: GraphFLRecord) -> None:
    datasets = rec.params.datasets
    width = 0.8 / len(NEWDOMAIN_LABELS)
    for i, (method, label) in enumerate(NEWDOMAIN_LABELS.items()):
        spreads = []
        for dataset in datasets:
            scores = [m.newdomain_score(dataset, method) for m in rec.metrics]
            ok = all(s is not None for s in scores)
            spreads.append(Spread.of(s.final for s in scores) if ok else Spread.of([np.nan]))
        mean, std = percent_bars(spreads)
        x = np.arange(len(datasets)) + (i - len(NEWDOMAIN_LABELS) / 2 + 0.5) * width
        ax.bar(x, mean, width, yerr=std, capsize=2, label=label)
    ax.axhline(100 / rec.params.n_way, color="k", lw=0.6, ls=":", label="chance")
    ax.set_xticks(np.arange(len(datasets)), datasets)
    ax.set_ylabel("query accuracy (%)")
    p = rec.params
    ax.set_title(f"new label domains, {p.n_way}-way {p.k_shot}-shot", fontsize=9)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=6, loc="lower right")


def plot(rec: GraphFLRecord, out: str | Path) -> list[Path]:
    """Accuracy per method and client setting for each dataset, and the new-label-domain
    comparison; bars are means over seeds, error bars their standard deviation."""
    import matplotlib.pyplot as plt

    datasets = rec.params.datasets
    panels = len(datasets) + (1 if rec.params.newdomain else 0)
    fig, axes = plt.subplots(1, panels, figsize=(4.6 * panels, 4.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=False):
        _accuracy_panel(ax, rec, dataset)
    axes[0][0].legend(fontsize=6, loc="lower left")
    if rec.params.newdomain:
        _newdomain_panel(axes[0][-1], rec)
    fig.suptitle(
        f"GraphFL reproduction ({rec.params.model.upper()}), mean ± std over seeds "
        f"{list(rec.seeds)}",
        fontsize=9,
    )
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "graphfl.png")]
