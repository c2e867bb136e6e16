"""Reduced-scale reproduction of BSQ (arXiv:2102.10462): LeNet-5 on the 5000-digit MNIST subset.

One pretrained float LeNet-5 per seed; a sweep over alpha (each: BSQ training, re-quantization
and precision adjustment, fine-tuning at the frozen scheme with the reference code's learning
rate, ``finetune_lr`` = 1e-4, github.com/yanghr/BSQ README); the uniform-precision baseline of
the same network (post-training quantization, then quantization-aware training for the same
total number of epochs as BSQ's two stages, Adam at ``qat_lr``). For each BSQ scheme, the
pretrained network is also retrained at that scheme with exactly the uniform baseline's recipe,
which separates the quality of the mixed-precision *allocation* from BSQ's training path.

Randomness: the streams ``split``, ``init``, ``pretrain``, ``bsq`` (shared by every alpha) and
``qat`` (shared by the uniform baseline and the scheme retraining, so those comparisons see the
same batches) of each root seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..params import Interval, Params, SequenceOf, parameter
from ..quantization import BSQ, apply_scheme, finetune, quantizable_layers, quantize_uniform
from ..records import Metrics, RunRecord
from ..registry import Result, register
from ..training import evaluate
from ._common import (
    POSITIVE,
    is_collapsed,
    n_samples_parameter,
    percent,
    percent_bars,
    pretrain_epochs_parameter,
    pretrain_lr_parameter,
    pretrained_lenet5,
    save_figure,
    test_fraction_parameter,
)

__all__ = ["BSQParams", "BSQPoint", "UniformPoint", "BSQMetrics", "BSQRecord", "RESULT"]

N_CLASSES = 10


@dataclass(frozen=True)
class BSQParams(Params):
    """Parameters of the BSQ reproduction (defaults: the reduced configuration)."""

    alphas: tuple = parameter(
        (0.02, 0.05, 0.1, 0.15, 0.2),
        SequenceOf(Interval(float, 0, None)),
        "BSQ regularization strengths swept",
        unit="dimensionless",
    )
    uniform_bits: tuple = parameter(
        (1, 2, 3, 4), SequenceOf(Interval(int, 1, 8)), "uniform baseline precisions", unit="bits"
    )
    bits: int = parameter(8, Interval(int, 1, 8), "BSQ starting precision", unit="bits")
    pretrain_epochs: int = pretrain_epochs_parameter()
    pretrain_lr: float = pretrain_lr_parameter()
    epochs: int = parameter(16, Interval(int, 1, None), "BSQ bit training", unit="epochs")
    requant_interval: int = parameter(
        4, Interval(int, 1, None), "epochs between re-quantizations", unit="epochs"
    )
    finetune_epochs: int = parameter(
        6, Interval(int, 0, None), "BSQ fine-tuning at the frozen scheme", unit="epochs"
    )
    lr: float = parameter(0.1, POSITIVE, "bit-plane SGD learning rate")
    finetune_lr: float = parameter(1e-4, POSITIVE, "BSQ fine-tuning Adam learning rate")
    qat_lr: float = parameter(
        1e-3, POSITIVE, "uniform / scheme quantization-aware training Adam learning rate"
    )
    test_fraction: float = test_fraction_parameter()
    n_samples: int | None = n_samples_parameter()


def _key(name: str, value: float) -> str:
    return f"{name}_{value:g}".replace(".", "p").replace("-", "m")


@dataclass(frozen=True)
class BSQPoint(Metrics):
    """One alpha of one seed. Accuracies in [0, 1]; ``collapsed``: at most twice chance."""

    alpha: float
    average_bits: float
    compression: float
    layers: dict[str, int]
    accuracy_before_finetune: float
    accuracy: float
    accuracy_scheme_retrained: float
    collapsed: bool
    adjustments: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        return _key("alpha", self.alpha)


@dataclass(frozen=True)
class UniformPoint(Metrics):
    """One uniform precision of one seed (post-training and after quantization-aware training)."""

    bits: int
    accuracy_post_training: float
    accuracy: float
    collapsed: bool

    @property
    def key(self) -> str:
        return f"bits_{self.bits}"


@dataclass(frozen=True)
class BSQMetrics(Metrics):
    """One seed: the full-precision network, the alpha sweep and the uniform baseline."""

    n_train: int
    n_test: int
    n_weights: int
    accuracy_full_precision: float
    bsq: tuple[BSQPoint, ...]
    uniform: tuple[UniformPoint, ...]


@dataclass(frozen=True)
class BSQRecord(RunRecord, result="bsq", params_type=BSQParams, metrics_type=BSQMetrics):
    """Run record of the BSQ reproduction."""


# -- stages --------------------------------------------------------------------------------------


def _qat(model, p: BSQParams, ctx, train):
    """Quantization-aware training with the uniform baseline's recipe (stream ``qat``)."""
    return finetune(
        model,
        train,
        epochs=p.epochs + p.finetune_epochs,
        lr=p.qat_lr,
        seed=ctx.streams.seed("qat"),
        progress=ctx.progress,
    )


