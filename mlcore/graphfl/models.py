"""Graph neural networks for node classification, built from PyTorch Geometric layers.

* :class:`GCN` — two :class:`~torch_geometric.nn.GCNConv` layers with ReLU and dropout on the
  hidden features (Kipf & Welling 2017, arXiv:1609.02907, Eq. 9), as in GraphFL's reference code
  (which, like Kipf's PyTorch version, applies no dropout to the input features).
* :class:`SGC` — one :class:`~torch_geometric.nn.SGConv` (Wu et al. 2019, arXiv:1902.07153):
  a linear map of ``S^K X`` with ``S`` the symmetrically normalised adjacency with self-loops.

Both take ``(x, edge_index)`` and return unnormalised class scores (logits), shape
``(n_nodes, n_classes)``. Normalisation: PyG's ``gcn_norm``, ``D^-1/2 (A + I) D^-1/2``, the
GCN paper's. GraphFL's reference code row-normalises, ``D^-1 (A + I)``; we keep PyG's
symmetric form for both models (``SGConv`` offers no other).

One model object serves every client through :func:`torch.func.functional_call`
(:mod:`mlcore.graphfl.functional`), and a client may see its own subgraph: the normalised
adjacency is therefore cached per ``edge_index`` tensor (and the SGC's parameter-free ``S^K X``
per ``x`` tensor), each entry freed with its tensor.
"""

from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv, SGConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm

__all__ = ["GCN", "SGC", "MODELS", "make_model", "normalized_adjacency"]


def normalized_adjacency(
    edge_index: torch.Tensor, n_nodes: int, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """``D^-1/2 (A + I) D^-1/2`` as ``(edge_index, edge_weight)``: the edges with a self-loop
    added at every node and their propagation weights (PyG's ``gcn_norm``; Kipf & Welling
    2017, Eq. 2). The form both models take as ``edge_weight``."""
    return gcn_norm(edge_index, None, n_nodes, improved=False, add_self_loops=True, dtype=dtype)


class _PerTensor:
    """Values computed from a tensor, kept while the tensor lives (keyed by identity, so one
    model object can serve many graphs without recomputing their normalisation)."""

    def __init__(self):
        self._entries: dict[int, tuple] = {}

    def get(self, key: torch.Tensor, compute):
        entry = self._entries.get(id(key))
        if entry is None or entry[0]() is not key:
            entry = (weakref.ref(key), compute())
            self._entries[id(key)] = entry
            weakref.finalize(key, self._entries.pop, id(key), None)
        return entry[1]


def _propagation(edge_index, edge_weight, n_nodes, cache: _PerTensor, dtype):
    """The propagation weights: ``edge_weight`` as given (already normalised, self-loops
    included), or the graph's normalised adjacency, computed once per ``edge_index``."""
    if edge_weight is not None:
        return edge_index, edge_weight
    return cache.get(edge_index, lambda: normalized_adjacency(edge_index, n_nodes, dtype))


class GCN(nn.Module):
    """Two-layer graph convolutional network.

    ``forward(x, edge_index, edge_weight=None)``: without ``edge_weight`` the graph is
    normalised (:func:`normalized_adjacency`, once per ``edge_index``); with it,
    ``(edge_index, edge_weight)`` must already be normalised with self-loops, e.g. the
    restriction of the normalised graph to a computation subgraph
    (:func:`mlcore.graphfl.functional.computation_subgraph`).

    Parameters
    ----------
    in_channels, out_channels : int
        Node features and classes.
    hidden : int
        Hidden units (GraphFL's code and the GCN paper: 16).
    dropout : float
        Dropout probability on the hidden features (0.5).
    """

    #: Each node's output depends on its neighbours up to this many edges away.
    hops = 2

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 16, dropout=0.5):
        super().__init__()
        self.dropout = float(dropout)
        self.conv1 = GCNConv(in_channels, hidden, normalize=False)
        self.conv2 = GCNConv(hidden, out_channels, normalize=False)
        self._normalized = _PerTensor()

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        edge_index, edge_weight = _propagation(
            edge_index, edge_weight, x.size(0), self._normalized, torch.float32
        )
        x = F.relu(self.conv1(x, edge_index, edge_weight))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index, edge_weight)


class SGC(nn.Module):
    """Simplified graph convolution: logits ``S^K X W + b``.

    ``forward(x, edge_index, edge_weight=None)`` as :class:`GCN`. ``S^K X`` has no parameters
    and is computed once per ``(edge_index, x)`` pair of tensors.

    Parameters
    ----------
    in_channels, out_channels : int
        Node features and classes.
    hops : int
        Propagation steps ``K`` (2, as in GraphFL's code).
    """

    def __init__(self, in_channels: int, out_channels: int, hops: int = 2):
        super().__init__()
        self.conv = SGConv(in_channels, out_channels, K=hops, cached=False)
        self.hops = int(hops)
        self._normalized = _PerTensor()
        self._propagated = _PerTensor()

    def propagated(self, x, edge_index, edge_weight=None) -> torch.Tensor:
        """``S^K X`` of this graph (computed once per ``(edge_index, x)`` pair)."""

        def compute():
            edges, weight = _propagation(
                edge_index, edge_weight, x.size(0), self._normalized, torch.float32
            )
            h = x if x.layout == torch.strided else x.to_dense()
            with torch.no_grad():  # SGConv's own K propagations, its linear map skipped
                for _ in range(self.conv.K):
                    h = self.conv.propagate(edges, x=h, edge_weight=weight)
            return h

        return self._propagated.get(edge_index, _PerTensor).get(x, compute)

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.conv.lin(self.propagated(x, edge_index, edge_weight))


#: Model names accepted by :func:`make_model`.
MODELS = ("gcn", "sgc")


def make_model(name: str, in_channels: int, out_channels: int, *, hidden: int = 16) -> nn.Module:
    """A fresh ``"gcn"`` or ``"sgc"`` (weights from torch's global generator: seed it through
    :func:`mlcore.rng.global_rng_seeded`)."""
    if name == "gcn":
        return GCN(in_channels, out_channels, hidden=hidden)
    if name == "sgc":
        return SGC(in_channels, out_channels)
    raise ValueError(f"model must be one of {MODELS}; got {name!r}")
