"""Stage two of arXiv:2103.09891: one small selector per dynamic layer predicts that layer's
option from the features entering it and the options already taken.

Targets come from the exhaustive table of a training set (:func:`selector_targets`): for every
image and every valid prefix, the option whose best completion has the lowest true-label loss
(the code's one-step look-ahead). Training (:func:`train_selectors`) routes each image through
the frozen backbone, choosing epsilon-greedily (epsilon falling linearly from 1 to 0.05 over
the first three quarters of the epochs, as in the code), and sums the selectors' cross-entropy
with the target of the prefix actually taken.

Departures from the code, both deliberate: the selectors are scaled down with the backbone
(two convolutions and a linear layer, a few thousand parameters, instead of ResNet stages of
about 5.8 M parameters each), and the backbone stays in evaluation mode during stage two, so
its batch-norm statistics, and therefore the table the targets come from, do not move.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..rng import RandomState, global_rng_seeded, seed_from
from .network import StriderNet
from .options import ConfigurationSpace
from .oracle import ConfigurationScores, Selection

__all__ = ["StrideSelector", "SelectorSet", "selector_targets", "train_selectors", "route"]


class StrideSelector(nn.Module):
    """Logits over the options of one layer from its input features and the earlier choices
    (one-hot, ``layer * n_options`` long)."""

    def __init__(self, in_channels: int, layer: int, n_options: int, hidden: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            # no batch norm: images are routed in groups as small as one, whose statistics
            # would make an image's choice depend on its group
            nn.Conv2d(in_channels, hidden, 1),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.layer, self.n_options = layer, n_options
        self.out = nn.Linear(hidden + layer * n_options, n_options)

    def forward(self, h: torch.Tensor, prefix: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(prefix, self.n_options).flatten(1).to(h.dtype)
        return self.out(torch.cat([self.features(h), onehot], 1))


class SelectorSet(nn.Module):
    """One :class:`StrideSelector` per dynamic layer of ``model``, and the masks of the
    options each prefix allows (:meth:`ConfigurationSpace.valid_next`)."""

    def __init__(
        self, model: StriderNet, hidden: int = 16, space: ConfigurationSpace | None = None
    ):
        super().__init__()
        self.space = model.space if space is None else space
        n_opt = len(self.space.options)
        channels = [block.conv1.conv.in_channels for block in model.dynamic]
        self.selectors = nn.ModuleList(
            StrideSelector(c, layer, n_opt, hidden) for layer, c in enumerate(channels)
        )
        self._allowed: dict[tuple, torch.Tensor] = {}
        for config in self.space.configurations:
            for k in range(self.space.n_layers):
                prefix = config[:k]
                if prefix not in self._allowed:
                    mask = torch.zeros(n_opt, dtype=torch.bool)
                    mask[list(self.space.valid_next(prefix))] = True
                    self._allowed[prefix] = mask

    def allowed(self, prefix: torch.Tensor) -> torch.Tensor:
        """(m, n_options) bool: the options each row's prefix allows."""
        return torch.stack([self._allowed[tuple(p)] for p in prefix.tolist()]).to(prefix.device)

    def logits(self, layer: int, h: torch.Tensor, prefix: torch.Tensor) -> torch.Tensor:
        """Selector logits with the options the prefix forbids set to -inf."""
        out = self.selectors[layer](h, prefix)
        return out.masked_fill(~self.allowed(prefix), float("-inf"))


def selector_targets(scores: ConfigurationScores) -> dict[tuple[int, ...], np.ndarray]:
    """Per prefix (tuple of options, length 0 to n_layers - 1): the option per image (n,)
    whose best completion has the lowest loss in ``scores``."""
    configs = np.array(scores.configurations)
    n_layers = configs.shape[1]
    targets = {}
    for k in range(n_layers):
        for prefix in {c[:k] for c in scores.configurations}:
            under = np.all(configs[:, :k] == prefix, axis=1) if k else np.ones(len(configs), bool)
            options = sorted(set(configs[under, k].tolist()))
            best = np.stack(
                [scores.loss[:, under & (configs[:, k] == o)].min(1) for o in options], axis=1
            )
            targets[prefix] = np.asarray(options)[best.argmin(1)]
    return targets