def _bsq_point(alpha: float, model, p: BSQParams, ctx, train, test) -> BSQPoint:
    bsq = BSQ(
        alpha=alpha,
        bits=p.bits,
        epochs=p.epochs,
        requant_interval=p.requant_interval,
        finetune_epochs=p.finetune_epochs,
        lr=p.lr,
        finetune_lr=p.finetune_lr,
        seed=ctx.streams.seed("bsq"),
        progress=ctx.progress,
    ).fit(model, train)
    scheme = bsq.scheme_
    if ctx.out_dir is not None:
        scheme.save(ctx.out_dir / "schemes" / f"seed{ctx.seed}_{_key('alpha', alpha)}.json")
    # the scheme alone: the pretrained float network retrained at BSQ's scheme with the
    # uniform baseline's recipe (cf. the paper's Table 1)
    at_scheme = _qat(apply_scheme(model, scheme), p, ctx, train)
    accuracy = bsq.score(test)
    return BSQPoint(
        alpha=alpha,
        average_bits=scheme.average_bits,
        compression=scheme.compression,
        layers=dict(scheme.layers),
        accuracy_before_finetune=evaluate(bsq.bit_model_, test),
        accuracy=accuracy,
        accuracy_scheme_retrained=evaluate(at_scheme, test),
        collapsed=is_collapsed(accuracy, N_CLASSES),
        adjustments=tuple(bsq.adjustments_),
    )


def _uniform_point(bits: int, model, p: BSQParams, ctx, train, test) -> UniformPoint:
    quantized = quantize_uniform(model, bits)
    accuracy_post_training = evaluate(quantized, test)
    accuracy = evaluate(_qat(quantized, p, ctx, train), test)
    return UniformPoint(
        bits=bits,
        accuracy_post_training=accuracy_post_training,
        accuracy=accuracy,
        collapsed=is_collapsed(accuracy, N_CLASSES),
    )


def run(p: BSQParams, ctx) -> BSQMetrics:
    """One seed: prepare data, pretrain, BSQ per alpha, uniform baseline, assemble metrics.
    Every trained network and every point is a resumable step."""
    with ctx.stage("prepare_data"):
        train, test = ctx.image_split(
            "mnist_subset", test_fraction=p.test_fraction, n_samples=p.n_samples
        )
    with ctx.stage("pretrain"):
        model = pretrained_lenet5(
            ctx,
            train,
            name="pretrained_lenet5",
            epochs=p.pretrain_epochs,
            lr=p.pretrain_lr,
            desc="pretrain LeNet-5",
        )
        accuracy_fp = evaluate(model, test)
    with ctx.stage("bsq"):
        points = tuple(
            ctx.metrics_step(
                f"bsq_{_key('alpha', a)}",
                BSQPoint,
                lambda a=float(a): _bsq_point(a, model, p, ctx, train, test),
            )
            for a in p.alphas
        )
    with ctx.stage("uniform"):
        uniform = tuple(
            ctx.metrics_step(
                f"uniform_{b}bits",
                UniformPoint,
                lambda b=int(b): _uniform_point(b, model, p, ctx, train, test),
            )
            for b in p.uniform_bits
        )
    return BSQMetrics(
        n_train=len(train),
        n_test=len(test),
        n_weights=int(sum(m.weight.numel() for _, m in quantizable_layers(model))),
        accuracy_full_precision=accuracy_fp,
        bsq=points,
        uniform=uniform,
    )


# -- report --------------------------------------------------------------------------------------


def _errorbar(ax, rec: BSQRecord, points: str, x_field: str, y_field: str, **style):
    """Mean ± std over seeds of ``(x_field, y_field)`` of every point of ``m.<points>``
    (accuracies in %); returns the x and y spreads."""
    n = len(getattr(rec.metrics[0], points))

    def spreads(name):
        return [rec.stat(lambda m, i=i: getattr(getattr(m, points)[i], name)) for i in range(n)]

    x, y = spreads(x_field), spreads(y_field)
    y_mean, y_std = percent_bars(y)
    ax.errorbar(
        [s.mean for s in x], y_mean, xerr=[s.std for s in x], yerr=y_std, capsize=2, **style
    )
    return x, y


def _mark_collapses(ax, rec: BSQRecord) -> None:
    """Every collapsed (seed, point) as a red cross at its own coordinates."""
    xy = [(b.average_bits, 100 * b.accuracy) for m in rec.metrics for b in m.bsq if b.collapsed]
    xy += [(u.bits, 100 * u.accuracy) for m in rec.metrics for u in m.uniform if u.collapsed]
    if xy:
        ax.plot(*zip(*xy), "rx", ms=8, mew=2, label=f"collapsed run ({len(xy)})")


