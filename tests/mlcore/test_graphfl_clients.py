"""Federated clients of a graph: the reference setting and the subgraph partitions."""

import json

import numpy as np
import pytest
import torch

from mlcore.graphfl.clients import (
    SCHEMES,
    FederatedGraph,
    metis_parts,
    reference_clients,
    subgraph_clients,
)
from mlcore.graphfl.datasets import load_graph, random_split, standard_split


@pytest.fixture(scope="module")
def cora():
    return load_graph("cora")


@pytest.fixture(scope="module")
def planetoid_shape(cora):
    return standard_split(cora, random_state=0)  # 140 training nodes


@pytest.fixture(scope="module")
def wide(cora):
    return random_split(cora, n_train=440, n_val=500, n_test=1000, random_state=0)


@pytest.fixture(scope="module")
def partitions(cora, planetoid_shape):
    return {s: subgraph_clients(cora, planetoid_shape, scheme=s) for s in SCHEMES}


def global_edges(client):
    """A client's view edges in global node ids."""
    return client.nodes[client.edge_index]


# --- reference setting --------------------------------------------------------------------


def test_reference_clients_get_disjoint_labelled_nodes_from_train_only(cora, wide):
    fed = reference_clients(cora, wide, random_state=0)
    assert fed.setting == "reference" and fed.n_clients == 50 and fed.assignment is None
    labelled = []
    for k, c in enumerate(fed.clients):
        assert c.client == k and c.support.numel() == 6 and c.query.numel() == 2
        assert not bool(torch.isin(c.support, c.query).any())
        labelled.append(c.nodes[c.labelled])
    labelled = torch.cat(labelled)
    assert torch.unique(labelled).numel() == 400  # no node in two clients
    assert bool(torch.isin(labelled, wide.train).all())


def test_reference_clients_share_the_whole_graph_without_copies(cora, wide):
    fed = reference_clients(cora, wide, random_state=0)
    first = fed.clients[0]
    for c in fed.clients:
        assert c.x is cora.x and c.edge_index is cora.edge_index and c.y is cora.y
        assert c.nodes is first.nodes
    assert torch.equal(first.local_index([5, 17, 2707]), torch.tensor([5, 17, 2707]))
    (view,) = fed.evaluation_views()
    assert view.client is None and view.view.x is cora.x and view.view.n_labelled == 0
    assert torch.equal(view.test, wide.test) and torch.equal(view.y_test, cora.y[wide.test])
    assert torch.equal(view.val, wide.val) and torch.equal(view.y_val, cora.y[wide.val])


def test_reference_clients_reproducible_and_seeded(cora, wide):
    a = reference_clients(cora, wide, n_clients=10, random_state=3)
    b = reference_clients(cora, wide, n_clients=10, random_state=3)
    c = reference_clients(cora, wide, n_clients=10, random_state=4)
    assert all(torch.equal(p.support, q.support) for p, q in zip(a.clients, b.clients))
    assert not all(torch.equal(p.support, q.support) for p, q in zip(a.clients, c.clients))


def test_reference_clients_refuse_more_clients_than_labelled_nodes(cora, planetoid_shape):
    with pytest.raises(ValueError, match=r"n_clients .* = 400 exceeds the 140 labelled nodes"):
        reference_clients(cora, planetoid_shape)  # 50 x (6 + 2) > 140
    fed = reference_clients(cora, planetoid_shape, n_clients=17)  # 17 x 8 = 136 fits
    assert fed.n_clients == 17
    with pytest.raises(ValueError, match=r"reference_clients.query_per_client must be"):
        reference_clients(cora, planetoid_shape, query_per_client=0)
    with pytest.raises(ValueError, match=r"reference_clients.split must be a NodeSplit"):
        reference_clients(cora, planetoid_shape.train)


# --- subgraph settings --------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_node_in_exactly_one_client(scheme, cora, partitions):
    fed = partitions[scheme]
    nodes = torch.cat([c.nodes for c in fed.clients])
    assert torch.equal(torch.sort(nodes)[0], torch.arange(cora.num_nodes))
    for c in fed.clients:
        assert bool((fed.assignment[c.nodes] == c.client).all())
        assert torch.equal(c.x, cora.x[c.nodes]) and torch.equal(c.y, cora.y[c.nodes])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_views_are_induced_subgraphs_without_cross_client_edges(scheme, cora, partitions):
    fed = partitions[scheme]
    src, dst = cora.edge_index
    owner = fed.assignment
    kept = 0
    for c in fed.clients:
        edges = global_edges(c)
        assert bool((owner[edges] == c.client).all())  # no edge leaves the part
        inside = (owner[src] == c.client) & (owner[dst] == c.client)
        assert edges.size(1) == int(inside.sum())  # and every edge inside it is kept
        kept += c.n_edges
    kept_total, dropped = fed.edge_counts()
    assert kept_total == kept and dropped == int((owner[src] != owner[dst]).sum()) // 2
    assert kept + dropped == 5278


@pytest.mark.parametrize("scheme", SCHEMES)
def test_labelled_nodes_are_the_parts_training_nodes(scheme, planetoid_shape, partitions):
    fed = partitions[scheme]
    for c in fed.clients:
        mine = planetoid_shape.train[fed.assignment[planetoid_shape.train] == c.client]
        assert torch.equal(c.nodes[c.labelled], mine)
        m = mine.numel()
        assert c.query.numel() == min(m - 1, max(1, int(np.floor(0.25 * m + 0.5))))
        assert not bool(torch.isin(c.support, c.query).any()) and c.support.numel() >= 1


