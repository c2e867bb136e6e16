"""
Collision model: heat currents against the inter-system coupling
================================================================

Two qubits between two thermal baths of ancillas (arXiv:2012.12364): the steady heat currents
of the exact collision scheme and of the local approximation, and the local approximation's
error, against the inter-system coupling g (collision time tau = 1, T_L = 2, T_R = 0.5).
"""

import matplotlib.pyplot as plt
import numpy as np

from physcore.collision import AncillaBath, CollisionModel, TwoQubitSystem, coupling_sweep

model = CollisionModel(
    TwoQubitSystem(g=0.0),
    AncillaBath(2.0, coupling="exchange", strength=0.5),
    AncillaBath(0.5, coupling="exchange", strength=0.5),
    tau=1.0,
)
g = np.linspace(0.0, 8.0, 41)
sweep = coupling_sweep(model, g, progress=False)

fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
for scheme, style in (("exact", "-"), ("local", "--")):
    top.plot(g, sweep[f"current_left_{scheme}"], "C0" + style, label=f"$J_L$ {scheme}")
    top.plot(g, sweep[f"current_right_{scheme}"], "C1" + style, label=f"$J_R$ {scheme}")
top.set_ylabel("heat current (energy / time)")
top.legend(fontsize=8)
bottom.semilogy(g[1:], sweep.trace_distance[1:], "k-")
bottom.set_xlabel("inter-system coupling g")
bottom.set_ylabel("trace distance, local vs exact")
fig.tight_layout()
