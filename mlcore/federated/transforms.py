"""Client-update transforms: where a defense acts on what a client shares.

A transform receives a :class:`~mlcore.federated.client.ClientUpdate` (exactly what the client
is about to send: the weight change or the gradient, its sample count and loss) and a
``torch.Generator`` seeded for that client and round, and returns the update to send instead.
Gradient pruning, differential-privacy noise and Soteria are transforms. They compose like
PyTorch Geometric's transforms (``torch_geometric/transforms/base_transform.py``,
``Compose``): ``Compose([clip, noise])`` applies ``clip`` then ``noise``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .client import ClientUpdate

__all__ = ["ClientTransform", "Compose", "UpdateTransform"]

UpdateTransform = Callable[[ClientUpdate, torch.Generator], ClientUpdate]


class ClientTransform:
    """Base class: subclasses implement :meth:`forward`.

    A transform must return a :class:`ClientUpdate` with the same keys and shapes (use
    ``update.replace(tensors=...)``); the simulation checks this.
    """

    def forward(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        raise NotImplementedError

    def __call__(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        return self.forward(update, generator)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Compose(ClientTransform):
    """Apply ``transforms`` in order, passing the same generator along.

    Parameters
    ----------
    transforms : sequence of callables
        Each ``(update, generator) -> update``.
    """

    def __init__(self, transforms: Sequence[UpdateTransform]):
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise ValueError(f"Compose.transforms[{i}] must be callable; got {t!r}")

    def forward(self, update: ClientUpdate, generator: torch.Generator) -> ClientUpdate:
        for transform in self.transforms:
            update = transform(update, generator)
        return update

    def __repr__(self) -> str:
        inner = ", ".join(repr(t) for t in self.transforms)
        return f"Compose([{inner}])"


def check_transformed(before: ClientUpdate, after, transform) -> ClientUpdate:
    """Raise ``ValueError`` naming ``transform`` if it did not return a compatible update."""
    if not isinstance(after, ClientUpdate):
        raise ValueError(
            f"client transform {transform!r} must return a ClientUpdate; got {type(after).__name__}"
        )
    if after.tensors.keys() != before.tensors.keys() or any(
        after.tensors[k].shape != before.tensors[k].shape for k in before.tensors
    ):
        raise ValueError(
            f"client transform {transform!r} changed the keys or shapes of the shared tensors"
        )
    return after
