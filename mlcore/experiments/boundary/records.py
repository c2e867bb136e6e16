"""Parameters, per-seed metrics and run record of the boundary-retraining reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from ...params import Interval, Params, SequenceOf, parameter
from ...records import Metrics, RunRecord
from ...robust.boundary import adversarial_loss, quantization_loss
from .._common import (
    POSITIVE,
    is_collapsed,
    n_samples_parameter,
    pretrain_epochs_parameter,
    pretrain_lr_parameter,
    test_fraction_parameter,
)

__all__ = [
    "BoundaryParams",
    "AttackScores",
    "MethodResult",
    "Methods",
    "EpsSweep",
    "BoundaryMetrics",
    "BoundaryRecord",
    "METHOD_LABELS",
    "ATTACKS",
]

N_CLASSES = 10


@dataclass(frozen=True)
class BoundaryParams(Params):
    """Parameters of the boundary-retraining reproduction (defaults: the reduced configuration)."""

    bits: int = parameter(2, Interval(int, 1, 8), "uniform weight precision", unit="bits")
    eps: float = parameter(
        0.1, Interval(float, 0, 1, closed="right"), "L-infinity budget", unit="[0, 1] pixels"
    )
    pretrain_epochs: int = pretrain_epochs_parameter()
    pretrain_lr: float = pretrain_lr_parameter()
    retrain_rounds: int = parameter(
        2, Interval(int, 1, None), "boundary-sample refreshes", unit="rounds"
    )
    epochs_per_round: int = parameter(
        3, Interval(int, 1, None), "retraining per round", unit="epochs"
    )
    adversarial_epochs: int = parameter(
        3, Interval(int, 1, None), "PGD adversarial training", unit="epochs"
    )
    retrain_lr: float = parameter(1e-3, POSITIVE, "retraining Adam learning rate")
    pgd_iter: int = parameter(20, Interval(int, 1, None), "PGD steps of the attacks", unit="steps")
    mapping_levels: int = parameter(
        4, Interval(int, 2, None), "levels of the input staircase", unit="levels"
    )
    mapping_temperature: float = parameter(
        60.0, POSITIVE, "staircase sharpness T", unit="1 / pixel"
    )
    test_fraction: float = test_fraction_parameter()
    n_samples: int | None = n_samples_parameter()
    n_test_attack: int | None = parameter(
        500,
        Interval(int, 1, None),
        "attacked test images (None: all)",
        unit="images",
        optional=True,
    )
    sweep_eps: tuple = parameter(
        (0.05, 0.1, 0.15, 0.2, 0.3),
        SequenceOf(Interval(float, 0, 1, closed="right")),
        "budgets of the eps sweep",
        unit="[0, 1] pixels",
    )
    n_test_sweep: int = parameter(
        300, Interval(int, 1, None), "images of the eps sweep", unit="images"
    )


@dataclass(frozen=True)
class AttackScores(Metrics):
    """Accuracies in [0, 1] on clean and attacked test images (``transfer``: black-box PGD
    from the surrogate; ``pgd_bpda``: adaptive attack, with the mapping only)."""

    clean: float
    fgsm: float
    pgd: float
    transfer: float | None = None
    pgd_bpda: float | None = None


ATTACKS = ("fgsm", "pgd", "transfer", "pgd_bpda")


@dataclass(frozen=True)
class MethodResult(Metrics):
    """A quantized network's scores and criteria (in accuracy units, [-1, 1])."""

    scores: AttackScores
    quantization_loss: float
    adversarial_loss_fgsm: float
    adversarial_loss_pgd: float
    adversarial_loss_transfer: float
    total_loss_fgsm: float
    total_loss_pgd: float
    total_loss_transfer: float
    collapsed: bool
    adversarial_loss_pgd_bpda: float | None = None
    total_loss_pgd_bpda: float | None = None

    @classmethod
    def of(cls, accuracy_fp: float, scores: AttackScores) -> MethodResult:
        ql = quantization_loss(accuracy_fp, scores.clean)
        out = {"scores": scores, "quantization_loss": ql}
        for attack in ATTACKS:
            attacked = getattr(scores, attack)
            if attacked is not None:
                out[f"adversarial_loss_{attack}"] = adversarial_loss(scores.clean, attacked)
                out[f"total_loss_{attack}"] = ql + out[f"adversarial_loss_{attack}"]
        return cls(**out, collapsed=is_collapsed(scores.clean, N_CLASSES))


@dataclass(frozen=True)
class Methods(Metrics):
    """The five quantized networks compared (see :data:`METHOD_LABELS`)."""

    plain_quantization: MethodResult
    clean_retraining: MethodResult
    adversarial_training_quantization: MethodResult
    boundary_retraining: MethodResult
    boundary_retraining_mapping: MethodResult


METHOD_LABELS = {
    "plain_quantization": "plain quantization",
    "clean_retraining": "clean retraining",
    "adversarial_training_quantization": "adversarial training + quantization",
    "boundary_retraining": "boundary retraining",
    "boundary_retraining_mapping": "boundary retraining + nonlinear mapping",
}


@dataclass(frozen=True)
class EpsSweep(Metrics):
    """White-box PGD and adaptive BPDA accuracy against the budget ``eps``, with and without
    the mapping, on the first ``n_images`` attacked images."""

    eps: tuple[float, ...]
    n_images: int
    without_mapping_pgd: tuple[float, ...]
    with_mapping_pgd: tuple[float, ...]
    with_mapping_bpda: tuple[float, ...]


@dataclass(frozen=True)
class BoundaryMetrics(Metrics):
    """One seed of the reproduction."""

    n_train: int
    n_test: int
    n_test_attacked: int
    accuracy_full_precision_all_test: float
    full_precision: AttackScores
    adversarially_trained_full_precision: AttackScores
    methods: Methods
    eps_sweep: EpsSweep


@dataclass(frozen=True)
class BoundaryRecord(
    RunRecord, result="boundary", params_type=BoundaryParams, metrics_type=BoundaryMetrics
):
    """Run record of the boundary-retraining reproduction."""
