"""A mixed-precision quantization scheme as data: the bit width of every layer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from .layers import (
    BitPlaneLayer,
    FixedPrecisionLayer,
    check_bits,
    quantizable_layers,
    replace_layers,
)

__all__ = ["QuantizationScheme", "scheme_of", "apply_scheme", "uniform_scheme"]


@dataclass(frozen=True)
class QuantizationScheme:
    """Per-layer precision of a network's quantized weights.

    Attributes
    ----------
    layers : dict
        ``{layer name: bits}`` (``0`` = layer pruned to zero).
    n_weights : dict
        ``{layer name: number of weights}``. Biases stay in floating point and are not counted
        (they are 0.4 % of LeNet-5's parameters).
    """

    layers: dict[str, int]
    n_weights: dict[str, int]
    meta: dict = field(default_factory=dict)

    @property
    def total_weights(self) -> int:
        return int(sum(self.n_weights.values()))

    @property
    def total_bits(self) -> int:
        return int(sum(self.layers[k] * self.n_weights[k] for k in self.layers))

    @property
    def average_bits(self) -> float:
        """Weight-count-weighted mean precision, ``total_bits / total_weights``."""
        return self.total_bits / self.total_weights

    @property
    def compression(self) -> float:
        """``32 x #weights / total bits`` (BSQ's "Comp" column); inf for an all-zero network."""
        return 32.0 * self.total_weights / self.total_bits if self.total_bits else float("inf")

    def to_dict(self) -> dict:
        return {
            "layers": dict(self.layers),
            "n_weights": dict(self.n_weights),
            "average_bits": self.average_bits,
            "compression": self.compression,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict) -> QuantizationScheme:
        layers = {str(k): int(v) for k, v in data["layers"].items()}
        for name, bits in layers.items():
            if not 0 <= bits <= 9:
                raise ValueError(f"layer {name!r}: bits must be in 0..9, got {bits}")
        return cls(
            layers, {str(k): int(v) for k, v in data["n_weights"].items()}, data.get("meta", {})
        )

    def save(self, path: str | Path) -> None:
        from ..records import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> QuantizationScheme:
        return cls.from_dict(json.loads(Path(path).read_text()))


def scheme_of(model: nn.Module) -> QuantizationScheme:
    """The scheme of a model made of :class:`BitPlaneLayer` / :class:`FixedPrecisionLayer`."""
    layers, counts = {}, {}
    for name, layer in quantizable_layers(model):
        if not isinstance(layer, BitPlaneLayer | FixedPrecisionLayer):
            raise ValueError(f"layer {name!r} is not quantized ({type(layer).__name__})")
        layers[name], counts[name] = layer.bits, layer.n_weights
    return QuantizationScheme(layers, counts)


def uniform_scheme(model: nn.Module, bits: int) -> QuantizationScheme:
    """Every quantizable layer of ``model`` at ``bits`` (1..8)."""
    bits = check_bits(bits)
    found = quantizable_layers(model)
    return QuantizationScheme(
        {name: bits for name, _ in found}, {name: int(m.weight.numel()) for name, m in found}
    )


def apply_scheme(model: nn.Module, scheme: QuantizationScheme) -> nn.Module:
    """A copy of the float ``model`` with every layer quantized (max-abs scale) at the scheme's
    precision, as :class:`FixedPrecisionLayer` (ready for quantization-aware training)."""

    def make(name, layer):
        if name not in scheme.layers:
            raise ValueError(f"scheme has no entry for layer {name!r}")
        bits = scheme.layers[name]
        fixed = FixedPrecisionLayer(layer, max(bits, 1))
        fixed.bits = bits  # 0 allowed here: a pruned layer stays zero
        return fixed

    return replace_layers(model, make)
