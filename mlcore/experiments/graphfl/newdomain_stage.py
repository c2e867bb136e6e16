"""The new-label-domain stage of one seed and dataset: GraphFL's federated meta-learning, FedAvg
pre-training and a random initialisation, each fine-tuned on few-shot tasks of held-out
classes, and the prototypical network (our extension) on the same tasks
(:mod:`mlcore.graphfl.newdomain`)."""

from __future__ import annotations

import time

from ...graphfl.functional import sparse_features, weights_of
from ...graphfl.models import make_model
from ...graphfl.newdomain import (
    FedAvgOptions,
    MetaTrainingOptions,
    class_split,
    fedavg_pretrain,
    finetune_evaluate,
    meta_train,
    sample_tasks,
)
from ...graphfl.newdomain_proto import ProtoTrainingOptions, proto_evaluate, proto_train
from ...rng import global_rng_seeded
from .records import GraphFLParams, NewDomainScore

__all__ = ["newdomain_scores", "NEWDOMAIN_METHODS"]

#: Methods of the new-label-domain comparison, in table order.
NEWDOMAIN_METHODS = ("graphfl_maml", "fedavg_finetune", "random_finetune", "prototypical")


def _trainer(params: GraphFLParams, method: str, n_way: int):
    """``(train function, options)`` of a method (None for the random initialisation)."""
    p = params
    rounds = dict(rounds=p.meta_rounds, tasks_per_round=p.tasks_per_round, n_way=n_way)
    rounds.update(k_shot=p.k_shot)
    if method == "graphfl_maml":
        options = MetaTrainingOptions(
            **rounds,
            inner_steps=p.newdomain_inner_steps,
            inner_lr=p.newdomain_inner_lr,
            meta_lr=p.newdomain_meta_lr,
            weight_decay=p.weight_decay,
        )
        return meta_train, options
    if method == "fedavg_finetune":
        clients = min(p.tasks_per_round, 10)
        options = FedAvgOptions(
            rounds=p.meta_rounds,
            n_clients=clients,
            clients_per_round=clients,
            local_steps=p.local_steps,
            lr=p.finetune_test_lr,
        )
        return fedavg_pretrain, options
    if method == "prototypical":
        return proto_train, ProtoTrainingOptions(**rounds)
    return None, None


def newdomain_scores(params: GraphFLParams, ctx, dataset: str, graph, model) -> list:
    """One :class:`NewDomainScore` per method of :data:`NEWDOMAIN_METHODS` (resumable steps
    ``<dataset>-newdomain-<method>``). Every method starts from the same initialisation and
    meets the same test tasks and the same fine-tuning dropout draws."""
    p, streams = params, ctx.streams
    n_classes = int(graph.y.max()) + 1
    classes = class_split(n_classes, n_way=p.n_way)
    x = sparse_features(graph.x.to(ctx.device))
    edge_index = graph.edge_index.to(ctx.device)
    labels = graph.y.cpu().numpy()
    tasks = sample_tasks(
        labels,
        classes.test,
        n_tasks=p.test_tasks,
        n_way=p.n_way,
        k_shot=p.k_shot,
        k_query=p.k_query,
        random_state=streams.numpy(f"newdomain_{dataset}_tasks"),
    )
    with global_rng_seeded(streams.seed(f"newdomain_{dataset}_init")):
        init = weights_of(make_model(p.model, graph.num_features, n_classes).to(ctx.device))

    def score(method: str) -> dict:
        began = time.perf_counter()
        train, options = _trainer(p, method, p.n_way)
        weights = init
        if train is not None:
            weights = train(
                model,
                init,
                x,
                edge_index,
                labels,
                classes.train,
                options,
                random_state=streams.seed(f"newdomain_{dataset}_{method}"),
            ).weights
        if method == "prototypical":
            scores = proto_evaluate(model, weights, x, edge_index, tasks)
        else:
            scores = finetune_evaluate(
                model,
                weights,
                x,
                edge_index,
                tasks,
                steps=p.finetune_test_steps,
                lr=p.finetune_test_lr,
                random_state=streams.seed(f"newdomain_{dataset}_finetune"),
            )
        return NewDomainScore(
            dataset=dataset,
            method=method,
            final=scores.mean_final,
            final_std_over_tasks=scores.std_final,
            best_step=scores.best_step_mean,
            seconds=round(time.perf_counter() - began, 2),
        ).to_dict()

    return [
        ctx.metrics_step(f"{dataset}-newdomain-{m}", NewDomainScore, lambda m=m: score(m))
        for m in NEWDOMAIN_METHODS
    ]