@pytest.mark.parametrize("scheme", SCHEMES)
def test_evaluation_views_cover_val_and_test_once(scheme, cora, planetoid_shape, partitions):
    views = partitions[scheme].evaluation_views()
    assert [v.client for v in views] == list(range(10))
    assert all(v.view is c for v, c in zip(views, partitions[scheme].clients))
    val = torch.cat([v.view.nodes[v.val] for v in views])
    test = torch.cat([v.view.nodes[v.test] for v in views])
    assert torch.equal(torch.sort(val)[0], planetoid_shape.val)
    assert torch.equal(torch.sort(test)[0], planetoid_shape.test)
    for v in views:
        assert torch.equal(v.y_test, cora.y[v.view.nodes[v.test]])
        assert torch.equal(v.y_val, cora.y[v.view.nodes[v.val]])


def test_metis_cuts_far_fewer_edges_than_a_random_partition(partitions):
    metis_dropped = partitions["metis"].edge_counts()[1]
    random_dropped = partitions["random"].edge_counts()[1]
    # a random 10-way split cuts ~90 % of the edges; METIS communities ~12 % on Cora
    assert random_dropped > 0.85 * 5278
    assert metis_dropped < 0.2 * random_dropped


def test_metis_is_deterministic_for_a_seed(cora):
    a = metis_parts(cora.edge_index, cora.num_nodes, 8, seed=1)
    b = metis_parts(cora.edge_index, cora.num_nodes, 8, seed=1)
    assert np.array_equal(a, b) and set(np.unique(a)) == set(range(8))
    sizes = np.bincount(a)
    assert sizes.max() <= 1.05 * cora.num_nodes / 8  # METIS balances the parts


def mean_top_class_share(fed):
    counts = np.array([row["node_class_counts"] for row in fed.describe()["clients"]])
    return float((counts.max(axis=1) / counts.sum(axis=1)).mean())


def test_dirichlet_label_skew_grows_as_alpha_shrinks(cora):
    split = random_split(cora, n_train=1500, n_val=500, n_test=500, random_state=0)
    skewed = subgraph_clients(cora, split, n_clients=5, scheme="dirichlet", alpha=0.1)
    mixed = subgraph_clients(cora, split, n_clients=5, scheme="dirichlet", alpha=100.0)
    # alpha = 100: every client close to Cora's own top-class share, 818 / 2708 = 0.30
    assert mean_top_class_share(mixed) == pytest.approx(818 / 2708, abs=0.03)
    assert mean_top_class_share(skewed) > mean_top_class_share(mixed) + 0.2
    assert skewed.params["alpha"] == 0.1


def test_subgraph_errors_name_the_parameter(cora, planetoid_shape):
    with pytest.raises(ValueError, match=r"lower n_clients \(got 100\)"):
        subgraph_clients(cora, planetoid_shape, n_clients=100)
    with pytest.raises(ValueError, match=r"subgraph_clients.scheme must be one of 'metis'"):
        subgraph_clients(cora, planetoid_shape, scheme="louvain")
    with pytest.raises(ValueError, match=r"subgraph_clients.query_fraction .*\(0, 1\)"):
        subgraph_clients(cora, planetoid_shape, query_fraction=1.0)
    with pytest.raises(ValueError, match=r"subgraph_clients.alpha"):
        subgraph_clients(cora, planetoid_shape, scheme="dirichlet", alpha=0.0)
    with pytest.raises(ValueError, match=r"subgraph_clients.n_clients"):
        subgraph_clients(cora, planetoid_shape, n_clients=0)


def test_local_index_refuses_nodes_outside_the_view(partitions):
    c = partitions["metis"].clients[0]
    outside = int(torch.nonzero(partitions["metis"].assignment != 0)[0])
    assert torch.equal(c.local_index(c.nodes[[3, 0]]), torch.tensor([3, 0]))
    with pytest.raises(ValueError, match=rf"e\.g\. \[{outside}\], are not in client 0's view"):
        c.local_index([int(c.nodes[0]), outside])


def test_subgraph_clients_reproducible(cora, planetoid_shape, partitions):
    again = subgraph_clients(cora, planetoid_shape, scheme="dirichlet")
    before = partitions["dirichlet"]
    assert torch.equal(again.assignment, before.assignment)
    assert all(torch.equal(a.query, b.query) for a, b in zip(again.clients, before.clients))
    other = subgraph_clients(cora, planetoid_shape, scheme="metis", random_state=7)
    assert not torch.equal(other.assignment, partitions["metis"].assignment)


def test_describe_is_json_ready(partitions, cora, wide):
    info = json.loads(json.dumps(partitions["metis"].describe()))
    assert info["edges_kept"] + info["edges_dropped"] == 5278
    assert sum(row["n_nodes"] for row in info["clients"]) == 2708
    assert sum(sum(row["labelled_class_counts"]) for row in info["clients"]) == 140
    ref = json.loads(json.dumps(reference_clients(cora, wide).describe()))
    assert ref["edges_dropped"] == 0 and "node_class_counts" not in ref["clients"][0]


def test_to_device_keeps_shared_tensors_shared(cora, wide):
    fed = reference_clients(cora, wide, n_clients=5)
    moved = fed.to("meta")
    assert isinstance(moved, FederatedGraph) and moved.graph.x.device.type == "meta"
    assert all(c.x is moved.graph.x and c.support.device.type == "meta" for c in moved.clients)
    assert fed.graph.x.device.type == "cpu" and fed.clients[0].x is cora.x  # original intact
