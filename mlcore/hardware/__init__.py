"""A quantitative 2D-versus-3D integration model for neuromorphic chips (arXiv:2103.04852).

Kurshan, Li, Seok and Xie review how 3D integration (through-silicon vias, hybrid bonding,
monolithic inter-tier vias) helps neuromorphic chips, with no model of their own. This package
puts numbers on it, in the style of :mod:`physcore`: validated frozen dataclasses with cited
defaults, one solver returning labelled xarray results, a sweep computation.

* :class:`Technology` (:mod:`.technology`): tiers, cores, vias, wires, energies, heat, yield,
  cost; every default with its :class:`Source` (:func:`provenance`).
* :class:`SpikingNetwork` (:mod:`.network`): neurons, synapses, rate, traffic locality;
  :meth:`SpikingNetwork.from_torch` counts a torch model's layers.
* :mod:`.interconnect`: mesh placement, mean hop counts (closed form, Rent-weighted, brute
  force), the Davis-Meindl wire-length distribution.
* :mod:`.costs`: hop energies, the series thermal model, yields, cost per good chip.
* :func:`evaluate` (:mod:`.model`): everything on a (network size x tier count) grid.
* :mod:`.limits`: the crossover network size, and the tier counts where heat and yield bite.
* :mod:`.chips`: TrueNorth, Loihi and TrueNorth split over tiers, against their reported numbers.
* :mod:`.sweep`: ``TIER_SWEEP``, the ``hardware.tiers`` computation of ``physcore.sweeps``.
* :mod:`.figures`, :mod:`.demo`: the figures and the comparison table.
"""

from .interconnect import (
    brute_force_mean_hops,
    davis_meindl_distribution,
    davis_meindl_mean_length,
    rent_mean_hops,
    uniform_mean_hops,
)
from .limits import crossover_network_size, heat_limited_tiers, yield_limited_tiers
from .model import VARIABLES, ThermalLimitWarning, evaluate
from .network import SpikingNetwork
from .technology import VIA_KINDS, Source, Technology, provenance

__all__ = [
    "Technology",
    "Source",
    "VIA_KINDS",
    "provenance",
    "SpikingNetwork",
    "evaluate",
    "VARIABLES",
    "ThermalLimitWarning",
    "crossover_network_size",
    "heat_limited_tiers",
    "yield_limited_tiers",
    "uniform_mean_hops",
    "rent_mean_hops",
    "brute_force_mean_hops",
    "davis_meindl_distribution",
    "davis_meindl_mean_length",
]