def _epsilon(epoch: int, epochs: int, start: float = 1.0, end: float = 0.05) -> float:
    """Linear from ``start`` to ``end`` over the first 75 % of the epochs, then ``end``."""
    ramp = max(1, int(0.75 * epochs))
    return end if epoch >= ramp else start + (end - start) * epoch / ramp


def train_selectors(
    model: StriderNet,
    selectors: SelectorSet,
    X: np.ndarray,
    targets: dict[tuple[int, ...], np.ndarray],
    *,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: RandomState = 0,
    progress: bool = True,
) -> list[float]:
    """Train ``selectors`` (Adam) on the frozen ``model``; returns the mean loss per epoch."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}")
    device = next(model.parameters()).device
    X = torch.as_tensor(X, dtype=torch.float32)
    seed_int = seed_from(seed)
    order_gen = torch.Generator().manual_seed(seed_int)
    explore = torch.Generator().manual_seed(seed_int + 1)
    opt = torch.optim.Adam(selectors.parameters(), lr=lr)
    target_t = {p: torch.as_tensor(t) for p, t in targets.items()}
    model.eval()
    history = []
    with global_rng_seeded(seed_int):
        for epoch in tqdm(range(epochs), desc="stage two (selectors)", disable=not progress):
            eps = _epsilon(epoch, epochs)
            selectors.train()
            total = 0.0
            for idx in torch.randperm(len(X), generator=order_gen).split(batch_size):
                losses = []

                def choose(layer, h, prefix, pos, idx=idx, losses=losses, eps=eps):
                    rows = idx[pos.cpu()]
                    target = torch.stack(
                        [target_t[tuple(p)][i] for p, i in zip(prefix.tolist(), rows.tolist())]
                    ).to(device)
                    with torch.enable_grad():  # the backbone runs without autograd
                        logits = selectors.logits(layer, h.detach(), prefix)
                        losses.append(F.cross_entropy(logits, target, reduction="sum"))
                    greedy = logits.detach().argmax(1).cpu()
                    allowed = selectors.allowed(prefix).cpu().float()
                    random = torch.multinomial(allowed, 1, generator=explore).squeeze(1)
                    coin = torch.rand(len(greedy), generator=explore) < eps
                    return torch.where(coin, random, greedy).to(device)

                with torch.no_grad():
                    model.forward_routed(X[idx].to(device), choose)
                loss = torch.stack(losses).sum() / len(idx)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            history.append(total / len(X))
    selectors.eval()
    return history


@torch.no_grad()
def route(
    model: StriderNet, selectors: SelectorSet, X: np.ndarray, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """``(logits (n, classes), configurations (n, n_layers))``: each image through the
    configuration its selectors choose greedily."""
    device = next(model.parameters()).device
    was = model.training, selectors.training
    model.eval()
    selectors.eval()

    def choose(layer, h, prefix, pos):
        return selectors.logits(layer, h, prefix).argmax(1)

    try:
        parts = [
            model.forward_routed(torch.as_tensor(xb, dtype=torch.float32).to(device), choose)
            for xb in np.array_split(np.asarray(X), max(1, -(-len(X) // batch_size)))
        ]
    finally:
        model.train(was[0])
        selectors.train(was[1])
    logits = torch.cat([p[0] for p in parts]).cpu().numpy()
    return logits, torch.cat([p[1] for p in parts]).cpu().numpy()


def learned_selection(
    scores: ConfigurationScores, configurations: Sequence[Sequence[int]]
) -> Selection:
    """The :class:`Selection` of the configurations the selectors chose (rows of ``scores``)."""
    chosen = np.array([scores.column(tuple(int(o) for o in c)) for c in configurations])
    return scores.select("learned", chosen)
