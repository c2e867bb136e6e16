"""Parameters, per-seed metrics and run record of the GraphFL reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from ...graphfl.clients import SCHEMES
from ...graphfl.datasets import GRAPHS
from ...params import Interval, Options, Params, SequenceOf, parameter
from ...records import Metrics, RunRecord
from .._common import POSITIVE

__all__ = [
    "GraphFLParams",
    "MethodRun",
    "Selection",
    "NewDomainScore",
    "SettingInfo",
    "GraphFLMetrics",
    "GraphFLRecord",
    "SETTINGS",
    "METHOD_LABELS",
    "VARIANTS",
]

#: Client settings: GraphFL's reference (whole graph shared) and the subgraph schemes.
SETTINGS = ("reference", *SCHEMES)

METHOD_LABELS = {"local": "local only", "fedavg": "FedAvg", "graphfl": "GraphFL"}

#: Runs beyond the step-size grid, each at the method's validation-selected step size.
VARIANTS = ("selftrain", "second_order", "sgd_server")

_FRACTION = Interval(float, 0, 1, closed="neither")


@dataclass(frozen=True)
class GraphFLParams(Params):
    """Parameters of the reduced-scale reproduction (defaults: GraphFL's reference code for GCN,
    arXiv:2012.04187 research notes Sec. 3-7, where it fixes a value)."""

    datasets: tuple = parameter(("cora", "citeseer"), SequenceOf(Options(*GRAPHS)), "graphs")
    settings: tuple = parameter(
        ("reference", "metis"), SequenceOf(Options(*SETTINGS)), "client settings"
    )
    model: str = parameter("gcn", Options("gcn", "sgc"), "graph neural network")
    rounds: int = parameter(20, Interval(int, 1, None), "federated rounds", unit="rounds")
    n_train: int = parameter(
        400, Interval(int, 2, None), "labelled nodes (reference: 300 support + 140 query)"
    )
    n_val: int = parameter(500, Interval(int, 1, None), "validation nodes", unit="nodes")
    n_test: int = parameter(1000, Interval(int, 1, None), "test nodes", unit="nodes")
    n_clients: int = parameter(50, Interval(int, 1, None), "clients, reference setting")
    support_per_client: int = parameter(6, Interval(int, 1, None), "reference support nodes")
    query_per_client: int = parameter(2, Interval(int, 1, None), "reference query nodes")
    subgraph_clients: int = parameter(10, Interval(int, 2, None), "clients, subgraph settings")
    query_fraction: float = parameter(0.25, _FRACTION, "query share, subgraph settings")
    dirichlet_alpha: float = parameter(0.5, POSITIVE, "Dirichlet label-skew concentration")
    clients_per_round: int = parameter(
        10, Interval(int, 1, None), "clients per round (at most all)"
    )
    lr_grid: tuple = parameter(
        (0.01, 0.1, 0.5),
        SequenceOf(POSITIVE),
        "client SGD step sizes tried per method; chosen on validation nodes "
        "(0.01: the reference code's)",
    )
    local_steps: int = parameter(20, Interval(int, 1, None), "FedAvg steps per round")
    local_only_steps: int = parameter(5, Interval(int, 1, None), "local-only steps per round")
    inner_steps: int = parameter(10, Interval(int, 0, None), "GraphFL adaptation steps")
    finetune_steps: int = parameter(10, Interval(int, 0, None), "GraphFL fine-tuning steps")
    meta_lr: float = parameter(0.02, POSITIVE, "GraphFL server step (Adam, reference)")
    sgd_meta_lr: float = parameter(0.5, POSITIVE, "GraphFL server step of the SGD variant")
    weight_decay: float = parameter(5e-4, Interval(float, 0, None), "server weight decay")
    pseudo_per_class: int = parameter(20, Interval(int, 0, None), "pseudo-labels per class")
    selftrain_steps: int = parameter(50, Interval(int, 1, None), "pseudo-labeller Adam steps")
    variants: tuple = parameter(
        VARIANTS, SequenceOf(Options(*VARIANTS), min_len=0), "runs at the selected step size"
    )
    newdomain: bool = parameter(True, Options(True, False), "run the new-label-domain comparison")
    n_way: int = parameter(2, Interval(int, 2, None), "new-domain classes per task")
    k_shot: int = parameter(1, Interval(int, 1, None), "support nodes per class")
    k_query: int = parameter(15, Interval(int, 1, None), "query nodes per class (test)")
    test_tasks: int = parameter(100, Interval(int, 1, None), "new-domain test tasks")
    meta_rounds: int = parameter(20, Interval(int, 1, None), "new-domain training rounds")
    tasks_per_round: int = parameter(10, Interval(int, 1, None), "tasks (clients) per round")
    newdomain_inner_steps: int = parameter(10, Interval(int, 0, None), "MAML inner steps")
    newdomain_inner_lr: float = parameter(0.1, POSITIVE, "MAML inner step (reference)")
    newdomain_meta_lr: float = parameter(0.001, POSITIVE, "client meta step (reference)")
    finetune_test_steps: int = parameter(50, Interval(int, 1, None), "meta-test fine-tuning")
    finetune_test_lr: float = parameter(0.1, POSITIVE, "meta-test fine-tuning step")

    def __post_init__(self):
        super().__post_init__()
        if len(set(self.lr_grid)) != len(self.lr_grid):
            raise ValueError(f"GraphFLParams.lr_grid must hold distinct values; got {self.lr_grid}")


def _token(value: float) -> str:
    return f"{value:g}".replace(".", "p").replace("-", "m")


@dataclass(frozen=True)
class MethodRun(Metrics):
    """One federated run: dataset, setting, method and variant (``"grid"`` for the step-size
    grid, else one of :data:`VARIANTS`), its client step size, and its accuracies in [0, 1]:
    test at the best validation round, best validation, best test over rounds (the reference's
    selection), final test. ``pseudo_precision``: share of right pseudo-labels (self-training
    only)."""

    dataset: str
    setting: str
    method: str
    variant: str
    lr: float
    test_at_best_val: float
    best_val: float
    max_test: float
    final_test: float
    best_round: int
    seconds_per_round: float
    pseudo_labels: int
    pseudo_precision: float | None

    @property
    def key(self) -> str:
        return f"{self.dataset}_{self.setting}_{self.method}_{self.variant}_lr{_token(self.lr)}"


@dataclass(frozen=True)
class Selection(Metrics):
    """The client step size of ``method`` chosen on validation accuracy (its grid run's
    ``best_val``; ties go to the smaller step)."""

    dataset: str
    setting: str
    method: str
    lr: float

    @property
    def key(self) -> str:
        return f"{self.dataset}_{self.setting}_{self.method}"


@dataclass(frozen=True)
class SettingInfo(Metrics):
    """A client setting of one seed: clients, labelled nodes, edges kept and dropped, and the
    mean over clients of the largest class share of their labelled nodes (label skew)."""

    dataset: str
    setting: str
    n_clients: int
    labelled_nodes: int
    edges_kept: int
    edges_dropped: int
    mean_top_class_share: float

    @property
    def key(self) -> str:
        return f"{self.dataset}_{self.setting}"


@dataclass(frozen=True)
class NewDomainScore(Metrics):
    """Mean query accuracy over the test tasks of held-out classes: after the fixed number of
    fine-tuning steps (``final``) and at the step best on average over tasks (``best_step``,
    the reference code's selection, read from the query labels)."""

    dataset: str
    method: str
    final: float
    final_std_over_tasks: float
    best_step: float
    seconds: float

    @property
    def key(self) -> str:
        return f"{self.dataset}_{self.method}"


@dataclass(frozen=True)
class GraphFLMetrics(Metrics):
    """One seed: the client settings, every federated run, the step sizes selected and the
    new-label-domain scores."""

    settings: tuple[SettingInfo, ...]
    runs: tuple[MethodRun, ...]
    selected: tuple[Selection, ...]
    newdomain: tuple[NewDomainScore, ...]

    def run(self, dataset: str, setting: str, method: str, variant: str = "selected"):
        """The run of ``method``: at the selected step size (``variant="selected"``), or the
        variant run (:data:`VARIANTS`); None when it was not run."""
        if variant == "selected":
            lr = self.selected_lr(dataset, setting, method)
            variant = "grid"
        else:
            lr = None
        for r in self.runs:
            if (r.dataset, r.setting, r.method, r.variant) == (dataset, setting, method, variant):
                if lr is None or r.lr == lr:
                    return r
        return None

    def grid_run(self, dataset: str, setting: str, method: str, lr: float):
        for r in self.runs:
            key = (r.dataset, r.setting, r.method, r.variant, r.lr)
            if key == (dataset, setting, method, "grid", lr):
                return r
        return None

    def selected_lr(self, dataset: str, setting: str, method: str) -> float | None:
        for s in self.selected:
            if (s.dataset, s.setting, s.method) == (dataset, setting, method):
                return s.lr
        return None

    def newdomain_score(self, dataset: str, method: str):
        for s in self.newdomain:
            if (s.dataset, s.method) == (dataset, method):
                return s
        return None


@dataclass(frozen=True)
class GraphFLRecord(
    RunRecord, result="graphfl", params_type=GraphFLParams, metrics_type=GraphFLMetrics
):
    """Run record of the GraphFL reproduction."""
