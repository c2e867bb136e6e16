"""Hardware model (issue 16): the 100 x 8 (network size x tier count) sweep.

Goal: the whole grid in under a second. Peer: the same grid point by point through the sweep
computation ``hardware.tiers`` (one ``compute`` call per grid point, as a sweep with scalar
parameters would run it), against one vectorised call. Run: ``.venv/bin/python -m benchmarks
hardware``.
"""

from __future__ import annotations

import time

import numpy as np


def _best(fn, repeat: int) -> float:
    """Best wall time of ``fn`` over ``repeat`` calls (seconds)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    from mlcore.hardware.demo import sweep_sizes
    from mlcore.hardware.sweep import TIER_SWEEP

    sizes, tiers = sweep_sizes(100).astype(float), np.arange(1.0, 9.0)
    defaults = {k: p.get("default") for k, p in TIER_SWEEP.parameters.items()}
    print(f"{len(sizes)} network sizes x {len(tiers)} tier counts:")
    for traffic in ("uniform", "rent"):
        point = {**defaults, "traffic": traffic, "neurons": sizes, "tiers": tiers}
        grid = TIER_SWEEP.compute(point)
        t_grid = _best(lambda p=point: TIER_SWEEP.compute(p), repeat=5)

        def pointwise(p=point):
            out = np.empty((len(sizes), len(tiers)))
            for i, n in enumerate(sizes):
                for j, t in enumerate(tiers):
                    one = {**p, "neurons": np.array([n]), "tiers": np.array([t])}
                    out[i, j] = TIER_SWEEP.compute(one)["energy_per_spike"][0, 0]
            return out

        t0 = time.perf_counter()
        single = pointwise()
        t_points = time.perf_counter() - t0
        diff = np.max(np.abs(single - grid["energy_per_spike"]) / grid["energy_per_spike"])
        print(
            f"  {traffic:8s} vectorised {t_grid * 1e3:7.1f} ms   point by point "
            f"{t_points * 1e3:8.1f} ms   x{t_points / t_grid:5.0f}   "
            f"max rel. diff {diff:.1e}   (goal < 1 s)"
        )


if __name__ == "__main__":
    main()
