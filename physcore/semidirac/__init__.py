"""Semi-Dirac BdG scattering for normal-superconductor junctions (H. Li, X. Hu, G. Ouyang,
arXiv:2101.01333).

Three objects, as in kwant: the junction description (:class:`NSJunction`, frozen data with
declared constraints), its finalized system (``junction.finalized()``, the plain arrays) and
the solvers that read it (:mod:`.solvers`: the exact continuum solver, the default, and the
kwant cross-check). Exact continuum scattering (no lattice): the modes of each region in closed
form, matched at the interfaces by numba kernels (:mod:`._modes`, :mod:`._kernels`), summed
over transverse momenta into the BTK conductance (:meth:`NSJunction.conductance`). Closed-form
references (BTK, Beenakker, the quadratic-axis barrier resonance) live in :mod:`.analytic`; a
plain numpy/scipy implementation of the same matching in :mod:`._reference`.

>>> from physcore import semidirac
>>> model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
"""

from .barriers import DeltaBarrier, RectangularBarrier, ThinBarrier
from .junction import NSJunction
from .kwant_crosscheck import LatticeSpacingWarning
from .models import Graphene, Parabolic, SemiDirac
from .observables import PrecisionWarning, ScatteringResult
from .solvers import FinalizedJunction

__all__ = [
    "SemiDirac",
    "Graphene",
    "Parabolic",
    "NSJunction",
    "FinalizedJunction",
    "DeltaBarrier",
    "ThinBarrier",
    "RectangularBarrier",
    "ScatteringResult",
    "PrecisionWarning",
    "LatticeSpacingWarning",
]
