"""Clients of federated node classification: who sees which part of the graph, and which labels.

* **reference** (:func:`reference_clients`) — GraphFL's own (arXiv:2012.04187, research notes
  Sec. 3 and 10): every client sees the *whole* graph, features and edges; only the labelled
  nodes are private. The training nodes of the split are shuffled and dealt out, a few
  support and query nodes per client (reference: 50 clients x (6 support + 2 query)). The
  non-IID-ness is that of tiny random samples.
* **subgraph** (:func:`subgraph_clients`) — our harder setting: every node belongs to exactly
  one client, which sees only the subgraph induced by its nodes; edges between clients are
  lost. Parts come from METIS communities (Karypis & Kumar 1998, through ``pymetis``),
  Dirichlet label skew (Hsu, Qi & Brown 2019, arXiv:1909.06335, via
  :func:`mlcore.partition.dirichlet_partition`) or a uniform random assignment (baseline).

A client's data is a :class:`ClientGraph` with *view-local* node indices: view node ``i`` is
global node ``nodes[i]`` (``nodes`` sorted). :meth:`FederatedGraph.evaluation_views` gives
where validation and test nodes are evaluated: on the whole graph (reference) or, per client,
on its own subgraph, each validation / test node exactly once.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pymetis
import torch
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops, subgraph, to_undirected

from ..params import Instance, Interval, Options
from ..params import check_argument as _check
from ..partition import dirichlet_partition, iid_partition
from ..rng import RandomState, as_generator, seed_from
from .datasets import NodeSplit

__all__ = [
    "SCHEMES",
    "ClientGraph",
    "EvalView",
    "FederatedGraph",
    "reference_clients",
    "subgraph_clients",
    "metis_parts",
]

#: Partition schemes of :func:`subgraph_clients`.
SCHEMES = ("metis", "dirichlet", "random")

_METIS_SEED_RANGE = 2**31 - 1  # METIS's seed is a C idx_t


def _to(tensor: torch.Tensor, device, memo: dict) -> torch.Tensor:
    """Move ``tensor`` once per call chain: tensors shared before stay shared after."""
    key = id(tensor)
    if key not in memo:
        memo[key] = tensor.to(device)
    return memo[key]


@dataclass(frozen=True, eq=False)
class ClientGraph:
    """One client's view of the graph and its labelled nodes.

    Attributes
    ----------
    client : int
        Client index.
    x : torch.Tensor
        Dense features of the view, ``(n_nodes, n_features)``.
    edge_index : torch.Tensor
        int64 ``(2, 2 n_edges)`` in view-local indices, both directions of every edge.
    nodes : torch.Tensor
        Sorted int64 global ids: view node ``i`` is global node ``nodes[i]``.
    y : torch.Tensor
        int64 true labels of the view's nodes (only ``y[support]`` and ``y[query]`` are the
        client's to train on).
    support, query : torch.Tensor
        Sorted, disjoint int64 view-local indices of the client's labelled nodes: support
        (inner / local training) and query (meta-objective) nodes.

    Notes
    -----
    In the reference setting all clients share one ``x``, ``edge_index``, ``nodes`` and ``y``
    tensor (no copies): don't modify them in place.
    """

    client: int
    x: torch.Tensor
    edge_index: torch.Tensor
    nodes: torch.Tensor
    y: torch.Tensor
    support: torch.Tensor
    query: torch.Tensor

    @property
    def labelled(self) -> torch.Tensor:
        """Sorted view-local indices of all labelled nodes (support and query)."""
        return torch.sort(torch.cat([self.support, self.query]))[0]

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.numel())

    @property
    def n_edges(self) -> int:
        """Undirected edges of the view."""
        return int(self.edge_index.size(1)) // 2

    @property
    def n_labelled(self) -> int:
        return int(self.support.numel() + self.query.numel())

    def local_index(self, global_ids) -> torch.Tensor:
        """View-local indices of global node ids (``ValueError`` if one is not in the view)."""
        ids = torch.as_tensor(global_ids, dtype=torch.int64, device=self.nodes.device)
        pos = torch.searchsorted(self.nodes, ids).clamp_(max=max(self.n_nodes - 1, 0))
        missing = self.nodes[pos] != ids if self.n_nodes else torch.ones_like(ids, dtype=bool)
        if bool(missing.any()):
            shown = ids[missing][:5].tolist()
            raise ValueError(
                f"ClientGraph.local_index: {int(missing.sum())} node(s), e.g. {shown}, are not "
                f"in client {self.client}'s view"
            )
        return pos

    def to(self, device: str | torch.device, memo: dict | None = None) -> ClientGraph:
        """A copy on ``device``. Pass one ``memo`` dict to several calls (as
        :meth:`FederatedGraph.to` does) to keep shared tensors shared."""
        memo = {} if memo is None else memo
        moved = {
            name: _to(getattr(self, name), device, memo)
            for name in ("x", "edge_index", "nodes", "y", "support", "query")
        }
        return replace(self, **moved)


@dataclass(frozen=True, eq=False)
class EvalView:
    """Where validation and test nodes are evaluated: a graph view and local indices.

    Attributes
    ----------
    view : ClientGraph
        The graph to run the model on (``view.x``, ``view.edge_index``, ``view.nodes``): a
        client's subgraph, or in the reference setting the whole graph as a view of client
        ``-1`` holding no labelled nodes.
    val, test, y_val, y_test : torch.Tensor
        Sorted int64 view-local indices of the validation / test nodes evaluated here
        (possibly empty) and their true labels.
    client : int or None
        The client whose subgraph this is (``None``: the whole graph, reference setting).
    """

    view: ClientGraph
    val: torch.Tensor
    test: torch.Tensor
    y_val: torch.Tensor
    y_test: torch.Tensor
    client: int | None = None

    def to(self, device: str | torch.device, memo: dict | None = None) -> EvalView:
        """A copy on ``device`` (``memo`` as in :meth:`ClientGraph.to`)."""
        memo = {} if memo is None else memo
        moved = {name: _to(getattr(self, name), device, memo) for name in _EVAL_TENSORS}
        return replace(self, view=self.view.to(device, memo), **moved)


_EVAL_TENSORS = ("val", "test", "y_val", "y_test")


@dataclass(frozen=True, eq=False)
class FederatedGraph:
    """A graph, its node split and the clients' views.

    Attributes
    ----------
    graph : torch_geometric.data.Data
        The full graph (``x``, ``edge_index``, ``y``).
    split : NodeSplit
        Train / validation / test nodes; the clients' labelled nodes are ``split.train``
        nodes.
    clients : tuple of ClientGraph
        ``clients[k].client == k``.
    setting : str
        ``"reference"``, or the subgraph scheme: ``"metis"``, ``"dirichlet"``, ``"random"``.
    params : dict
        The construction parameters, for run records.
    assignment : torch.Tensor or None
        Subgraph settings: int64 ``(n_nodes,)``, the client owning each node; ``None`` in the
        reference setting (every client sees every node).
    """

    graph: Data
    split: NodeSplit
    clients: tuple[ClientGraph, ...]
    setting: str
    params: dict = field(default_factory=dict)
    assignment: torch.Tensor | None = None

    @property
    def n_clients(self) -> int:
        return len(self.clients)

    def __len__(self) -> int:
        return len(self.clients)

    def __getitem__(self, client: int) -> ClientGraph:
        return self.clients[client]

    def __iter__(self):
        return iter(self.clients)

    def edge_counts(self) -> tuple[int, int]:
        """``(kept, dropped)`` undirected edges: kept = inside some client's view (each edge
        counted once), dropped = between two clients (0 in the reference setting)."""
        total = int(self.graph.edge_index.size(1)) // 2
        if self.assignment is None:
            return total, 0
        kept = sum(c.n_edges for c in self.clients)
        return kept, total - kept

    def describe(self) -> dict:
        """JSON-ready summary: setting, parameters, split sizes, kept / dropped edges and,
        per client, nodes, edges, support / query sizes and class counts of its labelled
        nodes (and of all its nodes in subgraph settings)."""
        n_classes = int(self.graph.y.max()) + 1
        kept, dropped = self.edge_counts()
        rows = []
        for c in self.clients:
            row = {
                "client": c.client,
                "n_nodes": c.n_nodes,
                "n_edges": c.n_edges,
                "n_support": int(c.support.numel()),
                "n_query": int(c.query.numel()),
                "labelled_class_counts": _class_counts(c.y[c.labelled], n_classes),
            }
            if self.assignment is not None:
                row["node_class_counts"] = _class_counts(c.y, n_classes)
            rows.append(row)
        return {
            "setting": self.setting,
            "params": dict(self.params),
            "split": self.split.describe(),
            "n_clients": self.n_clients,
            "n_nodes": int(self.graph.num_nodes),
            "edges_kept": kept,
            "edges_dropped": dropped,
            "clients": rows,
        }

    def evaluation_views(self) -> tuple[EvalView, ...]:
        """Where to evaluate: reference setting, one view (the whole graph, all validation and
        test nodes); subgraph settings, one view per client (``views[k].client == k``) with
        the validation / test nodes of its part, so every such node is evaluated exactly once.
        """
        y = self.graph.y
        val, test = self.split.val.to(y.device), self.split.test.to(y.device)
        if self.assignment is None:
            g, empty = self.clients[0], self.split.train[:0]
            whole = ClientGraph(-1, g.x, g.edge_index, g.nodes, g.y, empty, empty)
            return (EvalView(whole, val, test, y[val], y[test]),)
        views = []
        for c in self.clients:
            val_k = val[self.assignment[val] == c.client]
            test_k = test[self.assignment[test] == c.client]
            local_val, local_test = c.local_index(val_k), c.local_index(test_k)
            views.append(EvalView(c, local_val, local_test, y[val_k], y[test_k], c.client))
        return tuple(views)

    def to(self, device: str | torch.device) -> FederatedGraph:
        """A copy on ``device``; tensors shared between clients (reference setting) stay
        shared, i.e. are moved once. ``split`` stays where it is (global ids for records)."""
        memo: dict = {}
        graph = copy.copy(self.graph).apply(lambda t: _to(t, device, memo))
        clients = tuple(c.to(device, memo) for c in self.clients)
        assignment = None if self.assignment is None else _to(self.assignment, device, memo)
        return replace(self, graph=graph, clients=clients, assignment=assignment)


def _class_counts(labels: torch.Tensor, n_classes: int) -> list[int]:
    return torch.bincount(labels.cpu(), minlength=n_classes).tolist()


def _check_inputs(owner: str, data, split) -> None:
    for name in ("x", "edge_index", "y"):
        if not isinstance(getattr(data, name, None), torch.Tensor):
            raise ValueError(f"{owner}.data must have tensors x, edge_index and y; {name} missing")
    _check(owner, "split", split, Instance(NodeSplit))
    n = int(data.y.numel())
    joined = torch.cat([split.train, split.val, split.test])
    if joined.numel() and (int(joined.min()) < 0 or int(joined.max()) >= n):
        raise ValueError(f"{owner}.split holds node ids outside 0 .. {n - 1} (the graph's nodes)")


def _seed_record(random_state) -> int | None:
    return int(random_state) if isinstance(random_state, int | np.integer) else None


def reference_clients(
    data: Data,
    split: NodeSplit,
    *,
    n_clients: int = 50,
    support_per_client: int = 6,
    query_per_client: int = 2,
    random_state: RandomState = 0,
) -> FederatedGraph:
    """GraphFL's setting: every client sees the whole graph and holds a few labelled nodes.

    ``split.train`` is shuffled and dealt out: client ``k`` gets ``support_per_client``
    support and then ``query_per_client`` query nodes, all distinct (the reference code:
    50 clients, 300 / 50 = 6 support and 140 / 50 = 2 query nodes, drawn uniformly without
    replacement; research notes Sec. 3). Training nodes left over are used by no client.

    Parameters
    ----------
    data : torch_geometric.data.Data
        The graph (``x``, ``edge_index``, ``y``), shared by all clients without copies; its
        ``split``'s labelled pool is ``split.train``.
    n_clients, support_per_client, query_per_client : int
        All ``>= 1``, with ``n_clients * (support_per_client + query_per_client)`` at most
        ``len(split.train)``; ``random_state`` is the source of the shuffle.

    Returns
    -------
    FederatedGraph
        ``setting="reference"``, ``assignment=None``.
    """
    owner = "reference_clients"
    _check_inputs(owner, data, split)
    sizes = {"n_clients": n_clients, "support_per_client": support_per_client}
    for name, value in {**sizes, "query_per_client": query_per_client}.items():
        _check(owner, name, value, Interval(int, 1, None))
    per_client = support_per_client + query_per_client
    n_pool = int(split.train.numel())
    if n_clients * per_client > n_pool:
        raise ValueError(
            f"{owner}: n_clients * (support_per_client + query_per_client) = {n_clients} * "
            f"({support_per_client} + {query_per_client}) = {n_clients * per_client} exceeds "
            f"the {n_pool} labelled nodes of split.train; lower n_clients or the per-client "
            "numbers, or draw a larger training set"
        )
    pool = split.train[torch.from_numpy(as_generator(random_state).permutation(n_pool))]
    nodes = torch.arange(int(data.y.numel()))
    clients = []
    for k in range(n_clients):
        share = pool[k * per_client : (k + 1) * per_client]
        support = torch.sort(share[:support_per_client])[0]
        query = torch.sort(share[support_per_client:])[0]
        clients.append(ClientGraph(k, data.x, data.edge_index, nodes, data.y, support, query))
    params = {
        "n_clients": int(n_clients),
        "support_per_client": int(support_per_client),
        "query_per_client": int(query_per_client),
        "random_state": _seed_record(random_state),
    }
    return FederatedGraph(data, split, tuple(clients), "reference", params)


def metis_parts(
    edge_index: torch.Tensor, n_nodes: int, n_parts: int, *, seed: int = 0
) -> np.ndarray:
    """METIS k-way partition minimising the edge cut (Karypis & Kumar 1998), via ``pymetis``.

    The graph is symmetrised and its self-loops dropped first. METIS balances part sizes
    (default load imbalance 1.03) and is deterministic for a given ``seed``.

    Parameters
    ----------
    edge_index : torch.Tensor
        int64 ``(2, E)`` edges (either or both directions).
    n_nodes, n_parts, seed : int
        Nodes, parts wanted (``1 <= n_parts <= n_nodes``), METIS's seed (``options.seed``).

    Returns
    -------
    numpy.ndarray
        int64 ``(n_nodes,)``: the part of every node.
    """
    if n_parts == 1:
        return np.zeros(n_nodes, dtype=np.int64)
    edges = to_undirected(remove_self_loops(edge_index.cpu())[0], num_nodes=n_nodes).numpy()
    starts = np.concatenate([[0], np.cumsum(np.bincount(edges[0], minlength=n_nodes))])
    adjacency = pymetis.CSRAdjacency(starts, edges[1])  # to_undirected sorts by source
    options = pymetis.Options(seed=int(seed) % _METIS_SEED_RANGE)
    result = pymetis.part_graph(n_parts, adjacency, options=options)
    return np.asarray(result.vertex_part, dtype=np.int64)


def _assign(scheme, data, n_clients, alpha, rng) -> np.ndarray:
    n = int(data.y.numel())
    if scheme == "metis":
        return metis_parts(data.edge_index, n, n_clients, seed=seed_from(rng))
    labels = data.y.cpu().numpy()
    if scheme == "dirichlet":
        partition = dirichlet_partition(labels, n_clients, alpha=alpha, random_state=rng)
    else:
        partition = iid_partition(labels, n_clients, random_state=rng)
    assignment = np.empty(n, dtype=np.int64)
    for k, idx in enumerate(partition):
        assignment[idx] = k
    return assignment


def _subgraph_client(k, data, nodes, train, query_fraction, rng, hint) -> ClientGraph:
    """The induced subgraph of ``nodes`` (sorted global ids) and its labelled nodes."""
    edge_index, _ = subgraph(nodes, data.edge_index, relabel_nodes=True, num_nodes=data.num_nodes)
    labelled = torch.searchsorted(nodes, train)  # train: this part's split.train nodes
    m = int(labelled.numel())
    if m < 2:
        raise ValueError(
            f"subgraph_clients: client {k} holds {m} labelled node(s) (split.train) in its "
            f"part; every client needs >= 2 (support and query): {hint}"
        )
    n_query = min(m - 1, max(1, math.floor(query_fraction * m + 0.5)))
    shuffled = labelled[torch.from_numpy(rng.permutation(m))]
    query, support = torch.sort(shuffled[:n_query])[0], torch.sort(shuffled[n_query:])[0]
    return ClientGraph(k, data.x[nodes], edge_index, nodes, data.y[nodes], support, query)


def subgraph_clients(
    data: Data,
    split: NodeSplit,
    *,
    n_clients: int = 10,
    scheme: str = "metis",
    alpha: float = 0.5,
    query_fraction: float = 0.25,
    random_state: RandomState = 0,
) -> FederatedGraph:
    """Every node in exactly one client; each client sees only its induced subgraph.

    Parts: ``"metis"`` — METIS communities (:func:`metis_parts`, seeded from
    ``random_state``); ``"dirichlet"`` — label skew, class shares ``~ Dir(alpha)``
    (:func:`mlcore.partition.dirichlet_partition`); ``"random"`` — uniform assignment, sizes
    within one (a baseline: it cuts about ``1 - 1/n_clients`` of the edges). Each view is
    the induced subgraph (:func:`torch_geometric.utils.subgraph`, nodes relabelled in sorted
    order); edges between clients are dropped (:meth:`FederatedGraph.edge_counts`). A
    client's labelled nodes are the ``split.train`` nodes of its part, shuffled:
    ``max(1, round(query_fraction * m))`` of them (at most ``m - 1``; rounded half up) are
    query nodes, the rest support.

    Parameters
    ----------
    data : torch_geometric.data.Data
        The graph.
    split : NodeSplit
        Its split; validation / test nodes stay in their client's part for
        :meth:`FederatedGraph.evaluation_views`.
    n_clients : int
        ``1 <= n_clients <= n_nodes``; every client needs two labelled nodes.
    scheme : str
        One of :data:`SCHEMES`.
    alpha : float
        Dirichlet concentration, ``> 0`` (used by ``"dirichlet"`` only).
    query_fraction : float
        In ``(0, 1)``.
    random_state : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of the parts (METIS seed, Dirichlet draws) and the support / query shuffles.

    Raises
    ------
    ValueError
        A parameter out of range; a client with fewer than 2 labelled nodes (names
        ``n_clients``).
    """
    owner = "subgraph_clients"
    _check_inputs(owner, data, split)
    n = int(data.y.numel())
    _check(owner, "n_clients", n_clients, Interval(int, 1, n))
    _check(owner, "scheme", scheme, Options(*SCHEMES))
    _check(owner, "alpha", alpha, Interval(float, 0, None, closed="neither"))
    _check(owner, "query_fraction", query_fraction, Interval(float, 0, 1, closed="neither"))
    rng = as_generator(random_state)
    assignment = torch.from_numpy(_assign(scheme, data, n_clients, float(alpha), rng))
    hint = f"lower n_clients (got {n_clients}) or draw more training nodes"
    if scheme == "dirichlet":
        hint += f", or raise alpha (got {alpha})"
    train_owner = assignment[split.train]
    clients = []
    for k in range(n_clients):
        nodes = torch.nonzero(assignment == k, as_tuple=True)[0]
        train = split.train[train_owner == k]
        clients.append(_subgraph_client(k, data, nodes, train, query_fraction, rng, hint))
    params = {
        "n_clients": int(n_clients),
        "scheme": scheme,
        "query_fraction": float(query_fraction),
        "random_state": _seed_record(random_state),
    }
    if scheme == "dirichlet":
        params["alpha"] = float(alpha)
    return FederatedGraph(data, split, tuple(clients), scheme, params, assignment)
