"""NS conductance: the continuum solver against kwant on the same G(eV) curve, matched accuracy.

Goal (issue 3): the continuum solver at least 5000 times faster than kwant for the same curve,
with |G_kwant - G_continuum| < 0.01 G_N. Run: ``.venv/bin/python -m benchmarks kwant``.

Junction: semi-Dirac, transport along the quadratic axis, mu = 1, gap = 0.2, U0 = 0.5, no
barrier. kwant uses the discretized continuum at a = 0.1 (second-order convergence, 5e-3 G_N
deviation) and the continuum solver's own transverse quadrature (n_modes = 400), so both
integrate the same g(E, q). kwant's cost is the same for every (E, q) point (lead modes and
sparse set-up), so it is timed on a few bias points of the curve and its time for the whole
curve is extrapolated linearly; the script says so in its output.
"""

from __future__ import annotations

import time

import numpy as np

from physcore import semidirac as sd
from physcore.semidirac.kwant_crosscheck import kwant_conductance, kwant_uses_mumps

N_BIAS = 101
KWANT_BIAS_SUBSET = (0.05, 0.3)  # below and above the gap
N_MODES = 400
LATTICE_SPACING = 0.1


def main() -> None:
    junction = sd.NSJunction(sd.SemiDirac(), "quadratic", mu=1.0, gap=0.2, U0=0.5)
    bias = np.linspace(0.0, 0.4, N_BIAS)
    junction.conductance(bias[:2], n_modes=N_MODES)  # compile the numba kernels first
    t_continuum = np.inf
    for _ in range(3):
        start = time.perf_counter()
        junction.conductance(bias, n_modes=N_MODES)
        t_continuum = min(t_continuum, time.perf_counter() - start)

    subset = np.array(KWANT_BIAS_SUBSET)
    start = time.perf_counter()
    lattice = kwant_conductance(
        junction, subset, lattice_spacing=LATTICE_SPACING, n_modes=N_MODES, progress=False
    )
    t_kwant_subset = time.perf_counter() - start
    t_kwant = t_kwant_subset * N_BIAS / subset.size
    reference = junction.conductance(subset, n_modes=N_MODES)
    deviation = float(np.max(np.abs(lattice.values - reference.values)))

    print(f"G(eV), {N_BIAS} bias points, n_modes={N_MODES} (normal-state reference included):")
    print(f"  continuum solver (numba)  {t_continuum * 1e3:10.1f} ms for the whole curve")
    print(
        f"  kwant, a={LATTICE_SPACING:g}            {t_kwant:10.1f} s  for the whole curve, "
        f"extrapolated from {subset.size} of {N_BIAS} bias points "
        f"({t_kwant_subset:.1f} s measured)"
    )
    per_point = t_kwant_subset / (subset.size * 2 * N_MODES)
    print(f"  kwant per (E, q) point    {per_point * 1e3:10.2f} ms")
    print(f"  ratio kwant / continuum   x{t_kwant / t_continuum:9.0f}   (goal x5000)")
    print(f"  max |G_kwant - G_cont|    {deviation:10.4f} G_N (goal < 0.01)")
    print(f"  kwant used MUMPS          {kwant_uses_mumps()}")


if __name__ == "__main__":
    main()
