"""Federated semi-supervised node classification on graphs (GraphFL, arXiv:2012.04187)."""
