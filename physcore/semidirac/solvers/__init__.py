"""Solvers of NS junctions: one interface (:mod:`.common`), two implementations.

* :class:`ContinuumSolver` (:mod:`.continuum`): exact continuum BdG mode matching (numba);
  the default (:mod:`.default`), behind ``NSJunction.conductance`` and ``.scattering``.
* :class:`~physcore.semidirac.kwant_crosscheck.KwantSolver`: the same conductance from a
  kwant tight-binding model, behind ``NSJunction.kwant_conductance``.

Both read a finalized system, ``junction.finalized()`` (:class:`FinalizedJunction`), built
once per call chain.
"""

from .._system import FinalizedJunction
from .common import BTKIntegrals, ConductanceSolver, labelled_conductance
from .continuum import ContinuumSolver
from .default import conductance, default_solver, scattering

__all__ = [
    "FinalizedJunction",
    "ConductanceSolver",
    "ContinuumSolver",
    "BTKIntegrals",
    "labelled_conductance",
    "default_solver",
    "conductance",
    "scattering",
]
