"""Every configuration scored on every image, and the choices made from that table: the
oracle (lowest true-label loss, arXiv:2103.09891's ``validate_oracle``), the worst
configuration, and the training-free selectors (highest maximum class probability, the code's
``best_vs_rest.py``; lowest predictive entropy, our addition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .network import StriderNet
from .options import ConfigurationSpace

__all__ = [
    "ConfigurationScores",
    "Selection",
    "score_configurations",
    "TRAINING_FREE",
]


@dataclass(frozen=True)
class Selection:
    """One configuration chosen per image.

    Attributes
    ----------
    name : str
        The selector.
    chosen : ndarray of int, shape (n,)
        Index into :attr:`ConfigurationScores.configurations` per image.
    accuracy : float
        Top-1 accuracy of the chosen configurations' predictions, in [0, 1].
    oracle_agreement : float
        Share of images where the choice is the oracle's, in [0, 1].
    """

    name: str
    chosen: np.ndarray
    accuracy: float
    oracle_agreement: float


@dataclass(frozen=True)
class ConfigurationScores:
    """Per image and configuration: the true-label loss, the prediction, its confidence.

    Attributes
    ----------
    configurations : tuple of tuple of int
        The configurations scored (columns).
    labels : ndarray, shape (n,)
    loss : ndarray, shape (n, n_configurations)
        Cross-entropy with the true label, in nats.
    prediction : ndarray of int, shape (n, n_configurations)
    confidence : ndarray, shape (n, n_configurations)
        Largest class probability.
    entropy : ndarray, shape (n, n_configurations)
        Entropy of the predicted distribution, in nats.
    """

    configurations: tuple[tuple[int, ...], ...]
    labels: np.ndarray
    loss: np.ndarray
    prediction: np.ndarray
    confidence: np.ndarray
    entropy: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        """(n, n_configurations) bool: is the prediction the label."""
        return self.prediction == self.labels[:, None]

    def accuracy(self, column: int) -> float:
        """Top-1 accuracy of one configuration, in [0, 1]."""
        return float(self.correct[:, column].mean())

    def column(self, configuration: Sequence[int]) -> int:
        return self.configurations.index(tuple(configuration))

    def subset(self, configurations: Sequence[Sequence[int]]) -> ConfigurationScores:
        """The table restricted to ``configurations`` (all of them scored here)."""
        cols = [self.column(c) for c in configurations]
        return ConfigurationScores(
            tuple(self.configurations[c] for c in cols),
            self.labels,
            self.loss[:, cols],
            self.prediction[:, cols],
            self.confidence[:, cols],
            self.entropy[:, cols],
        )

    def select(self, name: str, chosen: np.ndarray) -> Selection:
        """The :class:`Selection` of the given per-image columns."""
        chosen = np.asarray(chosen, dtype=np.int64)
        rows = np.arange(len(self.labels))
        return Selection(
            name,
            chosen,
            float(self.correct[rows, chosen].mean()),
            float((chosen == self.oracle_choice()).mean()),
        )

    def oracle_choice(self) -> np.ndarray:
        """Per image, the column of lowest true-label loss (first on ties)."""
        return self.loss.argmin(1)

    def oracle(self) -> Selection:
        """Lowest true-label loss per image: an upper bound, not a deployable method."""
        return self.select("oracle", self.oracle_choice())

    def worst(self) -> Selection:
        """Highest true-label loss per image."""
        return self.select("worst", self.loss.argmax(1))

    def max_confidence(self) -> Selection:
        """Training-free: the configuration whose largest class probability is highest."""
        return self.select("max_confidence", self.confidence.argmax(1))

    def min_entropy(self) -> Selection:
        """Training-free: the configuration whose predicted distribution has least entropy."""
        return self.select("min_entropy", self.entropy.argmin(1))


#: The training-free selectors, by name.
TRAINING_FREE = ("max_confidence", "min_entropy")


@torch.no_grad()
def score_configurations(
    model: StriderNet,
    X: np.ndarray | torch.Tensor,
    y: np.ndarray,
    configurations: Sequence[Sequence[int]] | ConfigurationSpace | None = None,
    *,
    batch_size: int = 64,
    batched: bool = True,
    progress: bool = False,
) -> ConfigurationScores:
    """Run ``model`` (in evaluation mode) under every configuration on every image.

    Parameters
    ----------
    model : StriderNet
    X, y : images (n, c, h, w) and labels (n,)
    configurations : sequence, ConfigurationSpace or None
        What to score; default every configuration of ``model.space``.
    batch_size : int
        Images per forward pass.
    batched : bool
        True: :meth:`StriderNet.forward_all` (shared prefixes, one pass per feature shape);
        False: one forward pass per configuration (the reference's loop).
    """
    if configurations is None:
        configurations = model.space
    if isinstance(configurations, ConfigurationSpace):
        configurations = configurations.configurations
    configs = tuple(model.space.check(c) for c in configurations)
    if not configs:
        raise ValueError("configurations must not be empty")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    device = next(model.parameters()).device
    X = torch.as_tensor(X, dtype=torch.float32)
    labels = np.asarray(y, dtype=np.int64)
    if len(labels) != len(X):
        raise ValueError(f"y must have one label per image ({len(X)}); got {len(labels)}")
    was_training = model.training
    model.eval()
    parts = []
    try:
        for start in tqdm(range(0, len(X), batch_size), disable=not progress, desc="oracle"):
            xb = X[start : start + batch_size].to(device)
            yb = torch.as_tensor(labels[start : start + batch_size], device=device)
            if batched:
                logits = model.forward_all(xb, configs)
            else:
                logits = torch.stack([model(xb, c) for c in configs])
            parts.append(_scores(logits.transpose(0, 1), yb))
    finally:
        model.train(was_training)
    loss, pred, conf, ent = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return ConfigurationScores(configs, labels, loss, pred, conf, ent)


def _scores(logits: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, ...]:
    """Loss, prediction, confidence, entropy of logits (n, k, classes) against y (n,)."""
    logp = F.log_softmax(logits.float(), dim=-1)
    loss = -logp.gather(-1, y[:, None, None].expand(-1, logp.shape[1], 1)).squeeze(-1)
    p = logp.exp()
    entropy = -(p * logp).sum(-1)
    conf, pred = p.max(-1)
    return tuple(t.cpu().numpy() for t in (loss, pred, conf, entropy))
