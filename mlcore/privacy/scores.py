"""Soteria's per-element scores of the defended representation.

The reference score (Soteria's code, github.com/jeremy313/Soteria, ``reconstruct_image.py``)
of element ``f`` is

    s_f = sum_b ||d r_f / d X_b|| / (r_{b f} + offset),

with ``d r_f / d X`` the gradient of ``sum_b r_{b f}`` with respect to the batch ``X`` (one
row of the Jacobian per element; for independent samples, block ``b`` is sample ``b``'s own
Jacobian row). The reference computes it with one backward pass per element
(``method="loop"``); ``method="batched"`` gets all rows at once as vector-Jacobian products
with one-hot cotangents mapped by :func:`torch.func.vmap` over :func:`torch.func.vjp`. Both
do the same arithmetic; batching removes the Python loop and the graph walks, not the work.

The paper's own score is ``||r_f (dr/dX)^+ e_f||``: the distance the input moves, to first
order, when element ``f`` is set to zero (:func:`pseudo_inverse_scores`). When the Jacobian's
rows are orthogonal, ``(dr/dX)^+ e_f = J_f / ||J_f||^2`` and it is exactly the reciprocal of
the reference score with ``offset = 0``: the reference keeps the largest scores, the paper's
form prunes the largest.
"""

from __future__ import annotations

import torch
from torch import nn

from .layer import check_images, representation_fn

__all__ = ["soteria_scores", "pseudo_inverse_scores", "representation_jacobian", "pinv_rtol"]

SCORE_METHODS = ("batched", "forward", "loop")

# elements of intermediate activations one vmap chunk may hold (float32: 256 MiB)
_ACTIVATION_BUDGET = 2**26


