"""Reduced-scale reproduction of arXiv:2012.04187 (Wang, Li, Pang, Li, Chen, "GraphFL: A
Federated Learning Framework for Semi-Supervised Node Classification on Graphs", ICDM 2022) on
the real Cora and CiteSeer graphs.

Per dataset and client setting (GraphFL's reference setting: 50 clients of 6 support + 2 query
labelled nodes sharing the whole graph; METIS subgraphs with cross-client edges dropped), local
training, FedAvg and GraphFL (first-order MAML, Adam sign step on the server) are each run over
a grid of client step sizes; each gets the step size with the best validation accuracy, and
is then run with self-training, and GraphFL with second-order MAML and with an SGD server step.
Accuracy is the test accuracy at the round of best validation accuracy; the best test accuracy
over rounds (the reference code's selection) is kept beside it. New label domains: GraphFL's
federated meta-learning against FedAvg pre-training and random initialisation, each fine-tuned
on held-out classes, and a prototypical network (our extension).

Randomness: streams ``split_<dataset>``, ``init_<dataset>`` (one initialisation for every run
of a dataset), ``clients_<dataset>_<setting>``, ``rounds_<dataset>_<setting>`` (client sampling
and dropout, shared by all methods: paired comparisons), ``selftrain_<k>``, and the
new-label-domain streams ``newdomain_<dataset>_*``.
"""

from __future__ import annotations

from ...registry import Result, register
from .pipeline import run
from .records import (
    GraphFLMetrics,
    GraphFLParams,
    GraphFLRecord,
    MethodRun,
    NewDomainScore,
    Selection,
    SettingInfo,
)
from .report import plot, summary

__all__ = [
    "GraphFLMetrics",
    "GraphFLParams",
    "GraphFLRecord",
    "MethodRun",
    "NewDomainScore",
    "RESULT",
    "Selection",
    "SettingInfo",
    "plot",
    "run",
    "summary",
]

RESULT = register(
    Result(
        name="graphfl",
        description="federated semi-supervised node classification on Cora and CiteSeer: "
        "local, FedAvg, GraphFL, self-training, new label domains (arXiv:2012.04187)",
        params=GraphFLParams,
        record=GraphFLRecord,
        run=run,
        plot=plot,
        summary=summary,
        demo_params=dict(  # Cora, METIS subgraphs, one step size, a few seconds
            datasets=("cora",),
            settings=("metis",),
            rounds=8,
            lr_grid=(0.5,),
            variants=("selftrain",),
            newdomain=False,
        ),
    )
)
