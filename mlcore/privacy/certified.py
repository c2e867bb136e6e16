"""A certified lower bound on the reconstruction error under Soteria (OURS, not the paper's).

The paper's certificate could not be read (``shared/papers/2012.06043.md``, Sec. 2.4); this is
our own statement of the natural one. For one sample, the defended layer's weight gradient
under Soteria is ``(dL/db) r'^T`` (``r'`` = ``r`` with the pruned elements zeroed) and its bias
gradient is ``dL/db``. An attacker whose reconstruction ``X*`` reproduces both exactly
therefore has ``f(X*) = r'`` (:func:`~mlcore.privacy.recover_representation`), where ``f`` is
the feature extractor in front of the defended layer. If ``f`` is ``L``-Lipschitz (Euclidean
norms), ``||r - r'|| = ||f(X) - f(X*)|| <= L ||X - X*||``, so

    ||X* - X|| >= ||r - r'|| / L.

``L`` is bounded by the product of the layers' operator norms, which holds when the layers
in front of the defended one form a chain (checked: the chain of modules must reproduce
``r``). Per layer: convolution, the spectral norm of the zero-padded, strided operator bounded
by the largest singular value of the kernel's 2-D DFT over a grid large enough for no
wrap-around (circulant embedding, Sedghi, Gupta & Long, ICLR 2019; an upper bound, unlike
power iteration, which approaches the norm from below); linear, its spectral norm; BatchNorm
in eval mode, ``max |gamma| / sqrt(var + eps)``; sigmoid 1/4; ReLU, tanh, flatten, identity,
dropout in eval mode 1; non-overlapping max-pool 1 and average-pool ``1 / sqrt(k_h k_w)``.
Anything else raises. The bound is loose (a product of norms); the first-order distance
``||J^+ (r - r')||`` (``J = dr/dX``) is reported beside it as what a linearised attacker would
move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .layer import check_images, defended_layer, representation
from .scores import pinv_rtol, representation_jacobian

__all__ = ["CertifiedBound", "certified_bound", "lipschitz_bound", "conv_operator_norm_bound"]


@dataclass(frozen=True)
class CertifiedBound:
    """Result of :func:`certified_bound` (all Euclidean norms, input units: [0, 1] pixels).

    Attributes
    ----------
    distance_lower_bound : float
        ``||r - r'|| / L``: no exact gradient match lies closer to the input.
    lipschitz : float
        ``L``, the upper bound of the feature extractor's Lipschitz constant.
    representation_change : float
        ``||r - r'||``.
    linearized_distance : float
        ``||J^+ (r - r')||``, the first-order input change that produces ``r' - r``.
    """

    distance_lower_bound: float
    lipschitz: float
    representation_change: float
    linearized_distance: float


def conv_operator_norm_bound(conv: nn.Conv2d, input_size: tuple[int, int]) -> float:
    """Upper bound of the spectral norm of ``conv`` (bias excluded) on ``input_size`` inputs.

    Largest singular value over the 2-D DFT frequencies of the kernel on an ``(H + 2p_h + k_h)
    x (W + 2p_w + k_w)`` grid: the norm of the circular convolution of which the zero-padded,
    strided one is a restriction (Sedghi et al. 2019)."""
    if (
        conv.groups != 1
        or conv.padding_mode != "zeros"
        or isinstance(conv.padding, str)
        or tuple(conv.dilation) != (1, 1)
    ):
        raise ValueError(
            f"cannot bound {conv!r}: only groups=1, dilation 1, zero padding given as integers"
        )
    (kh, kw), (ph, pw) = conv.kernel_size, conv.padding
    grid = (input_size[0] + 2 * ph + kh, input_size[1] + 2 * pw + kw)
    spectrum = torch.fft.fft2(conv.weight.detach().double(), s=grid)  # (out, in, *grid)
    return float(torch.linalg.matrix_norm(spectrum.permute(2, 3, 0, 1), ord=2).max())


def _pool_factor(pool: nn.Module) -> float:
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    kernel = pair(pool.kernel_size)
    stride = pair(pool.stride if pool.stride is not None else pool.kernel_size)
    dilation = pair(getattr(pool, "dilation", 1))
    if any(s < k for s, k in zip(stride, kernel)) or dilation != (1, 1):
        raise ValueError(f"cannot bound {pool!r}: only non-overlapping pooling (stride >= kernel)")
    if isinstance(pool, nn.MaxPool2d):
        return 1.0
    if pool.padding not in (0, (0, 0)):
        raise ValueError(f"cannot bound {pool!r}: average pooling with padding")
    return 1.0 / math.sqrt(kernel[0] * kernel[1])


def _layer_bound(module: nn.Module, input_shape: torch.Size) -> float:
    if isinstance(module, nn.Conv2d):
        return conv_operator_norm_bound(module, tuple(input_shape[-2:]))
    if isinstance(module, nn.Linear):
        return float(torch.linalg.matrix_norm(module.weight.detach().double(), ord=2))
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        if module.training or module.running_var is None:
            raise ValueError(
                f"cannot bound {module!r} in training mode (its output depends on the batch): "
                "call model.eval() first"
            )
        scale = 1.0 / torch.sqrt(module.running_var.double() + module.eps)
        if module.weight is not None:
            scale = scale * module.weight.detach().double().abs()
        return float(scale.max())
    if isinstance(module, nn.Sigmoid):
        return 0.25
    if isinstance(module, nn.ReLU | nn.Tanh | nn.Flatten | nn.Identity):
        return 1.0
    if isinstance(module, nn.Dropout) and not module.training:
        return 1.0
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        return _pool_factor(module)
    raise ValueError(
        f"cannot bound the Lipschitz constant of {type(module).__name__} ({module!r}); "
        "supported: Conv2d, Linear, BatchNorm (eval), Sigmoid, ReLU, Tanh, Flatten, Identity, "
        "Dropout (eval), non-overlapping MaxPool2d / AvgPool2d"
    )


def _chain(model: nn.Module, x: torch.Tensor, layer_module: nn.Module):
    """Leaf modules called before the defended layer, in call order, with their inputs."""
    calls: list[tuple[nn.Module, torch.Tensor]] = []
    stop = [False]

    def record(module, inputs):
        if module is layer_module:
            stop[0] = True
        elif not stop[0]:
            calls.append((module, inputs[0]))

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_pre_hook(record) for m in leaves]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return calls


def lipschitz_bound(model: nn.Module, x: torch.Tensor, layer: str | None = None) -> float:
    """Upper bound of the Lipschitz constant of ``X -> r`` (module docstring), at ``x``'s shape.

    Raises ``ValueError`` for a layer it cannot bound, or when the modules called before the
    defended layer do not reproduce ``r`` when chained (the forward uses operations outside
    modules, such as residual connections, so the product would not be a bound)."""
    name, module = defended_layer(model, layer)
    x = check_images(x)
    calls = _chain(model, x, module)
    with torch.no_grad():
        out = x
        for m, _ in calls:
            out = m(out)
    r = representation(model, x, name)
    if out.shape != r.shape or not torch.allclose(out, r, rtol=1e-5, atol=1e-6):
        raise ValueError(
            f"the modules before layer {name!r} do not form a chain that reproduces its input "
            "(the forward applies operations outside modules); cannot bound the Lipschitz "
            "constant"
        )
    return math.prod(_layer_bound(m, inp.shape) for m, inp in calls)


def certified_bound(
    model: nn.Module, x: torch.Tensor, mask: torch.Tensor, layer: str | None = None
) -> CertifiedBound:
    """Lower bound of the distance of any exact-gradient-matching reconstruction from ``x``.

    Parameters
    ----------
    model : torch.nn.Module
        The network, in eval mode when it has BatchNorm (not modified).
    x : torch.Tensor
        One sample, shape ``(1, ...)``, [0, 1] pixels.
    mask : torch.Tensor
        Bool, shape ``(D,)``, True = kept (:func:`~mlcore.privacy.soteria_mask`).
    layer : str, optional
        The defended layer.

    Returns
    -------
    CertifiedBound
    """
    x = check_images(x)
    if x.shape[0] != 1:
        raise ValueError(f"x must hold one sample (shape (1, ...)); got shape {tuple(x.shape)}")
    name, _ = defended_layer(model, layer)
    r, grads = representation_jacobian(model, x, name)
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool or mask.shape != (r.shape[1],):
        raise ValueError(
            f"mask must be a bool tensor of shape ({r.shape[1]},); got {mask.dtype} "
            f"{tuple(mask.shape)}"
        )
    change = torch.where(mask.to(r.device), 0.0, -r[0].double())  # r' - r
    L = lipschitz_bound(model, x, name)
    J = grads.flatten(2)[:, 0].double()  # (D, N)
    linearized = float(
        torch.linalg.vector_norm(torch.linalg.pinv(J, rtol=pinv_rtol(grads)) @ change)
    )
    norm = float(torch.linalg.vector_norm(change))
    return CertifiedBound(norm / L, L, norm, linearized)
