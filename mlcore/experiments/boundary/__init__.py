"""Reduced-scale reproduction of arXiv:2012.14965 (LeNet-5, MNIST subset, uniform weight
quantization): plain quantization, adversarial training then quantization, clean
quantization-aware retraining, boundary-based retraining, and boundary-based retraining with
the nonlinear input mapping, each attacked with FGSM and PGD (white box), transfer PGD (black
box, from an independently trained surrogate), and BPDA (adaptive, for the mapping).

Every quantized network's criteria are reported against the same full-precision network (the
one being compressed): ``QL = acc(fp, clean) - acc(q, clean)``, ``AL = acc(q, clean) -
acc(q, attacked)``, and their sum ``acc(fp, clean) - acc(q, attacked)``
(:func:`mlcore.robust.quantization_loss`, :func:`mlcore.robust.adversarial_loss`).

Randomness: streams ``split``, ``init``, ``pretrain``, ``surrogate_init``,
``surrogate_pretrain``, ``transfer``, ``attacks`` (the same random starts for every network),
``clean_retrain``, ``boundary_retrain``, ``adversarial_training``, ``mapping_retrain``.
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    METHOD_LABELS,
    AttackScores,
    BoundaryMetrics,
    BoundaryParams,
    BoundaryRecord,
    EpsSweep,
    MethodResult,
    Methods,
)
from .report import plot, summary

__all__ = [
    "BoundaryParams",
    "AttackScores",
    "MethodResult",
    "Methods",
    "EpsSweep",
    "BoundaryMetrics",
    "BoundaryRecord",
    "METHOD_LABELS",
    "RESULT",
    "run",
    "plot",
    "summary",
]

RESULT = register(
    Result(
        name="boundary",
        description="boundary-based retraining and the nonlinear mapping vs attacks, 2-bit "
        "LeNet-5 (arXiv:2012.14965)",
        params=BoundaryParams,
        record=BoundaryRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(
            n_samples=500,
            pretrain_epochs=4,
            retrain_rounds=1,
            epochs_per_round=1,
            adversarial_epochs=1,
            pgd_iter=3,
            n_test_attack=60,
            n_test_sweep=60,
        ),
    )
)
