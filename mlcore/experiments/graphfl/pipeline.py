"""One seed of the GraphFL reproduction, as named stages: per dataset, a node split and one
initialisation shared by every run (paired comparisons); per client setting, every method over
the step-size grid, the step size each method gets by validation accuracy, then the variants at
that step size (self-training, second-order MAML, an SGD server step); last, the new-label-domain
comparison. Every run is a resumable step of the run's checkpoints."""

from __future__ import annotations

import numpy as np
import torch

from ...graphfl.clients import FederatedGraph, reference_clients, subgraph_clients
from ...graphfl.datasets import load_graph, random_split
from ...graphfl.functional import sparse_features, weights_of
from ...graphfl.models import make_model
from ...graphfl.selftrain import SelfTrainingOptions, self_train, training_sets
from ...graphfl.solver import METHODS, FederatedNodeClassification
from ...rng import global_rng_seeded
from .newdomain_stage import newdomain_scores
from .records import GraphFLMetrics, GraphFLParams, MethodRun, Selection, SettingInfo

__all__ = ["run", "federation", "select_lr"]


def federation(params: GraphFLParams, graph, split, setting: str, random_state) -> FederatedGraph:
    """The clients of ``setting``: GraphFL's reference (whole graph shared) or a subgraph
    scheme (:data:`mlcore.graphfl.clients.SCHEMES`)."""
    if setting == "reference":
        return reference_clients(
            graph,
            split,
            n_clients=params.n_clients,
            support_per_client=params.support_per_client,
            query_per_client=params.query_per_client,
            random_state=random_state,
        )
    return subgraph_clients(
        graph,
        split,
        n_clients=params.subgraph_clients,
        scheme=setting,
        alpha=params.dirichlet_alpha,
        query_fraction=params.query_fraction,
        random_state=random_state,
    )


def _setting_info(dataset: str, setting: str, fed: FederatedGraph) -> SettingInfo:
    kept, dropped = fed.edge_counts()
    shares = []
    for c in fed.clients:
        counts = np.bincount(c.y[c.labelled].cpu().numpy())
        shares.append(counts.max() / counts.sum())
    return SettingInfo(
        dataset=dataset,
        setting=setting,
        n_clients=fed.n_clients,
        labelled_nodes=int(sum(c.n_labelled for c in fed.clients)),
        edges_kept=int(kept),
        edges_dropped=int(dropped),
        mean_top_class_share=float(np.mean(shares)),
    )


def select_lr(runs: list[MethodRun]) -> float:
    """The step size of the grid run with the highest validation accuracy (the smaller step
    on ties); test accuracy is never read."""
    best = max(r.best_val for r in runs)
    return min(r.lr for r in runs if r.best_val == best)


def _method_run(
    solver: FederatedNodeClassification, rounds: int, key: tuple, report=None
) -> MethodRun:
    result = solver.run(rounds)
    best = result.best_val_round
    return MethodRun(
        *key,
        test_at_best_val=result.test_at_best_val,
        best_val=result.rounds[best].val_accuracy,
        max_test=result.max_test,
        final_test=result.final_test,
        best_round=best,
        seconds_per_round=float(np.mean([r.wall_time_s for r in result.rounds])),
        pseudo_labels=0 if report is None else int(sum(report.added)),
        pseudo_precision=None if report is None else report.precision,
    )


