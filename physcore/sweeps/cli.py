"""Command line: ``python -m physcore.sweeps plan|run|status|resubmit|collect|run-chunk ...``.

::

    python -m physcore.sweeps plan sweeps/semidirac_thin_barrier.toml --dir runs/thin
    python -m physcore.sweeps run runs/thin --backend processes --workers 2
    python -m physcore.sweeps run runs/thin --backend slurm --wait
    python -m physcore.sweeps status runs/thin
    python -m physcore.sweeps resubmit runs/thin --backend slurm
    python -m physcore.sweeps collect runs/thin --out thin.nc

Exit status: 0 on success; 1 when a chunk failed, chunks are missing at ``collect`` or
``status`` finds the sweep incomplete; 2 for a bad spec or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import collect, plan, resubmit, run, status
from .backends import ChunkFailures
from .spec import SpecError
from .store import Sweep


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m physcore.sweeps", description="Parameter sweeps on SLURM or locally."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="validate a spec, split it in chunks, write the SLURM script")
    p.add_argument("spec", type=Path, help="the TOML spec")
    p.add_argument("--dir", type=Path, help="sweep directory (default: <spec without .toml>.sweep)")

    for name, text in (
        ("run", "run the chunks not yet done"),
        ("resubmit", "run or submit only the missing or failed chunks"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("dir", type=Path, help="the sweep directory")
        p.add_argument(
            "--backend",
            choices=("serial", "processes", "slurm"),
            default="slurm" if name == "resubmit" else "serial",
        )
        p.add_argument("--workers", type=int, help="processes for --backend processes")
        p.add_argument("--wait", action="store_true", help="with slurm: wait for the tasks")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("status", help="done / failed / missing / queued chunks")
    p.add_argument("dir", type=Path)

    p = sub.add_parser("collect", help="merge the chunks into one netCDF")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", type=Path, help="output file (default: <dir>/sweep.nc)")

    p = sub.add_parser("run-chunk", help="compute one chunk (what each SLURM array task runs)")
    p.add_argument("dir", type=Path)
    p.add_argument("chunk", type=int)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            directory = args.dir or args.spec.with_suffix(".sweep")
            sweep = plan(args.spec, directory)
            spec = sweep.spec
            print(
                f"planned '{spec.name}' ({spec.computation}): {spec.n_points} grid points, "
                f"{spec.n_chunks} chunks of {spec.chunk_size} in {sweep.directory}\n"
                f"SLURM script: {sweep.directory / 'sweep.sbatch'} (sbatch it, or "
                f"python -m physcore.sweeps run {directory} --backend slurm)"
            )
            return 0
        if args.command == "run-chunk":
            computed = Sweep(args.dir).run_chunk(args.chunk)
            print(f"chunk {args.chunk}: {'computed' if computed else 'already done'}")
            return 0
        if args.command in ("run", "resubmit"):
            if args.command == "run":
                result = run(
                    args.dir,
                    backend=args.backend,
                    workers=args.workers,
                    progress=not args.no_progress,
                )
            else:
                result = resubmit(args.dir, backend=args.backend, workers=args.workers)
            if args.backend == "slurm":
                if result is None:
                    print("nothing to submit")
                else:
                    print(f"submitted SLURM job {result}")
                    if args.wait:
                        from .slurm import wait

                        wait(Sweep(args.dir))
            state = status(args.dir, query_slurm=args.backend == "slurm")
            print(state.summary())
            return 0 if state.complete or (args.backend == "slurm" and not args.wait) else 1
        if args.command == "status":
            state = status(args.dir)
            print(state.summary())
            return 0 if state.complete else 1
        if args.command == "collect":
            try:
                print(collect(args.dir, args.out))
            except ValueError as err:  # missing or failed chunks
                print(f"error: {err}", file=sys.stderr)
                return 1
            return 0
    except SpecError as err:
        print(f"error: bad sweep spec: {err}", file=sys.stderr)
        return 2
    except (ChunkFailures, RuntimeError, TimeoutError) as err:  # failed chunks, SLURM errors
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
