"""Semi-Dirac BdG scattering for normal-superconductor junctions (arXiv:2101.01333).

Exact continuum scattering (no lattice): the modes of each region in closed form, matched at
the interfaces by numba kernels (:mod:`._modes`, :mod:`._kernels`), summed over transverse
momenta into the BTK conductance (:meth:`NSJunction.conductance`). Closed-form references
(BTK, Beenakker) live in :mod:`.analytic`; a plain numpy/scipy implementation of the same
matching in :mod:`._reference`.

>>> from physcore import semidirac
>>> model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
"""

from .barriers import DeltaBarrier, RectangularBarrier, ThinBarrier
from .junction import NSJunction
from .kwant_crosscheck import LatticeSpacingWarning
from .models import Graphene, Parabolic, SemiDirac
from .observables import PrecisionWarning, ScatteringResult

__all__ = [
    "SemiDirac",
    "Graphene",
    "Parabolic",
    "NSJunction",
    "DeltaBarrier",
    "ThinBarrier",
    "RectangularBarrier",
    "ScatteringResult",
    "PrecisionWarning",
    "LatticeSpacingWarning",
]
