"""Table, figures and headline text of a dynamic-topology record: accuracy of the static
network, the selectors and the oracle (mean ± std over seeds), the oracle against the number of
dynamic layers, the distribution of chosen options, and test images a configuration fixes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...records import Spread
from .._common import percent, percent_bars, save_figure
from .records import SELECTIONS, DynamicRecord

__all__ = ["plot", "summary", "accuracy", "LABELS"]

LABELS = {
    "static": "static network",
    "default": "random-trained, static configuration",
    "static_oracle": "oracle of the static network",
    "oracle": "oracle",
    "max_confidence": "max-confidence selector",
    "min_entropy": "min-entropy selector",
    "learned": "learned selectors",
    "worst": "worst configuration",
}


def accuracy(rec: DynamicRecord, dataset: str, name: str) -> Spread:
    """Accuracy over seeds of ``name``: a key of :data:`LABELS`."""
    values = []
    for m in rec.metrics:
        d = m.dataset(dataset)
        if name == "static":
            values.append(d.static_accuracy)
        elif name == "default":
            values.append(d.default_accuracy)
        elif name == "static_oracle":
            values.append(d.static_oracle)
        else:
            values.append(d.selection(name).accuracy)
    return Spread.of(values)


def _mean(rec, dataset, field) -> float:
    return float(np.mean([getattr(m.dataset(dataset), field) for m in rec.metrics]))


def summary(rec: DynamicRecord) -> str:
    """Accuracy of every choice, the oracle by number of dynamic layers, and costs."""
    lines = [f"Inference-time dynamic topology, seeds {list(rec.seeds)}; test accuracy"]
    for ds in rec.params.datasets:
        first = rec.metrics[0].dataset(ds)
        lines.append(f"  {ds}:")
        for name in ("static", "static_oracle", "default", *SELECTIONS):
            row = f"    {LABELS[name]:<40} {percent(accuracy(rec, ds, name))}"
            if name in SELECTIONS and name != "worst":
                agree = Spread.of(
                    m.dataset(ds).selection(name).oracle_agreement for m in rec.metrics
                )
                macs = _mean_selection(rec, ds, name, "macs_per_image")
                static_macs = _mean(rec, ds, "static_macs_per_image")
                row += (
                    f"  agrees with oracle {percent(agree)}, cost {macs / static_macs:.1f}x static"
                )
            lines.append(row)
        by_layers = [
            Spread.of(m.dataset(ds).oracle_by_layers[k] for m in rec.metrics)
            for k in range(len(first.oracle_by_layers))
        ]
        lines.append(
            "    oracle with 1..4 dynamic layers: "
            + ", ".join(
                f"{percent(s)} ({n} configurations)"
                for s, n in zip(by_layers, first.configurations_by_layers)
            )
        )
        loop = _mean(rec, ds, "oracle_loop_macs_per_image")
        lines.append(
            f"    every configuration one at a time costs "
            f"{loop / _mean(rec, ds, 'static_macs_per_image'):.0f}x static; "
            f"selectors {first.selector_parameters} parameters against the backbone's "
            f"{first.backbone_parameters}"
        )
    return "\n".join(lines)


def _mean_selection(rec, dataset, name, field) -> float:
    return float(np.mean([getattr(m.dataset(dataset).selection(name), field) for m in rec.metrics]))


def plot(rec: DynamicRecord, out: str | Path) -> list[Path]:
    """Three figures: accuracies (bars, mean ± std over seeds) with the oracle against the
    number of dynamic layers; option histograms per layer; images a configuration fixes."""
    return [_accuracy_figure(rec, out), _options_figure(rec, out), _examples_figure(rec, out)]


def _accuracy_figure(rec: DynamicRecord, out) -> Path:
    import matplotlib.pyplot as plt

    names = (
        "worst",
        "default",
        "static",
        "max_confidence",
        "min_entropy",
        "learned",
        "oracle",
        "static_oracle",
    )
    datasets = rec.params.datasets
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(datasets)
    for j, ds in enumerate(datasets):
        means, stds = percent_bars([accuracy(rec, ds, n) for n in names])
        x = np.arange(len(names)) + j * width
        axes[0].bar(x, means, width, yerr=stds, capsize=2, label=ds)
        layers = [
            Spread.of(m.dataset(ds).oracle_by_layers[k] for m in rec.metrics) for k in range(4)
        ]
        lm, ls = percent_bars(layers)
        axes[1].errorbar(range(1, 5), lm, yerr=ls, marker="o", capsize=2, label=f"{ds} oracle")
        axes[1].axhline(100 * accuracy(rec, ds, "default").mean, ls=":", lw=0.8, color=f"C{j}")
    axes[0].set_xticks(np.arange(len(names)) + 0.4 - width / 2)
    axes[0].set_xticklabels([LABELS[n] for n in names], rotation=35, ha="right", fontsize=7)
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].set_ylim(0, 100)
    axes[0].legend(fontsize=7)
    axes[1].set_xticks(range(1, 5), ["A", "AB", "ABC", "ABCD"])
    axes[1].set_xlabel("dynamic layers (dotted: the same network, static configuration)")
    axes[1].set_ylabel("oracle test accuracy (%)")
    axes[1].legend(fontsize=7)
    fig.suptitle(f"static, selectors and oracle, seeds {list(rec.seeds)}")
    fig.tight_layout()
    return save_figure(fig, Path(out) / "dynamic_accuracy.png")


def _options_figure(rec: DynamicRecord, out) -> Path:
    import matplotlib.pyplot as plt

    datasets = rec.params.datasets
    shown = ("oracle", "max_confidence", "learned")
    fig, axes = plt.subplots(len(datasets), 4, figsize=(12, 2.8 * len(datasets)), squeeze=False)
    for i, ds in enumerate(datasets):
        for layer in range(4):
            ax = axes[i][layer]
            for j, name in enumerate(shown):
                counts = np.sum(
                    [m.dataset(ds).selection(name).option_counts[layer] for m in rec.metrics], 0
                )
                share = 100 * counts / counts.sum()
                ax.bar(np.arange(len(share)) + 0.27 * j, share, 0.27, label=LABELS[name])
            ax.set_title(f"{ds}: layer {'ABCD'[layer]}", fontsize=9)
            ax.set_xticks(np.arange(len(share)) + 0.27)
            ax.set_xticklabels(_option_names(len(share)), fontsize=7)
            ax.set_ylabel("test images (%)")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("options chosen per dynamic layer (all seeds pooled)")
    fig.tight_layout()
    return save_figure(fig, Path(out) / "dynamic_options.png")


def _option_names(n: int) -> list[str]:
    from ...dynamic.options import UPSAMPLE_OPTIONS

    return [str(o) for o in UPSAMPLE_OPTIONS[:n]]


def _examples_figure(rec: DynamicRecord, out) -> Path:
    import matplotlib.pyplot as plt

    examples = [e for ds in rec.params.datasets for e in rec.metrics[0].dataset(ds).examples]
    n = max(1, len(examples))
    fig, axes = plt.subplots(1, n, figsize=(1.9 * n, 2.4), squeeze=False)
    for ax, e in zip(axes[0], examples):
        img = np.frombuffer(bytes.fromhex(e.pixels), dtype=np.uint8).reshape(e.shape)
        ax.imshow(img, cmap="gray")
        ax.set_title(
            f"label {e.label}\nstatic {e.static_prediction} -> {e.oracle_prediction}\n"
            f"{e.configuration}",
            fontsize=6,
        )
    for ax in axes[0]:
        ax.axis("off")
    fig.suptitle(f"test images a configuration fixes (seed {rec.seeds[0]})", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, Path(out) / "dynamic_examples.png")
