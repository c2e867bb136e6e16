"""
Conductance against the transport direction
===========================================

A semi-Dirac crystal is linear along one axis and quadratic along the other, so the NS
conductance depends on the angle between the current and the linear axis
(``orientation`` in degrees: 0 is the linear axis, 90 the quadratic one). The map shows
:math:`G_{NS}/G_{NN}` over bias and orientation at :math:`\\mu_N = 2\\Delta`.
"""

import matplotlib.pyplot as plt
import numpy as np

from physcore import semidirac

model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
bias = np.linspace(0.05, 2.5, 40)
angles = np.linspace(0.0, 90.0, 7)
G = np.array(
    [
        semidirac.NSJunction(model, angle, mu=2.0, gap=1.0).conductance(bias).values
        for angle in angles
    ]
)

fig, ax = plt.subplots(figsize=(6, 4))
mesh = ax.pcolormesh(bias, angles, G, shading="auto", cmap="viridis")
fig.colorbar(mesh, ax=ax, label=r"$G_{NS}/G_{NN}$")
ax.set_xlabel(r"eV / $\Delta$")
ax.set_ylabel("orientation (degrees from the linear axis)")
fig.tight_layout()
