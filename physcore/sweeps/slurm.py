"""SLURM job arrays for sweeps: one array task per chunk, task id = chunk id.

The script is plain ``sbatch`` input (``sweep.sbatch`` in the sweep directory), so a user can
also submit it by hand. A resubmission passes ``--array=<missing ids>%M`` on the command line,
which overrides the script's ``#SBATCH --array`` line: array task ``i`` always computes chunk
``i``. Scheduling, retries and accounting are SLURM's; nothing here polls more than ``squeue``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .._io import write_text
from .store import Sweep, _compress

__all__ = ["write_script", "submit", "active_chunks", "wait", "slurm_available"]

_SBATCH_OPTIONS = {
    "partition": "--partition",
    "time": "--time",
    "cpus_per_task": "--cpus-per-task",
    "mem": "--mem",
    "account": "--account",
    "qos": "--qos",
    "constraint": "--constraint",
}


def slurm_available() -> str | None:
    """None when ``sbatch`` and ``squeue`` work here, else the reason they do not."""
    for tool in ("sbatch", "squeue"):
        if shutil.which(tool) is None:
            return f"{tool} not found on PATH"
    try:
        out = subprocess.run(
            ["squeue", "-h", "-o", "%i"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as err:
        return f"squeue failed: {err}"
    if out.returncode != 0:
        return f"squeue failed: {out.stderr.strip() or out.stdout.strip()}"
    return None


def _package_root() -> Path:
    """The folder holding the ``physcore`` package this process runs (for PYTHONPATH)."""
    return Path(__file__).resolve().parents[2]


def write_script(sweep: Sweep) -> Path:
    """Write ``sweep.sbatch``: an array over every chunk, resources from the spec's [slurm]."""
    spec = sweep.spec
    res = spec.slurm
    lines = [
        "#!/bin/bash",
        f"# physcore sweep '{spec.name}' ({spec.computation}): {spec.n_points} grid points in "
        f"{spec.n_chunks} chunks of {spec.chunk_size}",
        f"#SBATCH --job-name=sweep-{spec.name}",
        f"#SBATCH --array=0-{spec.n_chunks - 1}%{res.get('max_concurrent', 8)}",
        f"#SBATCH --output={sweep.directory}/logs/%A_%a.out",
        f"#SBATCH --chdir={sweep.directory}",
        "#SBATCH --ntasks=1",
    ]
    for key, flag in _SBATCH_OPTIONS.items():
        if key in res:
            lines.append(f"#SBATCH {flag}={res[key]}")
    threads = res.get("cpus_per_task", 1)
    python = res.get("python", sys.executable)
    root = _package_root()
    lines += [
        "set -euo pipefail",
        *res.get("setup", []),
        *(
            f"export {var}={threads}"
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        ),
        f"export NUMBA_NUM_THREADS={threads}",
    ]
    if "site-packages" not in root.parts:
        # a source checkout: run exactly the code that planned the sweep
        lines.append(f'export PYTHONPATH={shlex.quote(str(root))}"${{PYTHONPATH:+:$PYTHONPATH}}"')
    lines.append(
        f"exec {shlex.quote(python)} -m physcore.sweeps run-chunk "
        f'{shlex.quote(str(sweep.directory))} "$SLURM_ARRAY_TASK_ID"'
    )
    path = sweep.directory / "sweep.sbatch"
    write_text(path, "\n".join(lines) + "\n")
    return path


def _jobs_path(sweep: Sweep) -> Path:
    return sweep.directory / "jobs.json"


def job_ids(sweep: Sweep) -> list[str]:
    """SLURM job ids submitted for this sweep, oldest first."""
    path = _jobs_path(sweep)
    return json.loads(path.read_text()) if path.exists() else []


def submit(sweep: Sweep, chunks=None) -> str:
    """``sbatch`` the sweep's array script for ``chunks`` (default: every chunk); returns the
    job id. The ids go to ``--array=<ids>%M``; task id i computes chunk i."""
    script = sweep.directory / "sweep.sbatch"
    if not script.exists():
        write_script(sweep)
    chunks = range(sweep.spec.n_chunks) if chunks is None else chunks
    ids = _compress(chunks)
    if not ids:
        raise ValueError("chunks: nothing to submit (empty list)")
    if shutil.which("sbatch") is None:
        raise RuntimeError("sbatch not found: no SLURM here; use --backend serial or processes")
    limit = sweep.spec.slurm.get("max_concurrent", 8)
    cmd = ["sbatch", "--parsable", f"--array={ids}%{limit}", str(script)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"sbatch failed ({' '.join(cmd)}): {out.stderr.strip()}")
    job = out.stdout.strip().split(";")[0]
    write_text(_jobs_path(sweep), json.dumps([*job_ids(sweep), job]) + "\n")
    return job


def active_chunks(sweep: Sweep) -> set[int]:
    """Chunk ids of this sweep's array tasks that SLURM has pending or running."""
    jobs = job_ids(sweep)
    if not jobs or shutil.which("squeue") is None:
        return set()
    out = subprocess.run(
        ["squeue", "-h", "-r", "-j", ",".join(jobs), "-o", "%i %T"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        if "Invalid job id" in out.stderr:  # all of them finished and were purged
            return set()
        raise RuntimeError(f"squeue failed: {out.stderr.strip()}")
    active = set()
    for line in out.stdout.splitlines():
        if not line.strip():
            continue
        _, _, task = line.split()[0].partition("_")
        if task.isdigit():
            active.add(int(task))
        elif task.startswith("["):  # a pending range not expanded, e.g. 12_[3-5,9%2]
            for part in task.strip("[]").split("%")[0].split(","):
                lo, _, hi = part.partition("-")
                active.update(range(int(lo), int(hi or lo) + 1))
    return active


def wait(sweep: Sweep, *, timeout: float = 3600.0, poll: float = 1.0) -> None:
    """Block until SLURM has none of this sweep's tasks pending or running.

    Raises
    ------
    TimeoutError
        After ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while active_chunks(sweep):
        if time.monotonic() > deadline:
            raise TimeoutError(f"sweep {sweep.directory} still has SLURM tasks after {timeout} s")
        time.sleep(poll)


def environment_note() -> str:
    """Which SLURM configuration the commands talk to (for messages)."""
    return os.environ.get("SLURM_CONF", "the default slurm.conf")
