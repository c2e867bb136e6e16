"""Reduced-scale reproduction of arXiv:2101.08177 (Qiao et al., "On Provable Backdoor Defense
in Collaborative Learning"): sub-models trained on user subsets chosen by a code, a certified
majority vote against malicious users, a BadNets backdoor from planted attackers, and
attacker localization with a Kautz-Singleton code, on non-IID users of the MNIST subset.

Compared at equal sub-models and utilization: non-overlapping partition (DPA), random
selection, a cyclic constant-column-weight code, the projective plane PG(2, q) when the sizes
allow, and a code annealed from the cyclic one; plain FedAvg over every user is the undefended
baseline. The paper's definitions are not available; ours are in :mod:`mlcore.poisoning.codes`.

Randomness: streams ``split``, ``users`` (split and user order), ``attackers``, ``poison``,
``random_code``, ``anneal``, ``train_<code>`` (one per code; sub-model ``i`` uses its child
``i``), ``fedavg_init`` and ``fedavg``.
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    CODE_LABELS,
    CodedAggregationMetrics,
    CodedAggregationParams,
    CodedAggregationRecord,
    CodeMetrics,
    FedAvgMetrics,
    Localization,
)
from .report import plot, summary

__all__ = [
    "CODE_LABELS",
    "CodeMetrics",
    "CodedAggregationMetrics",
    "CodedAggregationParams",
    "CodedAggregationRecord",
    "FedAvgMetrics",
    "Localization",
    "RESULT",
    "plot",
    "run",
    "summary",
]

RESULT = register(
    Result(
        name="coded_aggregation",
        description="coded subset aggregation certified against malicious users, BadNets and "
        "attacker localization (arXiv:2101.08177)",
        params=CodedAggregationParams,
        record=CodedAggregationRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(  # PG(2, 3): 13 users, 13 sub-models; a few seconds on one core
            n_users=13,
            n_submodels=13,
            column_weight=4,
            ks_prime=5,
            n_attackers=1,
            n_samples=800,
            epochs=4,
            hidden=32,
            fedavg_rounds=5,
            anneal_iterations=30,
            k_max=4,
        ),
    )
)
