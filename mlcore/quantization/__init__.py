"""Weight quantization: BSQ mixed precision (arXiv:2102.10462) and uniform baselines.

>>> from mlcore.quantization import BSQ
>>> bsq = BSQ(alpha=5e-3, epochs=30).fit(pretrained_model, train_data)  # doctest: +SKIP
>>> bsq.scheme_.average_bits, bsq.scheme_.compression, bsq.score(test_data)  # doctest: +SKIP
"""

from torch import nn

from .bsq import (
    BSQ,
    adjust_model_precision,
    bit_group_lasso,
    finetune,
    requantize_model,
    to_bit_model,
)
from .layers import (
    BitPlaneLayer,
    FixedPrecisionLayer,
    from_bit_planes,
    quantizable_layers,
    round_ste,
    to_bit_planes,
)
from .scheme import QuantizationScheme, apply_scheme, scheme_of, uniform_scheme

__all__ = [
    "BSQ",
    "bit_group_lasso",
    "to_bit_model",
    "requantize_model",
    "adjust_model_precision",
    "finetune",
    "BitPlaneLayer",
    "FixedPrecisionLayer",
    "to_bit_planes",
    "from_bit_planes",
    "round_ste",
    "quantizable_layers",
    "QuantizationScheme",
    "scheme_of",
    "apply_scheme",
    "uniform_scheme",
    "quantize_uniform",
]


def quantize_uniform(model: nn.Module, bits: int) -> nn.Module:
    """Post-training uniform quantization: every Conv2d / Linear of a copy of ``model`` at
    ``bits`` (1..8) with its max-abs scale, as :class:`FixedPrecisionLayer` (trainable by
    :func:`finetune` for quantization-aware training)."""
    return apply_scheme(model, uniform_scheme(model, bits))
