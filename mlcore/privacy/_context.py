"""Shared plumbing of the transforms that read a client's private context."""

from __future__ import annotations

from ..federated.client import ClientUpdate, LocalContext


def require_context(update: ClientUpdate, transform) -> LocalContext:
    """``update.context``, or ``ValueError`` naming ``transform`` when it is missing."""
    if not isinstance(update, ClientUpdate):
        raise ValueError(f"{transform!r} acts on a ClientUpdate; got {type(update).__name__}")
    if update.context is None:
        raise ValueError(
            f"{transform!r} needs update.context (the client's model and data, "
            "mlcore.federated.LocalContext); it is None: apply the transform inside the "
            "client (FedAvg(transform=...)), before the context is dropped"
        )
    return update.context
