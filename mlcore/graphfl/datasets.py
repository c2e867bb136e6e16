"""Citation graphs for node classification and their train / validation / test splits.

Two graphs ship with the package, checked by sha256 before they are read
(``mlcore/graphfl/graphs/SOURCES.md`` says where they come from):

========  =======  ==============================  ========  =======  ========
name      nodes    undirected edges (no loops)     features  classes  isolated
========  =======  ==============================  ========  =======  ========
cora      2708     5278 (5429 directed citations)  1433      7        0
citeseer  3312     4536 (4715 citations, 124       3703      6        48
                   self-citations)
========  =======  ==============================  ========  =======  ========

They are the LINQS graphs of Sen et al. (2008), the ones behind Planetoid (Yang, Cohen &
Salakhutdinov 2016, arXiv:1603.08861) and GraphFL (arXiv:2012.04187, Sec. 3 of the research
notes), but **in the LINQS node order**: Planetoid's CiteSeer has 3327 nodes (15 of them
feature-less placeholders) and both Planetoid graphs list the nodes in another order. Hence
:func:`standard_split` draws a split of the Planetoid *shape* (20 labelled nodes per class, 500
validation, 1000 test nodes) with a seed; the published Planetoid indices come only with
:func:`load_planetoid` (PyG's download).

Conventions: ``x`` is the dense binary bag-of-words matrix (float32, shape
``(n_nodes, n_features)``, not row-normalised); ``edge_index`` (int64, ``(2, 2 n_edges)``)
holds both directions of every undirected edge, without self-loops, coalesced (sorted by
source, then target); ``y`` is int64 in ``0 .. n_classes - 1``. Splits hold sorted int64 node
ids. Randomness comes from numpy Generators built from ``random_state``
(:func:`mlcore.rng.as_generator`), never from torch's global generator.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops, to_undirected

from ..params import Instance, Interval
from ..params import check_argument as _check
from ..rng import RandomState, as_generator

__all__ = [
    "GRAPHS",
    "GRAPH_INFO",
    "GRAPH_DIR",
    "GraphInfo",
    "NodeSplit",
    "load_graph",
    "load_planetoid",
    "standard_split",
    "random_split",
]

#: Names of the shipped graphs.
GRAPHS = ("cora", "citeseer")

#: Folder holding the shipped ``.npz`` files.
GRAPH_DIR = Path(__file__).resolve().parent / "graphs"


@dataclass(frozen=True)
class GraphInfo:
    """Expected contents of a shipped graph file (checked on every load).

    Attributes
    ----------
    name : str
        Dataset name, e.g. ``"cora"``.
    sha256 : str
        Hex digest of the ``.npz`` file.
    n_nodes, n_features, n_classes : int
        Nodes, bag-of-words vocabulary size, label classes.
    n_citations : int
        Directed citation entries stored in the file (self-citations included).
    n_self_loops : int
        Self-citations among them (dropped on load).
    n_edges : int
        Undirected edges after symmetrisation and removal of self-loops.
    n_isolated : int
        Nodes without any edge after that.
    """

    name: str
    sha256: str
    n_nodes: int
    n_citations: int
    n_self_loops: int
    n_edges: int
    n_features: int
    n_classes: int
    n_isolated: int


#: The table of expected counts and checksums, by name.
GRAPH_INFO: dict[str, GraphInfo] = {
    "cora": GraphInfo(
        "cora",
        "fd8ed1eda7615b839704d91f72a3fc3e667aa7072743868ee9afaf16a03d24e2",
        n_nodes=2708,
        n_citations=5429,
        n_self_loops=0,
        n_edges=5278,
        n_features=1433,
        n_classes=7,
        n_isolated=0,
    ),
    "citeseer": GraphInfo(
        "citeseer",
        "148f239f2d190ee1eecfb6177a854629c927a7b6636386726e92dc720e42edb6",
        n_nodes=3312,
        n_citations=4715,
        n_self_loops=124,
        n_edges=4536,
        n_features=3703,
        n_classes=6,
        n_isolated=48,
    ),
}


def _check_name(name) -> str:
    if not isinstance(name, str) or name not in GRAPHS:
        raise ValueError(f"dataset must be one of {GRAPHS}; got {name!r}")
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csr(arrays, prefix: str) -> sp.csr_matrix:
    parts = (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"])
    return sp.csr_matrix(parts, shape=tuple(int(s) for s in arrays[f"{prefix}_shape"]))


def _mismatch(path: Path, what: str, expected, got) -> ValueError:
    return ValueError(f"graph file {path}: expected {expected} {what}, found {got}")


def _read_npz(path: Path, info: GraphInfo) -> tuple[torch.Tensor, ...]:
    """Checksum, read and convert one gnn-benchmark ``.npz`` file; check every count."""
    digest = _sha256(path)
    if digest != info.sha256:
        raise ValueError(
            f"graph file {path} has sha256 {digest}, expected {info.sha256} for "
            f"'{info.name}': the file is corrupt or not the shipped one"
        )
    with np.load(path, allow_pickle=False) as arrays:
        adjacency = _csr(arrays, "adj").tocoo()
        attributes = _csr(arrays, "attr")
        labels = np.asarray(arrays["labels"], dtype=np.int64)
        class_names = tuple(str(c) for c in arrays["class_names"])
    if adjacency.nnz != info.n_citations:
        raise _mismatch(path, "citations", info.n_citations, adjacency.nnz)
    if not np.isin(attributes.data, (0, 1)).all():
        raise ValueError(f"graph file {path}: attributes are not binary bag-of-words entries")
    if attributes.shape != (info.n_nodes, info.n_features):
        raise _mismatch(
            path, "(nodes, features)", (info.n_nodes, info.n_features), attributes.shape
        )
    if labels.shape != (info.n_nodes,) or len(class_names) != info.n_classes:
        raise _mismatch(path, "labels / classes", (info.n_nodes, info.n_classes), labels.shape)
    if labels.min() < 0 or labels.max() >= info.n_classes:
        raise ValueError(f"graph file {path}: labels outside 0 .. {info.n_classes - 1}")
    directed = torch.from_numpy(np.stack([adjacency.row, adjacency.col]).astype(np.int64))
    edge_index = to_undirected(remove_self_loops(directed)[0], num_nodes=info.n_nodes)
    if edge_index.size(1) != 2 * info.n_edges:
        raise _mismatch(path, "undirected edges", info.n_edges, edge_index.size(1) // 2)
    n_isolated = info.n_nodes - int(torch.unique(edge_index[0]).numel())
    if n_isolated != info.n_isolated:
        raise _mismatch(path, "isolated nodes", info.n_isolated, n_isolated)
    x = torch.from_numpy(attributes.toarray().astype(np.float32))
    return x, edge_index, torch.from_numpy(labels), class_names


@functools.lru_cache(maxsize=len(GRAPHS))
def _shipped(name: str) -> tuple[torch.Tensor, ...]:
    return _read_npz(GRAPH_DIR / f"{name}.npz", GRAPH_INFO[name])


def load_graph(name: str, *, path: str | os.PathLike | None = None) -> Data:
    """One of the shipped citation graphs as a PyG :class:`~torch_geometric.data.Data`.

    The file's sha256 is checked before it is opened (``numpy.load(allow_pickle=False)``),
    then the node, edge, feature and class counts against :data:`GRAPH_INFO`.

    Parameters
    ----------
    name : str
        One of :data:`GRAPHS`.
    path : str or os.PathLike, optional
        Read this copy of the file instead of the shipped one (it must have the same sha256).

    Returns
    -------
    torch_geometric.data.Data
        ``x`` float32 ``(n_nodes, n_features)``, dense binary bag of words (no
        normalisation); ``edge_index`` int64 ``(2, 2 n_edges)``, undirected (both directions),
        self-loops removed, coalesced; ``y`` int64 ``(n_nodes,)``; ``name`` (str) and
        ``class_names`` (list of str, indexed by label).

    Notes
    -----
    The shipped graphs are parsed once per process; every call returns a new ``Data`` whose
    tensors are shared with the other calls: clone them before modifying them in place.

    Raises
    ------
    ValueError
        Unknown ``name``; checksum mismatch (naming the file); counts that disagree with the
        table.
    """
    name = _check_name(name)
    if path is None:
        x, edge_index, y, class_names = _shipped(name)
    else:
        _check("load_graph", "path", path, Instance((str, os.PathLike)))
        x, edge_index, y, class_names = _read_npz(Path(path), GRAPH_INFO[name])
    data = Data(x=x, edge_index=edge_index, y=y)
    data.name = name
    data.class_names = list(class_names)
    return data


def load_planetoid(name: str, root: str | os.PathLike) -> Data:
    """The Planetoid version of a graph, with its public split masks (downloads through PyG).

    For users who can download: :class:`torch_geometric.datasets.Planetoid` fetches Kipf's
    pickles into ``root`` (nothing is downloaded by this package's tests). Its ``train_mask``,
    ``val_mask`` and ``test_mask`` are the published Planetoid split (Yang et al. 2016: 20
    nodes per class, 500 validation, 1000 test); :meth:`NodeSplit.from_masks` turns them into
    a :class:`NodeSplit`. Node order and (for CiteSeer, 3327 nodes) node set differ from
    :func:`load_graph`'s.

    Parameters
    ----------
    name : str
        One of :data:`GRAPHS`.
    root : str or os.PathLike
        Download / cache folder.

    Returns
    -------
    torch_geometric.data.Data
        PyG's graph (row-normalisation is *not* applied) with ``name`` set.
    """
    name = _check_name(name)
    _check("load_planetoid", "root", root, Instance((str, os.PathLike)))
    from torch_geometric.datasets import Planetoid

    dataset = Planetoid(str(root), {"cora": "Cora", "citeseer": "CiteSeer"}[name], split="public")
    data = dataset[0]
    data.name = name
    return data


@dataclass(frozen=True, eq=False)
class NodeSplit:
    """Disjoint train / validation / test node sets of one graph.

    Attributes
    ----------
    train, val, test : torch.Tensor
        Sorted, pairwise disjoint int64 node ids.
    scheme : str
        How it was drawn: ``"standard"``, ``"random"`` or ``"planetoid"``.
    params : dict
        The drawing parameters (sizes, seed if an int), for run records.
    train_class_counts : tuple of int
        Training nodes per class (index = label).
    """

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    scheme: str
    params: dict = field(default_factory=dict)
    train_class_counts: tuple[int, ...] = ()

    def __post_init__(self):
        for part in ("train", "val", "test"):
            ids = getattr(self, part)
            if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64 or ids.dim() != 1:
                raise ValueError(f"NodeSplit.{part} must be a 1-D int64 tensor; got {ids!r}")
            if ids.numel() > 1 and not bool((ids[1:] > ids[:-1]).all()):
                raise ValueError(f"NodeSplit.{part} must be sorted without repeats")
        joined = torch.cat([self.train, self.val, self.test])
        if torch.unique(joined).numel() != joined.numel():
            raise ValueError("NodeSplit.train, val and test must be disjoint")

    @classmethod
    def from_indices(
        cls, labels: torch.Tensor, train, val, test, *, scheme: str, params: dict | None = None
    ) -> NodeSplit:
        """Sort the id arrays (any int array-likes), count the training labels, check."""
        ids = [
            torch.sort(torch.as_tensor(np.asarray(a), dtype=torch.int64))[0]
            for a in (train, val, test)
        ]
        n_classes = int(labels.max()) + 1
        counts = torch.bincount(labels[ids[0]], minlength=n_classes)
        return cls(*ids, scheme, dict(params or {}), tuple(int(c) for c in counts))

    @classmethod
    def from_masks(cls, data: Data, *, scheme: str = "planetoid") -> NodeSplit:
        """From boolean ``train_mask`` / ``val_mask`` / ``test_mask`` (e.g. Planetoid's)."""
        masks = [data[f"{part}_mask"] for part in ("train", "val", "test")]
        ids = [torch.nonzero(m, as_tuple=True)[0] for m in masks]
        return cls.from_indices(data.y, *ids, scheme=scheme)

    def describe(self) -> dict:
        """JSON-ready: scheme, parameters, sizes and training nodes per class."""
        return {
            "scheme": self.scheme,
            "params": dict(self.params),
            "n_train": int(self.train.numel()),
            "n_val": int(self.val.numel()),
            "n_test": int(self.test.numel()),
            "train_class_counts": list(self.train_class_counts),
        }


def _labels_of(owner: str, data) -> torch.Tensor:
    y = getattr(data, "y", None)
    if not isinstance(y, torch.Tensor) or y.dim() != 1 or y.dtype != torch.int64 or y.numel() == 0:
        raise ValueError(f"{owner}.data must have int64 node labels y of shape (n_nodes,)")
    if int(y.min()) < 0:
        raise ValueError(f"{owner}.data.y must be >= 0; got minimum {int(y.min())}")
    return y


def _seed_record(random_state) -> int | None:
    return int(random_state) if isinstance(random_state, int | np.integer) else None


def _check_sizes(owner: str, n_available: int, sizes: dict[str, int]) -> None:
    for key, value in sizes.items():
        _check(owner, key, value, Interval(int, 0, n_available))
    if sum(sizes.values()) > n_available:
        names = " + ".join(sizes)
        total = " + ".join(str(v) for v in sizes.values())
        raise ValueError(
            f"{owner}: {names} = {total} = {sum(sizes.values())} exceeds the {n_available} "
            "nodes available; lower them"
        )


def standard_split(
    data: Data,
    *,
    train_per_class: int = 20,
    n_val: int = 500,
    n_test: int = 1000,
    random_state: RandomState = 0,
) -> NodeSplit:
    """A split of the Planetoid shape: ``train_per_class`` nodes of every class, then
    ``n_val`` validation and ``n_test`` test nodes drawn uniformly from the rest.

    This is the *shape* of the Planetoid split (Yang et al. 2016, arXiv:1603.08861: 20 per
    class, 500 / 1000), not its indices: those refer to Planetoid's node order, which the
    LINQS files of :func:`load_graph` do not share. Use :func:`load_planetoid` with
    :meth:`NodeSplit.from_masks` for the published indices.

    Parameters
    ----------
    data : torch_geometric.data.Data
        A graph with int64 labels ``y``.
    train_per_class : int
        Training nodes per class, ``>= 1`` and at most the smallest class size.
    n_val, n_test : int
        Validation and test nodes, ``>= 0``; with the training nodes at most ``n_nodes``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the draws (numpy; PyG's ``RandomNodeSplit`` would draw from torch's global
        generator, which library code must not touch).
    """
    owner = "standard_split"
    y = _labels_of(owner, data)
    sizes = torch.bincount(y)
    smallest = int(sizes[sizes > 0].min())
    _check(owner, "train_per_class", train_per_class, Interval(int, 1, smallest))
    n_train = int(train_per_class) * int((sizes > 0).sum())
    _check_sizes(owner, y.numel(), {"n_train": n_train, "n_val": n_val, "n_test": n_test})
    rng = as_generator(random_state)
    labels = y.numpy()
    train = np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), size=train_per_class, replace=False)
            for c in np.flatnonzero(sizes.numpy())
        ]
    )
    rest = rng.permutation(np.setdiff1d(np.arange(labels.size), train))
    params = {
        "train_per_class": int(train_per_class),
        "n_val": int(n_val),
        "n_test": int(n_test),
        "random_state": _seed_record(random_state),
    }
    val, test = rest[:n_val], rest[n_val : n_val + n_test]
    return NodeSplit.from_indices(y, train, val, test, scheme="standard", params=params)