class _Setting:
    """The runs of one (dataset, setting) of one seed, sharing clients, initial weights and the
    round stream (client sampling and dropout): every comparison is paired."""

    def __init__(self, params, ctx, dataset, setting, fed, model, init, n_classes):
        self.p, self.ctx, self.dataset, self.setting = params, ctx, dataset, setting
        self.model, self.init, self.n_classes = model, init, n_classes
        self.clients = training_sets(fed.clients)
        self.evaluation = fed.evaluation_views()
        self.n_clients = fed.n_clients
        self._selftrained = None
        self._sparse: dict[int, torch.Tensor] = {}

    def options(self, method: str, lr: float, **extra) -> dict:
        p = self.p
        base = dict(
            method=method,
            lr=lr,
            clients_per_round=min(p.clients_per_round, self.n_clients),
            local_steps=p.local_only_steps if method == "local" else p.local_steps,
            inner_steps=p.inner_steps,
            finetune_steps=p.finetune_steps,
            meta_lr=p.meta_lr,
            weight_decay=p.weight_decay,
        )
        return {**base, **extra}

    def selftrained(self):
        """The clients with their pseudo-labels, and the report (computed once, when needed)."""
        if self._selftrained is None:
            p, x = self.p, self.clients[0].view.x

            def factory():
                return make_model(p.model, x.shape[1], self.n_classes).to(x.device)

            options = SelfTrainingOptions(per_class=p.pseudo_per_class, steps=p.selftrain_steps)
            self._selftrained = self_train(
                self.clients, factory, options, self.ctx.streams, features=self._features
            )
        return self._selftrained

    def _features(self, view) -> torch.Tensor:
        if id(view.x) not in self._sparse:
            self._sparse[id(view.x)] = sparse_features(view.x)
        return self._sparse[id(view.x)]

    def run(self, method: str, variant: str, lr: float, **extra) -> MethodRun:
        name = f"{self.dataset}-{self.setting}-{method}-{variant}-lr{lr:g}"

        def compute():
            clients, report = self.clients, None
            if variant == "selftrain":
                clients, report = self.selftrained()
            solver = FederatedNodeClassification(
                self.model,
                clients,
                self.evaluation,
                self.options(method, lr, **extra),
                random_state=self.ctx.streams.seed(f"rounds_{self.dataset}_{self.setting}"),
            )
            solver.start(self.init)
            key = (self.dataset, self.setting, method, variant, lr)
            return _method_run(solver, self.p.rounds, key, report).to_dict()

        return self.ctx.metrics_step(name, MethodRun, compute)

    def all_runs(self) -> tuple[list[MethodRun], list[Selection]]:
        p = self.p
        runs, selected = [], {}
        for method in METHODS:
            grid = [self.run(method, "grid", lr) for lr in p.lr_grid]
            runs += grid
            selected[method] = select_lr(grid)
        if "selftrain" in p.variants:
            runs += [self.run(m, "selftrain", selected[m]) for m in METHODS]
        lr = selected["graphfl"]
        if "second_order" in p.variants:
            runs.append(self.run("graphfl", "second_order", lr, order="second"))
        if "sgd_server" in p.variants:
            extra = dict(server_step="sgd", meta_lr=p.sgd_meta_lr)
            runs.append(self.run("graphfl", "sgd_server", lr, **extra))
        picks = [Selection(self.dataset, self.setting, m, lr) for m, lr in selected.items()]
        return runs, picks


def run(params: GraphFLParams, ctx) -> GraphFLMetrics:
    """One seed (``ctx``: :class:`mlcore.runner.RunContext`)."""
    infos, runs, picks, newdomain = [], [], [], []
    for dataset in params.datasets:
        graph = load_graph(dataset)
        split = random_split(
            graph,
            n_train=params.n_train,
            n_val=params.n_val,
            n_test=params.n_test,
            random_state=ctx.streams.numpy(f"split_{dataset}"),
        )
        n_classes = int(graph.y.max()) + 1
        with global_rng_seeded(ctx.streams.seed(f"init_{dataset}")):
            model = make_model(params.model, graph.num_features, n_classes).to(ctx.device)
        init = weights_of(model)
        for setting in params.settings:
            with ctx.stage(f"{dataset} {setting}"):
                stream = ctx.streams.numpy(f"clients_{dataset}_{setting}")
                fed = federation(params, graph, split, setting, stream).to(ctx.device)
                infos.append(_setting_info(dataset, setting, fed))
                one = _Setting(params, ctx, dataset, setting, fed, model, init, n_classes)
                r, s = one.all_runs()
                runs += r
                picks += s
        if params.newdomain:
            with ctx.stage(f"{dataset} new label domain"):
                newdomain += newdomain_scores(params, ctx, dataset, graph, model)
    return GraphFLMetrics(tuple(infos), tuple(runs), tuple(picks), tuple(newdomain))
