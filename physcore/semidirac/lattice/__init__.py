"""kwant tight-binding realizations of the NS junction (for the cross-check).

* :mod:`.continuum`: the junction's BdG Hamiltonian discretized along x by
  ``kwant.continuum.discretize``, with a Wilson term against fermion doubling.
* :mod:`.honeycomb`: the honeycomb lattice with one hopping t' = 2t - delta (merged Dirac
  points), a physical lattice with a semi-Dirac point.
* :mod:`.profile`: potentials and pairing averaged over lattice cells.

kwant is imported lazily by the builders, so importing this package does not need it.
"""

from .continuum import LatticeNSSystem, build_continuum_system
from .profile import JunctionProfile

__all__ = ["LatticeNSSystem", "build_continuum_system", "JunctionProfile"]
