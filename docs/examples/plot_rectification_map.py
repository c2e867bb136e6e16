"""
Collision model: heat rectification and the work behind it
==========================================================

With a non-excitation-conserving coupling to the left bath (``sigma_x`` of the qubit with
``sigma_x`` of the ancilla) the two-qubit machine conducts heat differently forward (left bath
hot) and backward. Such a coupling also does work on the system every collision, so the map
shows the rectification ratio beside the share of the currents that is work: where the work
dominates, a ratio is not heat rectification.
"""

import matplotlib.pyplot as plt
import numpy as np

from physcore.collision import AncillaBath, CollisionModel, TwoQubitSystem, rectification_map

model = CollisionModel(
    TwoQubitSystem(g=0.0),
    AncillaBath(2.0, coupling="sigma_x_sigma_x", strength=1.0),
    AncillaBath(0.5, coupling="exchange", strength=1.0),
    tau=0.2,
)
g = np.linspace(0.05, 3.0, 30)
bias = np.geomspace(0.05, 100.0, 30)
rect = rectification_map(model, g, bias)

current = np.maximum(np.abs(rect.current_right_forward), np.abs(rect.current_right_backward))
work = np.maximum(np.abs(rect.power_forward), np.abs(rect.power_backward))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
mesh = left.pcolormesh(bias, g, rect.ratio_right, shading="auto")
fig.colorbar(mesh, ax=left, label="rectification ratio of the right bath")
mesh = right.pcolormesh(bias, g, work / current, shading="auto", cmap="magma")
fig.colorbar(mesh, ax=right, label="|power| / |heat current|")
for ax in (left, right):
    ax.set_xscale("log")
    ax.set_xlabel("temperature bias")
    ax.set_ylabel("inter-system coupling g")
fig.tight_layout()
