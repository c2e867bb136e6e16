"""The spiking network a chip runs: neurons, synapses, firing rate and traffic locality."""

from __future__ import annotations

from dataclasses import dataclass

from ..params import Interval, Options, Params, SequenceOf, parameter
from .interconnect import TRAFFIC

__all__ = ["SpikingNetwork"]


@dataclass(frozen=True)
class SpikingNetwork(Params):
    """A spiking network, described by its size and activity.

    Defaults: TrueNorth's 26 pJ operating point (Merolla et al., Science 345:668, 2014): one
    million neurons firing at 20 Hz, 128 active synapses each. Every field is checked on
    construction; a bad value raises ValueError naming ``SpikingNetwork.<field>``.

    Parameters
    ----------
    neurons : int
        Spiking neurons (count).
    synapses : int
        Synapses (count); ``synapses / neurons`` is the fan-out, the synaptic events per spike.
    rate_hz : float
        Mean firing rate per neuron (Hz).
    inference_time : float
        Duration of one inference (s): the spikes of one inference are ``neurons * rate_hz *
        inference_time``.
    traffic : {"uniform", "rent"}
        Where a spike's packets go (see :mod:`mlcore.hardware.interconnect`).
    rent_exponent : float
        Rent exponent ``p`` of ``"rent"`` traffic; brains are thought to lie near 0.75 (recalled,
        not verified: paper notes sec. 5).
    layer_sizes : tuple of int
        Neurons per layer, when known (informational; :meth:`from_torch` fills it).
    """

    neurons: int = parameter(1 << 20, Interval(int, 1, 1 << 40), "spiking neurons", unit="count")
    synapses: int = parameter(128 << 20, Interval(int, 1, 1 << 50), "synapses", unit="count")
    rate_hz: float = parameter(20.0, Interval(float, 0.0, 1e4), "mean firing rate", unit="Hz")
    inference_time: float = parameter(
        0.1, Interval(float, 0.0, 1e6, closed="right"), "duration of one inference", unit="s"
    )
    traffic: str = parameter("uniform", Options(*TRAFFIC), "spike destinations")
    rent_exponent: float = parameter(
        0.75, Interval(float, 0.0, 1.0, closed="neither"), "Rent exponent p", unit="1"
    )
    layer_sizes: tuple = parameter(
        (), SequenceOf(Interval(int, 1, None), min_len=0), "neurons per layer", unit="count"
    )

    @property
    def fan_out(self) -> float:
        """Synaptic events per spike (synapses per neuron)."""
        return self.synapses / self.neurons

    @classmethod
    def from_torch(
        cls, model, input_shape: tuple[int, ...], *, rate_hz: float = 20.0, **fields
    ) -> SpikingNetwork:
        """Neurons and synapses of a torch model's ``Linear`` and ``Conv*d`` layers.

        Each output unit of such a layer (per output position for convolutions) is one spiking
        neuron; its synapses are the layer's weights that feed it (``in_features`` for a linear
        layer, ``in_channels / groups * prod(kernel_size)`` for a convolution). Input pixels
        are spike sources outside the chip and are not counted. Output shapes come from one
        forward pass of a zero input of ``input_shape`` (batch dimension included).

        Parameters
        ----------
        model : torch.nn.Module
            The network.
        input_shape : tuple of int
            Shape of one input batch, e.g. ``(1, 1, 28, 28)``.
        rate_hz : float
            Mean firing rate (Hz).
        **fields
            Other :class:`SpikingNetwork` fields.
        """
        import torch  # lazily: the hardware model itself needs no torch

        layers = []

        def count(module, _inputs, output):
            per_neuron = _synapses_per_neuron(module)
            neurons = int(output[0].numel())
            layers.append((neurons, neurons * per_neuron))

        kinds = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
        hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, kinds)]
        if not hooks:
            raise ValueError("model must contain Linear or Conv layers; found none")
        try:
            with torch.no_grad():
                model(torch.zeros(input_shape))
        finally:
            for hook in hooks:
                hook.remove()
        return cls(
            neurons=sum(n for n, _ in layers),
            synapses=sum(s for _, s in layers),
            rate_hz=rate_hz,
            layer_sizes=tuple(n for n, _ in layers),
            **fields,
        )


def _synapses_per_neuron(module) -> int:
    """Weights feeding one output unit of a Linear or Conv layer."""
    if hasattr(module, "in_features"):
        return int(module.in_features)
    kernel = 1
    for size in module.kernel_size:
        kernel *= int(size)
    return int(module.in_channels // module.groups) * kernel
