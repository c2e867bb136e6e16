"""Real SLURM job arrays (a one-node cluster, tools/slurm_local.sh): the array run gives the same
file as a local run, and a task cancelled mid-run is recomputed by resubmit, alone."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from physcore import sweeps
from physcore.sweeps import slurm

pytestmark = pytest.mark.slow

# 4 chunks of 2 points x 400 biases; each array task takes a few seconds (start-up included)
SPEC = """
computation = "semidirac.conductance"
name = "slurm-test"
[parameters]
mu = 10.0
gap = 1.0
barrier = "thin"
chi = [0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8]
bias = {linspace = [0.0, 2.0, 400]}
n_modes = 32
normalize = "none"
[chunks]
size = 2
[slurm]
time = "00:05:00"
cpus_per_task = 1
mem = "500M"
max_concurrent = 2
"""


@pytest.fixture(scope="module")
def local_file(tmp_path_factory):
    """The same sweep run by the serial back-end: the file SLURM must reproduce bit for bit."""
    tmp = tmp_path_factory.mktemp("local")
    (tmp / "spec.toml").write_text(SPEC)
    sweep = sweeps.plan(tmp / "spec.toml", tmp / "run")
    sweeps.run(sweep, backend="serial", progress=False)
    return sweeps.collect(sweep).read_bytes()


def _task_states(job: str) -> dict[int, str]:
    out = subprocess.run(
        ["squeue", "-h", "-r", "-j", job, "-o", "%i %T"], capture_output=True, text=True
    )
    states = {}
    for line in out.stdout.splitlines():
        ident, state = line.split()
        _, _, task = ident.partition("_")
        if task.isdigit():
            states[int(task)] = state
    return states


def test_array_job_matches_local_run_bit_for_bit(slurm_cluster, tmp_path, local_file):
    (tmp_path / "spec.toml").write_text(SPEC)
    sweep = sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    script = (sweep.directory / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-3%2" in script and "#SBATCH --mem=500M" in script
    # submit the planned script exactly as a user would
    out = subprocess.run(
        ["sbatch", "--parsable", str(sweep.directory / "sweep.sbatch")],
        capture_output=True,
        text=True,
        check=True,
    )
    (sweep.directory / "jobs.json").write_text(f'["{out.stdout.strip()}"]')
    slurm.wait(sweep, timeout=240, poll=0.5)
    state = sweeps.status(sweep)
    assert state.complete, state.summary() + "".join(
        p.read_text()[-2000:] for p in (sweep.directory / "logs").iterdir()
    )
    assert sorted(p.name.split("_")[1] for p in (sweep.directory / "logs").iterdir()) == [
        "0.out",
        "1.out",
        "2.out",
        "3.out",
    ]
    assert sweeps.collect(sweep).read_bytes() == local_file


def test_cancelled_task_is_resubmitted_alone(slurm_cluster, tmp_path, local_file):
    (tmp_path / "spec.toml").write_text(SPEC)
    sweep = sweeps.plan(tmp_path / "spec.toml", tmp_path / "run")
    job = sweeps.run(sweep, backend="slurm")
    victim, deadline = None, time.monotonic() + 120
    logs = sweep.directory / "logs"
    while victim is None:  # cancel the first task seen running, before it writes its chunk
        running = [t for t, s in _task_states(job).items() if s == "RUNNING"]
        # wait until its step has started (slurmstepd opened the output file): once, under load,
        # a task cancelled 40 ms after its allocation still ran to the end (SLURM 22.05)
        running = [
            t
            for t in running
            if (logs / f"{job}_{t}.out").exists() and not sweep.chunk_path(t).exists()
        ]
        if running:
            victim = running[0]
            subprocess.run(["scancel", f"{job}_{victim}"], check=True)
        assert time.monotonic() < deadline, "no array task started running"
        time.sleep(0.05)
    slurm.wait(sweep, timeout=240, poll=0.5)
    state = sweeps.status(sweep)
    assert state.missing == (victim,) and state.failed == (), state.summary()
    assert len(state.done) == 3
    mtimes = {c: os.stat(sweep.chunk_path(c)).st_mtime_ns for c in state.done}

    new_job = sweeps.resubmit(sweep)  # backend slurm: --array=<victim>
    assert new_job != job
    slurm.wait(sweep, timeout=240, poll=0.5)
    assert sweeps.status(sweep).complete
    # only the cancelled chunk ran again; nothing recomputed, nothing duplicated
    assert [p.name for p in (sweep.directory / "logs").glob(f"{new_job}_*.out")] == [
        f"{new_job}_{victim}.out"
    ]
    assert {c: os.stat(sweep.chunk_path(c)).st_mtime_ns for c in state.done} == mtimes
    assert sweeps.resubmit(sweep) is None  # nothing left
    assert sweeps.collect(sweep).read_bytes() == local_file
