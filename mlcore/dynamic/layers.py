"""A convolution that changes its stride at inference, and the residual block that holds it.

:class:`ConfigurableConv2d` wraps an existing 3x3 :class:`torch.nn.Conv2d` and applies its one
weight tensor with any of a list of :class:`~mlcore.dynamic.options.StrideOption`: an ordinary
strided convolution, or an upsampling one through :func:`torch.nn.functional.conv_transpose2d`
with the kernel flipped and its channel axes swapped (so that a stride-1 transposed convolution
is the ordinary one: the upsampling option inserts zeros, then applies the same filter;
arXiv:2103.09891's code, ``StriderConv``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .options import STRIDE_OPTIONS, StrideOption

__all__ = ["ConfigurableConv2d", "DynamicBlock", "resize_to"]


class ConfigurableConv2d(nn.Module):
    """``conv`` (kept, not copied) applied with a stride option chosen per call.

    Parameters
    ----------
    conv : torch.nn.Conv2d
        A convolution with an odd square kernel, ``padding = kernel // 2``, no dilation or
        groups: its output is ``ceil(H / s)`` for stride ``s``, and ``s H`` upsampled.
    options : sequence of StrideOption
        The options a call may choose from, by index.
    default : int, optional
        The option used when a call names none; by default the one whose stride equals
        ``conv.stride`` (an error if no ordinary option does).
    """

    def __init__(
        self,
        conv: nn.Conv2d,
        options: Sequence[StrideOption] = STRIDE_OPTIONS,
        default: int | None = None,
    ):
        super().__init__()
        if not isinstance(conv, nn.Conv2d) or isinstance(conv, nn.ConvTranspose2d):
            raise TypeError(f"conv must be a torch.nn.Conv2d; got {type(conv).__name__}")
        k = conv.kernel_size
        if k[0] != k[1] or k[0] % 2 != 1 or conv.padding != (k[0] // 2, k[1] // 2):
            raise ValueError(
                f"conv must have an odd square kernel and padding kernel // 2; got kernel {k}, "
                f"padding {conv.padding}"
            )
        if conv.dilation != (1, 1) or conv.groups != 1 or conv.padding_mode != "zeros":
            raise ValueError("conv must have dilation 1, groups 1 and zero padding")
        self.conv = conv
        self.options = tuple(options)
        if not self.options or not all(isinstance(o, StrideOption) for o in self.options):
            raise ValueError("options must be a non-empty sequence of StrideOption")
        if default is None:
            matching = [
                i for i, o in enumerate(self.options) if o == StrideOption("conv", conv.stride)
            ]
            if not matching:
                raise ValueError(
                    f"default: no option is an ordinary convolution with conv's stride "
                    f"{conv.stride}; name the default option"
                )
            default = matching[0]
        self.default = self._check(default)

    def _check(self, option) -> int:
        if not isinstance(option, int) or not 0 <= option < len(self.options):
            raise ValueError(
                f"option must be an index in [0, {len(self.options) - 1}] of "
                f"{[str(o) for o in self.options]}; got {option!r}"
            )
        return option

    def forward(self, x: torch.Tensor, option: int | None = None) -> torch.Tensor:
        opt = self.options[self.default if option is None else self._check(option)]
        w, b, pad = self.conv.weight, self.conv.bias, self.conv.padding
        if opt.kind == "conv":
            return F.conv2d(x, w, b, stride=opt.stride, padding=pad)
        # upsampling with the same filter: conv_transpose2d(flip, swap in/out) at stride 1 == conv2d
        w_t = w.flip(2, 3).transpose(0, 1)
        extra = tuple(s - 1 for s in opt.stride)
        return F.conv_transpose2d(x, w_t, b, stride=opt.stride, padding=pad, output_padding=extra)

    def extra_repr(self) -> str:
        return f"options={[str(o) for o in self.options]}, default={self.default}"


def resize_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``x`` brought to spatial ``size``: adaptive average pooling to shrink an axis,
    nearest-neighbour to grow one (the reference's residual path)."""
    h, w = x.shape[-2:]
    if (h, w) == tuple(size):
        return x
    if h < size[0] or w < size[1]:
        x = F.interpolate(x, size=(max(h, size[0]), max(w, size[1])), mode="nearest")
    if x.shape[-2:] != tuple(size):
        x = F.adaptive_avg_pool2d(x, size)
    return x


class DynamicBlock(nn.Module):
    """A basic residual block whose first 3x3 convolution is configurable.

    ``conv1`` (configurable) -> BN -> ReLU -> ``conv2`` (3x3, stride 1) -> BN, plus the
    shortcut: resized to the main path's spatial size (:func:`resize_to`), then a 1x1
    convolution and BN when the channel count changes; ReLU after the sum. Resizing before the
    projection equals the reference's order (projection, then resize) in evaluation, since both
    are linear per channel and position, at a fraction of the cost.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        options: Sequence[StrideOption] = STRIDE_OPTIONS,
    ):
        super().__init__()
        base = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.conv1 = ConfigurableConv2d(base, options)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = (
            nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
            )
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor, option: int | None = None) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x, option)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(resize_to(x, out.shape[-2:])))
