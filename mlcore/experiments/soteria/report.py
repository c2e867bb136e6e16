"""Figures and text of the Soteria reproduction: reconstruction error against the pruning rate,
the privacy-accuracy trade-off, and the reconstructions themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._common import percent, save_figure
from .records import SoteriaRecord, decode_image

__all__ = ["plot", "summary", "chosen_rate", "REFERENCE_FIGURE", "rate_curve", "LABELS"]

#: GS_defense.png of github.com/jeremy313/Soteria @ 23cf90e (normalized-space MSE of one
#: CIFAR-10 car image, ConvNet width 64, 24,000 iterations): the values printed on the figure's
#: bars, read by hand (exact to their two printed decimals; ``shared/papers/2012.06043.md``).
REFERENCE_FIGURE = {
    "rates": (40.0, 50.0, 60.0, 70.0, 80.0),
    "soteria": (0.10, 0.75, 0.97, 1.19, 1.49),
    "prune": (0.09, 0.12, 0.36, 0.41, 0.71),
}
LABELS = {
    "none": "no defense",
    "soteria": "Soteria",
    "prune": "gradient pruning",
    "dp": "DP (clip + Gaussian)",
    "noise": "Laplace noise (ref. code)",
}
STYLE = {"soteria": ("o-", "C0"), "prune": ("s--", "C1")}


def rate_curve(rec: SoteriaRecord, attack: str, defense: str, field: str = "median_mse"):
    """Per rate: the spread over seeds of ``field`` of the ``(attack, defense, rate)`` points."""
    return [
        rec.stat(lambda m, r=float(r): getattr(m.point(attack, defense, r), field))
        for r in rec.params.pruning_rates
    ]


def _none(rec, attack, field="median_mse"):
    return rec.stat(lambda m: getattr(m.point(attack, "none"), field))


def _mse_panel(ax, rec: SoteriaRecord, attack: str, field: str, title: str) -> None:
    rates = np.asarray(rec.params.pruning_rates, float)
    for defense in ("soteria", "prune"):
        fmt, color = STYLE[defense]
        s = rate_curve(rec, attack, defense, field)
        ax.errorbar(rates, [x.mean for x in s], yerr=[x.std for x in s], fmt=fmt, color=color,
                    capsize=2, label=LABELS[defense])  # fmt: skip
    if attack == "gs":
        s = rate_curve(rec, "gs_adaptive", "soteria", field)
        ax.errorbar(rates, [x.mean for x in s], yerr=[x.std for x in s], fmt="^:", color="C3",
                    capsize=2, label="Soteria vs adaptive GS")  # fmt: skip
        if field == "median_mse_normalized":
            ref = REFERENCE_FIGURE
            ax.plot(ref["rates"], ref["soteria"], "o", mfc="none", color="C0", alpha=0.6,
                    label="Soteria, ref. repo (CIFAR car)")  # fmt: skip
            ax.plot(ref["rates"], ref["prune"], "s", mfc="none", color="C1", alpha=0.6,
                    label="pruning, ref. repo (CIFAR car)")  # fmt: skip
    base = _none(rec, attack, field)
    ax.axhline(base.mean, color="k", lw=0.8, label=LABELS["none"])
    ax.set_yscale("log")
    ax.set_xlabel("pruning rate (%)")
    ax.set_ylabel("median reconstruction MSE" + (" (normalized)" if "normalized" in field else ""))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)


def _tradeoff_panel(ax, rec: SoteriaRecord, attack: str, network: str) -> None:
    for defense in ("soteria", "prune"):
        if not any(a.defense == defense and a.network == network for a in rec.metrics[0].accuracy):
            continue
        fmt, color = STYLE[defense]
        mse = rate_curve(rec, attack, defense)
        acc = [
            rec.stat(lambda m, r=float(r), d=defense: m.accuracy_of(network, d, r))
            for r in rec.params.pruning_rates
        ]
        ax.errorbar([100 * a.mean for a in acc], [s.mean for s in mse],
                    xerr=[100 * a.std for a in acc], yerr=[s.std for s in mse], fmt=fmt,
                    color=color, capsize=2, label=LABELS[defense])  # fmt: skip
        for r, a, s in zip(rec.params.pruning_rates, acc, mse):
            ax.annotate(f"{r:g}%", (100 * a.mean, s.mean), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")  # fmt: skip
    acc0 = rec.stat(lambda m: m.accuracy_of(network, "none"))
    ax.errorbar([100 * acc0.mean], [_none(rec, attack).mean], xerr=[100 * acc0.std], fmt="k*",
                ms=9, label=LABELS["none"])  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel(f"FedAvg test accuracy of the {network} (%)")
    ax.set_ylabel(f"median {attack.upper()} pixel MSE")
    ax.legend(fontsize=6)


def _reconstruction_grid(rec: SoteriaRecord, out: Path) -> Path:
    import matplotlib.pyplot as plt

    m = rec.metrics[0]
    shape = (1, 28, 28)
    columns = [("none", None)] + [
        (d, float(r)) for d in ("soteria", "prune") for r in rec.params.pruning_rates
    ]
    columns += [("dp", None), ("noise", None)]
    rows = ("dlg", "gs", "gs_adaptive")
    fig, axes = plt.subplots(len(rows), len(columns) + 1, figsize=(1.0 * len(columns) + 1, 3.6))
    for i, attack in enumerate(rows):
        axes[i, 0].imshow(decode_image(m.original_image, shape)[0], cmap="gray", vmin=0, vmax=1)
        axes[i, 0].set_ylabel({"dlg": "DLG", "gs": "GS", "gs_adaptive": "adaptive GS"}[attack])
        for j, (defense, rate) in enumerate(columns, start=1):
            point = m.point(attack, defense, rate)
            ax = axes[i, j]
            if point is not None:
                ax.imshow(decode_image(point.images[0].image, shape)[0], cmap="gray", vmin=0,
                          vmax=1)  # fmt: skip
                ax.set_xlabel(f"{point.images[0].mse:.3f}", fontsize=6)
            if i == 0:
                title = "none" if rate is None and defense == "none" else defense
                ax.set_title(title + ("" if rate is None else f" {rate:g}%"), fontsize=6)
    axes[0, 0].set_title("original", fontsize=6)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.suptitle(f"seed {rec.seeds[0]}: reconstructions (pixel MSE below each)", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out / "soteria_reconstructions.png")


def plot(rec: SoteriaRecord, out: str | Path) -> list[Path]:
    """Three figures: MSE against the pruning rate (DLG, and GS in normalized space beside the
    reference repository's figure), MSE against FedAvg accuracy, and the reconstructions of
    the first seed's first digit under every defense."""
    import matplotlib.pyplot as plt

    out = Path(out)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    _mse_panel(axes[0], rec, "dlg", "median_mse", "DLG on DLG's LeNet (pixel MSE)")
    _mse_panel(axes[1], rec, "gs", "median_mse_normalized", "GS on ConvNet (normalized MSE)")
    fig.suptitle(f"MNIST subset, mean ± std over seeds {list(rec.seeds)}", fontsize=9)
    fig.tight_layout()
    paths = [save_figure(fig, out / "soteria_mse_vs_rate.png")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    _tradeoff_panel(axes[0], rec, "dlg", "dlg_lenet")
    _tradeoff_panel(axes[1], rec, "gs", "convnet")
    fig.suptitle("privacy against accuracy over the pruning rate", fontsize=9)
    fig.tight_layout()
    paths.append(save_figure(fig, out / "soteria_tradeoff.png"))
    paths.append(_reconstruction_grid(rec, out))
    return paths


def chosen_rate(rec: SoteriaRecord, network: str) -> float | None:
    """The largest pruning rate whose FedAvg accuracy with Soteria is, in the mean over seeds,
    within ``accuracy_budget`` percentage points of no defense (None if no rate is). One seed's
    FedAvg accuracy varies by about a point between defenses of no effect, so the rate is
    chosen on the mean; each seed's own choice is in its metrics."""
    base = rec.stat(lambda m: m.accuracy_of(network, "none")).mean
    within = [
        float(r)
        for r in rec.params.pruning_rates
        if 100 * (base - rec.stat(lambda m, r=float(r): m.accuracy_of(network, "soteria", r)).mean)
        <= rec.params.accuracy_budget
    ]
    return max(within) if within else None


def _ratio(rec: SoteriaRecord, attack: str, rate: float | None):
    """Per seed: MSE under Soteria at ``rate`` over MSE without defense (nan without a rate)."""
    if rate is None:
        return rec.stat(lambda m: float("nan"))
    return rec.stat(
        lambda m: m.point(attack, "soteria", rate).median_mse / m.point(attack, "none").median_mse
    )


def summary(rec: SoteriaRecord) -> str:
    """Headline numbers, mean ± std over seeds."""
    dlg0 = rec.stat(lambda m: m.point("dlg", "none").median_mse)
    lines = [f"undefended DLG: median pixel MSE {dlg0.mean:.2e} ± {dlg0.std:.1e}"]
    for net in ("dlg_lenet", "convnet"):
        acc = rec.stat(lambda m, net=net: m.accuracy_of(net, "none"))
        lines.append(f"FedAvg {net} without defense: {percent(acc)}")
    for r, sot, pru, ada in zip(
        rec.params.pruning_rates,
        rate_curve(rec, "gs", "soteria", "median_mse_normalized"),
        rate_curve(rec, "gs", "prune", "median_mse_normalized"),
        rate_curve(rec, "gs_adaptive", "soteria", "median_mse_normalized"),
    ):
        acc = rec.stat(lambda m, r=float(r): m.accuracy_of("convnet", "soteria", r))
        lines.append(
            f"rate {r:g}%: GS normalized MSE Soteria {sot.mean:.3f} ± {sot.std:.3f}, pruning "
            f"{pru.mean:.3f} ± {pru.std:.3f}, adaptive GS vs Soteria {ada.mean:.3f} ± "
            f"{ada.std:.3f}; ConvNet accuracy with Soteria {percent(acc)}"
        )
    for attack, network in (("dlg", "dlg_lenet"), ("gs", "convnet")):
        rate = chosen_rate(rec, network)
        ratio = _ratio(rec, attack, rate)
        lines.append(
            f"{attack.upper()}: Soteria at {rate} % (largest within {rec.params.accuracy_budget:g}"
            f" pp of {network} accuracy, mean over seeds): MSE / undefended {ratio.mean:.1f} ± "
            f"{ratio.std:.1f}"
        )
    eps = rec.metrics[0].dp_epsilon_per_round
    lines.append(f"DP: epsilon {eps:.2f} per shared gradient (delta {rec.params.dp_delta:g})")
    return "\n".join(lines)
