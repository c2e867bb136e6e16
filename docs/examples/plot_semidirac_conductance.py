"""
Semi-Dirac NS junction: G(eV) along both axes
=============================================

The normalized differential conductance :math:`G_{NS}/G_{NN}` of a normal-superconductor
junction in a semi-Dirac material (arXiv:2101.01333), for transport along the linear and the
quadratic axis, behind delta barriers of strength Z. Units: :math:`\\hbar = 1`, energies in
units of the gap :math:`\\Delta`.
"""

import matplotlib.pyplot as plt
import numpy as np

from physcore import semidirac

model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
bias = np.linspace(0.0, 2.5, 80)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, orientation in zip(axes, ("linear", "quadratic")):
    for Z in (0.0, 0.5, 1.0):
        junction = semidirac.NSJunction(
            model, orientation, mu=10.0, gap=1.0, barrier=semidirac.DeltaBarrier(Z)
        )
        G = junction.conductance(bias)  # an xarray.DataArray over bias
        ax.plot(bias, G, label=f"Z = {Z:g}")
    ax.set_title(f"{orientation} axis, $\\mu_N = 10\\Delta$")
    ax.set_xlabel(r"eV / $\Delta$")
axes[0].set_ylabel(r"$G_{NS}/G_{NN}$")
axes[0].legend()
fig.tight_layout()
