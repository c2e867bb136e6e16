"""Leave the caller's model as it was found: train/eval flags, ``requires_grad``, ``.grad``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn

__all__ = ["preserved_mode"]


@contextlib.contextmanager
def preserved_mode(*modules: nn.Module | None, freeze: bool = False) -> Iterator[None]:
    """Restore every submodule's ``training`` flag and every parameter's ``requires_grad`` on
    exit, whatever happens inside.

    With ``freeze=True`` the parameters do not require gradients inside the block (attacks
    need gradients with respect to the input only, and no time is spent on parameter
    gradients), and the caller's ``.grad`` tensors are put back on exit: ART's classifier
    calls ``model.zero_grad()``, which would otherwise discard them.
    """
    present = [m for m in modules if m is not None]
    flags = [(sub, sub.training) for m in present for sub in m.modules()]
    params = [p for m in present for p in m.parameters()]
    requires = [p.requires_grad for p in params]
    grads = [None if p.grad is None else p.grad.detach().clone() for p in params] if freeze else []
    try:
        if freeze:
            for p in params:
                p.requires_grad_(False)
        yield
    finally:
        for sub, training in flags:
            sub.training = training
        for p, requires_grad in zip(params, requires, strict=True):
            p.requires_grad_(requires_grad)
        for p, grad in zip(params, grads, strict=False):
            p.grad = grad
