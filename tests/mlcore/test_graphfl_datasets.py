"""Shipped citation graphs (checksums, counts, structure) and node splits."""

import hashlib
import shutil

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data
from torch_geometric.utils import is_undirected

from mlcore.graphfl.datasets import (
    GRAPH_DIR,
    GRAPH_INFO,
    GRAPHS,
    NodeSplit,
    load_graph,
    load_planetoid,
    random_split,
    standard_split,
)

# Measured on the files (scipy, independently of load_graph): nodes, undirected edges without
# self-loops, features, classes, isolated nodes.
EXPECTED = {
    "cora": (2708, 5278, 1433, 7, 0),
    "citeseer": (3312, 4536, 3703, 6, 48),
}
SHA256 = {
    "cora": "fd8ed1eda7615b839704d91f72a3fc3e667aa7072743868ee9afaf16a03d24e2",
    "citeseer": "148f239f2d190ee1eecfb6177a854629c927a7b6636386726e92dc720e42edb6",
}


@pytest.fixture(scope="module")
def cora():
    return load_graph("cora")


def raw_citations(name):
    """The file's directed citation matrix, read with scipy only."""
    with np.load(GRAPH_DIR / f"{name}.npz", allow_pickle=False) as z:
        parts = (z["adj_data"], z["adj_indices"], z["adj_indptr"])
        return sp.csr_matrix(parts, shape=tuple(z["adj_shape"]))


@pytest.mark.parametrize("name", GRAPHS)
def test_shipped_file_matches_checksum(name):
    digest = hashlib.sha256((GRAPH_DIR / f"{name}.npz").read_bytes()).hexdigest()
    assert digest == SHA256[name] == GRAPH_INFO[name].sha256


@pytest.mark.parametrize("name", GRAPHS)
def test_counts_and_tensor_conventions(name):
    data = load_graph(name)
    n_nodes, n_edges, n_features, n_classes, n_isolated = EXPECTED[name]
    assert data.x.shape == (n_nodes, n_features) and data.x.dtype == torch.float32
    assert set(torch.unique(data.x).tolist()) == {0.0, 1.0}  # raw binary bag of words
    assert data.edge_index.dtype == torch.int64 and data.edge_index.shape == (2, 2 * n_edges)
    assert data.y.dtype == torch.int64 and data.y.shape == (n_nodes,)
    assert int(data.y.min()) == 0 and int(data.y.max()) == n_classes - 1
    assert len(data.class_names) == n_classes and data.name == name
    src, dst = data.edge_index
    assert not bool((src == dst).any())
    assert is_undirected(data.edge_index, num_nodes=n_nodes)
    keys = src * n_nodes + dst
    assert bool((keys[1:] > keys[:-1]).all())  # coalesced: sorted, no duplicates
    degree = torch.bincount(src, minlength=n_nodes)
    assert int((degree == 0).sum()) == n_isolated


@pytest.mark.parametrize("name", GRAPHS)
def test_edges_are_the_files_citations_symmetrised(name):
    data = load_graph(name)
    citations = raw_citations(name)
    symmetric = ((citations + citations.T) > 0).astype(np.int8).tolil()
    symmetric.setdiag(0)
    expected = sp.coo_matrix(symmetric.tocsr())
    expected.eliminate_zeros()
    loaded = sp.coo_matrix(
        (np.ones(data.edge_index.size(1)), tuple(data.edge_index.numpy())),
        shape=citations.shape,
    )
    assert (expected != loaded).nnz == 0
    if name == "citeseer":
        assert int((citations.diagonal() != 0).sum()) == 124  # self-citations dropped


def test_cached_tensors_are_shared_data_objects_are_not():
    a, b = load_graph("cora"), load_graph("cora")
    assert a is not b and a.x is b.x and a.edge_index is b.edge_index


def test_tampered_copy_is_rejected_and_an_intact_copy_loads(tmp_path, cora):
    intact = tmp_path / "cora.npz"
    shutil.copyfile(GRAPH_DIR / "cora.npz", intact)
    copy = load_graph("cora", path=intact)
    assert torch.equal(copy.x, cora.x) and torch.equal(copy.edge_index, cora.edge_index)
    tampered = tmp_path / "tampered.npz"
    raw = bytearray(intact.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    tampered.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"tampered\.npz.*sha256"):
        load_graph("cora", path=tampered)
    with pytest.raises(ValueError, match="sha256"):  # right file, wrong name
        load_graph("citeseer", path=intact)


@pytest.mark.parametrize("loader", [load_graph, lambda n: load_planetoid(n, root="unused")])
def test_unknown_dataset(loader):
    message = "dataset must be one of ('cora', 'citeseer'); got 'pubmed'"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loader("pubmed")


