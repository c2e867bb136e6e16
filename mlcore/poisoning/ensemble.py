"""Sub-models trained on user subsets, and their votes.

Sub-model ``i`` of a code ``C`` trains on the union of the data of the users ``j`` with
``C[i, j] = 1`` (:func:`train_submodels`); :func:`submodel_votes` collects their hard
predictions for :func:`mlcore.poisoning.certify`. Each sub-model's initial weights and
batch order come from its own child of one seed (``SeedSequence.spawn``), so a sub-model does
not depend on how many others are trained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..rng import RandomState, as_seed_sequence, global_rng_seeded
from ..training import fit, predict_logits
from .codes import check_code

__all__ = ["MLP", "subset_indices", "train_submodels", "submodel_votes"]


class MLP(nn.Module):
    """A small multilayer perceptron: flatten, ``hidden`` ReLU units, ``n_classes`` logits.

    Shapes: ``(batch, c, h, w)`` images with ``c h w = in_features`` to ``(batch, n_classes)``.
    """

    def __init__(self, in_features: int = 784, hidden: int = 64, n_classes: int = 10):
        super().__init__()
        if hidden < 1 or in_features < 1 or n_classes < 2:
            raise ValueError(
                f"MLP needs in_features >= 1, hidden >= 1, n_classes >= 2; got "
                f"{in_features}, {hidden}, {n_classes}"
            )
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def subset_indices(code, users: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Sample indices of every sub-model: the sorted union of its users' index arrays."""
    C = check_code(code)
    if len(users) != C.shape[1]:
        raise ValueError(
            f"users must hold one index array per code column ({C.shape[1]}); got {len(users)}"
        )
    return [np.sort(np.concatenate([users[j] for j in np.flatnonzero(row)])) for row in C]


def train_submodels(
    code,
    users: Sequence[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    factory: Callable[[], nn.Module],
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    random_state: RandomState = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
    desc: str = "sub-models",
) -> list[nn.Module]:
    """One model per code row, trained (Adam, :func:`mlcore.training.fit`) on its users' data.

    Parameters
    ----------
    code : array_like, shape ``(n_submodels, n_users)``
        Binary code.
    users : sequence of numpy.ndarray
        Per user, its sample indices into ``X`` and ``y``.
    X, y : numpy.ndarray
        Images ``(n, c, h, w)`` in [0, 1] and labels ``(n,)`` (poisoned where attackers are).
    factory : callable
        Builds an untrained model (its initial weights are drawn from the sub-model's seed).
    epochs, lr, batch_size
        Training of every sub-model.
    random_state : int, numpy SeedSequence or Generator
        Root of the sub-models' seeds (child ``i`` for sub-model ``i``).
    """
    subsets = subset_indices(code, users)
    children = as_seed_sequence(random_state).spawn(len(subsets))
    models = []
    for idx, child in tqdm(
        list(zip(subsets, children)), desc=desc, disable=not progress, leave=False
    ):
        with global_rng_seeded(child):
            model = factory().to(device)
        fit(
            model,
            (X[idx], y[idx]),
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=child,
            progress=False,
        )
        models.append(model)
    return models


def submodel_votes(models: Sequence[nn.Module], X: np.ndarray) -> np.ndarray:
    """Hard predictions of every model, int64 ``(n_models, n_points)``."""
    return np.stack([predict_logits(m, X).argmax(1).numpy() for m in models]).astype(np.int64)
