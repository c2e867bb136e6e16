"""`make demo`: the headline figures and numbers on built-in defaults.

Each result contributes a ``demo(out_dir)`` function in its own package; this module (in
``validation``, the one package that may import both ``physcore`` and ``mlcore``) runs them in turn.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

# (module, description); each module defines demo(out_dir: Path) -> None
DEMOS: list[tuple[str, str]] = [
    (
        "physcore.collision.demo",
        "Collision model: currents, local-approximation error, rectification, correlations",
    ),
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results/demo", help="output folder")
    parser.add_argument("--only", nargs="*", help="run only these demo modules")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for module, description in DEMOS:
        if args.only and module.rsplit(".", 1)[-1] not in args.only and module not in args.only:
            continue
        print(f"== {description} ({module})", flush=True)
        importlib.import_module(module).demo(out)
    print(f"demo outputs in {out.resolve()}")


if __name__ == "__main__":
    main()
