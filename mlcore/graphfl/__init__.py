"""Federated semi-supervised node classification on graphs (GraphFL, arXiv:2012.04187).

A model is data, a federation of clients is data, and a solver runs rounds on them:

* graphs and splits — :mod:`mlcore.graphfl.datasets`: Cora and CiteSeer shipped with the
  package (sha256-checked), :func:`load_graph`, Planetoid-shaped and random node splits
  (:class:`NodeSplit`), PyG's ``Planetoid`` for users who can download;
* clients — :mod:`mlcore.graphfl.clients`: GraphFL's reference setting (every client sees the
  whole graph and holds a few labelled nodes, :func:`reference_clients`) and subgraph clients
  (METIS communities, Dirichlet label skew or random parts, cross-client edges dropped,
  :func:`subgraph_clients`);
* models — :mod:`mlcore.graphfl.models`: PyG's ``GCNConv`` and ``SGConv`` networks;
  :mod:`mlcore.graphfl.functional` runs them on weight dictionaries through
  ``torch.func.functional_call`` and restricts a client's steps to its exact computation
  subgraph;
* methods — :class:`FederatedNodeClassification` (``start`` / ``step`` / ``run``): local
  training, FedAvg and GraphFL's MAML step (:mod:`mlcore.graphfl.meta`); self-training
  (:func:`self_train`) combines with each; new label domains (:mod:`mlcore.graphfl.newdomain`,
  and the prototypical network, our extension, in :mod:`mlcore.graphfl.newdomain_proto`).

Example
-------
>>> from mlcore.graphfl import (FederatedNodeClassification, load_graph, make_model,
...                             random_split, reference_clients, training_sets)
>>> from mlcore.rng import global_rng_seeded
>>> graph = load_graph("cora")
>>> split = random_split(graph, n_train=400, random_state=0)
>>> fed = reference_clients(graph, split, random_state=0)      # 50 clients, 6 + 2 labels
>>> with global_rng_seeded(0):
...     model = make_model("gcn", graph.num_features, 7)
>>> solver = FederatedNodeClassification(
...     model, training_sets(fed.clients), fed.evaluation_views(),
...     {"method": "graphfl", "lr": 0.5}, random_state=0)
>>> result = solver.run(20)
>>> result.test_at_best_val, result.max_test    # selected on validation / on test
"""

from .clients import (
    SCHEMES,
    ClientGraph,
    EvalView,
    FederatedGraph,
    reference_clients,
    subgraph_clients,
)
from .datasets import GRAPHS, NodeSplit, load_graph, load_planetoid, random_split, standard_split
from .functional import computation_subgraph, weights_of
from .meta import MetaTask, meta_gradient, server_step
from .models import GCN, SGC, make_model
from .selftrain import ClientTraining, SelfTrainingOptions, self_train, training_sets
from .solver import (
    METHODS,
    FederatedNodeClassification,
    FederatedOptions,
    NodeClassificationResult,
    RoundStats,
)

__all__ = [
    "GRAPHS",
    "METHODS",
    "SCHEMES",
    "GCN",
    "SGC",
    "ClientGraph",
    "ClientTraining",
    "EvalView",
    "FederatedGraph",
    "FederatedNodeClassification",
    "FederatedOptions",
    "MetaTask",
    "NodeClassificationResult",
    "NodeSplit",
    "RoundStats",
    "SelfTrainingOptions",
    "computation_subgraph",
    "load_graph",
    "load_planetoid",
    "make_model",
    "meta_gradient",
    "random_split",
    "reference_clients",
    "self_train",
    "server_step",
    "standard_split",
    "subgraph_clients",
    "training_sets",
    "weights_of",
]
