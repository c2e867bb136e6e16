"""Multiply-accumulate counts of convolutions and linear layers, measured by forward hooks while
a call runs (so the count follows whatever shapes the call produced: strided, upsampled,
shared between configurations or routed per image).

Written here rather than taken from a FLOP counter package because the configurable layer
applies its wrapped convolution through :mod:`torch.nn.functional`, which module-level counters
do not see, and this takes twenty lines.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .layers import ConfigurableConv2d

__all__ = ["count_macs"]


def _conv_macs(module: nn.Conv2d, out: torch.Tensor) -> int:
    k = module.kernel_size[0] * module.kernel_size[1]
    return out.numel() * (module.in_channels // module.groups) * k


def count_macs(modules: list[nn.Module], call: Callable[[], object]) -> int:
    """Multiply-accumulates of every convolution and linear layer inside ``modules`` during
    ``call()`` (batch included: divide by the batch size for a per-image figure)."""
    total = [0]

    def hook(module, inputs, out):
        if isinstance(module, ConfigurableConv2d):
            conv = module.conv
            k = conv.kernel_size[0] * conv.kernel_size[1]
            if out.shape[-2:] == inputs[0].shape[-2:] or _is_down(inputs[0], out):
                total[0] += out.numel() * conv.in_channels * k
            else:  # transposed: every input element meets every output channel's kernel
                total[0] += inputs[0].numel() * conv.out_channels * k
        elif isinstance(module, nn.Conv2d):
            total[0] += _conv_macs(module, out)
        elif isinstance(module, nn.Linear):
            total[0] += out.numel() * module.in_features

    handles = []
    for root in modules:
        for m in root.modules():
            if isinstance(m, ConfigurableConv2d):
                handles.append(m.register_forward_hook(hook))
            elif isinstance(m, nn.Conv2d | nn.Linear) and not _inside_configurable(root, m):
                handles.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            call()
    finally:
        for h in handles:
            h.remove()
    return total[0]


def _is_down(x: torch.Tensor, out: torch.Tensor) -> bool:
    return out.shape[-2] <= x.shape[-2] and out.shape[-1] <= x.shape[-1]


def _inside_configurable(root: nn.Module, module: nn.Module) -> bool:
    """True for the convolution a ConfigurableConv2d wraps (counted by the wrapper)."""
    return any(isinstance(m, ConfigurableConv2d) and m.conv is module for m in root.modules())
