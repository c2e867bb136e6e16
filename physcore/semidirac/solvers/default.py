"""The default solver and its bound methods (kwant's ``kwant/solvers/default.py`` pattern).

``conductance(syst, bias, ...)`` and ``scattering(syst, energy, q)`` are the continuum
solver's methods on a finalized system; ``NSJunction.conductance`` and
``NSJunction.scattering`` call them on ``junction.finalized()``.
"""

from __future__ import annotations

from .continuum import ContinuumSolver

__all__ = ["default_solver", "conductance", "scattering"]

default_solver = ContinuumSolver()
conductance = default_solver.conductance
scattering = default_solver.scattering
