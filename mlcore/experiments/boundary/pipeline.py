"""The stages of the boundary-retraining reproduction: prepare data, pretrain, quantize and
retrain, attack, sweep eps; :func:`run` is one seed."""

from __future__ import annotations

import copy

import numpy as np

from ...quantization import finetune, quantize_uniform
from ...robust import attacks
from ...robust.boundary import (
    NonlinearInputMapping,
    adversarial_train,
    boundary_retrain,
    robustness,
    with_mapping,
)
from ...training import evaluate, fit
from .._common import pretrained_lenet5
from .records import AttackScores, BoundaryMetrics, BoundaryParams, EpsSweep, MethodResult, Methods

__all__ = ["run"]


def _pretrained(p: BoundaryParams, ctx, train, prefix: str):
    return pretrained_lenet5(
        ctx,
        train,
        name=f"{prefix}lenet5",
        epochs=p.pretrain_epochs,
        lr=p.pretrain_lr,
        prefix=prefix,
        desc=f"pretrain {prefix or 'LeNet-5'}",
    )


def _retrained(p: BoundaryParams, ctx, train, fp) -> tuple[dict, NonlinearInputMapping]:
    """The networks that are compressed or retrained from the full-precision one."""
    seed, progress, epochs = ctx.streams.seed, ctx.progress, p.retrain_rounds * p.epochs_per_round

    def quantized(name: str, retrain):
        """The full-precision network quantized, then retrained as the resumable step ``name``."""
        return ctx.trained(name, quantize_uniform(fp, p.bits), retrain)

    nets = {"plain_quantization": quantize_uniform(fp, p.bits)}
    nets["clean_retraining"] = quantized(
        "clean_retraining",
        lambda net: finetune(
            net,
            train,
            epochs=epochs,
            lr=p.retrain_lr,
            seed=seed("clean_retrain"),
            progress=progress,
        ),
    )
    nets["boundary_retraining"] = quantized(
        "boundary_retraining",
        lambda net: boundary_retrain(
            net,
            train,
            eps=p.eps,
            rounds=p.retrain_rounds,
            epochs_per_round=p.epochs_per_round,
            lr=p.retrain_lr,
            rng=seed("boundary_retrain"),
            progress=progress,
        ),
    )
    nets["adversarial_training_full_precision"] = ctx.trained(
        "adversarial_training",
        copy.deepcopy(fp),
        lambda net: adversarial_train(
            net,
            train,
            eps=p.eps,
            epochs=p.adversarial_epochs,
            lr=p.retrain_lr,
            rng=seed("adversarial_training"),
            progress=progress,
        ),
    )
    nets["adversarial_training_quantization"] = quantize_uniform(
        nets["adversarial_training_full_precision"], p.bits
    )
    mapping = ctx.place(NonlinearInputMapping(p.mapping_levels, p.mapping_temperature))
    nets["boundary_retraining_mapping"] = ctx.trained(
        "boundary_retraining_mapping",
        copy.deepcopy(nets["boundary_retraining"]),
        lambda net: fit(
            with_mapping(net, mapping),
            train,
            epochs=p.epochs_per_round,
            lr=p.retrain_lr,
            seed=seed("mapping_retrain"),
            progress=progress,
            desc="retrain on mapped inputs",
        ),
    )
    return nets, mapping


def _attacked(p: BoundaryParams, ctx, attack_set, nets: dict, mapping, x_transfer) -> dict:
    """Scores of every network on the attacked test images (each a resumable step)."""
    scores = {}
    for name, net in nets.items():
        with_map = mapping if name == "boundary_retraining_mapping" else None
        scores[name] = ctx.metrics_step(
            f"scores_{name}",
            AttackScores,
            lambda net=net, with_map=with_map: robustness(
                net,
                attack_set,
                eps=p.eps,
                rng=ctx.streams.seed("attacks"),
                pgd_iter=p.pgd_iter,
                transfer_images=x_transfer,
                mapping=with_map,
            ),
        )
    return scores


def _eps_sweep(p: BoundaryParams, ctx, attack_set, boundary, mapped, mapping) -> EpsSweep:
    sweep_set = attack_set.subset(np.arange(min(len(attack_set), p.n_test_sweep)))
    X, y = sweep_set.X, sweep_set.y
    system = with_mapping(mapped, mapping)
    rows = {"without_mapping_pgd": [], "with_mapping_pgd": [], "with_mapping_bpda": []}
    for e in p.sweep_eps:
        kw = dict(eps=e, max_iter=p.pgd_iter, rng=ctx.streams.seed("attacks"))
        rows["without_mapping_pgd"].append(
            evaluate(boundary, (attacks.pgd(boundary, X, y, **kw), y))
        )
        rows["with_mapping_pgd"].append(evaluate(system, (attacks.pgd(system, X, y, **kw), y)))
        x_bpda = attacks.pgd(mapped, X, y, bpda_mapping=mapping, **kw)
        rows["with_mapping_bpda"].append(evaluate(system, (x_bpda, y)))
    return EpsSweep(
        eps=tuple(p.sweep_eps), n_images=len(sweep_set), **{k: tuple(v) for k, v in rows.items()}
    )


def run(p: BoundaryParams, ctx) -> BoundaryMetrics:
    """One seed: prepare data, pretrain (network and surrogate), quantize and retrain, attack,
    sweep eps, assemble metrics."""
    with ctx.stage("prepare_data"):
        train, test = ctx.image_split(
            "mnist_subset", test_fraction=p.test_fraction, n_samples=p.n_samples
        )
        n_attack = len(test) if p.n_test_attack is None else min(p.n_test_attack, len(test))
        attack_set = test.subset(np.arange(n_attack))
    with ctx.stage("pretrain"):
        fp = _pretrained(p, ctx, train, "")
        surrogate = _pretrained(p, ctx, train, "surrogate_")  # the black-box attacker's own
    with ctx.stage("quantize_and_retrain"):
        nets, mapping = _retrained(p, ctx, train, fp)
    with ctx.stage("attack"):
        x_transfer = attacks.pgd(
            surrogate,
            attack_set.X,
            attack_set.y,
            eps=p.eps,
            max_iter=p.pgd_iter,
            rng=ctx.streams.seed("transfer"),
        )
        scores = _attacked(p, ctx, attack_set, {"full_precision": fp, **nets}, mapping, x_transfer)
    with ctx.stage("eps_sweep"):
        sweep = ctx.metrics_step(
            "eps_sweep",
            EpsSweep,
            lambda: _eps_sweep(
                p,
                ctx,
                attack_set,
                nets["boundary_retraining"],
                nets["boundary_retraining_mapping"],
                mapping,
            ),
        )
    fp_scores = scores.pop("full_precision")
    return BoundaryMetrics(
        n_train=len(train),
        n_test=len(test),
        n_test_attacked=len(attack_set),
        accuracy_full_precision_all_test=evaluate(fp, test),
        full_precision=fp_scores,
        adversarially_trained_full_precision=scores.pop("adversarial_training_full_precision"),
        methods=Methods(**{k: MethodResult.of(fp_scores.clean, s) for k, s in scores.items()}),
        eps_sweep=sweep,
    )
