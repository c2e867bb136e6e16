"""A small ResNet whose first block of each of its four stages may change its stride per input.

The layout follows arXiv:2103.09891's ``Strider`` (a ResNet with one configurable block at the
start of each stage: layers A, B, C, D), scaled to 28x28 digits: a 3x3 stem, four stages of
basic blocks (:class:`~mlcore.dynamic.layers.DynamicBlock` first), global average pooling and
a linear classifier.

Three ways to run it:

* ``model(x)`` / ``model(x, configuration)``: one configuration for the whole batch (the
  model's :attr:`~StriderNet.configuration` when none is given; training sets it per batch).
* :meth:`StriderNet.forward_all`: every configuration of a list for every image, sharing work:
  each stage runs once per *distinct feature shape* of the configurations' prefixes, with the
  prefixes of one shape stacked along the batch axis, instead of once per configuration.
* :meth:`StriderNet.forward_routed`: a choice per image and layer (a selector), made on the
  features entering the layer; images are grouped by the shape of their features.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .layers import DynamicBlock
from .options import STRIDE_OPTIONS, ConfigurationSpace, StrideOption

__all__ = ["StriderNet", "Chooser"]

#: ``chooser(layer, features, prefix, index) -> options``: for the images of one group, given
#: the features entering dynamic layer ``layer`` (m, C, H, W), the options taken so far
#: (m, layer) int64 and the images' positions in the batch (m,), the option index for each
#: image (m,) int64.
Chooser = Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _basic_block(channels: int) -> DynamicBlock:
    """A plain residual block: a DynamicBlock only ever used at its default stride 1."""
    return DynamicBlock(channels, channels, 1, (StrideOption("conv", (1, 1)),))


class StriderNet(nn.Module):
    """ResNet-style classifier with one configurable stride per stage.

    Parameters
    ----------
    in_channels, n_classes : int
        Image channels and classes.
    widths : four ints
        Channels of the four stages.
    strides : four ints
        The static network's stride of each stage's configurable convolution (a ResNet:
        1, 2, 2, 2).
    stem_stride : int
        Stride of the 3x3 stem (the downsampling before layer A).
    blocks_per_stage : int
        Blocks per stage, the configurable one included.
    options : sequence of StrideOption
        The options of every configurable layer.
    bounds : (minimum, maximum) or one pair per layer
        Allowed cumulative downsampling after each dynamic layer
        (:class:`~mlcore.dynamic.options.ConfigurationSpace`).
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 10,
        widths: Sequence[int] = (16, 32, 64, 128),
        strides: Sequence[int] = (1, 2, 2, 2),
        stem_stride: int = 2,
        blocks_per_stage: int = 1,
        options: Sequence[StrideOption] = STRIDE_OPTIONS,
        bounds=(2, 32),
    ):
        super().__init__()
        if len(widths) != 4 or len(strides) != 4:
            raise ValueError(f"widths and strides need four stages; got {widths}, {strides}")
        if blocks_per_stage < 1:
            raise ValueError(f"blocks_per_stage must be >= 1; got {blocks_per_stage}")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, stride=stem_stride, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        )
        self.dynamic = nn.ModuleList()
        self.rest = nn.ModuleList()
        c_in = widths[0]
        for width, stride in zip(widths, strides):
            self.dynamic.append(DynamicBlock(c_in, width, stride, options))
            self.rest.append(
                nn.Sequential(*(_basic_block(width) for _ in range(blocks_per_stage - 1)))
            )
            c_in = width
        self.fc = nn.Linear(c_in, n_classes)
        default = tuple(block.conv1.default for block in self.dynamic)
        self.space = ConfigurationSpace(tuple(options), default, bounds, start=stem_stride)
        self.configuration: tuple[int, ...] = self.space.default

    # -- one configuration ---------------------------------------------------------------

    def set_configuration(self, configuration: Sequence[int] | None) -> None:
        """Use ``configuration`` (checked against :attr:`space`) when a call names none;
        ``None`` restores the static network's."""
        self.configuration = (
            self.space.default if configuration is None else self.space.check(configuration)
        )

    def _stage(self, layer: int, h: torch.Tensor, option: int | None) -> torch.Tensor:
        return self.rest[layer](self.dynamic[layer](h, option))

    def _head(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))

    def forward(self, x: torch.Tensor, configuration: Sequence[int] | None = None) -> torch.Tensor:
        config = self.configuration if configuration is None else self.space.check(configuration)
        h = self.stem(x)
        for layer, option in enumerate(config):
            h = self._stage(layer, h, option)
        return self._head(h)

    # -- every configuration, sharing prefixes -------------------------------------------

    def forward_all(
        self, x: torch.Tensor, configurations: Sequence[Sequence[int]] | None = None
    ) -> torch.Tensor:
        """Logits of every configuration for every image, shape (n_configurations, n, classes).

        Stage ``l`` runs once per option and per distinct feature shape among the prefixes of
        length ``l``: the prefixes sharing a shape are stacked along the batch axis. The
        default ``configurations`` are all of :attr:`space`.
        """
        configs = list(self.space.configurations if configurations is None else configurations)
        configs = [self.space.check(c) for c in configs]
        n = x.shape[0]
        needed = [{c[: k + 1] for c in configs} for k in range(self.space.n_layers)]
        # a branch: features (len(prefixes) * n, C, H, W) and its prefixes, in row-block order
        branches: list[tuple[torch.Tensor, list[tuple[int, ...]]]] = [(self.stem(x), [()])]
        for layer in range(self.space.n_layers):
            by_shape: dict[tuple, list] = defaultdict(list)
            for h, prefixes in branches:
                options = sorted({p[-1] for p in needed[layer] if p[:-1] in set(prefixes)})
                for option in options:
                    keep = [j for j, p in enumerate(prefixes) if p + (option,) in needed[layer]]
                    rows = h if len(keep) == len(prefixes) else _blocks(h, keep, n)
                    out = self.dynamic[layer](rows, option)
                    by_shape[tuple(out.shape[1:])].append(
                        (out, [prefixes[j] + (option,) for j in keep])
                    )
            branches = [
                (
                    self.rest[layer](torch.cat([t for t, _ in group])),
                    [p for _, ps in group for p in ps],
                )
                for group in by_shape.values()
            ]
        logits = {}
        for h, prefixes in branches:
            out = self._head(h).view(len(prefixes), n, -1)
            logits.update(zip(prefixes, out))
        return torch.stack([logits[c] for c in configs])

    # -- one configuration per image -----------------------------------------------------

    def forward_routed(
        self, x: torch.Tensor, chooser: Chooser
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits (n, classes), configurations (n, n_layers))`` with each image's option at
        each dynamic layer chosen by ``chooser`` (restricted to what :attr:`space` allows is
        the chooser's job; an invalid result raises ValueError naming the image)."""
        n, n_layers = x.shape[0], self.space.n_layers
        chosen = torch.zeros(n, n_layers, dtype=torch.int64, device=x.device)
        groups = [(self.stem(x), torch.arange(n, device=x.device))]
        for layer in range(n_layers):
            by_shape: dict[tuple, list] = defaultdict(list)
            for h, idx in groups:
                options = chooser(layer, h, chosen[idx, :layer], idx).to(torch.int64)
                chosen[idx, layer] = options
                for option in options.unique().tolist():
                    mask = options == option
                    out = self.dynamic[layer](h[mask], int(option))
                    by_shape[tuple(out.shape[1:])].append((out, idx[mask]))
            groups = [
                (self.rest[layer](torch.cat([t for t, _ in g])), torch.cat([i for _, i in g]))
                for g in by_shape.values()
            ]
        logits = torch.empty(n, self.fc.out_features, device=x.device)
        for h, idx in groups:
            logits[idx] = self._head(h).to(logits.dtype)
        for i, c in enumerate(chosen.tolist()):
            if tuple(c) not in self._valid:
                raise ValueError(
                    f"chooser: image {i} got configuration {self.space.describe(c)}, outside "
                    "the configuration space"
                )
        return logits, chosen

    @property
    def _valid(self) -> frozenset:
        return frozenset(self.space.configurations)


def _blocks(h: torch.Tensor, keep: list[int], n: int) -> torch.Tensor:
    """Row blocks ``keep`` (each ``n`` rows) of ``h``."""
    return h.view(-1, n, *h.shape[1:])[keep].reshape(-1, *h.shape[1:])
