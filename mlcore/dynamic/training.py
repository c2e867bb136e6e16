"""Stage one of arXiv:2103.09891: the backbone's weights, trained with a uniformly random valid
configuration per mini-batch (the code's ``RANDOM_STRIDE``), or statically."""

from __future__ import annotations

import numpy as np

from ..data import ImageDataset
from ..rng import RandomState, as_generator, seed_from
from ..training import fit
from .network import StriderNet
from .options import ConfigurationSpace

__all__ = ["fit_random_configurations", "fit_static"]


def fit_random_configurations(
    model: StriderNet,
    data: ImageDataset | tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    space: ConfigurationSpace | None = None,
    seed: RandomState = 0,
    progress: bool = True,
) -> list[dict]:
    """Train ``model`` in place, drawing one configuration of ``space`` (default
    ``model.space``) uniformly for each mini-batch; the model is left at its static
    configuration. Returns :func:`mlcore.training.fit`'s history.

    Randomness: the batch order and dropout-free training come from ``seed``; the
    configurations from an independent child stream of it.
    """
    space = model.space if space is None else space
    configs = [model.space.check(c) for c in space.configurations]
    seed_int = seed_from(seed)
    child_seeds = np.random.SeedSequence(seed_int).spawn(1)
    draw = as_generator(child_seeds[0])

    def random_configuration(net, xb, yb):
        net.set_configuration(configs[draw.integers(len(configs))])
        return xb, yb

    try:
        return fit(
            model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed_int,
            batch_transform=random_configuration, progress=progress, desc="stage one (random)",
        )  # fmt: skip
    finally:
        model.set_configuration(None)


def fit_static(
    model: StriderNet,
    data: ImageDataset | tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: RandomState = 0,
    progress: bool = True,
) -> list[dict]:
    """Train ``model`` in place at its static configuration (an ordinary ResNet)."""
    model.set_configuration(None)
    return fit(
        model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
        progress=progress, desc="static",
    )  # fmt: skip
