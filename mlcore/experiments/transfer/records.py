"""Parameters, per-seed metrics and run record of the disjoint-label-space transfer reproduction
(arXiv:2103.09916)."""

from __future__ import annotations

from dataclasses import dataclass

from ...params import Interval, Options, Params, SequenceOf, parameter
from ...records import Metrics, RunRecord
from .._common import POSITIVE

__all__ = [
    "ENVIRONMENT_NAMES",
    "TRANSFER_METHODS",
    "TransferParams",
    "TransferPoint",
    "TargetPoint",
    "QueryPoint",
    "EnvironmentMetrics",
    "TransferMetrics",
    "TransferRecord",
]

ENVIRONMENT_NAMES = ("same_source", "different_source", "coarse")

#: Transfer attacks compared, in table order.
TRANSFER_METHODS = (
    "proxy_momentum",
    "proxy_feature",
    "random_proxy_momentum",
    "untargeted",
    "random_noise",
)

_LINF = Interval(float, 0, 1, closed="right")


@dataclass(frozen=True)
class TransferParams(Params):
    """Parameters of the reduced-scale reproduction (MNIST subset and scikit-learn digits)."""

    environments: tuple = parameter(
        ENVIRONMENT_NAMES, SequenceOf(Options(*ENVIRONMENT_NAMES)), "test environments"
    )
    n_per_class: int = parameter(
        120,
        Interval(int, 10, 124),
        "training images per class of each model (scikit-learn's digit 8 has 174: 124 + 50 test)",
        unit="images",
    )
    epochs: int = parameter(10, Interval(int, 1, None), "training of both models", unit="epochs")
    lr: float = parameter(2e-3, POSITIVE, "Adam learning rate of both models")
    epsilons: tuple = parameter(
        (0.1, 0.2, 0.3), SequenceOf(_LINF), "linf budgets", unit="[0, 1] pixel units"
    )
    steps: int = parameter(20, Interval(int, 1, None), "iterations of the transfer attacks")
    momentum: float = parameter(1.0, Interval(float, 0, None), "MI-FGSM momentum")
    diversity_prob: float = parameter(
        0.5, Interval(float, 0, 1), "input-diversity probability (DI)"
    )
    top_k: int = parameter(1, Interval(int, 1, 5), "proxies per target")
    attack_images: int = parameter(
        100, Interval(int, 10, None), "attacked black-box test images per target", unit="images"
    )
    feature_epochs: int = parameter(3, Interval(int, 1, None), "auxiliary feature heads")
    query_epsilon: float = parameter(0.2, _LINF, "linf budget of the query attacks")
    query_budget: int = parameter(
        500, Interval(int, 1, None), "queries per image of the query attacks"
    )
    query_images: int = parameter(
        20, Interval(int, 1, None), "images per target attacked by the query attacks"
    )


@dataclass(frozen=True)
class TransferPoint(Metrics):
    """Targeted success on the black box (in [0, 1], mean over targets) of one transfer attack
    at one budget: the share of attacked images (black-box test images of the other classes)
    the black box labels with the target. ``base_rate``: the same share before the attack."""

    environment: str
    method: str
    epsilon: float
    success: float
    base_rate: float

    @property
    def key(self) -> str:
        return f"{self.environment}_{self.method}_eps{self.epsilon:g}".replace(".", "p")


@dataclass(frozen=True)
class TargetPoint(Metrics):
    """One black-box target at the middle budget: the proxy's correspondence strength
    P(proxy | target) and the proxy-guided success; success by the black box's clean rank of
    the target (``success_by_rank[r - 1]`` for rank r; 1 = already its prediction, 2 = its
    second guess), NaN where no attacked image had that rank."""

    environment: str
    target: int
    strength: float
    success: float
    success_by_rank: tuple[float, ...]

    @property
    def key(self) -> str:
        return f"{self.environment}_t{self.target}"


@dataclass(frozen=True)
class QueryPoint(Metrics):
    """A query attack with or without the transfer prior: success within the budget, the
    median over images of the queries to success (a failure counted at the budget) and the
    mean queries spent per image."""

    environment: str
    attack: str
    prior: bool
    success: float
    median_queries: float
    mean_queries: float

    @property
    def key(self) -> str:
        return f"{self.environment}_{self.attack}_{'prior' if self.prior else 'plain'}"


@dataclass(frozen=True)
class EnvironmentMetrics(Metrics):
    """One environment of one seed: clean accuracies, the correspondence matrix (counts,
    white-box classes by black-box outputs), and every attack."""

    environment: str
    whitebox_accuracy: float
    blackbox_accuracy: float
    correspondence: tuple[tuple[int, ...], ...]
    transfer: tuple[TransferPoint, ...]
    targets: tuple[TargetPoint, ...]
    queries: tuple[QueryPoint, ...]

    @property
    def key(self) -> str:
        return self.environment


@dataclass(frozen=True)
class TransferMetrics(Metrics):
    """One seed: every environment."""

    environments: tuple[EnvironmentMetrics, ...]

    def environment(self, name: str) -> EnvironmentMetrics:
        for e in self.environments:
            if e.environment == name:
                return e
        raise KeyError(f"no environment {name!r} in this record")


@dataclass(frozen=True)
class TransferRecord(
    RunRecord, result="transfer", params_type=TransferParams, metrics_type=TransferMetrics
):
    """Run record of the disjoint-label-space transfer reproduction."""
