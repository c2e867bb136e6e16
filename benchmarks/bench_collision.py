"""Collision model: our fixed points against QuTiP's steadystate, and a 100x100 rectification map.

Goals (issue 4): the map in under 0.2 s once the maps are built; per point at least 500 times
faster than QuTiP with agreement better than 1e-10. Run: ``.venv/bin/python -m benchmarks
collision``.
"""

from __future__ import annotations

import time

import numpy as np

from physcore.collision import _batched
from physcore.collision.maps import collision_map, map_increment
from physcore.collision.model import AncillaBath, CollisionModel, TwoQubitSystem
from physcore.collision.steady import fixed_point, qutip_fixed_point
from physcore.collision.sweeps import rectification_map, sweep_pieces
from physcore.collision.thermo import steady_thermodynamics


def _best(fn, repeat: int, number: int = 1) -> float:
    """Best wall time per call over ``repeat`` rounds of ``number`` calls (seconds)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main() -> None:
    model = CollisionModel(
        TwoQubitSystem(omega_2=1.2, g=0.6, kind="exchange"),
        AncillaBath(2.0, coupling="sigma_x_sigma_x", strength=1.0),
        AncillaBath(0.5, coupling="exchange", strength=1.0),
        tau=0.2,
    )
    e = collision_map(model)
    arr = e.full()
    ref = qutip_fixed_point(e).full()
    ours = fixed_point(arr).full()
    n_stack = 10_000
    increment = _batched.pauli_transfer_matrices(map_increment(model).full())  # of Phi - 1
    stack = np.broadcast_to(increment, (n_stack, 16, 16)).copy()
    batched = _batched.pauli_to_density(_batched.pauli_fixed_points(stack[:1]))[0]
    t_qutip = _best(lambda: qutip_fixed_point(e), repeat=3, number=5)
    t_ours = _best(lambda: fixed_point(arr), repeat=3, number=50)
    t_batch = _best(lambda: _batched.pauli_fixed_points(stack), repeat=3) / n_stack
    print("one steady state (16x16 collision map):")
    print(f"  qutip.steadystate        {t_qutip * 1e3:9.3f} ms")
    print(
        f"  fixed_point (numpy)      {t_ours * 1e6:9.1f} us   x{t_qutip / t_ours:7.0f}   "
        f"max |diff| {np.abs(ours - ref).max():.1e}"
    )
    print(
        f"  batched, per point       {t_batch * 1e6:9.2f} us   x{t_qutip / t_batch:7.0f}   "
        f"max |diff| {np.abs(batched - ref).max():.1e}   (goal x500, 1e-10)"
    )

    fin = model.finalized("exact")
    t_model = _best(lambda: steady_thermodynamics(model), repeat=3, number=20)
    t_fin = _best(lambda: steady_thermodynamics(fin), repeat=3, number=20)
    print("steady state + heat, work and entropy production at one point:")
    print(f"  from the model (finalized per call)   {t_model * 1e6:9.1f} us")
    print(
        f"  from model.finalized(scheme)          {t_fin * 1e6:9.1f} us   "
        f"(x{t_model / t_fin:.1f}: the unitary, map and observables are reused)"
    )

    g = np.linspace(0.0, 3.0, 100)
    bias = np.linspace(0.05, 10.0, 100)
    t0 = time.perf_counter()
    pieces = sweep_pieces(model, g, "exact")
    t_pieces = time.perf_counter() - t0
    t_map = _best(lambda: rectification_map(model, g, bias, pieces=pieces), repeat=3)
    ds = rectification_map(model, g, bias, pieces=pieces)
    print("100 x 100 (g, bias) rectification map (2 x 10^4 steady states):")
    print(f"  build the maps (100 unitaries)  {t_pieces:7.3f} s")
    print(f"  map from built maps             {t_map:7.3f} s   (goal < 0.2 s)")
    print(
        f"  QuTiP estimate                  {2e4 * t_qutip:7.1f} s   "
        f"(x{2e4 * t_qutip / t_map:.0f}); R_right range "
        f"[{np.nanmin(ds.ratio_right):.3f}, {np.nanmax(ds.ratio_right):.3f}]"
    )


if __name__ == "__main__":
    main()
