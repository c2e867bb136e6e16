"""GraphFL speed on Cora (GraphFL's reference setting: 50 clients of 6 support + 2 query nodes,
10 per round, GCN): seconds per federated round of each method, our client steps on each
client's computation subgraph against the same steps on the whole graph (a plain PyG loop,
``model(x, edge_index)`` and ``torch.optim.SGD``, the reference code's shape), and the time of
the whole reduced reproduction, read from its committed record.

Run: ``python -m benchmarks graphfl``.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F

_ROUNDS = 3


def _setup():
    from mlcore.graphfl.clients import reference_clients
    from mlcore.graphfl.datasets import load_graph, random_split
    from mlcore.graphfl.models import make_model
    from mlcore.graphfl.selftrain import training_sets
    from mlcore.rng import global_rng_seeded

    graph = load_graph("cora")
    split = random_split(graph, n_train=400, random_state=0)
    fed = reference_clients(graph, split, random_state=0)
    with global_rng_seeded(0):
        model = make_model("gcn", graph.num_features, 7)
    return graph, fed, training_sets(fed.clients), model


def bench_rounds(graph, fed, clients, model) -> None:
    from mlcore.graphfl.solver import FederatedNodeClassification

    variants = (
        ("local only (50 clients x 5 steps)", dict(method="local", local_steps=5)),
        ("FedAvg (10 clients x 20 steps)", dict(method="fedavg")),
        ("GraphFL, first order", dict(method="graphfl")),
        ("GraphFL, second order", dict(method="graphfl", order="second")),
    )
    for label, options in variants:
        solver = FederatedNodeClassification(
            model, clients, fed.evaluation_views(), {**options, "lr": 0.5}, random_state=0
        )
        solver.start()
        solver.step()  # warm-up: computation subgraphs and caches
        t0 = time.perf_counter()
        for _ in range(_ROUNDS):
            solver.step()
        per_round = (time.perf_counter() - t0) / _ROUNDS
        print(f"Cora, reference setting, {label:36s}: {per_round:.2f} s per round")


def bench_subgraph_steps(graph, clients, model, steps: int = 200) -> None:
    """One client's SGD steps: our computation-subgraph steps against whole-graph steps."""
    from mlcore.graphfl.functional import (
        computation_subgraph,
        sgd_adapt,
        sparse_features,
        weights_of,
    )

    client = clients[0]
    x = sparse_features(graph.x)
    comp = computation_subgraph(x, graph.edge_index, client.nodes, model.hops)
    weights = weights_of(model)
    model.train()
    sgd_adapt(model, weights, comp.x, comp.edge_index, comp.position, client.labels, steps=2,
              lr=0.1, edge_weight=comp.edge_weight)  # fmt: skip
    t0 = time.perf_counter()
    sgd_adapt(model, weights, comp.x, comp.edge_index, comp.position, client.labels,
              steps=steps, lr=0.1, edge_weight=comp.edge_weight)  # fmt: skip
    ours = (time.perf_counter() - t0) / steps
    plain = type(model)(graph.num_features, 7)
    plain.load_state_dict(model.state_dict())
    optimizer = torch.optim.SGD(plain.parameters(), lr=0.1)
    t0 = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(plain(graph.x, graph.edge_index)[client.nodes], client.labels).backward()
        optimizer.step()
    loop = (time.perf_counter() - t0) / steps
    print(
        f"one client step (8 labelled nodes, {comp.subset.numel()} of {graph.num_nodes} nodes "
        f"in its 2-hop computation subgraph): {ours * 1e3:.2f} ms; plain whole-graph PyG loop "
        f"{loop * 1e3:.2f} ms: {loop / ours:.1f}x"
    )


def bench_reproduction() -> None:
    """The reproduction's compute, summed from its record (a resumed run's wall time would
    count only what it recomputed): federated rounds and new-label-domain stages."""
    from mlcore.registry import load_record

    path = Path(__file__).resolve().parent.parent / "validation" / "runs" / "graphfl.json"
    if not path.is_file():
        print("reduced reproduction: no record at validation/runs/graphfl.json")
        return
    rec = load_record(path, "graphfl")
    rounds = rec.params.rounds
    federated = [sum(r.seconds_per_round * rounds for r in m.runs) for m in rec.metrics]
    newdomain = [sum(s.seconds for s in m.newdomain) for m in rec.metrics]
    n_runs = len(rec.metrics[0].runs)
    total = sum(federated) + sum(newdomain)
    print(
        f"reduced reproduction ({len(rec.seeds)} seeds, {rec.torch_threads} thread(s), "
        f"{rec.device}): {total / 60:.1f} min of compute; per seed {n_runs} federated runs "
        f"{sum(federated) / len(federated):.0f} s, new label domains "
        f"{sum(newdomain) / len(newdomain):.0f} s"
    )


def main() -> None:
    torch.set_num_threads(1)
    graph, fed, clients, model = _setup()
    bench_rounds(graph, fed, clients, model)
    bench_subgraph_steps(graph, clients, model)
    bench_reproduction()


if __name__ == "__main__":
    main()