def _set_ylim(ax, rec: BSQRecord, fp: float) -> None:
    """Zoom on the trained curves (down to 15 pp below full precision); a collapsed run widens
    the range so that it stays visible; post-training points below the range are named in a
    note at the bottom."""
    trained = [100 * b.accuracy for m in rec.metrics for b in m.bsq]
    trained += [100 * u.accuracy for m in rec.metrics for u in m.uniform]
    low = max(min(trained) - 2, np.floor(fp) - 15)
    ax.set_ylim(low, fp + 1.5)
    below = [
        (b, rec.stat(lambda m, i=i: m.uniform[i].accuracy_post_training).mean)
        for i, b in enumerate(rec.params.uniform_bits)
    ]
    below = [f"{b} bit {100 * acc:.1f} %" for b, acc in below if 100 * acc < low]
    if below:
        ax.text(0.02, 0.02, "post-training, below the axis: " + ", ".join(below), fontsize=7,
                transform=ax.transAxes)  # fmt: skip


def plot(rec: BSQRecord, out: str | Path) -> list[Path]:
    """Accuracy against average weight bits: the BSQ alpha sweep, the uniform baseline and the
    full-precision network; mean ± standard deviation over seeds, single seeds as dots,
    collapsed runs as red crosses."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.3))
    _errorbar(ax, rec, "uniform", "bits", "accuracy", fmt="s--", color="C1",
              label="uniform, quantization-aware trained")  # fmt: skip
    _errorbar(ax, rec, "uniform", "bits", "accuracy_post_training", fmt="x:", color="C1",
              alpha=0.6, label="uniform, post-training")  # fmt: skip
    x, y = _errorbar(ax, rec, "bsq", "average_bits", "accuracy", fmt="o-", color="C0",
                     label="BSQ (alpha sweep), fine-tuned")  # fmt: skip
    _errorbar(ax, rec, "bsq", "average_bits", "accuracy_scheme_retrained", fmt="o", mfc="none",
              color="C0", label="BSQ scheme, retrained like uniform")  # fmt: skip
    for m in rec.metrics:  # single seeds
        ax.plot([b.average_bits for b in m.bsq], [100 * b.accuracy for b in m.bsq], ".",
                color="C0", alpha=0.35, ms=4)  # fmt: skip
    for a, xs, ys in zip(rec.params.alphas, x, y):
        ax.annotate(f"{a:g}", (xs.mean, 100 * ys.mean), fontsize=7, xytext=(3, -9),
                    textcoords="offset points")  # fmt: skip
    _mark_collapses(ax, rec)
    fp = rec.stat(lambda m: m.accuracy_full_precision)
    ax.axhline(100 * fp.mean, color="k", lw=0.8, label="full precision (32 bit)")
    ax.axhspan(100 * (fp.mean - fp.std), 100 * (fp.mean + fp.std), color="k", alpha=0.1, lw=0)
    _set_ylim(ax, rec, 100 * fp.mean)
    ax.set_xlabel("average weight bits")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(
        f"LeNet-5, MNIST subset (n_test={rec.metrics[0].n_test}), mean ± std over seeds "
        f"{list(rec.seeds)}",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return [save_figure(fig, Path(out) / "bsq_accuracy_vs_bits.png")]


def summary(rec: BSQRecord) -> str:
    """Headline numbers, mean ± std over seeds, with the count of collapsed runs."""
    lines = [f"full precision: {percent(rec.stat(lambda m: m.accuracy_full_precision))}"]
    for i, a in enumerate(rec.params.alphas):
        bits = rec.stat(lambda m, i=i: m.bsq[i].average_bits)
        acc = rec.stat(lambda m, i=i: m.bsq[i].accuracy)
        collapsed = sum(m.bsq[i].collapsed for m in rec.metrics)
        lines.append(
            f"BSQ alpha={a:<5g} bits {bits.mean:.2f} ± {bits.std:.2f}  acc {percent(acc)}"
            + (f"  ({collapsed} of {len(rec.seeds)} seeds collapsed)" if collapsed else "")
        )
    for i, b in enumerate(rec.params.uniform_bits):
        ptq = rec.stat(lambda m, i=i: m.uniform[i].accuracy_post_training)
        qat = rec.stat(lambda m, i=i: m.uniform[i].accuracy)
        lines.append(f"uniform {b} bit: PTQ {percent(ptq)}  QAT {percent(qat)}")
    return "\n".join(lines)


RESULT = register(
    Result(
        name="bsq",
        description="BSQ alpha sweep vs uniform quantization, LeNet-5 on the MNIST subset "
        "(arXiv:2102.10462)",
        params=BSQParams,
        record=BSQRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(
            n_samples=600,
            pretrain_epochs=8,
            alphas=(0.0, 0.1, 0.2),
            uniform_bits=(1, 2, 4),
            epochs=4,
            requant_interval=2,
            finetune_epochs=2,
        ),
    )
)
