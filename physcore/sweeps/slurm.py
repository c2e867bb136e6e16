"""SLURM job arrays for sweeps: one array task per chunk, task id = chunk id.

The script is plain ``sbatch`` input (``sweep.sbatch`` in the sweep directory), so a user can
also submit it by hand. A resubmission passes ``--array=<missing ids>%M`` on the command line,
which overrides the script's ``#SBATCH --array`` line: array task ``i`` always computes chunk
``i``. Scheduling, retries and accounting are SLURM's; nothing here polls more than ``squeue``.

Every job that runs for the sweep is recorded as ``jobs/<id>.json``: by :func:`submit`, and by
each array task when it starts (so a hand-made ``sbatch sweep.sbatch`` is recorded too). Queued
tasks are found by their working directory (the script's ``--chdir``, the sweep directory), so
:func:`active_chunks` sees a hand-made submission even before its first task starts. Paths in the
script are quoted: a sweep directory may contain spaces.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .._io import write_text
from .store import Sweep, _compress

__all__ = [
    "write_script",
    "submit",
    "active_chunks",
    "wait",
    "slurm_available",
    "record_job",
    "job_ids",
    "check_directory",
    "SlurmQueueError",
]


class SlurmQueueError(RuntimeError):
    """The SLURM queue could not be read (squeue missing, failing or timing out)."""


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


def check_directory(directory: str | Path) -> Path:
    """The absolute sweep directory, or ValueError when an ``#SBATCH`` line cannot hold it.

    sbatch reads a directive's value up to the first blank unless it is in double quotes, and
    has no escape for a double quote or a line break inside one.
    """
    path = Path(directory).resolve()
    bad = [c for c in ('"', "\n", "\r", "\\") if c in str(path)]
    if bad:
        raise ValueError(
            f"directory: {str(path)!r} contains {bad}, which an #SBATCH line cannot hold; "
            "choose a directory without double quotes, backslashes or line breaks"
        )
    return path


def _quoted_directive(flag: str, path: str) -> str:
    """``#SBATCH --flag="path"`` (double quotes: sbatch strips them; spaces are kept)."""
    return f'#SBATCH {flag}="{path}"'


def write_script(sweep: Sweep) -> Path:
    """Write ``sweep.sbatch``: an array over every chunk, resources from the spec's [slurm]."""
    spec = sweep.spec
    res = spec.slurm
    directory = str(check_directory(sweep.directory))
    logs = directory.replace("%", "%%")  # % starts a file-name pattern in --output
    lines = [
        "#!/bin/bash",
        f"# physcore sweep '{spec.name}' ({spec.computation}): {spec.n_points} grid points in "
        f"{spec.n_chunks} chunks of {spec.chunk_size}",
        f"#SBATCH --job-name=sweep-{spec.name}",
        f"#SBATCH --array=0-{spec.n_chunks - 1}%{res.get('max_concurrent', 8)}",
        _quoted_directive("--output", f"{logs}/logs/%A_%a.out"),
        _quoted_directive("--chdir", directory),
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
    trust = " --allow-import" if sweep.allow_import else ""
    lines.append(
        f"exec {shlex.quote(python)} -m physcore.sweeps run-chunk{trust} "
        f'{shlex.quote(directory)} "$SLURM_ARRAY_TASK_ID"'
    )
    path = sweep.directory / "sweep.sbatch"
    write_text(path, "\n".join(lines) + "\n")
    return path


def record_job(sweep: Sweep, job: str, recorded_by: str) -> None:
    """Record SLURM job ``job`` as ``jobs/<job>.json`` (once; concurrent tasks may all try)."""
    if not job.isdigit():
        raise ValueError(f"job must be a SLURM job id (digits), got {job!r}")
    path = sweep.directory / "jobs" / f"{job}.json"
    path.parent.mkdir(exist_ok=True)
    record = {
        "job": job,
        "recorded_by": recorded_by,
        "host": socket.gethostname(),
        "user": getpass.getuser(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        with open(path, "x") as fh:  # O_EXCL: the first recorder wins
            fh.write(json.dumps(record) + "\n")
    except FileExistsError:
        pass


def job_ids(sweep: Sweep) -> list[str]:
    """SLURM job ids recorded for this sweep, oldest first."""
    jobs = {p.stem for p in (sweep.directory / "jobs").glob("*.json") if p.stem.isdigit()}
    legacy = sweep.directory / "jobs.json"  # written by earlier versions
    if legacy.exists():
        jobs.update(json.loads(legacy.read_text()))
    return sorted(jobs, key=int)


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
    record_job(sweep, job, "physcore.sweeps submit")
    return job


def _queue(sweep: Sweep) -> list[str] | None:
    """``squeue`` lines ``jobid_task|state|workdir`` of this user's jobs, or None when there is
    no SLURM here and nothing was ever submitted for this sweep."""
    if shutil.which("squeue") is None:
        if job_ids(sweep):
            raise SlurmQueueError("squeue not found on PATH, but SLURM jobs ran for this sweep")
        return None
    cmd = ["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i|%T|%Z"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        raise SlurmQueueError(f"{' '.join(cmd)}: {err}") from None
    if out.returncode != 0:
        reason = (out.stderr.strip() or out.stdout.strip() or f"exit {out.returncode}")[:300]
        raise SlurmQueueError(f"squeue failed: {reason}")
    return out.stdout.splitlines()


def active_chunks(sweep: Sweep) -> set[int]:
    """Chunk ids of this sweep's array tasks that SLURM has pending or running: the user's
    jobs whose working directory is the sweep's, or that are recorded in ``jobs/``.

    Raises
    ------
    SlurmQueueError
        When the queue cannot be read (and SLURM is, or was, in use).
    """
    lines = _queue(sweep)
    if not lines:
        return set()
    recorded = set(job_ids(sweep))
    active = set()
    for line in lines:
        ident, state, workdir = (line.split("|", 2) + ["", ""])[:3]
        job, _, task = ident.strip().partition("_")
        if job not in recorded and (not workdir or Path(workdir).resolve() != sweep.directory):
            continue
        if state.strip() in ("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT"):
            continue
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
