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
(:mod:`mlcore.graphfl.functional`), and a client may see its own subgraph: the GCN's
propagation is therefore not cached, and the SGC's ``S^K X`` (parameter-free) is cached per
``(x, edge_index)`` pair; the entry is freed with its ``x``.
"""

from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv, SGConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm

__all__ = ["GCN", "SGC", "MODELS", "make_model"]


class GCN(nn.Module):
    """Two-layer graph convolutional network.

    Parameters
    ----------
    in_channels, out_channels : int
        Node features and classes.
    hidden : int
        Hidden units (GraphFL's code and the GCN paper: 16).
    dropout : float
        Dropout probability on the hidden features (0.5).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 16, dropout=0.5):
        super().__init__()
        self.dropout = float(dropout)
        self.conv1 = GCNConv(in_channels, hidden)
        self.conv2 = GCNConv(hidden, out_channels)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)


class SGC(nn.Module):
    """Simplified graph convolution: logits ``S^K X W + b``.

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
        # id(x) -> (weakref to x, weakref to edge_index, S^K x); an entry leaves with its x
        self._propagated: dict[int, tuple] = {}

    def propagated(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """``S^K X`` of this graph (computed once per ``(x, edge_index)`` pair)."""
        entry = self._propagated.get(id(x))
        if entry is None or entry[0]() is not x or entry[1]() is not edge_index:
            # SGConv with its linear map skipped: its own normalisation and K propagations
            edge, weight = gcn_norm(edge_index, None, x.size(0), False, True, dtype=x.dtype)
            h = x
            with torch.no_grad():
                for _ in range(self.conv.K):
                    h = self.conv.propagate(edge, x=h, edge_weight=weight)
            entry = (weakref.ref(x), weakref.ref(edge_index), h)
            self._propagated[id(x)] = entry
            weakref.finalize(x, self._propagated.pop, id(x), None)
        return entry[2]

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.conv.lin(self.propagated(x, edge_index))


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
