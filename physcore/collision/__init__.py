"""physcore.collision: two qubits, each coupled to its own thermal bath, as a collision model.

Reference: F. Tian, J. Zou, L. Li, H. Li, B. Shao, "Effect of inter-system coupling on heat
transport in a microscopic collision model", Entropy 23, 471 (2021), arXiv:2012.12364. The
paper's exact Hamiltonians and parameters are not available to us: this package builds the
standard model with every choice a parameter (:mod:`.model` lists the conventions).

Layers (model -> maps -> solvers):

* :mod:`.model`: :class:`TwoQubitSystem`, :class:`AncillaBath`, :class:`CollisionModel`
  (validated, immutable data);
* :mod:`.finalized`: ``model.finalized(scheme)`` -> :class:`FinalizedCollision`, the unitary,
  the map, the energy observables and the post-collision step of one scheme, computed once
  (the scheme is validated there, once); the solver, the thermodynamics, the steady state
  and the sweeps accept it wherever they accept a model;
* :mod:`.maps`: the exact and local collision maps as QuTiP superoperators (Kraus operators
  ``K_ij = sqrt(p_j) <i|U|j>``), and ``Phi - 1`` (:func:`map_increment`) formed from
  ``U - 1`` without cancellation (:mod:`._increment`): steady states, heat and work are
  computed from it, so they stay accurate at short collision times, where one collision
  changes the state by only ``O(J**2 tau**2)`` (tested down to tau = 1e-10: the currents
  reach the local Lindblad ones at first order in tau, at fixed ``J**2 tau``);
* :mod:`.steady`: fixed points by a direct null-space solve, density-matrix checks;
  :mod:`.solver`: :class:`CollisionSolver` (``start`` / ``step`` / ``run``);
* :mod:`.lindblad`: the local (continuum limit) and global master equations;
* :mod:`.thermo`: heat, work, first law, entropy production, rectification;
* :mod:`.correlations`: concurrence, mutual information, negativity, discord;
* :mod:`.sweeps`: batched coupling sweeps and rectification maps (xarray);
* :mod:`.regimes`: where along a sweep the error and the correlations move together.

What our model gives for the paper's claims (pinned in tests/physcore/collision/test_claims.py):

* exchange (conserving) coupling: the local-approximation error is non-monotonic in g, but the
  recovery is stroboscopic (the local step ``exp(-i tau H_12)`` is periodic in ``g tau``; the
  error peaks near ``g tau = k pi``); in the continuum regime ``g tau << pi`` it rises and
  saturates without recovering;
* asymmetric non-conserving coupling (``sx ax`` on one side): the error grows steadily with g,
  and R -> 1 at large bias, but with the work accounted for this is the switching power being
  dumped into the cold bath in both runs, not a heat diode (a work-free asymmetric case,
  XXZ qubits between exchange baths of different strengths, rectifies by R < 1e-3: the demo's
  collision_rectification.png shows both, R only where the work is below 10% of the heat);
* mechanism (read off collision_vs_g.png): inside an exact collision the ancilla meets the
  dressed transitions ``w +- g`` of the coupled qubits, detuned from it by g; once ``g tau``
  is of order 1 the collision resolves that detuning (a sinc-like filter) and the exact heat
  current falls, while the local scheme, blind to ``H_12`` during collisions, keeps
  transporting. The relative current error therefore grows with ``g tau`` even where the state
  error is small;
* error vs correlations, per regime of g (:mod:`.regimes`, ``gamma = J**2 tau``): they rise
  together for ``g < gamma / 2`` (where the discord peaks) and around ``g tau = pi``
  (``1.85 < g tau < 4.8``: both peak near pi and fall after it); they move oppositely for
  ``gamma / 2 < g < 1.85 / tau`` (the error rises while the discord falls; the claim does not
  hold there) and again for ``4.8 < g tau < 6.2``.
"""

from .correlations import (
    concurrence,
    correlation_measures,
    discord,
    discord_x_state,
    mutual_information,
    negativity,
)
from .finalized import FinalizedCollision
from .lindblad import global_lindblad, lindblad_steady_state, local_heat_currents, local_lindblad
from .maps import (
    collision_kraus,
    collision_map,
    collision_unitary,
    map_components,
    map_increment,
)
from .model import AncillaBath, CollisionModel, TwoQubitSystem
from .regimes import Regime, comovement_fraction, comovement_regimes
from .solver import CollisionResult, CollisionSolver, collision_evolve
from .steady import (
    collision_steady_state,
    fixed_point,
    increment_fixed_point,
    qutip_fixed_point,
    trace_distance,
)
from .sweeps import coupling_sweep, rectification_map
from .thermo import (
    CollisionThermodynamics,
    Rectification,
    collision_thermodynamics,
    rectification,
    steady_thermodynamics,
)

__all__ = [
    "TwoQubitSystem",
    "AncillaBath",
    "CollisionModel",
    "FinalizedCollision",
    "collision_unitary",
    "collision_kraus",
    "collision_map",
    "map_components",
    "map_increment",
    "fixed_point",
    "increment_fixed_point",
    "qutip_fixed_point",
    "collision_steady_state",
    "trace_distance",
    "CollisionSolver",
    "CollisionResult",
    "collision_evolve",
    "local_lindblad",
    "global_lindblad",
    "lindblad_steady_state",
    "local_heat_currents",
    "CollisionThermodynamics",
    "collision_thermodynamics",
    "steady_thermodynamics",
    "Rectification",
    "rectification",
    "concurrence",
    "mutual_information",
    "negativity",
    "discord",
    "discord_x_state",
    "correlation_measures",
    "coupling_sweep",
    "rectification_map",
    "Regime",
    "comovement_regimes",
    "comovement_fraction",
]
