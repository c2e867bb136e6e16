"""NS conductance: the continuum solver against kwant on the same G(eV) curve, matched accuracy.

Goal (issue 3): the continuum solver at least 5000 times faster than kwant for the same curve,
with |G_kwant - G_continuum| < 0.01 G_N. Run: ``.venv/bin/python -m benchmarks kwant``.

Junction: semi-Dirac, transport along the quadratic axis, mu = 1, gap = 0.2, U0 = 0.5, no
barrier. kwant uses the discretized continuum at a = 0.1 (second-order convergence, 5e-3 G_N
deviation) and the continuum solver's own transverse quadrature (n_q = 400), so both
integrate the same g(E, q). kwant's cost is the same for every (E, q) point (lead modes and
sparse set-up), so it is timed on a few bias points of the curve and its time for the whole
curve is extrapolated linearly; the script says so in its output. Wall and process-CPU times
are both printed: on a shared machine the CPU ratio is the steadier one.
"""

from __future__ import annotations

import os
import time

import numpy as np

from physcore import semidirac as sd
from physcore.semidirac.kwant_crosscheck import (
    kwant_conductance,
    kwant_uses_mumps,
    transverse_momenta,
)

N_BIAS = 101
KWANT_BIAS_SUBSET = (0.05, 0.3)  # below and above the gap
N_Q = 400
LATTICE_SPACING = 0.1


def _timed(fn):
    """``(result, wall seconds, process CPU seconds)`` of ``fn()`` (CPU: all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    junction = sd.NSJunction(sd.SemiDirac(), "quadratic", mu=1.0, gap=0.2, U0=0.5)
    bias = np.linspace(0.0, 0.4, N_BIAS)
    junction.conductance(bias[:2], n_q=N_Q)  # compile the numba kernels first
    runs = [_timed(lambda: junction.conductance(bias, n_q=N_Q)) for _ in range(3)]
    t_continuum = min(r[1] for r in runs)
    cpu_continuum = min(r[2] for r in runs)

    subset = np.array(KWANT_BIAS_SUBSET)
    lattice, t_subset, cpu_subset = _timed(
        lambda: kwant_conductance(
            junction, subset, lattice_spacing=LATTICE_SPACING, n_q=N_Q, progress=False
        )
    )
    scale = N_BIAS / subset.size
    reference = junction.conductance(subset, n_q=N_Q)
    deviation = float(np.max(np.abs(lattice.values - reference.values)))
    n_points = sum(
        transverse_momenta(junction, e, N_Q, gap=g)[0].size for e in subset for g in (None, 0.0)
    )

    print(f"G(eV), {N_BIAS} bias points, n_q={N_Q} (normal-state reference included):")
    print(
        f"  continuum solver (numba)  {t_continuum * 1e3:10.1f} ms wall "
        f"{cpu_continuum * 1e3:10.1f} ms CPU for the whole curve"
    )
    print(
        f"  kwant, a={LATTICE_SPACING:g}              {t_subset * scale:10.1f} s  wall "
        f"{cpu_subset * scale:10.1f} s  CPU for the whole curve, extrapolated from "
        f"{subset.size} of {N_BIAS} bias points ({t_subset:.1f} s measured)"
    )
    print(f"  kwant per (E, q) point    {t_subset / n_points * 1e3:10.2f} ms wall")
    print(
        f"  ratio kwant / continuum   x{t_subset * scale / t_continuum:9.0f} wall   "
        f"x{cpu_subset * scale / cpu_continuum:9.0f} CPU   (goal x5000)"
    )
    print(f"  max |G_kwant - G_cont|    {deviation:10.4f} G_N (goal < 0.01)")
    print(f"  kwant used MUMPS          {kwant_uses_mumps()}")
    print(f"  load average (1 min)      {os.getloadavg()[0]:10.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