def test_load_planetoid_checks_root_before_downloading():
    with pytest.raises(ValueError, match="load_planetoid.root"):
        load_planetoid("cora", root=3)


def assert_valid_split(split, n_nodes, sizes):
    parts = (split.train, split.val, split.test)
    for part, size in zip(parts, sizes):
        assert part.dtype == torch.int64 and part.numel() == size
        assert bool((part[1:] > part[:-1]).all())
        assert int(part.min()) >= 0 and int(part.max()) < n_nodes
    joined = torch.cat(parts)
    assert torch.unique(joined).numel() == joined.numel()


def test_standard_split_has_the_planetoid_shape(cora):
    torch_state = torch.get_rng_state()
    split = standard_split(cora, random_state=0)
    assert torch.equal(torch.get_rng_state(), torch_state)  # numpy draws only
    assert_valid_split(split, 2708, (140, 500, 1000))
    counts = torch.bincount(cora.y[split.train], minlength=7)
    assert counts.tolist() == [20] * 7 == list(split.train_class_counts)
    info = split.describe()
    assert (info["n_train"], info["n_val"], info["n_test"]) == (140, 500, 1000)
    assert info["scheme"] == "standard" and info["params"]["random_state"] == 0


def test_splits_are_reproducible_and_seed_dependent(cora):
    a, b = standard_split(cora, random_state=5), standard_split(cora, random_state=5)
    c = standard_split(cora, random_state=6)
    assert all(torch.equal(getattr(a, p), getattr(b, p)) for p in ("train", "val", "test"))
    assert not torch.equal(a.train, c.train)
    r1 = random_split(cora, n_train=300, random_state=np.random.default_rng(1))
    r2 = random_split(cora, n_train=300, random_state=np.random.default_rng(1))
    assert torch.equal(r1.test, r2.test) and r1.params["random_state"] is None


def test_random_split_sizes_and_coverage(cora):
    split = random_split(cora, n_train=1208, n_val=500, n_test=1000, random_state=0)
    assert_valid_split(split, 2708, (1208, 500, 1000))
    assert torch.equal(torch.sort(torch.cat([split.train, split.val, split.test]))[0],
                       torch.arange(2708))  # fmt: skip
    assert sum(split.train_class_counts) == 1208
    # roughly uniform: every class is represented in proportion (within 5 points)
    share = torch.bincount(cora.y[split.train], minlength=7) / 1208
    overall = torch.bincount(cora.y, minlength=7) / 2708
    assert float((share - overall).abs().max()) < 0.05


def test_split_errors_name_the_parameter(cora):
    with pytest.raises(ValueError, match="exceeds the 2708 nodes"):
        random_split(cora, n_train=2000, n_val=500, n_test=1000, random_state=0)
    with pytest.raises(ValueError, match=r"random_split.n_train must be an integer in \[1"):
        random_split(cora, n_train=0, random_state=0)
    with pytest.raises(ValueError, match=r"standard_split.train_per_class .*\[1, 180\]"):
        standard_split(cora, train_per_class=181)  # smallest Cora class has 180 nodes
    with pytest.raises(ValueError, match="n_val.*n_test"):
        standard_split(cora, n_val=2000, n_test=1000)
    with pytest.raises(ValueError, match="standard_split.data"):
        standard_split(Data(x=torch.zeros(3, 2)))


def test_node_split_rejects_overlap_and_disorder():
    ids = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match="disjoint"):
        NodeSplit(ids, torch.tensor([2, 3]), torch.tensor([4]), "manual")
    with pytest.raises(ValueError, match="NodeSplit.val must be sorted"):
        NodeSplit(ids, torch.tensor([4, 3]), torch.tensor([5]), "manual")
    with pytest.raises(ValueError, match="NodeSplit.test must be a 1-D int64"):
        NodeSplit(ids, torch.tensor([3]), torch.tensor([4.0]), "manual")


def test_from_masks_reads_boolean_masks():
    y = torch.tensor([0, 1, 1, 0, 2, 2])
    data = Data(y=y, train_mask=torch.tensor([1, 1, 0, 0, 1, 0], dtype=torch.bool))
    data.val_mask = torch.tensor([0, 0, 1, 0, 0, 0], dtype=torch.bool)
    data.test_mask = torch.tensor([0, 0, 0, 1, 0, 1], dtype=torch.bool)
    split = NodeSplit.from_masks(data)
    assert split.train.tolist() == [0, 1, 4] and split.test.tolist() == [3, 5]
    assert split.train_class_counts == (1, 1, 1) and split.scheme == "planetoid"
