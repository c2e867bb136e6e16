"""Figures and headline text of a coded subset aggregation record."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._common import percent, save_figure
from .records import CODE_LABELS, CodedAggregationRecord

__all__ = ["plot", "summary"]


def _names(rec: CodedAggregationRecord) -> list[str]:
    return [c.code for c in rec.metrics[0].codes]


def _certified_panel(ax, rec: CodedAggregationRecord) -> None:
    ks = np.arange(rec.params.k_max + 1)
    for i, name in enumerate(_names(rec)):
        acc = np.array([m.code(name).certified_accuracy for m in rec.metrics]) * 100
        ax.errorbar(
            ks + 0.04 * (i - 2),
            acc.mean(0),
            yerr=acc.std(0, ddof=1) if len(acc) > 1 else None,
            fmt="o-",
            ms=3,
            capsize=2,
            label=CODE_LABELS.get(name, name),
        )
    ax.axvline(rec.params.n_attackers, color="k", lw=0.6, ls=":")
    ax.set_xlabel("k (malicious users certified against)")
    ax.set_ylabel("certified accuracy (%)")
    ax.legend(fontsize=6)


def _attack_panel(ax, rec: CodedAggregationRecord) -> None:
    """Backdoor success of every vote and of FedAvg (bars), and the share of clean non-target
    images predicted ``target`` anyway (black ticks: what is not the trigger's doing)."""
    names = _names(rec)

    def rates(field: str) -> np.ndarray:
        rows = [
            [getattr(m.code(n), field) for n in names] + [getattr(m.fedavg, field)]
            for m in rec.metrics
        ]
        return 100 * np.array(rows)

    asr, clean = rates("attack_success_rate"), rates("target_rate_clean")
    labels = [CODE_LABELS.get(n, n).split(" (")[0] for n in names] + ["FedAvg"]
    x = np.arange(len(labels))
    err = asr.std(0, ddof=1) if len(asr) > 1 else None
    ax.bar(
        x,
        asr.mean(0),
        yerr=err,
        capsize=2,
        color=["C0"] * len(names) + ["C3"],
        label="triggered test images",
    )
    ax.plot(x, clean.mean(0), "k_", ms=18, mew=2, label="same images without trigger")
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel(f"predicted target (%), {rec.params.n_attackers} attackers")
    ax.legend(fontsize=7)


def plot(rec: CodedAggregationRecord, out: str | Path) -> list[Path]:
    """Certified accuracy against k for every code, and the backdoor success rate of every vote
    against plain FedAvg; mean ± std over seeds."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    _certified_panel(axes[0], rec)
    _attack_panel(axes[1], rec)
    p = rec.params
    fig.suptitle(
        f"coded subset aggregation, MNIST subset, {p.n_users} users ({p.split}), "
        f"{p.n_submodels} sub-models, seeds {list(rec.seeds)}",
        fontsize=9,
    )
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "coded_aggregation.png")]


def summary(rec: CodedAggregationRecord) -> str:
    """Headline numbers, mean ± std over seeds."""
    k = min(rec.params.n_attackers, rec.params.k_max)
    lines = [f"certified accuracy at k = {k}, clean accuracy, backdoor success (mean ± std):"]
    for name in _names(rec):
        first = rec.metrics[0].code(name)
        cert = rec.stat(lambda m, n=name: m.code(n).certified_accuracy[k])
        clean = rec.stat(lambda m, n=name: m.code(n).clean_accuracy)
        asr = rec.stat(lambda m, n=name: m.code(n).attack_success_rate)
        lines.append(
            f"  {name:17s} M={first.n_submodels:3d} rho={first.utilization:.3f} "
            f"certified {percent(cert)}  clean {percent(clean)}  backdoor {percent(asr)}"
        )
    fed = rec.stat(lambda m: m.fedavg.attack_success_rate)
    lines.append(
        f"  plain FedAvg: clean {percent(rec.stat(lambda m: m.fedavg.clean_accuracy))}"
        f"  backdoor {percent(fed)}"
    )
    for s, m in zip(rec.seeds, rec.metrics):
        loc = m.localization
        lines.append(
            f"  seed {s}: attackers {list(loc.attackers)} identified {list(loc.identified)} "
            f"(design k {loc.design_k}, false positives {loc.false_positives})"
        )
    return "\n".join(lines)