def _activation_size(model: nn.Module, fn, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``fn(x)`` and the number of activation elements the forward pass produced."""
    total = [0]

    def count(_module, _inputs, output):
        if isinstance(output, torch.Tensor):
            total[0] += output.numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            r = fn(x)
    finally:
        for h in handles:
            h.remove()
    return r, total[0]


def representation_jacobian(
    model: nn.Module,
    x: torch.Tensor,
    layer: str | None = None,
    *,
    method: str = "batched",
    chunk_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The representation and the input gradient of each of its elements.

    Parameters
    ----------
    model : torch.nn.Module
        The network (not modified; its train/eval mode is used as set).
    x : torch.Tensor
        Inputs, shape ``(B, ...)``.
    layer : str, optional
        The defended layer (:func:`~mlcore.privacy.defended_layer`).
    method : {"batched", "forward", "loop"}
        ``"batched"``: :func:`torch.func.vmap` over :func:`torch.func.vjp`, one product per
        representation element (``D``); ``"forward"``: :func:`torch.func.jacfwd`, one
        Jacobian-vector product per input entry (``B N``: cheaper per product, so faster for
        one sample when ``N`` is not much larger than ``D``); ``"loop"``: one backward pass per
        element (the reference).
    chunk_size : int, optional
        Products per vmap chunk (``"batched"``, ``"forward"``); by default as many as keep the
        intermediate activations under 2**26 elements.

    Returns
    -------
    r : torch.Tensor
        Shape ``(B, D)``, detached.
    grads : torch.Tensor
        Shape ``(D, B, ...)``: ``grads[f] = d(sum_b r[b, f]) / dX``.
    """
    if method not in SCORE_METHODS:
        raise ValueError(f"method must be one of {SCORE_METHODS}; got {method!r}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"chunk_size must be an integer >= 1 or None; got {chunk_size!r}")
    x = check_images(x).detach()
    fn = representation_fn(model, layer)
    if method == "loop":
        return _loop_jacobian(fn, x)
    r, activations = _activation_size(fn.model, fn, x)
    D = r.shape[1]
    n_products = D if method == "batched" else x.numel()
    if chunk_size is None:
        chunk_size = max(1, min(n_products, _ACTIVATION_BUDGET // max(activations, 1)))
    if method == "forward":
        return r, _forward_jacobian(fn, x, chunk_size)
    r, vjp_fn = torch.func.vjp(fn, x)
    basis = torch.eye(D, dtype=r.dtype, device=r.device)[:, None, :].expand(D, *r.shape)
    (grads,) = torch.func.vmap(vjp_fn, chunk_size=chunk_size)(basis)
    return r.detach(), grads.detach()


def _forward_jacobian(fn, x: torch.Tensor, chunk_size: int) -> torch.Tensor:
    # One JVP per input entry; column (b, n) of d(sum_b' r[b', :])/dX is the summed tangent.
    basis = torch.eye(x.numel(), dtype=x.dtype, device=x.device).view(-1, *x.shape)

    def column(tangent):
        return torch.func.jvp(fn, (x,), (tangent,))[1].sum(0)

    columns = torch.func.vmap(column, chunk_size=chunk_size)(basis)  # (B N, D)
    return columns.T.reshape(-1, *x.shape).detach()


def _loop_jacobian(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # The reference: one backward pass per element with a one-hot upstream gradient on r[:, f].
    x = x.clone().requires_grad_(True)
    r = fn(x)
    rows = []
    cotangent = torch.zeros_like(r)
    for f in range(r.shape[1]):
        cotangent[:, f] = 1
        (g,) = torch.autograd.grad(r, x, cotangent, retain_graph=True)
        cotangent[:, f] = 0
        rows.append(g)
    return r.detach(), torch.stack(rows)


def pinv_rtol(grads: torch.Tensor) -> float:
    """Relative singular-value cutoff for Jacobians computed in ``grads.dtype``."""
    D, N = grads.shape[0], grads[0, 0].numel()
    return max(D, N) * torch.finfo(grads.dtype).eps


def soteria_scores(
    model: nn.Module,
    x: torch.Tensor,
    layer: str | None = None,
    *,
    offset: float = 0.1,
    method: str = "batched",
    chunk_size: int | None = None,
) -> torch.Tensor:
    """The reference code's score of each representation element, summed over the batch.

    ``s_f = sum_b ||d r_f / d X_b|| / (r_{b f} + offset)`` (module docstring). Elements with
    the smallest scores are pruned (:func:`~mlcore.privacy.soteria_mask`).

    Parameters
    ----------
    model, x, layer, method, chunk_size
        As in :func:`representation_jacobian`.
    offset : float
        Added to ``r`` in the denominator: 0.1 in the reference's GS script, 0 in its DLG
        notebook.

    Returns
    -------
    torch.Tensor
        Shape ``(D,)``, float64.

    Raises
    ------
    ValueError
        If a score is not finite (``r_{b f} + offset == 0``): raise ``offset``.
    """
    r, grads = representation_jacobian(model, x, layer, method=method, chunk_size=chunk_size)
    norms = torch.linalg.vector_norm(grads.flatten(2).double(), dim=2)  # (D, B)
    scores = (norms / (r.T.double() + offset)).sum(dim=1)
    if not torch.isfinite(scores).all():
        raise ValueError(
            f"Soteria scores are not finite: some r + offset is zero (offset={offset!r}); "
            "use a positive offset"
        )
    return scores


def pseudo_inverse_scores(
    model: nn.Module,
    x: torch.Tensor,
    layer: str | None = None,
    *,
    method: str = "batched",
    chunk_size: int | None = None,
) -> torch.Tensor:
    """The paper's score ``sum_b ||r_{b f} J_b^+ e_f||`` of each representation element.

    ``J_b`` is sample ``b``'s Jacobian ``d r_b / d X_b`` (shape ``(D, N)``, ``N`` the input
    size), ``J_b^+`` its Moore-Penrose pseudo-inverse (float64; singular values below
    ``max(D, N)`` times the machine epsilon of the model's dtype times the largest are
    treated as zero, since ``J`` is only that accurate). The score is the first-order
    distance the input moves when element ``f`` is set to zero; elements with the LARGEST
    scores are pruned (the opposite orientation to :func:`soteria_scores`). Cost: one SVD
    of a ``D x N`` matrix per sample, tractable here (588 x 784 for DLGLeNet on MNIST).

    Returns
    -------
    torch.Tensor
        Shape ``(D,)``, float64.
    """
    r, grads = representation_jacobian(model, x, layer, method=method, chunk_size=chunk_size)
    J = grads.flatten(2).double().permute(1, 0, 2)  # (B, D, N)
    pinv = torch.linalg.pinv(J, rtol=pinv_rtol(grads))  # (B, N, D)
    columns = torch.linalg.vector_norm(pinv, dim=1)  # (B, D): ||J_b^+ e_f||
    return (r.double().abs() * columns).sum(dim=0)
