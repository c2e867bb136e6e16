"""Parameters, per-seed metrics and run record of the coded subset aggregation reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from ...params import Interval, Options, Params, parameter
from ...records import Metrics, RunRecord
from .._common import POSITIVE, n_samples_parameter, test_fraction_parameter

__all__ = [
    "CodedAggregationParams",
    "CodeMetrics",
    "Localization",
    "FedAvgMetrics",
    "CodedAggregationMetrics",
    "CodedAggregationRecord",
    "CODE_LABELS",
]

N_CLASSES = 10

#: Codes compared at equal sub-models and utilization (keys of the metrics), with labels.
CODE_LABELS = {
    "partition": "partition (DPA)",
    "random_selection": "random selection",
    "cyclic": "cyclic (window)",
    "projective_plane": "projective plane PG(2, q)",
    "annealed": "annealed (from cyclic)",
    "kautz_singleton": "Kautz-Singleton (localization)",
}


@dataclass(frozen=True)
class CodedAggregationParams(Params):
    """Parameters of the reduced-scale reproduction (defaults: the reduced configuration)."""

    n_users: int = parameter(57, Interval(int, 2, 1000), "users (clients)", unit="users")
    n_submodels: int = parameter(
        57, Interval(int, 2, 1000), "sub-models of every compared code", unit="models"
    )
    column_weight: int = parameter(
        8,
        Interval(int, 1, None),
        "sub-models per user in the overlapping codes (utilization = column_weight / "
        "n_submodels); the projective plane is built when n_users = n_submodels = q^2 + q + 1 "
        "and column_weight = q + 1 for a prime q",
        unit="models",
    )
    split: str = parameter("shard", Options("shard", "dirichlet"), "non-IID user split")
    classes_per_user: int = parameter(2, Interval(int, 1, 10), "shard split", unit="classes")
    dirichlet_alpha: float = parameter(0.5, POSITIVE, "Dirichlet split concentration")
    n_attackers: int = parameter(2, Interval(int, 0, None), "planted malicious users")
    target: int = parameter(0, Interval(int, 0, 9), "backdoor target class")
    patch_size: int = parameter(3, Interval(int, 1, 28), "BadNets trigger side", unit="pixels")
    poison_fraction: float = parameter(
        1.0, Interval(float, 0, 1, closed="right"), "share of an attacker's data poisoned"
    )
    k_max: int = parameter(6, Interval(int, 1, 20), "largest certified k reported", unit="users")
    hidden: int = parameter(64, Interval(int, 1, None), "sub-model MLP hidden units")
    epochs: int = parameter(15, Interval(int, 1, None), "sub-model training", unit="epochs")
    lr: float = parameter(2e-3, POSITIVE, "sub-model Adam learning rate")
    batch_size: int = parameter(32, Interval(int, 1, None), "mini-batch", unit="samples")
    fedavg_rounds: int = parameter(30, Interval(int, 1, None), "plain FedAvg", unit="rounds")
    fedavg_lr: float = parameter(0.05, POSITIVE, "FedAvg client SGD learning rate")
    anneal_iterations: int = parameter(
        400, Interval(int, 0, None), "annealing moves (objective T_k at k = n_attackers)"
    )
    ks_prime: int = parameter(7, Interval(int, 2, None), "Kautz-Singleton field size q (prime)")
    detection_threshold: float = parameter(
        0.5,
        Interval(float, 0, 1, closed="neither"),
        "a sub-model is flagged when its attack success rate exceeds this",
    )
    test_fraction: float = test_fraction_parameter()
    n_samples: int | None = n_samples_parameter()


@dataclass(frozen=True)
class CodeMetrics(Metrics):
    """One code of one seed. Accuracies and rates in [0, 1]; certified accuracies for
    ``k = 0 .. k_max`` (``k = 0``: the vote's clean accuracy). ``attack_success_rate``: share
    of triggered non-target test images voted ``target``; ``target_rate_clean``: the same share
    without the trigger (what a weak model does anyway)."""

    code: str
    n_submodels: int
    utilization: float
    max_column_weight: int
    reach: tuple[int, ...]
    reach_exact: tuple[bool, ...]
    certifiable_users: int
    clean_accuracy: float
    mean_submodel_accuracy: float
    certified_accuracy: tuple[float, ...]
    certified_accuracy_greedy: tuple[float, ...]
    certified_accuracy_reach: tuple[float, ...]
    attack_success_rate: float
    target_rate_clean: float
    backdoored_submodels: int

    @property
    def key(self) -> str:
        return self.code


@dataclass(frozen=True)
class Localization(Metrics):
    """Decoding the attackers from the Kautz-Singleton code's per-sub-model backdoor tests."""

    design_k: int
    disjunct_verified: bool
    attackers: tuple[int, ...]
    identified: tuple[int, ...]
    true_positives: int
    false_positives: int
    false_negatives: int
    positive_submodels: int


@dataclass(frozen=True)
class FedAvgMetrics(Metrics):
    """Plain FedAvg on every user (the attackers included)."""

    clean_accuracy: float
    attack_success_rate: float
    target_rate_clean: float


@dataclass(frozen=True)
class CodedAggregationMetrics(Metrics):
    """One seed: the compared codes, localization, plain FedAvg."""

    n_train: int
    n_test: int
    users_per_class: tuple[int, ...]
    codes: tuple[CodeMetrics, ...]
    localization: Localization
    fedavg: FedAvgMetrics
    anneal_start_objective: float
    anneal_objective: float

    def code(self, name: str) -> CodeMetrics:
        """The metrics of code ``name`` (a key of :data:`CODE_LABELS`)."""
        for c in self.codes:
            if c.code == name:
                return c
        raise KeyError(f"no code {name!r} in this record; have {[c.code for c in self.codes]}")


@dataclass(frozen=True)
class CodedAggregationRecord(
    RunRecord,
    result="coded_aggregation",
    params_type=CodedAggregationParams,
    metrics_type=CodedAggregationMetrics,
):
    """Run record of the coded subset aggregation reproduction."""
