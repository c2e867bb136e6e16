"""Reduced-scale reproduction of arXiv:2012.14965 (LeNet-5, MNIST subset, uniform weight
quantization): plain quantization, adversarial training then quantization, clean
quantization-aware retraining, boundary-based retraining, and boundary-based retraining with
the nonlinear input mapping, each attacked with FGSM and PGD (white box), transfer PGD (black
box, from an independently trained surrogate), and BPDA (adaptive, for the mapping).

Every quantized network's criteria are reported against the same full-precision network (the
one being compressed): ``QL = acc(fp, clean) - acc(q, clean)``, ``AL = acc(q, clean) -
acc(q, attacked)``, and their sum ``acc(fp, clean) - acc(q, attacked)``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from ..models import LeNet5
from ..quantization import finetune, quantize_uniform
from ..records import write_record
from ..robust import attacks
from ..robust.boundary import (
    NonlinearInputMapping,
    adversarial_train,
    boundary_retrain,
    robustness,
    with_mapping,
)
from ..training import evaluate, fit, seed_everything
from ._common import mnist_train_test, resolve_params, run_checkpoint

__all__ = ["run_boundary", "plot_boundary", "DEFAULTS"]

DEFAULTS = dict(
    bits=2,
    eps=0.1,
    pretrain_epochs=15,
    retrain_rounds=2,
    epochs_per_round=3,
    adversarial_epochs=5,
    retrain_lr=1e-3,
    pgd_iter=20,
    mapping_levels=4,
    mapping_temperature=60.0,
    test_fraction=0.2,
    n_samples=None,
    n_test_attack=None,
    sweep_eps=(0.05, 0.1, 0.15, 0.2, 0.3),
    n_test_sweep=500,
)

ATTACKS = ("fgsm", "pgd", "transfer")
METHODS = (
    "plain quantization",
    "clean retraining",
    "adversarial training + quantization",
    "boundary retraining",
    "boundary retraining + nonlinear mapping",
)


def _criteria(acc_fp: float, scores: dict) -> dict:
    ql = acc_fp - scores["clean"]
    out = {"quantization_loss": ql}
    for name in ATTACKS + ("pgd_bpda",):
        if name in scores:
            out[f"adversarial_loss_{name}"] = scores["clean"] - scores[name]
            out[f"total_loss_{name}"] = ql + scores["clean"] - scores[name]
    return out


def run_boundary(
    *,
    seed: int = 0,
    out_dir: str | Path | None = None,
    record: str | Path | None = None,
    progress: bool = True,
    command: str | None = None,
    **overrides,
) -> dict:
    """Run the reproduction (knobs in :data:`DEFAULTS`) and return its numbers."""
    p = resolve_params(DEFAULTS, overrides)
    eps = p["eps"]
    start = time.perf_counter()
    data, train, test = mnist_train_test(p, seed)
    attack_set = test.subset(np.arange(p["n_test_attack"])) if p["n_test_attack"] else test
    # every trained network and every attack evaluation is a resumable step
    checkpoint = run_checkpoint(out_dir, "boundary", p, seed)

    def pretrained(init_seed):
        seed_everything(init_seed)
        return checkpoint.module(
            f"pretrained_lenet5_seed{init_seed}",
            LeNet5(),
            lambda net: fit(
                net,
                train,
                epochs=p["pretrain_epochs"],
                lr=2e-3,
                seed=init_seed,
                progress=progress,
                desc=f"pretrain (seed {init_seed})",
            ),
        )

    fp = pretrained(seed)
    surrogate = pretrained(seed + 100)  # the black-box attacker's own network
    x_transfer = attacks.pgd(
        surrogate, attack_set.X, attack_set.y, eps=eps, max_iter=p["pgd_iter"], seed=seed
    )
    retrain_epochs = p["retrain_rounds"] * p["epochs_per_round"]

    def score(name, net, mapping=None):
        return checkpoint.step(
            f"scores_{name}",
            lambda: robustness(
                net,
                attack_set,
                eps=eps,
                seed=seed,
                pgd_iter=p["pgd_iter"],
                transfer_images=x_transfer,
                mapping=mapping,
            ),
        )

    fp_scores = score("full_precision", fp)
    acc_fp = fp_scores["clean"]
    methods = {}

    plain = quantize_uniform(fp, p["bits"])
    methods["plain quantization"] = score("plain_quantization", plain)

    clean_qat = checkpoint.module(
        "clean_retraining",
        quantize_uniform(fp, p["bits"]),
        lambda net: finetune(
            net,
            train,
            epochs=retrain_epochs,
            lr=p["retrain_lr"],
            seed=seed + 1,
            progress=progress,
        ),
    )
    methods["clean retraining"] = score("clean_retraining", clean_qat)

    boundary = checkpoint.module(
        "boundary_retraining",
        quantize_uniform(fp, p["bits"]),
        lambda net: boundary_retrain(
            net,
            train,
            eps=eps,
            rounds=p["retrain_rounds"],
            epochs_per_round=p["epochs_per_round"],
            lr=p["retrain_lr"],
            seed=seed + 2,
            progress=progress,
        ),
    )
    methods["boundary retraining"] = score("boundary_retraining", boundary)

    adv_fp = checkpoint.module(
        "adversarial_training",
        copy.deepcopy(fp),
        lambda net: adversarial_train(
            net,
            train,
            eps=eps,
            epochs=p["adversarial_epochs"],
            lr=p["retrain_lr"],
            seed=seed + 3,
            progress=progress,
        ),
    )
    adv_fp_scores = score("adversarial_training_full_precision", adv_fp)
    methods["adversarial training + quantization"] = score(
        "adversarial_training_quantized", quantize_uniform(adv_fp, p["bits"])
    )

    mapping = NonlinearInputMapping(p["mapping_levels"], p["mapping_temperature"])
    mapped = checkpoint.module(
        "boundary_retraining_mapped",
        copy.deepcopy(boundary),
        lambda net: fit(
            with_mapping(net, mapping),
            train,
            epochs=p["epochs_per_round"],
            lr=p["retrain_lr"],
            seed=seed + 4,
            progress=progress,
            desc="retrain on mapped inputs",
        ),
    )
    methods["boundary retraining + nonlinear mapping"] = score(
        "boundary_retraining_mapped", mapped, mapping=mapping
    )

    numbers = {
        "eps_sweep": _eps_sweep(boundary, mapped, mapping, attack_set, p, seed),
        "n_train": len(train),
        "n_test": len(test),
        "n_test_attacked": len(attack_set),
        "accuracy_full_precision_all_test": evaluate(fp, test),
        "full_precision": {
            "scores": fp_scores,
            "adversarial_loss": {k: fp_scores["clean"] - fp_scores[k] for k in ATTACKS},
        },
        "adversarially_trained_full_precision": {"scores": adv_fp_scores},
        "methods": {name: {"scores": s, **_criteria(acc_fp, s)} for name, s in methods.items()},
        "resumed_steps": checkpoint.reused,
    }
    wall = time.perf_counter() - start
    params = dict(
        p,
        model="LeNet-5",
        dataset=data.name,
        norm="Linf",
        pixel_range="[0, 1]",
        attacks="ART 1.x: FastGradientMethod, ProjectedGradientDescent (1 random "
        "start), BPDA = ART Preprocessor with identity gradient",
    )
    if record is not None:
        write_record(
            record,
            result="boundary",
            params=params,
            seeds={
                "split": seed,
                "init": seed,
                "surrogate_init": seed + 100,
                "attacks": seed,
                "clean_retrain": seed + 1,
                "boundary_retrain": seed + 2,
                "adversarial_training": seed + 3,
                "mapping_retrain": seed + 4,
            },
            numbers=numbers,
            wall_time_s=wall,
            command=command,
        )
    if out_dir is not None:
        plot_boundary(numbers, Path(out_dir) / "boundary_losses.png")
    return numbers


def _eps_sweep(boundary, mapped, mapping, attack_set, p, seed) -> dict:
    """White-box PGD and adaptive BPDA accuracy against the budget eps, with and without the
    mapping (on the first ``n_test_sweep`` attacked images)."""
    sweep_set = attack_set.subset(np.arange(min(len(attack_set), p["n_test_sweep"])))
    X, y = sweep_set.X, sweep_set.y
    system = with_mapping(mapped, mapping)

    def acc(net, x):
        return evaluate(net, (x, y))

    out = {
        "eps": list(p["sweep_eps"]),
        "n_images": len(sweep_set),
        "without_mapping_pgd": [],
        "with_mapping_pgd": [],
        "with_mapping_bpda": [],
    }
    for e in p["sweep_eps"]:
        kw = dict(eps=e, max_iter=p["pgd_iter"], seed=seed)
        out["without_mapping_pgd"].append(acc(boundary, attacks.pgd(boundary, X, y, **kw)))
        out["with_mapping_pgd"].append(acc(system, attacks.pgd(system, X, y, **kw)))
        out["with_mapping_bpda"].append(
            acc(system, attacks.pgd(mapped, X, y, bpda_mapping=mapping, **kw))
        )
    return out


def plot_boundary(numbers: dict, path: str | Path) -> Path:
    """Stacked bars per method: quantization loss plus adversarial loss (PGD, white box), with
    the transfer and BPDA totals as markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = {name: i for i, name in enumerate(METHODS)}
    names = sorted(numbers["methods"], key=lambda n: order.get(n, len(order)))
    rows = [numbers["methods"][n] for n in names]
    x = np.arange(len(names))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    ql = np.array([100 * r["quantization_loss"] for r in rows])
    al = np.array([100 * r["adversarial_loss_pgd"] for r in rows])
    ax.bar(x, ql, color="C1", label="quantization loss")
    ax.bar(x, al, bottom=ql, color="C0", label="adversarial loss (white-box PGD)")
    ax.plot(
        x,
        [100 * r["total_loss_transfer"] for r in rows],
        "kD",
        ms=5,
        label="total, black-box transfer PGD",
    )
    bpda = [
        (i, 100 * r["total_loss_pgd_bpda"])
        for i, r in enumerate(rows)
        if "total_loss_pgd_bpda" in r
    ]
    if bpda:
        ax.plot(*zip(*bpda), "r^", ms=7, label="total, adaptive BPDA PGD")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(
        x,
        [n.replace(" + ", " +\n").replace(" retraining", "\nretraining") for n in names],
        fontsize=7,
    )
    ax.set_ylabel("accuracy lost vs full precision, clean (pp)")
    fs = numbers["full_precision"]["scores"]
    ax.set_title(
        f"LeNet-5, MNIST subset; full precision clean {100 * fs['clean']:.1f} %", fontsize=9
    )
    ax.legend(fontsize=7)
    sweep = numbers.get("eps_sweep")
    if sweep:
        for key, style, label in (
            ("without_mapping_pgd", "o-", "boundary retraining, PGD"),
            ("with_mapping_pgd", "s--", "+ mapping, PGD through the mapping"),
            ("with_mapping_bpda", "^:", "+ mapping, adaptive BPDA PGD"),
        ):
            ax2.plot(sweep["eps"], [100 * a for a in sweep[key]], style, label=label)
        ax2.set_xlabel("L-infinity budget eps ([0, 1] pixels)")
        ax2.set_ylabel("accuracy under attack (%)")
        ax2.set_title(f"quantized networks, {sweep['n_images']} test images", fontsize=9)
        ax2.legend(fontsize=7)
    else:
        ax2.set_visible(False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