def random_split(
    data: Data,
    *,
    n_train: int,
    n_val: int = 500,
    n_test: int = 1000,
    random_state: RandomState,
) -> NodeSplit:
    """Uniformly random disjoint train / validation / test sets of the given sizes.

    Parameters
    ----------
    data : torch_geometric.data.Data
        A graph with int64 labels ``y``.
    n_train : int
        Training nodes, ``>= 1``.
    n_val, n_test : int
        Validation and test nodes, ``>= 0``; ``n_train + n_val + n_test <= n_nodes``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the permutation (numpy, never torch's global generator).
    """
    owner = "random_split"
    y = _labels_of(owner, data)
    _check(owner, "n_train", n_train, Interval(int, 1, y.numel()))
    _check_sizes(owner, y.numel(), {"n_train": n_train, "n_val": n_val, "n_test": n_test})
    order = as_generator(random_state).permutation(y.numel())
    cuts = np.cumsum([n_train, n_val, n_test])
    params = {
        "n_train": int(n_train),
        "n_val": int(n_val),
        "n_test": int(n_test),
        "random_state": _seed_record(random_state),
    }
    train, val, test = order[: cuts[0]], order[cuts[0] : cuts[1]], order[cuts[1] : cuts[2]]
    return NodeSplit.from_indices(y, train, val, test, scheme="random", params=params)
