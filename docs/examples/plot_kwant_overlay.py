"""
kwant cross-check: the continuum solver against a tight-binding model
=====================================================================

The same junction solved twice: by the exact continuum mode matching of
:mod:`physcore.semidirac`, and by kwant on a discretized lattice (a Wilson term removes the
fermion doubling), with the same transverse quadrature and normalization, so the two overlay.
As the lattice spacing ``a`` shrinks, kwant's curve approaches the continuum one; here
``a = 0.07`` keeps :math:`k_F a` below 0.3 (the largest Fermi momentum is about 4 at
:math:`\\mu_N = 2\\Delta`), where the library does not warn. A coarse transverse quadrature
(``n_q=16`` momenta instead of the default 400, the same for both solvers) keeps this example
fast; the converged comparison is measured in the test suite
(``tests/physcore/semidirac/test_kwant_crosscheck.py``).
"""

import matplotlib.pyplot as plt
import numpy as np

from physcore import semidirac

model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
junction = semidirac.NSJunction(model, "linear", mu=2.0, gap=1.0)
bias = np.linspace(0.05, 1.95, 12)
N_Q = 16  # transverse momenta per energy, the smallest allowed

continuum = junction.conductance(bias, n_q=N_Q)
lattice = junction.kwant_conductance(bias, lattice_spacing=0.07, n_q=N_Q, progress=False)

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(bias, continuum, "k-", label="continuum (physcore)")
ax.plot(bias, lattice, "o", label="kwant, a = 0.07")
ax.set_xlabel(r"eV / $\Delta$")
ax.set_ylabel(r"$G_{NS}/G_{NN}$")
ax.set_title(f"largest difference {float(np.max(np.abs(continuum - lattice))):.3f}")
ax.legend()
fig.tight_layout()
