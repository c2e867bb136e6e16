"""`make demo`: the headline figures and numbers on built-in defaults.

Each result contributes a ``demo(out_dir)`` function in its own package; this module (in
``validation``, the one package that may import both ``physcore`` and ``mlcore``) runs them in turn.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

# (module, description); each module defines demo(out_dir: Path) -> None and writes into its own
# sub-folder of --out, named after its package (collision, semidirac, ...).
DEMOS: list[tuple[str, str]] = [
    (
        "physcore.semidirac.demo",
        "Semi-Dirac NS junction: G(eV), G vs barrier, Andreev angles, pseudo-spin",
    ),
    (
        "physcore.semidirac.lattice.demo",
        "kwant cross-check: G versus lattice spacing (convergence to the continuum)",
    ),
    (
        "physcore.collision.demo",
        "Collision model: currents, local-approximation error, rectification, correlations",
    ),
    (
        "physcore.sweeps.demo",
        "Sweeps: semi-Dirac conductance map over chi, the same chunks as a SLURM array",
    ),
    (
        "mlcore.demo",
        "mlcore: every registered result (BSQ, boundary retraining, Soteria, coded aggregation, "
        "GraphFL, transfer, dynamic topology) from its committed record",
    ),
    (
        "mlcore.hardware.demo",
        "Hardware model: energy per spike and cost per good chip against tiers, 2D/3D crossover "
        "map, TrueNorth / Loihi / stacked TrueNorth table",
    ),
    # last: the report reads what the results above produce
    ("validation.report", "Validation report: every published reference, HTML + report.json"),
]


def _demo_name(module: str) -> str:
    """``physcore.collision.demo`` -> ``collision``; ``validation.report`` -> ``validation``."""
    return module.split(".")[-2]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results/demo", help="output folder")
    parser.add_argument(
        "--only", nargs="*", metavar="NAME", help="run only these demos (collision, semidirac, ...)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = {_demo_name(module) for module, _ in DEMOS}
    unknown = set(args.only or ()) - names
    if unknown:
        parser.error(f"--only: unknown demo(s) {sorted(unknown)}; choose from {sorted(names)}")
    for module, description in DEMOS:
        name = _demo_name(module)
        if args.only and name not in args.only:
            continue
        print(f"== {description} ({module} -> {out / name})", flush=True)
        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        importlib.import_module(module).demo(target)
    print(f"demo outputs in {out.resolve()}")


if __name__ == "__main__":
    main()
