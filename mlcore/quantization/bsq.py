"""BSQ: bit-level sparsity quantization (Yang, Duan, Chen, Li, ICLR 2021, arXiv:2102.10462).

Every weight of every layer is held as trainable positive and negative bit planes in [0, 2]
(:class:`~mlcore.quantization.layers.BitPlaneLayer`). Training minimizes

    L = CE + alpha * sum_l (#W_l * n_l / #W) * sum_b || [W_p,b ; W_n,b] ||_2      (Eq. 5)

i.e. a group Lasso over the bit planes of each layer (one group = one plane, positive and
negative parts together), reweighted by each layer's share of the memory (``#W_l * n_l``
against the total weight count ``#W``). Every ``requant_interval`` epochs the planes are
re-quantized to exact bits and emptied most/least significant planes are removed (precision
adjustment, Sec. 3.3); after the last epoch the scheme is frozen and the network is fine-tuned
with quantization-aware training at that scheme. Like the reference code (github.com/yanghr/BSQ)
the planes are projected back onto [0, 2] after every SGD step.

Differences from the reference implementation, kept deliberately: biases stay in floating
point (not bit-trained); activations are not quantized (weight-only quantization); a layer
whose re-quantized values overflow ``2**n - 1`` gains a bit instead of being clipped.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..data import ImageDataset
from ..rng import RandomState, as_seed_sequence
from ..training import evaluate, fit
from .layers import (
    BitPlaneLayer,
    FixedPrecisionLayer,
    check_bits,
    quantizable_layers,
    replace_layers,
)
from .scheme import QuantizationScheme, scheme_of

__all__ = ["BSQ", "bit_group_lasso", "to_bit_model", "requantize_model", "adjust_model_precision"]


def bit_layers(model: nn.Module) -> list[tuple[str, BitPlaneLayer]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, BitPlaneLayer)]


def to_bit_model(model: nn.Module, bits: int = 8) -> nn.Module:
    """A copy of the float ``model`` with every Conv2d / Linear as a :class:`BitPlaneLayer` at
    ``bits`` (max-abs scale per layer). Raises ValueError for a model with no such layer."""
    bits = check_bits(bits)
    return replace_layers(model, lambda name, layer: BitPlaneLayer(layer, bits))


def bit_group_lasso(model: nn.Module, memory_aware: bool = True) -> torch.Tensor:
    """BSQ's bit-level group-Lasso regularizer ``R`` (Eq. 4-5), a differentiable scalar.

    ``R = sum_l c_l sum_b sqrt(sum_i W_p,i,b**2 + W_n,i,b**2)`` with the memory-aware weight
    ``c_l = #W_l * n_l / #W`` (treated as a constant), or ``c_l = 1`` when
    ``memory_aware=False``.
    """
    layers = [m for _, m in bit_layers(model)]
    if not layers:
        raise ValueError("bit_group_lasso: model has no BitPlaneLayer (use to_bit_model first)")
    total = sum(m.n_weights for m in layers)
    reg = layers[0].scale.new_zeros(())
    for m in layers:
        if m.bits == 0:
            continue
        planes = torch.cat([m.pos.reshape(-1, m.bits), m.neg.reshape(-1, m.bits)], 0)
        # sqrt of a sum of squares; the tiny epsilon keeps the gradient finite for an empty
        # plane (the reference code uses the same 1e-8)
        norms = torch.sqrt((planes**2).sum(0) + 1e-8)
        weight = m.n_weights * m.bits / total if memory_aware else 1.0
        reg = reg + weight * norms.sum()
    return reg


@torch.no_grad()
def requantize_model(model: nn.Module) -> int:
    """Re-quantize every bit layer; return the number of bits gained over all layers."""
    return sum(m.requantize() for _, m in bit_layers(model))


@torch.no_grad()
def adjust_model_precision(model: nn.Module, threshold: float = 0.0) -> int:
    """Precision adjustment of every bit layer; return the number of bits removed."""
    return sum(m.adjust_precision(threshold) for _, m in bit_layers(model))


def _project_planes(model: nn.Module) -> None:
    """Clamp every bit plane back onto [0, 2] (after each SGD step, as the reference code)."""
    for _, layer in bit_layers(model):
        layer.clamp_()


class BSQ:
    """Bit-level sparsity quantization of a pretrained float network.

    Parameters
    ----------
    alpha : float
        Regularization strength (>= 0), the single knob trading accuracy for bits.
    bits : int
        Starting precision of every layer (1..8; the paper starts from 8).
    epochs : int
        Epochs of bit-representation training.
    requant_interval : int
        Epochs between re-quantization + precision adjustment (the paper: 50 of 350).
    finetune_epochs : int
        Epochs of quantization-aware fine-tuning with the scheme frozen.
    lr, finetune_lr : float
        SGD (momentum 0.9) learning rate of the bit planes and scales; Adam learning rate of
        the fine-tuning.
    threshold : float
        Precision adjustment removes MSB/LSB planes with at most this nonzero fraction (0 =
        only all-zero planes, the reference default).
    memory_aware : bool
        Use the memory-aware reweighting of Eq. 5 (True) or a plain sum over layers.
    scale_lr_factor : float
        The layer scales train at ``lr * scale_lr_factor`` (see :meth:`fit`).
    seed : int, numpy SeedSequence or Generator
        Random state of :meth:`fit`: two child streams are spawned from it, one for the
        bit-representation training and one for the fine-tuning (no global generator is
        reseeded; see :mod:`mlcore.rng`).

    Attributes
    ----------
    model_ : nn.Module
        After :meth:`fit`: the fine-tuned quantized network (:class:`FixedPrecisionLayer`
        layers).
    scheme_ : QuantizationScheme
        After :meth:`fit`: per-layer bits, average bits and compression.
    history_ : list of dict
        After :meth:`fit`: per-epoch training records of both stages, with the scheme after
        each adjustment.
    """

    def __init__(
        self,
        *,
        alpha: float = 5e-3,
        bits: int = 8,
        epochs: int = 30,
        requant_interval: int = 10,
        finetune_epochs: int = 10,
        lr: float = 0.1,
        finetune_lr: float = 1e-4,
        batch_size: int = 128,
        threshold: float = 0.0,
        memory_aware: bool = True,
        scale_lr_factor: float = 1e-3,
        seed: RandomState = 0,
        progress: bool = True,
    ):
        self.alpha = alpha
        self.bits = bits
        self.epochs = epochs
        self.requant_interval = requant_interval
        self.finetune_epochs = finetune_epochs
        self.lr = lr
        self.finetune_lr = finetune_lr
        self.batch_size = batch_size
        self.threshold = threshold
        self.memory_aware = memory_aware
        self.scale_lr_factor = scale_lr_factor
        self.seed = seed
        self.progress = progress

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in self.__init__.__kwdefaults__}

    def _validate(self, model: nn.Module) -> None:
        if (
            not isinstance(self.alpha, int | float)
            or not math.isfinite(self.alpha)
            or self.alpha < 0
        ):
            raise ValueError(f"alpha must be a finite number >= 0, got {self.alpha!r}")
        check_bits(self.bits)
        for name in ("epochs", "finetune_epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if not isinstance(self.requant_interval, int) or self.requant_interval < 1:
            raise ValueError(
                f"requant_interval must be an integer >= 1, got {self.requant_interval!r}"
            )
        if not 0.0 <= self.threshold < 1.0:
            raise ValueError(f"threshold must be in [0, 1), got {self.threshold!r}")
        quantizable_layers(model)  # ValueError when there is nothing to quantize

    def fit(self, model: nn.Module, data: ImageDataset) -> BSQ:
        """Run BSQ on a copy of the pretrained float ``model``; ``model`` is left untouched."""
        self._validate(model)
        train_seed, finetune_seed = as_seed_sequence(self.seed).spawn(2)
        bit_model = to_bit_model(model, self.bits)
        self.history_ = []
        self.adjustments_ = []
        if self.epochs:
            self.history_ += fit(
                bit_model,
                data,
                epochs=self.epochs,
                lr=self.lr,
                optimizer="sgd",
                params=lambda: self._param_groups(bit_model),
                batch_size=self.batch_size,
                seed=train_seed,
                extra_loss=self._regularizer,
                after_step=_project_planes,
                epoch_end=self._epoch_end,
                progress=self.progress,
                desc=f"BSQ alpha={self.alpha:g}",
            )
        else:
            self._epoch_end(bit_model, 0)
        self.bit_model_ = bit_model
        self.scheme_ = scheme_of(bit_model)
        self.model_ = finetune(
            replace_layers(bit_model, lambda name, layer: layer.to_fixed()),
            data,
            epochs=self.finetune_epochs,
            lr=self.finetune_lr,
            batch_size=self.batch_size,
            seed=finetune_seed,
            progress=self.progress,
        )
        return self

    def _regularizer(self, bit_model: nn.Module) -> torch.Tensor:
        """The extra loss of every batch: ``alpha * R`` (Eq. 5)."""
        return self.alpha * bit_group_lasso(bit_model, self.memory_aware)

    def _epoch_end(self, bit_model: nn.Module, epoch: int) -> bool:
        """Every ``requant_interval`` epochs and after the last one: re-quantize, adjust the
        precision and record the scheme in ``adjustments_``; True (rebuild the optimizer: the
        planes changed shape) when it did."""
        if epoch % self.requant_interval and epoch != self.epochs:
            return False
        gained = requantize_model(bit_model)
        removed = adjust_model_precision(bit_model, self.threshold)
        scheme = scheme_of(bit_model)
        self.adjustments_.append(
            {
                "epoch": epoch,
                "bits_gained": gained,
                "bits_removed": removed,
                "layers": dict(scheme.layers),
                "average_bits": scheme.average_bits,
            }
        )
        return True

    def _param_groups(self, bit_model: nn.Module) -> list[dict]:
        """The optimizer's parameter groups (rebuilt after every precision adjustment).

        The planes train at ``lr``. The scales must train too: shrinking every plane of a layer
        while its scale grows is how BSQ empties MSB planes without changing the function. But
        dL/ds sums over all weights of the layer, and without batch normalization after each
        layer (LeNet-5) SGD at the planes' rate diverges, so scales train at
        ``lr * scale_lr_factor``; biases (and batch-norm parameters) at ``lr / 100``."""
        planes, scales, others = [], [], []
        for name, p in bit_model.named_parameters():
            if name.endswith(("pos", "neg")):
                planes.append(p)
            elif name.endswith("scale"):
                scales.append(p)
            else:
                others.append(p)
        return [
            {"params": planes},
            {"params": scales, "lr": self.lr * self.scale_lr_factor},
            {"params": others, "lr": self.lr / 100},
        ]

    def score(self, data: ImageDataset) -> float:
        """Top-1 accuracy of the fine-tuned quantized network."""
        return evaluate(self.model_, data)

    @property
    def scheme(self) -> QuantizationScheme:
        return self.scheme_


def finetune(
    model: nn.Module,
    data,
    *,
    epochs: int,
    lr: float,
    batch_size: int = 128,
    seed: RandomState = 0,
    progress: bool = True,
) -> nn.Module:
    """Quantization-aware training of a :class:`FixedPrecisionLayer` model at its frozen scheme
    (Adam); the same recipe serves BSQ's fine-tuning and the uniform-precision baseline."""
    if not any(isinstance(m, FixedPrecisionLayer) for m in model.modules()):
        raise ValueError("finetune expects a model of FixedPrecisionLayer layers")
    if epochs:
        fit(
            model,
            data,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            progress=progress,
            desc="fine-tune",
        )
    return model
