"""The small CNN used as white-box and black-box model in the transfer environments.

Its forward pass is split in two named parts, ``features`` (every layer up to the penultimate
representation) and ``head`` (the final linear layer), so that ``model(x) ==
model.head(model.features(x))``; feature-space attacks read intermediate layers by the dotted
names in :attr:`SmallCNN.feature_layers` (``model.get_submodule(name)`` plus a forward hook).

Shapes
------
Input ``(batch, in_channels, image_size, image_size)`` float images in [0, 1]; output
``(batch, n_classes)`` logits.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ..data import ImageDataset
from ..rng import RandomState, as_seed_sequence, global_rng_seeded
from ..training import fit
from .environments import _check_count

__all__ = ["SmallCNN", "small_cnn", "fit_small_cnn"]


class SmallCNN(nn.Module):
    """conv 3x3 (``width``) - ReLU - pool 2 - conv 3x3 (``2 width``) - ReLU - pool 2 -
    fc ``hidden`` - ReLU - fc ``n_classes``.

    Parameters
    ----------
    n_classes : int
        Number of output logits, >= 2.
    in_channels : int
        Image channels (1 for MNIST-like digits).
    width : int
        Channels of the first convolution (the second has ``2 * width``), >= 1.
    hidden : int
        Size of the penultimate representation (output of ``features``), >= 1.
    image_size : int
        Side of the square input in pixels, >= 4 (two 2x2 poolings).

    Attributes
    ----------
    features : torch.nn.Sequential
        Layers up to the penultimate representation, named ``conv1, relu1, pool1, conv2,
        relu2, pool2, flatten, fc, relu3``; output shape ``(batch, hidden)``.
    head : torch.nn.Linear
        The final layer, ``hidden -> n_classes``.
    feature_layers : tuple of str
        Dotted names (for ``get_submodule``) of the intermediate layers a feature-space attack
        may target, shallow to deep: ``features.pool1`` ``(width, s/2, s/2)``,
        ``features.pool2`` ``(2 width, s/4, s/4)`` and ``features.relu3`` ``(hidden,)``.
    """

    feature_layers: tuple[str, ...] = ("features.pool1", "features.pool2", "features.relu3")

    def __init__(
        self,
        n_classes: int,
        *,
        in_channels: int = 1,
        width: int = 16,
        hidden: int = 64,
        image_size: int = 28,
    ):
        super().__init__()
        _check_count(n_classes, "n_classes", 2)
        _check_count(in_channels, "in_channels")
        _check_count(width, "width")
        _check_count(hidden, "hidden")
        _check_count(image_size, "image_size", 4)
        side = image_size // 4
        self.n_classes = n_classes
        self.features = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(in_channels, width, 3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(width, 2 * width, 3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc=nn.Linear(2 * width * side * side, hidden),
                relu3=nn.ReLU(),
            )
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def small_cnn(
    n_classes: int,
    *,
    width: int = 16,
    hidden: int = 64,
    in_channels: int = 1,
    image_size: int = 28,
    random_state: RandomState = 0,
) -> SmallCNN:
    """A freshly initialised :class:`SmallCNN`.

    Parameters
    ----------
    n_classes, width, hidden, in_channels, image_size
        As in :class:`SmallCNN`.
    random_state : int, numpy SeedSequence or Generator
        Seeds the weight initialisation (torch's global generator is seeded inside
        :func:`mlcore.rng.global_rng_seeded` and restored afterwards).

    Returns
    -------
    SmallCNN
        On the CPU, in training mode.
    """
    with global_rng_seeded(random_state):
        return SmallCNN(
            n_classes, in_channels=in_channels, width=width, hidden=hidden, image_size=image_size
        )


def fit_small_cnn(
    data: ImageDataset,
    *,
    epochs: int = 5,
    width: int = 16,
    lr: float = 1e-3,
    batch_size: int = 64,
    random_state: RandomState = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> SmallCNN:
    """Initialise a :class:`SmallCNN` for ``data`` and train it with :func:`mlcore.training.fit`.

    Parameters
    ----------
    data : ImageDataset
        Training images ``(n, c, h, w)`` in [0, 1], labels ``0 .. k - 1`` (``k = data.n_classes``).
    epochs, lr, batch_size
        Passed to :func:`mlcore.training.fit` (Adam, cross-entropy).
    width : int
        As in :class:`SmallCNN`.
    random_state : int, numpy SeedSequence or Generator
        Root of two child streams: weight initialisation and mini-batch shuffling.
    device : str or torch.device
        Where the model is trained and left.

    Returns
    -------
    SmallCNN
        The trained model, in eval mode, on ``device``.
    """
    if not isinstance(data, ImageDataset):
        raise ValueError(f"data must be an mlcore.data.ImageDataset; got {type(data)}")
    init_seed, shuffle_seed = as_seed_sequence(random_state).spawn(2)
    model = small_cnn(
        data.n_classes,
        width=width,
        in_channels=data.X.shape[1],
        image_size=data.X.shape[2],
        random_state=init_seed,
    ).to(device)
    fit(
        model,
        data,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        seed=shuffle_seed,
        progress=progress,
        desc="small_cnn",
    )
    return model.eval()
