"""Network architectures: LeNet-5, a CIFAR-style ResNet-20, and the two networks of the
gradient-inversion literature (DLG's sigmoid LeNet and Inverting Gradients' ConvNet).

Shapes
------
Both take ``(batch, in_channels, height, width)`` float images and return ``(batch,
n_classes)`` logits. Their weight-carrying layers are plain :class:`torch.nn.Conv2d` and
:class:`torch.nn.Linear`, which is what :mod:`mlcore.quantization` converts.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LeNet5", "ResNet20", "DLGLeNet", "ConvNet", "make_model"]


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling.

    conv 5x5 (6) - pool - conv 5x5 (16) - pool - fc 120 - fc 84 - fc ``n_classes``. The first
    convolution pads by 2 so that a 28 x 28 input plays the role of LeCun's 32 x 32 one.
    61,706 parameters for 1 x 28 x 28 inputs and 10 classes.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = ((image_size // 2) - 4) // 2
        if side < 1:
            raise ValueError(f"image_size must be >= 12 for LeNet-5, got {image_size}")
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 for 32 x 32 images (He et al. 2016, Sec. 4.2): 3 stages of 3 basic blocks
    with ``width``, ``2 width``, ``4 width`` channels (16/32/64 by default, 0.27 M parameters),
    global average pooling and one linear layer."""

    def __init__(self, in_channels: int = 3, n_classes: int = 10, width: int = 16):
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        blocks, c_in = [], width
        for stage, c_out in enumerate((width, 2 * width, 4 * width)):
            for i in range(3):
                blocks.append(_BasicBlock(c_in, c_out, 2 if (stage > 0 and i == 0) else 1))
                c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class DLGLeNet(nn.Module):
    """The network of "Deep Leakage from Gradients" (Zhu, Liu, Han, NeurIPS 2019), as in its
    reference code and Soteria's DLG notebook (github.com/jeremy313/Soteria, ``Defend_DLG``).

    Four 5x5 convolutions with 12 channels, padding 2 and strides 2, 2, 1, 1, each followed by
    a sigmoid; one linear layer from the ``12 * s * s`` flattened features (``s =
    ceil(ceil(image_size / 2) / 2)``: 588 for 28 x 28, 768 for 32 x 32) to ``n_classes``.
    Every weight and bias is drawn uniformly from [-0.5, 0.5] (from torch's global generator,
    like any torch initialisation: seed it with :func:`mlcore.rng.global_rng_seeded`). The
    sigmoids make the network twice differentiable everywhere, which DLG's second-order
    matching needs.
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28):
        super().__init__()
        if image_size < 4:
            raise ValueError(f"image_size must be >= 4 for DLGLeNet, got {image_size}")
        layers: list[nn.Module] = []
        c_in = in_channels
        for stride in (2, 2, 1, 1):
            layers += [nn.Conv2d(c_in, 12, 5, padding=2, stride=stride), nn.Sigmoid()]
            c_in = 12
        self.body = nn.Sequential(*layers, nn.Flatten())
        side = math.ceil(math.ceil(image_size / 2) / 2)
        self.fc = nn.Linear(12 * side * side, n_classes)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))


class ConvNet(nn.Module):
    """The ConvNet of Inverting Gradients (Geiping et al. 2020, ``inversefed.nn.models``), as
    Soteria's GS experiment uses it, with its width as a parameter.

    Blocks conv 3x3 (padding 1) - BatchNorm - ReLU with ``w, 2w, 2w, 4w, 4w, 4w`` channels, a
    3x3 max-pool, two more ``4w`` blocks, a 3x3 max-pool, flatten and one linear layer. (The
    reference lists a seventh ``4w`` block under a name it reuses, so only six precede the
    first pool; we follow what it runs.) For 32 x 32 input and ``width = 64`` the
    representation has ``4w * 3 * 3 = 2304`` features, as in the reference; for 28 x 28 it has
    ``4w * 3 * 3`` too (28 -> 9 -> 3 after the pools).
    """

    def __init__(
        self, in_channels: int = 1, n_classes: int = 10, image_size: int = 28, width: int = 64
    ):
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        side = (image_size // 3) // 3
        if side < 1:
            raise ValueError(f"image_size must be >= 9 for ConvNet, got {image_size}")
        blocks: list[nn.Module] = []
        c_in = in_channels
        for i, factor in enumerate((1, 2, 2, 4, 4, 4, 4, 4)):
            c_out = factor * width
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
            if i in (5, 7):
                blocks.append(nn.MaxPool2d(3))
            c_in = c_out
        self.body = nn.Sequential(*blocks, nn.Flatten())
        self.fc = nn.Linear(c_in * side * side, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))


def make_model(name: str, *, in_channels: int, n_classes: int, image_size: int) -> nn.Module:
    """Build ``"lenet5"`` or ``"resnet20"`` for the given input geometry."""
    if name == "lenet5":
        return LeNet5(in_channels, n_classes, image_size)
    if name == "resnet20":
        return ResNet20(in_channels, n_classes)
    raise ValueError(f"model must be 'lenet5' or 'resnet20', got {name!r}")
