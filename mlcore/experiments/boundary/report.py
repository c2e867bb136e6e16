"""Figure and text summary of a boundary-retraining record (mean ± std over seeds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._common import percent_bars, save_figure
from .records import METHOD_LABELS, BoundaryRecord

__all__ = ["plot", "summary"]


def _method_stat(rec, name: str, attr: str):
    return rec.stat(lambda m: getattr(getattr(m.methods, name), attr))


def _losses_panel(ax, rec: BoundaryRecord) -> None:
    names = list(METHOD_LABELS)
    x = np.arange(len(names))
    ql, ql_std = percent_bars([_method_stat(rec, n, "quantization_loss") for n in names])
    al, al_std = percent_bars([_method_stat(rec, n, "adversarial_loss_pgd") for n in names])
    ax.bar(x, ql, yerr=ql_std, color="C1", capsize=2, label="quantization loss")
    ax.bar(x, al, bottom=ql, yerr=al_std, color="C0", capsize=2,
           label="adversarial loss (white-box PGD)")  # fmt: skip
    tr, tr_std = percent_bars([_method_stat(rec, n, "total_loss_transfer") for n in names])
    ax.errorbar(x, tr, yerr=tr_std, fmt="kD", ms=5, capsize=2,
                label="total, black-box transfer PGD")  # fmt: skip
    bpda, bpda_std = percent_bars(
        [_method_stat(rec, "boundary_retraining_mapping", "total_loss_pgd_bpda")]
    )
    ax.errorbar(
        [len(names) - 1],
        bpda,
        yerr=bpda_std,
        fmt="r^",
        ms=7,
        capsize=2,
        label="total, adaptive BPDA PGD",
    )
    collapsed = [
        i for i, n in enumerate(names) if any(getattr(m.methods, n).collapsed for m in rec.metrics)
    ]
    if collapsed:
        ax.plot(collapsed, [0] * len(collapsed), "rx", ms=10, mew=2, label="collapsed run")
    ax.axhline(0, color="k", lw=0.6)
    labels = [
        METHOD_LABELS[n].replace(" + ", " +\n").replace(" retraining", "\nretraining")
        for n in names
    ]
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("accuracy lost vs full precision, clean (pp)")
    fp = rec.stat(lambda m: m.full_precision.clean)
    ax.set_title(
        f"LeNet-5, MNIST subset; full precision clean {100 * fp.mean:.1f} ± "
        f"{100 * fp.std:.1f} %; seeds {list(rec.seeds)}",
        fontsize=9,
    )
    ax.legend(fontsize=7)


def plot(rec: BoundaryRecord, out: str | Path) -> list[Path]:
    """Stacked bars per method (quantization loss plus white-box PGD adversarial loss, mean ±
    std over seeds) with the transfer and BPDA totals as markers; the eps sweep beside it."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    _losses_panel(ax, rec)
    eps = rec.params.sweep_eps
    for key, style, label in (
        ("without_mapping_pgd", "o-", "boundary retraining, PGD"),
        ("with_mapping_pgd", "s--", "+ mapping, PGD through the mapping"),
        ("with_mapping_bpda", "^:", "+ mapping, adaptive BPDA PGD"),
    ):
        mean, std = percent_bars(
            [
                rec.stat(lambda m, i=i, key=key: getattr(m.eps_sweep, key)[i])
                for i in range(len(eps))
            ]
        )
        ax2.errorbar(eps, mean, yerr=std, fmt=style, capsize=2, label=label)
    ax2.set_xlabel("L-infinity budget eps ([0, 1] pixels)")
    ax2.set_ylabel("accuracy under attack (%)")
    ax2.set_title(
        f"quantized networks, {rec.metrics[0].eps_sweep.n_images} test images", fontsize=9
    )
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "boundary_losses.png")]


def summary(rec: BoundaryRecord) -> str:
    """Criteria per method, mean ± std over seeds (pp), sorted by the white-box total."""
    rows = []
    for name, label in METHOD_LABELS.items():
        total = _method_stat(rec, name, "total_loss_pgd")
        ql = _method_stat(rec, name, "quantization_loss")
        tr = _method_stat(rec, name, "total_loss_transfer")
        collapsed = sum(getattr(m.methods, name).collapsed for m in rec.metrics)
        rows.append(
            (
                total.mean,
                f"{label:40s} QL {100 * ql.mean:5.1f} ± {100 * ql.std:4.1f}  "
                f"total PGD {100 * total.mean:5.1f} ± {100 * total.std:4.1f}  "
                f"transfer {100 * tr.mean:5.1f} ± {100 * tr.std:4.1f} pp"
                + (f"  ({collapsed} collapsed)" if collapsed else ""),
            )
        )
    return "\n".join(text for _, text in sorted(rows, key=lambda r: -r[0]))
