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

``--allow-import`` (every command): import the computation a spec names by an import path that no
registration names. That runs the module's code, so it is never done without this flag; give it
only for a spec or sweep folder whose code you trust.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from . import collect, plan, resubmit, run, status
from .backends import ChunkFailures
from .spec import SpecError
from .store import COMPUTED, Sweep


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m physcore.sweeps", description="Parameter sweeps on SLURM or locally."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    trust = argparse.ArgumentParser(add_help=False)
    trust.add_argument(
        "--allow-import",
        action="store_true",
        help="import a computation named by an unregistered import path (runs its code)",
    )

    p = sub.add_parser(
        "plan", parents=[trust], help="validate a spec, split it in chunks, write the SLURM script"
    )
    p.add_argument("spec", type=Path, help="the TOML spec")
    p.add_argument("--dir", type=Path, help="sweep directory (default: <spec without .toml>.sweep)")

    for name, text in (
        ("run", "run the chunks not yet done"),
        ("resubmit", "run or submit only the missing or failed chunks"),
    ):
        p = sub.add_parser(name, parents=[trust], help=text)
        p.add_argument("dir", type=Path, help="the sweep directory")
        p.add_argument(
            "--backend",
            choices=("serial", "processes", "slurm"),
            default="slurm" if name == "resubmit" else "serial",
        )
        p.add_argument("--workers", type=int, help="processes for --backend processes")
        p.add_argument("--wait", action="store_true", help="with slurm: wait for the tasks")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("status", parents=[trust], help="done / damaged / missing / queued chunks")
    p.add_argument("dir", type=Path)

    p = sub.add_parser("collect", parents=[trust], help="merge the chunks into one netCDF")
    p.add_argument("dir", type=Path)
    p.add_argument("--out", type=Path, help="output file (default: <dir>/sweep.nc)")

    p = sub.add_parser(
        "run-chunk", parents=[trust], help="compute one chunk (what each SLURM array task runs)"
    )
    p.add_argument("dir", type=Path)
    p.add_argument("chunk", type=int)
    return parser


def _run_chunk(sweep: Sweep, chunk: int) -> None:
    """What an array task runs: record its SLURM job, then claim and compute the chunk."""
    job = os.environ.get("SLURM_ARRAY_JOB_ID")
    if job:
        from .slurm import record_job

        record_job(sweep, job, f"array task {os.environ.get('SLURM_ARRAY_TASK_ID', '?')}")
    outcome = sweep.run_chunk(chunk)
    note = {COMPUTED: "", "running elsewhere": " (another process holds it; not run twice)"}
    print(f"chunk {chunk}: {outcome}{note.get(outcome, '')}")


def _run(args, sweep: Sweep) -> int:
    if args.command == "run":
        result = run(
            sweep, backend=args.backend, workers=args.workers, progress=not args.no_progress
        )
    else:
        result = resubmit(sweep, backend=args.backend, workers=args.workers)
    if args.backend == "slurm":
        if result is None:
            print("nothing to submit")
        else:
            print(f"submitted SLURM job {result}")
            if args.wait:
                from .slurm import wait

                wait(sweep)
    else:
        print(f"computed {result or 0} chunk(s) here")
    state = status(sweep, query_slurm=args.backend == "slurm")
    print(state.summary())
    return 0 if state.complete or (args.backend == "slurm" and not args.wait) else 1


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            directory = args.dir or args.spec.with_suffix(".sweep")
            sweep = plan(args.spec, directory, allow_import=args.allow_import)
            spec = sweep.spec
            script = shlex.quote(str(sweep.directory / "sweep.sbatch"))
            print(
                f"planned '{spec.name}' ({spec.computation}): {spec.n_points} grid points, "
                f"{spec.n_chunks} chunks of {spec.chunk_size} in {sweep.directory}\n"
                f"SLURM script: sbatch {script}, or python -m physcore.sweeps run "
                f"{shlex.quote(str(directory))} --backend slurm"
            )
            return 0
        sweep = Sweep(args.dir, allow_import=args.allow_import)
        if args.command == "run-chunk":
            _run_chunk(sweep, args.chunk)
            return 0
        if args.command in ("run", "resubmit"):
            return _run(args, sweep)
        if args.command == "status":
            state = status(sweep)
            print(state.summary())
            return 0 if state.complete else 1
        if args.command == "collect":
            try:
                print(collect(sweep, args.out))
            except ValueError as err:  # missing, failed or damaged chunks
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
