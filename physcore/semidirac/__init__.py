"""Semi-Dirac BdG scattering for normal-superconductor junctions (arXiv:2101.01333).

>>> from physcore import semidirac
>>> model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
"""

from .barriers import DeltaBarrier, RectangularBarrier, ThinBarrier
from .junction import NSJunction
from .models import Graphene, Parabolic, SemiDirac

__all__ = [
    "SemiDirac",
    "Graphene",
    "Parabolic",
    "NSJunction",
    "DeltaBarrier",
    "ThinBarrier",
    "RectangularBarrier",
]
