"""Speed of the semi-Dirac NS conductance: one G(eV) curve of 201 biases x 400 transverse momenta.

Three orientations: the linear (0 degrees) and quadratic (90 degrees) axes, and a generic
angle (45 degrees), whose quadrature breaks come from the closed-form tangent points of the
Fermi contour (issue 10) and whose mode matching solves a quartic in k_x.

Goal (issue 2): under 0.1 s per curve once compiled, about 1 us per (E, q) point. Reported for
each orientation on one thread and on all threads, with the first call (numba compilation or
loading its on-disk cache) timed apart, and as a ratio against the plain numpy/scipy
implementation of the same mode matching (:mod:`physcore.semidirac._reference`), which is timed
on a subset of the grid and extrapolated (it is ~1000x slower; the full curve would take
minutes).

Run: ``.venv/bin/python -m benchmarks semidirac``.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

N_BIAS, N_Q = 201, 400
ORIENTATIONS = ("linear", "quadratic", 45.0)


def _junction(orientation):
    from physcore import semidirac

    model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
    return semidirac.NSJunction(
        model, orientation, mu=10.0, gap=1.0, U0=0.0, barrier=semidirac.ThinBarrier(chi=0.5)
    )


def _best_of(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    from physcore.semidirac import _kernels
    from physcore.semidirac._quadrature import transverse_grid
    from physcore.semidirac._reference import reference_conductance_integrand
    from physcore.semidirac._system import finalize
    from physcore.semidirac.observables import _critical_momenta

    bias = np.linspace(0.0, 2.0, N_BIAS)
    all_threads = numba.config.NUMBA_NUM_THREADS
    print(f"G(eV) curve: {N_BIAS} biases x {N_Q} transverse momenta (normalize='channels')")
    # timings on a shared machine depend on what else runs: print the load next to them
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, {all_threads} numba threads, load average {load}")
    t = time.perf_counter()
    _junction("linear").conductance(bias[:2], normalize="channels", n_modes=16)
    print(f"first call (numba compile or cache load): {time.perf_counter() - t:.2f} s")
    for orientation in ORIENTATIONS:
        junction = _junction(orientation)
        label = f"{orientation:g} deg" if isinstance(orientation, float) else orientation
        fin = finalize(junction)
        q_max, breaks = _critical_momenta(junction, fin, bias, fin.gap)
        qs, ws = transverse_grid(q_max, breaks, N_Q)
        points = int(np.count_nonzero(ws))
        grid_args = (bias, qs, ws, *fin.args())
        junction.conductance(bias, normalize="channels", n_modes=N_Q)  # warm the parallel path
        for threads in sorted({1, all_threads}):
            numba.set_num_threads(threads)
            curve = _best_of(
                lambda j=junction: j.conductance(bias, normalize="channels", n_modes=N_Q)
            )
            kernel = _best_of(lambda a=grid_args: _kernels.conductance_grid(*a))
            print(
                f"{label:9s} {threads} thread(s): curve {curve * 1e3:7.1f} ms, "
                f"kernel {kernel / points * 1e6:5.2f} us per (E, q) point ({points} points)"
            )
        numba.set_num_threads(all_threads)
        # plain numpy/scipy reference on a subset, extrapolated to the full grid
        rows = np.linspace(0, N_BIAS - 1, 4).astype(int)
        cols = np.linspace(0, qs.shape[1] - 1, 25).astype(int)
        sub_q = qs[np.ix_(rows, cols)]
        reference_conductance_integrand(junction, bias[:1], sub_q[:1, :2])  # warm scipy up
        t = time.perf_counter()
        ref = reference_conductance_integrand(junction, bias[rows], sub_q)
        per_point_ref = (time.perf_counter() - t) / sub_q.size
        fast = _kernels.conductance_grid_serial(bias[rows], sub_q, np.ones_like(sub_q), *fin.args())
        fast_integrand = fast[2] - fast[1] + fast[0]
        agree = float(np.nanmax(np.abs(fast_integrand - ref)))
        numba.set_num_threads(1)
        kernel1 = _best_of(lambda a=grid_args: _kernels.conductance_grid(*a))
        numba.set_num_threads(all_threads)
        print(
            f"{label:9s} numpy/scipy reference: {per_point_ref * 1e6:7.0f} us per point "
            f"(timed on {sub_q.size} points, extrapolated: {per_point_ref * points:.0f} s per "
            f"curve); ratio reference / numba (1 thread) = "
            f"{per_point_ref * points / kernel1:.0f}x; max |difference| {agree:.1e}"
        )


if __name__ == "__main__":
    main()
