"""Reduced-scale reproduction of BSQ (arXiv:2102.10462): LeNet-5 on the 5000-digit MNIST subset.

One pretrained float LeNet-5; a sweep over alpha (each: BSQ training, re-quantization and
precision adjustment, fine-tuning at the frozen scheme with the reference code's learning rate,
``finetune_lr`` = 1e-4, github.com/yanghr/BSQ README); the uniform-precision baseline of the same
network (post-training quantization, then quantization-aware training for the same total number
of epochs as BSQ's two stages, Adam at ``qat_lr``). For each BSQ scheme, the pretrained network
is also retrained at that scheme with exactly the uniform baseline's recipe, which separates the
quality of the mixed-precision *allocation* from BSQ's training path. Writes a run record (JSON)
and a figure (PNG).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..models import LeNet5
from ..quantization import BSQ, apply_scheme, finetune, quantizable_layers, quantize_uniform
from ..records import write_record
from ..training import evaluate, fit, seed_everything
from ._common import mnist_train_test, resolve_params, run_checkpoint

__all__ = ["run_bsq", "plot_bsq", "DEFAULTS"]

DEFAULTS = dict(
    alphas=(0.02, 0.05, 0.1, 0.15, 0.2),
    uniform_bits=(1, 2, 3, 4),
    n_bits=8,
    pretrain_epochs=15,
    epochs=20,
    requant_interval=5,
    finetune_epochs=10,
    lr=0.1,
    finetune_lr=1e-4,
    qat_lr=1e-3,
    test_fraction=0.2,
    n_samples=None,
)


def run_bsq(
    *,
    seed: int = 0,
    out_dir: str | Path | None = None,
    record: str | Path | None = None,
    progress: bool = True,
    command: str | None = None,
    **overrides,
) -> dict:
    """Run the reproduction and return its numbers (see :data:`DEFAULTS` for the knobs;
    ``n_samples`` takes a stratified subset of the 5000 digits for a quick run)."""
    p = resolve_params(DEFAULTS, overrides)
    for a in p["alphas"]:
        if not a >= 0:
            raise ValueError(f"alpha must be >= 0, got {a}")
    start = time.perf_counter()
    data, train, test = mnist_train_test(p, seed)
    # the pretrained network, each alpha and each uniform width are resumable steps
    checkpoint = run_checkpoint(out_dir, "bsq", p, seed)
    seed_everything(seed)
    model = checkpoint.module(
        "pretrained_lenet5",
        LeNet5(),
        lambda m: fit(
            m,
            train,
            epochs=p["pretrain_epochs"],
            lr=2e-3,
            seed=seed,
            progress=progress,
            desc="pretrain LeNet-5",
        ),
    )
    acc_fp = evaluate(model, test)

    def bsq_point(alpha: float) -> dict:
        bsq = BSQ(
            alpha=float(alpha),
            n_bits=p["n_bits"],
            epochs=p["epochs"],
            requant_interval=p["requant_interval"],
            finetune_epochs=p["finetune_epochs"],
            lr=p["lr"],
            finetune_lr=p["finetune_lr"],
            seed=seed,
            progress=progress,
        ).fit(model, train)
        scheme = bsq.scheme_
        if out_dir is not None:
            scheme.save(Path(out_dir) / f"bsq_scheme_alpha_{alpha:g}.json")
        # the scheme alone: quantization-aware training of the pretrained float network at
        # BSQ's scheme with the uniform baseline's recipe (cf. the paper's Table 1)
        at_scheme = finetune(
            apply_scheme(model, scheme),
            train,
            epochs=p["epochs"] + p["finetune_epochs"],
            lr=p["qat_lr"],
            seed=seed + 1,
            progress=progress,
        )
        return {
            "alpha": float(alpha),
            "average_bits": scheme.average_bits,
            "compression": scheme.compression,
            "layers": dict(scheme.layers),
            "accuracy_before_finetune": evaluate(bsq.bit_model_, test),
            "accuracy": bsq.score(test),
            "accuracy_scheme_retrained": evaluate(at_scheme, test),
            "adjustments": bsq.adjustments_,
        }

    bsq_points = [
        checkpoint.step(f"bsq_alpha_{alpha:g}", lambda a=float(alpha): bsq_point(a))
        for alpha in p["alphas"]
    ]

    def uniform_point(bits: int) -> dict:
        quantized = quantize_uniform(model, int(bits))
        acc_ptq = evaluate(quantized, test)
        finetune(
            quantized,
            train,
            epochs=p["epochs"] + p["finetune_epochs"],
            lr=p["qat_lr"],
            seed=seed + 1,
            progress=progress,
        )
        return {
            "bits": int(bits),
            "accuracy_post_training": acc_ptq,
            "accuracy": evaluate(quantized, test),
        }

    uniform_points = [
        checkpoint.step(f"uniform_{int(b)}bits", lambda b=int(b): uniform_point(b))
        for b in p["uniform_bits"]
    ]

    numbers = {
        "n_train": len(train),
        "n_test": len(test),
        "n_weights": int(sum(m.weight.numel() for _, m in quantizable_layers(model))),
        "accuracy_full_precision": acc_fp,
        "bsq": bsq_points,
        "uniform": uniform_points,
        "resumed_steps": checkpoint.reused,
    }
    wall = time.perf_counter() - start
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items()}
    params.update(model="LeNet-5", dataset=data.name, weights="weights only; biases float")
    if record is not None:
        write_record(
            record,
            result="bsq",
            params=params,
            seeds={"split": seed, "init": seed, "train": seed, "finetune": seed + 1},
            numbers=numbers,
            wall_time_s=wall,
            command=command,
        )
    if out_dir is not None:
        plot_bsq(numbers, Path(out_dir) / "bsq_accuracy_vs_bits.png")
    return numbers


def plot_bsq(numbers: dict, path: str | Path) -> Path:
    """Accuracy against average weight bits: the BSQ alpha sweep, the uniform baseline and the
    full-precision network."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    uni = numbers["uniform"]
    ax.plot(
        [u["bits"] for u in uni],
        [100 * u["accuracy"] for u in uni],
        "s--",
        color="C1",
        label="uniform, quantization-aware trained",
    )
    ax.plot(
        [u["bits"] for u in uni],
        [100 * u["accuracy_post_training"] for u in uni],
        "x:",
        color="C1",
        alpha=0.6,
        label="uniform, post-training",
    )
    pts = sorted(numbers["bsq"], key=lambda b: b["average_bits"])
    ax.plot(
        [b["average_bits"] for b in pts],
        [100 * b["accuracy"] for b in pts],
        "o-",
        color="C0",
        label="BSQ (alpha sweep), fine-tuned",
    )
    ax.plot(
        [b["average_bits"] for b in pts],
        [100 * b.get("accuracy_scheme_retrained", np.nan) for b in pts],
        "o",
        mfc="none",
        color="C0",
        label="BSQ scheme, retrained like uniform",
    )
    labels: dict = {}
    for b in pts:  # points that coincide share one label
        labels.setdefault((b["average_bits"], 100 * b["accuracy"]), []).append(f"{b['alpha']:g}")
    for xy, names in labels.items():
        ax.annotate(", ".join(names), xy, fontsize=7, xytext=(3, -9), textcoords="offset points")
    fp = 100 * numbers["accuracy_full_precision"]
    ax.axhline(fp, color="k", lw=0.8, label="full precision (32 bit)")
    ax.axhspan(fp - 1, fp, color="k", alpha=0.07, lw=0)
    lo = min(min(100 * b["accuracy"] for b in pts), min(100 * u["accuracy"] for u in uni))
    ax.set_ylim(max(lo - 2, np.floor(fp) - 15), fp + 1.5)
    ax.set_xlabel("average weight bits")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"LeNet-5, MNIST subset (n_test={numbers['n_test']})", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
