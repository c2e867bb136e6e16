"""Speed of the semi-Dirac NS conductance: kernel time per (E, q) point and one G(eV) curve.

Part 1 (issue 17): the single-thread kernel time per (E, q) point along the linear axis (first
order in k_x: a 4 x 4 matching system) and the quadratic axis (second order: 8 x 8), printed
beside the time of a bare dense complex solve of the same size from the same run, so that the
distance to that floor is visible: the kernel's own hand-written LU (:func:`._linalg.lu_solve`,
the solve the kernel does once per point) and LAPACK through numpy's stacked
``numpy.linalg.solve`` (per system). Goal: 0.6 us per point linear, 1.2 us quadratic.

Part 2: one G(eV) curve of 201 biases x 400 transverse momenta at 0, 90 and 45 degrees, on one
thread and on all threads, and against the plain numpy/scipy implementation of the same mode
matching (:mod:`physcore.semidirac._reference`), timed on a subset and extrapolated.

Run: ``.venv/bin/python -m benchmarks semidirac``. Timings on a shared machine depend on the
load, printed beside them; each is the best of several repeats.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

N_BIAS, N_Q = 201, 400
ORIENTATIONS = ("linear", "quadratic", 45.0)
GOAL_US = {"linear": 0.6, "quadratic": 1.2}


def _junction(orientation):
    from physcore import semidirac

    model = semidirac.SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
    return semidirac.NSJunction(
        model, orientation, mu=10.0, gap=1.0, U0=0.0, barrier=semidirac.ThinBarrier(chi=0.5)
    )


def _best_of(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _lu_loop():
    """A compiled loop solving every system of a stack with the kernel's LU (copy included:
    the solve works in place)."""
    from physcore.semidirac._linalg import lu_solve

    @numba.njit
    def loop(a0, b0, a, b, n_rhs):  # pragma: no cover - compiled
        ok = 0
        size = a0.shape[1]
        for s in range(a0.shape[0]):
            a[:, :] = a0[s]
            b[:, :n_rhs] = b0[s]
            ok += lu_solve(a, b, size, n_rhs)
        return ok

    return loop


def _floor_times(size: int, n_rhs: int, count: int = 20000) -> tuple[float, float]:
    """Seconds per dense complex ``size x size`` solve (n_rhs columns): the kernel's LU in a
    compiled loop (copy included), and numpy's stacked LAPACK solve."""
    rng = np.random.default_rng(0)
    a0 = rng.normal(size=(count, size, size)) + 1j * rng.normal(size=(count, size, size))
    b0 = rng.normal(size=(count, size, n_rhs)) + 1j * rng.normal(size=(count, size, n_rhs))
    a = np.empty((size, size), complex)
    b = np.empty((size, n_rhs), complex)
    loop = _lu_loop()
    loop(a0[:2], b0[:2], a, b, n_rhs)  # compile
    lu = _best_of(lambda: loop(a0, b0, a, b, n_rhs)) / count
    lapack = _best_of(lambda: np.linalg.solve(a0, b0)) / count
    return lu, lapack


def _grid(junction, bias):
    from physcore.semidirac.solvers.common import transverse_momenta

    syst = junction.finalized()
    qs, ws = transverse_momenta(syst, bias, N_Q, syst.gap)
    return syst, (bias, qs, ws, *syst.args()), int(np.count_nonzero(ws))


def kernel_per_point(bias) -> None:
    """Part 1: single-thread kernel time per point beside the bare dense solve."""
    from physcore.semidirac import _kernels

    print("single-thread kernel time per (E, q) point (conductance_grid_serial, best of 5)")
    for orientation in ("linear", "quadratic"):
        syst, args, points = _grid(_junction(orientation), bias)
        _kernels.conductance_grid_serial(*args)  # compiled (or loaded) before timing
        per_point = _best_of(lambda a=args: _kernels.conductance_grid_serial(*a)) / points
        size = syst.order * 2 * syst.hc.shape[2]  # rows of the matching system
        n_in = float(np.mean(_kernels.conductance_grid_serial(*args).n_in[args[2] > 0]))
        lu, lapack = _floor_times(size, max(1, round(n_in)))
        print(
            f"  {orientation:9s} {per_point * 1e6:5.2f} us/point (goal {GOAL_US[orientation]} us; "
            f"{points} points)  |  bare {size}x{size} complex solve, {max(1, round(n_in))} rhs: "
            f"kernel LU {lu * 1e6:5.3f} us, numpy/LAPACK {lapack * 1e6:5.3f} us  |  kernel / "
            f"LU = {per_point / lu:4.1f}x"
        )


def curves(bias) -> None:
    """Part 2: whole curves, thread scaling and the numpy/scipy reference."""
    from physcore.semidirac import _kernels
    from physcore.semidirac._reference import reference_conductance_integrand

    all_threads = numba.config.NUMBA_NUM_THREADS
    print(f"G(eV) curve: {N_BIAS} biases x {N_Q} transverse momenta (normalize='channels')")
    for orientation in ORIENTATIONS:
        junction = _junction(orientation)
        label = f"{orientation:g} deg" if isinstance(orientation, float) else orientation
        _, grid_args, points = _grid(junction, bias)
        junction.conductance(bias, normalize="channels", n_q=N_Q)  # warm the parallel path
        for threads in sorted({1, all_threads}):
            numba.set_num_threads(threads)
            curve = _best_of(
                lambda j=junction: j.conductance(bias, normalize="channels", n_q=N_Q), repeat=3
            )
            kernel = _best_of(lambda a=grid_args: _kernels.conductance_grid(*a), repeat=3)
            print(
                f"  {label:9s} {threads} thread(s): curve {curve * 1e3:7.1f} ms, "
                f"kernel {kernel / points * 1e6:5.2f} us per (E, q) point ({points} points)"
            )
        numba.set_num_threads(all_threads)
        qs = grid_args[1]
        rows = np.linspace(0, N_BIAS - 1, 4).astype(int)
        cols = np.linspace(0, qs.shape[1] - 1, 25).astype(int)
        sub_q = qs[np.ix_(rows, cols)]
        reference_conductance_integrand(junction, bias[:1], sub_q[:1, :2])  # warm scipy up
        t = time.perf_counter()
        ref = reference_conductance_integrand(junction, bias[rows], sub_q)
        per_point_ref = (time.perf_counter() - t) / sub_q.size
        sub_args = (bias[rows], sub_q, np.ones_like(sub_q), *grid_args[3:])
        fast = _kernels.conductance_grid_serial(*sub_args)
        agree = float(np.nanmax(np.abs(fast.n_in - fast.normal + fast.andreev - ref)))
        kernel1 = _best_of(lambda a=grid_args: _kernels.conductance_grid_serial(*a), repeat=3)
        print(
            f"  {label:9s} numpy/scipy reference: {per_point_ref * 1e6:7.0f} us per point "
            f"(timed on {sub_q.size} points, extrapolated: {per_point_ref * points:.0f} s per "
            f"curve); ratio reference / numba (1 thread) = "
            f"{per_point_ref * points / kernel1:.0f}x; max |difference| {agree:.1e}"
        )


def main() -> None:
    bias = np.linspace(0.0, 2.0, N_BIAS)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, {numba.config.NUMBA_NUM_THREADS} numba threads, load {load}")
    t = time.perf_counter()
    _junction("linear").conductance(bias[:2], normalize="channels", n_q=16)
    print(f"first call (numba compile or cache load): {time.perf_counter() - t:.2f} s")
    kernel_per_point(bias)
    curves(bias)


if __name__ == "__main__":
    main()
