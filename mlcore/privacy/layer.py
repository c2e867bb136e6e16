"""The representation a fully connected layer leaks through its gradient.

For a fully connected layer ``b = W r + c`` with input representation ``r`` (Soteria, Sun et
al., CVPR 2021, arXiv:2012.06043, Sec. 3), ``dL/dW = (dL/db) r^T``: for one sample every row
of the weight gradient is a multiple of ``r`` and ``r_j = (dL/dW)_ij / (dL/db)_i`` for any row
``i`` with a non-zero bias gradient (:func:`recover_representation`). The defended layer is
the first :class:`torch.nn.Linear` in module order unless one is named
(:func:`defended_layer`); :func:`representation` reads its input with a forward hook.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

__all__ = ["defended_layer", "representation", "recover_representation"]

# relative residual ||W - b r^T|| / ||W|| above which a weight gradient is not rank one
_RANK_ONE_TOLERANCE = 1e-3


def defended_layer(model: nn.Module, layer: str | None = None) -> tuple[str, nn.Linear]:
    """The fully connected layer whose input representation is defended.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    layer : str, optional
        Qualified module name (``"fc"``, ``"classifier.1"``); by default the first
        :class:`torch.nn.Linear` in ``model.named_modules()`` order.

    Returns
    -------
    name : str
        The layer's qualified name (its weight gradient is ``f"{name}.weight"``).
    module : torch.nn.Linear
        The layer.
    """
    if layer is None:
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                return name, module
        raise ValueError(
            f"{type(model).__name__} has no fully connected (torch.nn.Linear) layer to defend "
            "(layer=None picks the first one); Soteria needs one"
        )
    if not isinstance(layer, str):
        raise ValueError(f"layer must be a module name (str) or None; got {layer!r}")
    try:
        module = model.get_submodule(layer)
    except AttributeError as error:
        raise ValueError(
            f"layer={layer!r} is not a module of {type(model).__name__}; Linear layers: "
            f"{[n for n, m in model.named_modules() if isinstance(m, nn.Linear)]}"
        ) from error
    if not isinstance(module, nn.Linear):
        raise ValueError(
            f"layer={layer!r} must name a fully connected (torch.nn.Linear) layer; it is a "
            f"{type(module).__name__}"
        )
    return layer, module


def check_images(x, name: str = "x") -> torch.Tensor:
    """``x`` as a floating-point tensor with a batch dimension and at least one sample."""
    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x) or x.ndim < 2:
        raise ValueError(
            f"{name} must be a floating-point torch.Tensor of shape (batch, ...); got "
            f"{type(x).__name__} {tuple(getattr(x, 'shape', ()))}"
        )
    if x.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one sample; got shape {tuple(x.shape)}")
    return x


def representation_fn(
    model: nn.Module, layer: str | None = None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``x -> r``: the defended layer's input, shape ``(B, D)``, as a pure function of ``x``.

    Runs a private copy of ``model`` with its parameters frozen (no parameter graph is built)
    in the same train/eval mode; BatchNorm layers in training mode stop tracking running
    statistics in the copy (their output, from the batch statistics, is unchanged), so the
    function has no side effect and ``torch.func`` transforms may map over it. ``model``
    itself is never touched.
    """
    name, _ = defended_layer(model, layer)
    twin = copy.deepcopy(model)
    for p in twin.parameters():
        p.requires_grad_(False)
    for m in twin.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training:
            m.track_running_stats = False
            m.running_mean = m.running_var = m.num_batches_tracked = None
    module = twin.get_submodule(name)

    def forward(x: torch.Tensor) -> torch.Tensor:
        captured: list[torch.Tensor] = []
        handle = module.register_forward_hook(lambda _m, inputs, _out: captured.append(inputs[0]))
        try:
            twin(x)
        finally:
            handle.remove()
        (r,) = captured if len(captured) == 1 else (None,)
        if r is None or r.ndim != 2:
            raise ValueError(
                f"the defended layer {name!r} must be called once per forward pass on a "
                f"(batch, features) input; got {len(captured)} call(s)"
                + (f" with input shape {tuple(captured[0].shape)}" if captured else "")
            )
        return r

    forward.model = twin
    return forward


def representation(model: nn.Module, x: torch.Tensor, layer: str | None = None) -> torch.Tensor:
    """The input ``r`` of the defended layer for the batch ``x``.

    Parameters
    ----------
    model : torch.nn.Module
        The network (its train/eval mode is used as set; it is not modified).
    x : torch.Tensor
        Inputs, shape ``(B, ...)``.
    layer : str, optional
        The defended layer (:func:`defended_layer`).

    Returns
    -------
    torch.Tensor
        Shape ``(B, D)``, detached, in the model's dtype.
    """
    with torch.no_grad():
        return representation_fn(model, layer)(check_images(x)).detach()


def recover_representation(weight_grad: torch.Tensor, bias_grad: torch.Tensor) -> torch.Tensor:
    """The representation of one sample read off a fully connected layer's gradient.

    ``r = (dL/dW)_i / (dL/db)_i`` for the row ``i`` with the largest ``|dL/db_i|`` (every row
    with a non-zero bias gradient gives the same ``r`` when the gradient is rank one).

    Parameters
    ----------
    weight_grad : torch.Tensor
        ``dL/dW``, shape ``(out_features, D)``.
    bias_grad : torch.Tensor
        ``dL/db``, shape ``(out_features,)``.

    Returns
    -------
    torch.Tensor
        ``r``, shape ``(D,)``, float64.

    Raises
    ------
    ValueError
        Mismatched shapes, an all-zero bias gradient, or a weight gradient that is not rank
        one (relative residual above 1e-3: a batch of more than one sample), where the ratio
        would not be the representation.
    """
    W, b = torch.as_tensor(weight_grad).double(), torch.as_tensor(bias_grad).double()
    if W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(
            "weight_grad must have shape (out_features, D) and bias_grad (out_features,); got "
            f"weight_grad {tuple(W.shape)} and bias_grad {tuple(b.shape)}"
        )
    i = int(b.abs().argmax())
    if b[i] == 0:
        raise ValueError("bias_grad is zero everywhere: the representation cannot be recovered")
    r = W[i] / b[i]
    residual = torch.linalg.norm(W - torch.outer(b, r)) / torch.linalg.norm(W)
    if residual > _RANK_ONE_TOLERANCE:
        raise ValueError(
            f"weight_grad is not rank one (relative residual {float(residual):.2e} > "
            f"{_RANK_ONE_TOLERANCE:g}): it sums more than one sample, and a row divided by its "
            "bias gradient is not a representation"
        )
    return r
