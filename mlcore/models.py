"""Network architectures: LeNet-5 and a CIFAR-style ResNet-20.

Shapes
------
Both take ``(batch, in_channels, height, width)`` float images and return ``(batch,
n_classes)`` logits. Their weight-carrying layers are plain :class:`torch.nn.Conv2d` and
:class:`torch.nn.Linear`, which is what :mod:`mlcore.quantization` converts.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LeNet5", "ResNet20", "make_model"]


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


def make_model(name: str, *, in_channels: int, n_classes: int, image_size: int) -> nn.Module:
    """Build ``"lenet5"`` or ``"resnet20"`` for the given input geometry."""
    if name == "lenet5":
        return LeNet5(in_channels, n_classes, image_size)
    if name == "resnet20":
        return ResNet20(in_channels, n_classes)
    raise ValueError(f"model must be 'lenet5' or 'resnet20', got {name!r}")
