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
    names = _names(rec)
    asr = (
        np.array(
            [
                [m.code(n).attack_success_rate for n in names] + [m.fedavg.attack_success_rate]
                for m in rec.metrics
            ]
        )
        * 100
    )
    labels = [CODE_LABELS.get(n, n).split(" (")[0] for n in names] + ["FedAvg"]
    err = asr.std(0, ddof=1) if len(asr) > 1 else None
    ax.bar(
        np.arange(len(labels)), asr.mean(0), yerr=err, capsize=2, color=["C0"] * len(names) + ["C3"]
    )
    ax.set_xticks(np.arange(len(labels)), labels, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel(f"backdoor success rate (%), {rec.params.n_attackers} attackers")


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
