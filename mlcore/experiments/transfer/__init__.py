"""Reduced-scale reproduction of arXiv:2103.09916 (Inkawhich et al., "Can Targeted Adversarial
Examples Transfer When the Source and Target Models Have No Label Space Overlap?") on the MNIST
subset and scikit-learn's digits.

Per environment (white box on MNIST 0-4; black box on MNIST 5-9, on upsampled scikit-learn
digits 5-9, or on MNIST 5-9 in two coarse groups): the class correspondence matrix, targeted
transfer towards each black-box target's proxies (MI-FGSM with input diversity; a feature-space
attack) against random proxies and an untargeted attack, success against the correspondence
strength and the black box's clean rank of the target, and RGF / Square with and without the
transfer prior.

Randomness: streams ``env_<env>``, ``wb_<env>_init`` / ``_train``, ``bb_<env>_init`` /
``_train``, ``sets_<env>``, ``random_proxies_<env>``, ``heads_<env>``, one per attack
(``attack_<env>_<method>_<eps>_<target>``) and per query attack.
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    EnvironmentMetrics,
    QueryPoint,
    TargetPoint,
    TransferMetrics,
    TransferParams,
    TransferPoint,
    TransferRecord,
)
from .report import plot, summary

__all__ = [
    "EnvironmentMetrics",
    "QueryPoint",
    "RESULT",
    "TargetPoint",
    "TransferMetrics",
    "TransferParams",
    "TransferPoint",
    "TransferRecord",
    "plot",
    "run",
    "summary",
]

RESULT = register(
    Result(
        name="transfer",
        description="targeted transfer attacks across disjoint label spaces, and transfer "
        "priors for query attacks (arXiv:2103.09916)",
        params=TransferParams,
        record=TransferRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(
            environments=("same_source",),
            epochs=2,
            epsilons=(0.3,),
            steps=5,
            attack_images=20,
            query_budget=50,
            query_images=4,
        ),
    )
)
