"""Quantized stand-ins for :class:`torch.nn.Conv2d` and :class:`torch.nn.Linear`.

Conventions
-----------
A layer with precision ``n`` bits and scale ``s`` represents the weights

    W = s / (2**n - 1) * q,    q integer,  |q| <= 2**n - 1,

i.e. a symmetric uniform grid with step ``s / (2**n - 1)`` (sign-magnitude, as in BSQ,
arXiv:2102.10462 Eq. 1). Bit planes are stored along a trailing axis in *LSB-first* order:
plane ``b`` carries the value ``2**b``.

* :class:`BitPlaneLayer` is BSQ's trainable bit representation (Sec. 3.1-3.2): positive and
  negative planes ``W_p, W_n`` with values in [0, 2], recomposed as
  ``q = Round(sum_b 2**b (W_p,b - W_n,b))`` with a straight-through estimator (STE) for Round.
* :class:`FixedPrecisionLayer` holds a float "shadow" weight and quantizes it onto a fixed
  n-bit grid in every forward pass (STE), which is quantization-aware training at a frozen
  precision: BSQ's fine-tuning stage, and the uniform-precision baseline.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "to_bit_planes",
    "from_bit_planes",
    "round_ste",
    "BitPlaneLayer",
    "FixedPrecisionLayer",
    "quantizable_layers",
    "replace_layers",
    "check_bits",
]

MAX_BITS = 8


def check_bits(bits, name: str = "bits") -> int:
    """Validate a user-given precision: an integer in 1..8."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"{name} must be an integer in 1..{MAX_BITS}, got {bits!r}")
    return bits


class _RoundSTE(torch.autograd.Function):
    """Round in the forward pass, identity in the backward pass (Bengio et al. 2013)."""

    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """``round(x)`` with the straight-through gradient ``d round(x) / dx := 1``."""
    return _RoundSTE.apply(x)


