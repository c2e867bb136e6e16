"""Plumbing shared by the reduced-scale reproductions: the parameters they all declare, the
pretrained float network, collapse detection, text and figures.

No ``matplotlib.use`` here: the entry points (``python -m mlcore``, the demos) choose the
backend; a library caller keeps whatever backend they set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import nn

from ..data import ImageDataset
from ..models import LeNet5
from ..params import Interval, parameter
from ..records import Spread
from ..training import fit

__all__ = [
    "COLLAPSE_FACTOR",
    "POSITIVE",
    "is_collapsed",
    "n_samples_parameter",
    "percent",
    "percent_bars",
    "pretrain_epochs_parameter",
    "pretrain_lr_parameter",
    "pretrained_lenet5",
    "save_figure",
    "staged_metrics",
    "test_fraction_parameter",
]

#: A run "collapses" when its accuracy is at most this multiple of chance (1 / n_classes).
COLLAPSE_FACTOR = 2.0

#: The constraint of a learning rate or another strictly positive float.
POSITIVE = Interval(float, 0, None, closed="neither")


# -- parameters every reproduction declares (each call makes a new dataclass field) ------------


def pretrain_epochs_parameter():
    """``pretrain_epochs``: float pretraining of the network, default 15 epochs."""
    return parameter(15, Interval(int, 1, None), "float pretraining", unit="epochs")


def pretrain_lr_parameter():
    """``pretrain_lr``: Adam learning rate of the pretraining, default 2e-3."""
    return parameter(2e-3, POSITIVE, "pretraining Adam learning rate")


def test_fraction_parameter():
    """``test_fraction``: the test share of the data, default 0.2."""
    return parameter(
        0.2, Interval(float, 0, 1, closed="neither"), "test share of the data", unit="fraction"
    )


def n_samples_parameter():
    """``n_samples``: a stratified subset of the 5000-digit MNIST subset (None: all of it)."""
    return parameter(
        None,
        Interval(int, 100, 5000),
        "stratified subset of the 5000 digits (None: all)",
        unit="images",
        optional=True,
    )


# -- stages --------------------------------------------------------------------------------------


def pretrained_lenet5(
    ctx, train: ImageDataset, *, name: str, epochs: int, lr: float, prefix: str = "", desc: str
) -> nn.Module:
    """A LeNet-5 initialised from the stream ``<prefix>init`` and trained with Adam (``epochs``,
    ``lr``, stream ``<prefix>pretrain``), as the resumable step ``name`` of ``ctx`` (a
    :class:`mlcore.runner.RunContext`)."""
    return ctx.trained(
        name,
        ctx.init_model(LeNet5, f"{prefix}init"),
        lambda net: fit(
            net,
            train,
            epochs=epochs,
            lr=lr,
            seed=ctx.streams.seed(f"{prefix}pretrain"),
            progress=ctx.progress,
            desc=desc,
        ),
    )


def staged_metrics(ctx, names, metrics_type: type, compute) -> tuple:
    """For each of ``names`` (data sets, environments): ``compute(name)`` (a
    :class:`mlcore.records.Metrics`) as the resumable step ``"<name>-metrics"`` of ``ctx``,
    timed as the stage ``name``; the typed results in order."""
    out = []
    for name in names:
        with ctx.stage(name):
            step = ctx.metrics_step(
                f"{name}-metrics", metrics_type, lambda name=name: compute(name).to_dict()
            )
            out.append(step)
    return tuple(out)


# -- report --------------------------------------------------------------------------------------


def is_collapsed(accuracy: float, n_classes: int) -> bool:
    """True when ``accuracy`` (in [0, 1]) is at most :data:`COLLAPSE_FACTOR` times chance.

    Collapsed runs stay in the record, its means and its figures; they are flagged, never
    dropped."""
    return float(accuracy) <= COLLAPSE_FACTOR / n_classes


def percent(spread: Spread) -> str:
    """``"97.1 ± 0.3 %"`` for a spread of accuracies in [0, 1]."""
    return f"{100 * spread.mean:.1f} ± {100 * spread.std:.1f} %"


def percent_bars(spreads: Sequence[Spread]) -> tuple[list[float], list[float]]:
    """Means and standard deviations of ``spreads`` (accuracies or accuracy differences, as
    fractions) in percent or percentage points, for a bar or error-bar plot."""
    return [100 * s.mean for s in spreads], [100 * s.std for s in spreads]


def save_figure(fig, path: str | Path) -> Path:
    """Save ``fig`` as PNG at ``path`` (parents created) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
