"""Inference-time dynamic topology (arXiv:2103.09891)."""