def to_bit_planes(q: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact sign-magnitude bit planes of integer-valued ``q`` (``|q| <= 2**bits - 1``).

    Returns ``(pos, neg)``, each of shape ``q.shape + (bits,)`` with entries 0 or 1, LSB
    first, such that ``q == sum_b 2**b (pos_b - neg_b)``; at most one of ``pos, neg`` is
    nonzero per weight.
    """
    q = torch.as_tensor(q)
    qi = torch.round(q).to(torch.int64)
    if not torch.equal(qi.to(q.dtype), q):
        raise ValueError("to_bit_planes: q must hold integer values")
    if qi.numel() and int(qi.abs().max()) > 2**bits - 1:
        raise ValueError(f"to_bit_planes: |q| exceeds 2**bits - 1 = {2**bits - 1}")
    shifts = torch.arange(bits, dtype=torch.int64, device=qi.device)
    pos = (qi.clamp(min=0).unsqueeze(-1) >> shifts) & 1
    neg = ((-qi).clamp(min=0).unsqueeze(-1) >> shifts) & 1
    return pos.to(q.dtype), neg.to(q.dtype)


def from_bit_planes(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """``sum_b 2**b (pos_b - neg_b)`` over the trailing (LSB-first) plane axis."""
    powers = 2.0 ** torch.arange(pos.shape[-1], dtype=pos.dtype, device=pos.device)
    return ((pos - neg) * powers).sum(-1)


def _layer_spec(layer: nn.Module) -> tuple[str, dict]:
    if isinstance(layer, nn.Conv2d):
        if layer.padding_mode != "zeros":
            raise ValueError("only zero-padded convolutions can be quantized")
        kwargs = dict(
            stride=layer.stride, padding=layer.padding, dilation=layer.dilation, groups=layer.groups
        )
        return "conv2d", kwargs
    if isinstance(layer, nn.Linear):
        return "linear", {}
    raise ValueError(f"cannot quantize a {type(layer).__name__}; expected Conv2d or Linear")


def _apply(kind: str, kwargs: dict, x, weight, bias):
    if kind == "conv2d":
        return F.conv2d(x, weight, bias, **kwargs)
    return F.linear(x, weight, bias)


class BitPlaneLayer(nn.Module):
    """BSQ's bit representation of one convolution or linear layer (arXiv:2102.10462 Sec. 3.1).

    Parameters ``pos``, ``neg`` (shape ``weight.shape + (bits,)``, values kept in [0, 2] by
    :meth:`clamp_`) and a trainable scalar ``scale``. The bias, if any, stays in floating point.

    Shapes
    ------
    Same input and output as the wrapped layer.
    """

    def __init__(self, layer: nn.Conv2d | nn.Linear, bits: int = 8):
        super().__init__()
        bits = check_bits(bits)
        self.kind, self.kwargs = _layer_spec(layer)
        w = layer.weight.detach().clone()
        scale = float(w.abs().max())
        scale = scale if scale > 0 else 1.0
        q = torch.round(w / scale * (2**bits - 1))
        pos, neg = to_bit_planes(q, bits)
        self.pos = nn.Parameter(pos)
        self.neg = nn.Parameter(neg)
        self.scale = nn.Parameter(torch.tensor(scale, dtype=w.dtype, device=w.device))
        self.bias = None if layer.bias is None else nn.Parameter(layer.bias.detach().clone())
        self.weight_shape = tuple(w.shape)

    @property
    def bits(self) -> int:
        return int(self.pos.shape[-1])

    @property
    def n_weights(self) -> int:
        return (
            int(self.pos[..., 0].numel())
            if self.bits
            else int(torch.Size(self.weight_shape).numel())
        )

    def step(self) -> torch.Tensor:
        """The grid step ``s / (2**n - 1)`` (zero for a layer pruned to 0 bits)."""
        scale = self.scale
        return scale / (2**self.bits - 1) if self.bits else scale * 0.0

    def integer_weight(self) -> torch.Tensor:
        """``q = Round(sum_b 2**b (pos_b - neg_b))`` with the STE (BSQ Eq. 3)."""
        if self.bits == 0:
            return self.scale.new_zeros(self.weight_shape)
        return round_ste(from_bit_planes(self.pos, self.neg))

    def weight(self) -> torch.Tensor:
        """The represented weight ``s / (2**n - 1) * q``."""
        return self.step() * self.integer_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _apply(self.kind, self.kwargs, x, self.weight(), self.bias)

    @torch.no_grad()
    def clamp_(self) -> None:
        """Project the planes back onto [0, 2] (done after every optimizer step)."""
        self.pos.clamp_(0.0, 2.0)
        self.neg.clamp_(0.0, 2.0)

    def _set_planes(self, pos: torch.Tensor, neg: torch.Tensor) -> None:
        # new Parameters: the optimizer must be rebuilt by the caller (shapes may change)
        self.pos = nn.Parameter(pos.contiguous())
        self.neg = nn.Parameter(neg.contiguous())

    @torch.no_grad()
    def requantize(self) -> int:
        """Round the continuous planes to exact binary ones (BSQ Sec. 3.3, re-quantization).

        ``q = Round(sum_b 2**b (W_p,b - W_n,b))`` is kept and re-decomposed. Since the planes
        lie in [0, 2], ``|q|`` can reach ``2 (2**n - 1)``; the layer then gains one bit and the
        scale grows so that the step is unchanged. The represented weight moves by at most half a
        step, and the forward pass (which already rounds) does not change at all.

        Returns the number of bits gained (0 or 1).
        """
        if self.bits == 0:
            return 0
        step = self.step().clone()
        q = torch.round(from_bit_planes(self.pos, self.neg))
        q_max = int(q.abs().max()) if q.numel() else 0
        n_new = max(self.bits, q_max.bit_length())
        gained = n_new - self.bits
        if n_new > MAX_BITS:
            # At the 8-bit cap the layer cannot grow: the grid is coarsened instead (step
            # doubled, q halved with rounding), so the change stays within half a step of the
            # resulting grid.
            n_new, gained = MAX_BITS, MAX_BITS - self.bits
            q = torch.sign(q) * torch.floor(q.abs() / 2 + 0.5)
            step = step * 2
        self._set_planes(*to_bit_planes(q, n_new))
        self.scale.data = step * (2**n_new - 1)
        return gained

    def plane_density(self) -> torch.Tensor:
        """Fraction of weights whose plane ``b`` is nonzero, shape ``(bits,)``, LSB first."""
        nonzero = (self.pos.detach() - self.neg.detach()) != 0
        return nonzero.reshape(-1, self.bits).float().mean(0)

    @torch.no_grad()
    def adjust_precision(self, threshold: float = 0.0) -> int:
        """Drop most- and least-significant planes that are (nearly) empty (BSQ Sec. 3.3).

        Call on re-quantized (binary) planes. An MSB plane whose nonzero fraction is
        ``<= threshold`` is removed and the few weights that used it are clipped to the smaller
        range; an LSB plane with fraction ``<= threshold`` is removed, ``q`` is halved with
        rounding and the step doubles. With ``threshold = 0`` (the reference code's default)
        only all-zero planes go, and the represented weights (hence the outputs) are unchanged
        exactly. Returns the number of bits removed.
        """
        if not 0.0 <= threshold < 1.0:
            raise ValueError(f"threshold must be in [0, 1), got {threshold}")
        n0 = self.bits
        q = torch.round(from_bit_planes(self.pos, self.neg)) if n0 else None
        step = self.step().clone()
        n = n0
        while n > 0:  # most significant planes
            top = (q.abs() >= 2 ** (n - 1)).float().mean()
            if top > threshold:
                break
            n -= 1
            q = q.clamp(-(2**n - 1), 2**n - 1)
        while n > 1:  # least significant planes
            lsb = (q.remainder(2) != 0).float().mean()
            if lsb > threshold:
                break
            # q/2 is exact when the plane is empty; otherwise round half away from zero
            q = torch.sign(q) * torch.floor(q.abs() / 2 + 0.5)
            step = step * 2
            n -= 1
            q = q.clamp(-(2**n - 1), 2**n - 1)
        if n == n0:
            return 0
        if n == 0:
            self._set_planes(self.pos[..., :0].detach(), self.neg[..., :0].detach())
        else:
            self._set_planes(*to_bit_planes(q, n))
            self.scale.data = step * (2**n - 1)
        return n0 - n

    def to_fixed(self) -> FixedPrecisionLayer:
        """Freeze the precision: a :class:`FixedPrecisionLayer` with the same represented weight."""
        return FixedPrecisionLayer._build(
            self.kind,
            self.kwargs,
            self.weight().detach(),
            None if self.bias is None else self.bias.detach(),
            self.bits,
            float(self.scale.detach()),
        )


class FixedPrecisionLayer(nn.Module):
    """A layer whose float weight is quantized to a fixed ``bits`` grid in every forward pass.

    ``W_q = step * clip(Round_STE(W / step), -(2**n - 1), 2**n - 1)``, ``step = s / (2**n - 1)``
    with a fixed scale ``s``. ``bits = 0`` means the layer is all zero. Gradients reach
    ``weight`` through the STE (zero outside the clipping range).
    """

    def __init__(self, layer: nn.Conv2d | nn.Linear, bits: int, scale: float | None = None):
        super().__init__()
        bits = check_bits(bits)
        kind, kwargs = _layer_spec(layer)
        w = layer.weight.detach().clone()
        scale = float(w.abs().max()) if scale is None else float(scale)
        self._init(kind, kwargs, w, layer.bias, bits, scale if scale > 0 else 1.0)

    def _init(self, kind, kwargs, weight, bias, bits, scale):
        self.kind, self.kwargs = kind, kwargs
        self.weight = nn.Parameter(weight.clone())
        self.bias = None if bias is None else nn.Parameter(bias.detach().clone())
        self.bits = int(bits)
        self.register_buffer(
            "scale", torch.tensor(float(scale), dtype=weight.dtype, device=weight.device)
        )

    @classmethod
    def _build(cls, kind, kwargs, weight, bias, bits, scale) -> FixedPrecisionLayer:
        obj = cls.__new__(cls)
        nn.Module.__init__(obj)
        obj._init(kind, kwargs, weight, bias, bits, scale)
        return obj

    @property
    def n_weights(self) -> int:
        return int(self.weight.numel())

    def quantized_weight(self) -> torch.Tensor:
        if self.bits == 0:
            return self.weight * 0.0
        levels = 2**self.bits - 1
        step = self.scale / levels
        return step * torch.clamp(round_ste(self.weight / step), -levels, levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _apply(self.kind, self.kwargs, x, self.quantized_weight(), self.bias)


def quantizable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every Conv2d / Linear (or already-quantized) layer of ``model``.

    Raises ValueError when there is none.
    """
    kinds = (nn.Conv2d, nn.Linear, BitPlaneLayer, FixedPrecisionLayer)
    found = [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]
    if not found:
        raise ValueError(
            f"model {type(model).__name__} has no quantizable layer (Conv2d or Linear)"
        )
    return found


def replace_layers(model: nn.Module, factory) -> nn.Module:
    """A deep copy of ``model`` with every quantizable layer ``m`` (named ``name``) replaced by
    ``factory(name, m)``."""
    model = copy.deepcopy(model)
    for name, layer in quantizable_layers(model):
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, factory(name, layer))
    return model
