"""mlcore.graphfl: computation subgraphs, the MAML meta-gradient, the server steps,
self-training and the federated solver, on tiny synthetic graphs."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlcore.graphfl.functional import computation_subgraph, logits, node_loss, weights_of
from mlcore.graphfl.meta import MetaTask, meta_gradient, server_step
from mlcore.graphfl.models import GCN, SGC
from mlcore.graphfl.selftrain import (
    ClientTraining,
    SelfTrainingOptions,
    select_pseudo_labels,
    self_train,
    training_sets,
)
from mlcore.graphfl.solver import FederatedNodeClassification, FederatedOptions
from mlcore.rng import SeedStreams, global_rng_seeded


def _graph(n=40, n_classes=3, n_features=12, seed=0):
    """A random graph whose features are noisy one-hot class indicators (learnable)."""
    rng = np.random.default_rng(seed)
    y = torch.as_tensor(rng.integers(0, n_classes, n))
    x = torch.as_tensor(rng.random((n, n_features)) < 0.15, dtype=torch.float32)
    x[torch.arange(n), y] += 1.0
    src = rng.integers(0, n, 3 * n)
    dst = np.where(rng.random(3 * n) < 0.7, src, rng.integers(0, n, 3 * n))
    same = y.numpy()
    # homophilous edges: connect to a random node of the same class most of the time
    for i, s in enumerate(src):
        pool = np.flatnonzero(same == same[s]) if dst[i] == s else np.arange(n)
        dst[i] = rng.choice(pool)
    edges = torch.as_tensor(np.stack([src, dst]))
    edges = edges[:, edges[0] != edges[1]]
    edge_index = torch.cat([edges, edges.flip(0)], dim=1).unique(dim=1)
    return x, edge_index, y


def _model(kind="gcn", n_features=12, n_classes=3, seed=0, dropout=0.0):
    with global_rng_seeded(seed):
        if kind == "gcn":
            return GCN(n_features, n_classes, hidden=8, dropout=dropout)
        return SGC(n_features, n_classes)


@pytest.mark.parametrize("kind", ["gcn", "sgc"])
def test_computation_subgraph_gives_the_whole_graph_outputs(kind):
    x, edge_index, _ = _graph()
    model = _model(kind).eval()
    w = weights_of(model)
    nodes = torch.tensor([3, 17, 5])
    whole = logits(model, w, x, edge_index)[nodes]
    comp = computation_subgraph(x, edge_index, nodes, model.hops)
    sub = logits(model, w, comp.x, comp.edge_index, edge_weight=comp.edge_weight)
    assert comp.subset.numel() < x.shape[0]  # a real restriction on this graph
    torch.testing.assert_close(sub[comp.position], whole, rtol=0, atol=1e-6)
    # one hop too few is not enough: the outputs then differ
    short = computation_subgraph(x, edge_index, nodes, model.hops - 1)
    out = logits(model, w, short.x, short.edge_index, edge_weight=short.edge_weight)
    assert not torch.allclose(out[short.position], whole, atol=1e-6)


def _clients(x, edge_index, y, n_clients=4, support=4, query=3, seed=1):
    order = np.random.default_rng(seed).permutation(x.shape[0])
    out = []
    for k in range(n_clients):
        chunk = torch.as_tensor(order[k * (support + query) : (k + 1) * (support + query)])
        view = SimpleNamespace(
            x=x, edge_index=edge_index, y=y, support=chunk[:support], query=chunk[support:]
        )
        out.append(view)
    return out


def _tasks(x, edge_index, y, views):
    return [
        MetaTask(x, edge_index, v.support, y[v.support], v.query, y[v.query], seed=i)
        for i, v in enumerate(views)
    ]


def test_first_order_meta_gradient_is_the_mean_query_gradient_at_adapted_weights():
    x, edge_index, y = _graph()
    model = _model()
    views = _clients(x, edge_index, y)
    meta = meta_gradient(
        model, weights_of(model), _tasks(x, edge_index, y, views), inner_steps=3, inner_lr=0.2
    )
    expected = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for v in views:  # by hand: a copy of the module, torch.optim.SGD, then the query gradient
        net = copy.deepcopy(model)
        opt = torch.optim.SGD(net.parameters(), lr=0.2)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x, edge_index)[v.support], y[v.support]).backward()
            opt.step()
        net.zero_grad()
        F.cross_entropy(net(x, edge_index)[v.query], y[v.query]).backward()
        for name, p in net.named_parameters():
            expected[name] += p.grad / len(views)
    for name in expected:
        torch.testing.assert_close(meta.gradient[name], expected[name], rtol=1e-5, atol=1e-6)


def test_second_order_meta_gradient_matches_finite_differences():
    x, edge_index, y = _graph()
    model = _model().double()
    x = x.double()
    w = weights_of(model)
    tasks = _tasks(x, edge_index, y, _clients(x, edge_index, y, n_clients=2))
    kw = dict(inner_steps=2, inner_lr=0.5)
    second = meta_gradient(model, w, tasks, order="second", **kw).gradient
    first = meta_gradient(model, w, tasks, order="first", **kw).gradient

    def meta_loss(weights):
        return np.mean([meta_gradient(model, weights, [t], **kw).query_loss for t in tasks])

    direction = {
        k: torch.randn_like(v, generator=torch.Generator().manual_seed(3)) for k, v in w.items()
    }
    h = 1e-5
    plus = meta_loss({k: w[k] + h * direction[k] for k in w})
    minus = meta_loss({k: w[k] - h * direction[k] for k in w})
    numeric = (plus - minus) / (2 * h)
    along = sum(float((second[k] * direction[k]).sum()) for k in w)
    along_first = sum(float((first[k] * direction[k]).sum()) for k in w)
    assert along == pytest.approx(numeric, rel=1e-4, abs=1e-7)
    assert abs(along_first - numeric) > 1e-3 * abs(numeric)  # first order is an approximation


def test_server_steps():
    w = {"a": torch.tensor([1.0, -2.0, 0.5]), "b": torch.tensor([[0.0, 3.0]])}
    g = {"a": torch.tensor([0.3, -1e-3, 0.0]), "b": torch.tensor([[-2.0, 4.0]])}
    sgd = server_step(w, g, kind="sgd", lr=0.1, weight_decay=0.01)
    for k in w:
        torch.testing.assert_close(sgd[k], w[k] - 0.1 * (g[k] + 0.01 * w[k]))
    # a fresh Adam's single step is a sign step of size lr (where the gradient is not ~0)
    adam = server_step(w, g, kind="adam_sign", lr=0.02, weight_decay=0.0)
    torch.testing.assert_close(adam["b"], w["b"] - 0.02 * torch.sign(g["b"]))
    torch.testing.assert_close(adam["a"][:2], w["a"][:2] - 0.02 * torch.sign(g["a"][:2]))
    assert adam["a"][2] == w["a"][2]
    with pytest.raises(ValueError, match="server_step must be one of"):
        server_step(w, g, kind="adam", lr=0.1)


def test_pseudo_labels_never_come_from_excluded_nodes_and_are_capped_per_class():
    rng = np.random.default_rng(0)
    probs = torch.as_tensor(rng.dirichlet(np.ones(3), size=50), dtype=torch.float32)
    excluded = torch.arange(0, 50, 3)
    nodes, labels = select_pseudo_labels(probs, excluded, per_class=4)
    assert not set(nodes.tolist()) & set(excluded.tolist())
    assert np.bincount(labels.numpy(), minlength=3).max() <= 4
    torch.testing.assert_close(labels, probs[nodes].argmax(1))
    # the chosen nodes are the most confident allowed ones of their predicted class
    conf, pred = probs.max(1)
    for c in range(3):
        allowed = [i for i in range(50) if pred[i] == c and i not in set(excluded.tolist())]
        top = sorted(allowed, key=lambda i: -float(conf[i]))[:4]
        assert set(nodes[labels == c].tolist()) == set(top)
    with pytest.raises(ValueError, match="per_class"):
        select_pseudo_labels(probs, excluded, per_class=-1)


def test_self_training_adds_only_unlabelled_nodes():
    x, edge_index, y = _graph(n=60)
    views = _clients(x, edge_index, y, n_clients=3)
    clients = training_sets(views)
    trained, report = self_train(
        clients,
        lambda: GCN(x.shape[1], 3, hidden=8),
        SelfTrainingOptions(per_class=5, steps=20),
        SeedStreams(0),
    )
    for before, after, view in zip(clients, trained, views, strict=True):
        pseudo = after.support[before.support.numel() :]
        labelled = set(view.support.tolist()) | set(view.query.tolist())
        assert pseudo.numel() == after.n_pseudo > 0
        assert not set(pseudo.tolist()) & labelled
        assert np.bincount(after.support_labels[before.support.numel() :].numpy()).max() <= 5
        torch.testing.assert_close(after.query_labels, y[view.query])  # true query labels
        assert after.n_labelled == before.n_labelled
    assert 0.0 <= report.precision <= 1.0
    assert report.precision > 0.5  # features carry the class: pseudo-labels mostly right


def _solver(method, seed=0, **options):
    x, edge_index, y = _graph(n=80)
    views = _clients(x, edge_index, y, n_clients=5, support=5, query=3)
    rest = torch.as_tensor(
        np.setdiff1d(
            np.arange(80), torch.cat([v.support for v in views] + [v.query for v in views]).numpy()
        )
    )
    val, test = rest[: len(rest) // 2], rest[len(rest) // 2 :]
    evaluation = [SimpleNamespace(view=views[0], val=val, test=test, y_val=y[val], y_test=y[test])]
    opts = {"method": method, "clients_per_round": 3, "lr": 0.5, "local_steps": 5, **options}
    return FederatedNodeClassification(
        _model(seed=seed, dropout=0.5), training_sets(views), evaluation, opts, random_state=seed
    )


@pytest.mark.parametrize("method", ["local", "fedavg", "graphfl"])
def test_solver_learns_and_is_reproducible(method):
    a = _solver(method).run(6)
    b = _solver(method).run(6)
    assert [r.test_accuracy for r in a.rounds] == [r.test_accuracy for r in b.rounds]
    assert a.test_at_best_val == a.rounds[a.best_val_round].test_accuracy
    assert a.max_test >= a.test_at_best_val
    assert max(r.val_accuracy for r in a.rounds) > 0.6  # chance is 1/3
    if method != "local":
        assert all(len(r.clients) == 3 for r in a.rounds)


def test_fedavg_with_one_client_is_local_training():
    fed = _solver("fedavg", clients_per_round=1)
    fed.clients = fed.clients[:1]
    loc = _solver("local")
    loc.clients = loc.clients[:1]
    a, b = fed.run(3), loc.run(3)
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        assert ra.val_accuracy == pytest.approx(rb.val_accuracy)


def test_solver_errors_name_the_parameter():
    with pytest.raises(ValueError, match="clients_per_round"):
        _solver("fedavg", clients_per_round=9)
    with pytest.raises(ValueError, match="FederatedOptions.method"):
        FederatedOptions(method="fedprox")
    with pytest.raises(ValueError, match="FederatedOptions.order"):
        FederatedOptions(order="third")
    solver = _solver("graphfl")
    with pytest.raises(RuntimeError, match="start"):
        solver.step()
    with pytest.raises(ValueError, match="n_rounds"):
        solver.run(0)
    with pytest.raises(ValueError, match="hops"):
        FederatedNodeClassification(torch.nn.Linear(3, 3), solver.clients, solver.evaluation)


def test_node_loss_is_cross_entropy_at_the_nodes():
    x, edge_index, y = _graph()
    model = _model().eval()
    nodes = torch.tensor([1, 2, 3])
    expected = F.cross_entropy(model(x, edge_index)[nodes], y[nodes])
    got = node_loss(model, weights_of(model), x, edge_index, nodes, y[nodes])
    torch.testing.assert_close(got, expected)


def test_client_training_counts():
    c = ClientTraining(
        view=None,
        support=torch.tensor([1, 2, 7]),
        support_labels=torch.tensor([0, 1, 1]),
        query=torch.tensor([4]),
        query_labels=torch.tensor([2]),
        n_pseudo=1,
    )
    assert c.n_labelled == 3
    assert c.nodes.tolist() == [1, 2, 7, 4]
    assert c.labels.tolist() == [0, 1, 1, 2]


def test_solver_refuses_evaluation_without_validation_or_test_nodes():
    solver = _solver("fedavg")
    empty = [
        SimpleNamespace(**{**vars(solver.evaluation[0]), "val": torch.tensor([], dtype=torch.long)})
    ]
    with pytest.raises(ValueError, match="at least one validation and one test node"):
        FederatedNodeClassification(solver.model, solver.clients, empty, {"clients_per_round": 3})
