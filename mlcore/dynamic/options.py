"""Stride options of a configurable layer and the space of valid configurations of a network.

A *configuration* is one option index per dynamic layer. The cumulative downsampling factor of
each spatial axis starts at the stem's factor and is multiplied by every dynamic layer's scale
(its stride for an ordinary convolution, one over its stride for an upsampling one); a
configuration is valid when, after every dynamic layer, both axes stay within that layer's
bounds ``[minimum, maximum]`` (arXiv:2103.09891's code, ``get_valid_stride_combos``; its
ResNet-50 starts at 4 after the stem, with bounds [4, 64] for the first two dynamic layers and
[8, 64] for the last two).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = [
    "StrideOption",
    "STRIDE_OPTIONS",
    "UPSAMPLE_OPTIONS",
    "ConfigurationSpace",
]

_KINDS = ("conv", "transposed")


@dataclass(frozen=True)
class StrideOption:
    """How a configurable 3x3 convolution is applied: ``kind`` ``"conv"`` with ``stride``
    ``(sH, sW)`` (downsampling), or ``"transposed"`` (upsampling by ``stride`` with the same
    weights, through a transposed convolution)."""

    kind: str
    stride: tuple[int, int]

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"StrideOption.kind must be one of {_KINDS}; got {self.kind!r}")
        stride = tuple(self.stride)
        if len(stride) != 2 or any(not isinstance(s, int) or s < 1 for s in stride):
            raise ValueError(
                f"StrideOption.stride must be two integers >= 1 (sH, sW); got {self.stride!r}"
            )
        object.__setattr__(self, "stride", stride)

    @property
    def scale(self) -> tuple[Fraction, Fraction]:
        """Factor this option multiplies the downsampling of each axis (H, W) by."""
        if self.kind == "conv":
            return Fraction(self.stride[0]), Fraction(self.stride[1])
        return Fraction(1, self.stride[0]), Fraction(1, self.stride[1])

    def __str__(self) -> str:
        arrow = "" if self.kind == "conv" else "up"
        return f"{arrow}{self.stride[0]}x{self.stride[1]}"


#: The four ordinary stride options of the authors' latest code (``configs/striderr``).
STRIDE_OPTIONS: tuple[StrideOption, ...] = tuple(
    StrideOption("conv", s) for s in ((1, 1), (1, 2), (2, 1), (2, 2))
)
#: The seven options of the older code: the four above plus transposed upsampling.
UPSAMPLE_OPTIONS: tuple[StrideOption, ...] = STRIDE_OPTIONS + tuple(
    StrideOption("transposed", s) for s in ((1, 2), (2, 1), (2, 2))
)


def _as_bounds(bounds, n_layers: int) -> tuple[tuple[Fraction, Fraction], ...]:
    if len(bounds) == 2 and all(isinstance(b, (int, float, Fraction)) for b in bounds):
        bounds = [bounds] * n_layers
    if len(bounds) != n_layers:
        raise ValueError(
            f"bounds must be one (minimum, maximum) pair or one per dynamic layer ({n_layers}); "
            f"got {len(bounds)}"
        )
    out = []
    for lo, hi in bounds:
        lo, hi = Fraction(lo), Fraction(hi)
        if not 0 < lo <= hi:
            raise ValueError(f"bounds must satisfy 0 < minimum <= maximum; got ({lo}, {hi})")
        out.append((lo, hi))
    return tuple(out)


@dataclass(frozen=True)
class ConfigurationSpace:
    """Every valid configuration of ``n_layers`` dynamic layers.

    Parameters
    ----------
    options : sequence of StrideOption
        The options each dynamic layer may take (indices into it make a configuration).
    default : sequence of int
        The static network's option per layer.
    bounds : (minimum, maximum) or one such pair per layer
        Allowed cumulative downsampling of each axis after each layer.
    start : int
        Downsampling factor before the first dynamic layer (the stem's).
    dynamic : sequence of bool, optional
        Which layers may change (default: all); a fixed layer keeps its default option.
    """

    options: tuple[StrideOption, ...]
    default: tuple[int, ...]
    bounds: tuple = (1, 64)
    start: int = 1
    dynamic: tuple[bool, ...] | None = None
    configurations: tuple[tuple[int, ...], ...] = field(init=False, repr=False)

    def __post_init__(self):
        options = tuple(self.options)
        if not options or not all(isinstance(o, StrideOption) for o in options):
            raise ValueError("options must be a non-empty sequence of StrideOption")
        default = tuple(int(d) for d in self.default)
        n = len(default)
        if n == 0:
            raise ValueError("default must name one option per dynamic layer (at least one)")
        dynamic = tuple(bool(d) for d in (self.dynamic or (True,) * n))
        if len(dynamic) != n:
            raise ValueError(f"dynamic must have one entry per layer ({n}); got {len(dynamic)}")
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "dynamic", dynamic)
        object.__setattr__(self, "bounds", _as_bounds(self.bounds, n))
        if not isinstance(self.start, int) or self.start < 1:
            raise ValueError(f"start must be an integer >= 1; got {self.start!r}")
        self.check_options(default, "default")
        choices = [range(len(options)) if d else (default[i],) for i, d in enumerate(dynamic)]
        valid = tuple(c for c in itertools.product(*choices) if self._within(c))
        if default not in valid:
            raise ValueError(
                f"default configuration {self.describe(default)} is outside the bounds "
                f"{self._bounds_text()}"
            )
        object.__setattr__(self, "configurations", valid)

    # -- checks --------------------------------------------------------------------------

    @property
    def n_layers(self) -> int:
        return len(self.default)

    def check_options(self, configuration: Sequence[int], name: str = "configuration") -> None:
        """Raise ValueError naming ``name`` unless it has one valid option index per layer."""
        configuration = tuple(configuration)
        if len(configuration) != self.n_layers:
            raise ValueError(
                f"{name} must have one option per dynamic layer ({self.n_layers}); "
                f"got {len(configuration)}: {configuration!r}"
            )
        for layer, o in enumerate(configuration):
            if not isinstance(o, (int, np.integer)) or not 0 <= o < len(self.options):
                raise ValueError(
                    f"{name}[{layer}] must be an option index in [0, {len(self.options) - 1}]; "
                    f"got {o!r}"
                )

    def downsampling(self, configuration: Sequence[int]) -> list[tuple[Fraction, Fraction]]:
        """Cumulative downsampling (H, W) after each dynamic layer."""
        h = w = Fraction(self.start)
        out = []
        for o in configuration:
            sh, sw = self.options[o].scale
            h, w = h * sh, w * sw
            out.append((h, w))
        return out

    def _within(self, configuration) -> bool:
        return all(
            lo <= h <= hi and lo <= w <= hi
            for (h, w), (lo, hi) in zip(self.downsampling(configuration), self.bounds)
        )

    def _bounds_text(self) -> str:
        return ", ".join(f"[{lo}, {hi}]" for lo, hi in self.bounds)

    def check(self, configuration: Sequence[int]) -> tuple[int, ...]:
        """``configuration`` as a tuple, or ValueError naming what makes it invalid."""
        self.check_options(configuration)
        configuration = tuple(int(o) for o in configuration)
        for layer, (o, d) in enumerate(zip(configuration, self.dynamic)):
            if not d and o != self.default[layer]:
                raise ValueError(
                    f"configuration[{layer}] must be {self.default[layer]}: layer {layer} is "
                    f"not dynamic in this space; got {o}"
                )
        if not self._within(configuration):
            steps = ", ".join(f"{h}x{w}" for h, w in self.downsampling(configuration))
            raise ValueError(
                f"configuration {self.describe(configuration)} leaves the downsampling bounds: "
                f"cumulative factors {steps} against bounds {self._bounds_text()} per layer"
            )
        return configuration

    # -- lookups -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.configurations)

    def index(self, configuration: Sequence[int]) -> int:
        """Position of a valid configuration in :attr:`configurations`."""
        return self.configurations.index(self.check(configuration))

    @property
    def default_index(self) -> int:
        return self.configurations.index(self.default)

    def valid_next(self, prefix: Sequence[int]) -> tuple[int, ...]:
        """Options the next layer may take after ``prefix`` (the prefix tree of the code's
        ``get_valid_nexts``)."""
        prefix = tuple(prefix)
        k = len(prefix)
        if k >= self.n_layers:
            raise ValueError(f"prefix must be shorter than {self.n_layers} layers; got {prefix}")
        return tuple(sorted({c[k] for c in self.configurations if c[:k] == prefix}))

    def restricted(self, n_dynamic: int) -> ConfigurationSpace:
        """The same space with only the first ``n_dynamic`` layers dynamic (A, AB, ABC, ...)."""
        if not 0 < n_dynamic <= self.n_layers:
            raise ValueError(f"n_dynamic must be in [1, {self.n_layers}]; got {n_dynamic}")
        dynamic = tuple(d and i < n_dynamic for i, d in enumerate(self.dynamic))
        return ConfigurationSpace(self.options, self.default, self.bounds, self.start, dynamic)

    def describe(self, configuration: Sequence[int]) -> str:
        """``"(1x1, 2x2, ...)"`` for a configuration."""
        return "(" + ", ".join(str(self.options[o]) for o in configuration) + ")"
