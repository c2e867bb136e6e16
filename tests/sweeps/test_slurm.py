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
n_q = 32
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


def test_array_job_by_hand_in_a_path_with_spaces_is_seen_and_never_duplicated(
    slurm_cluster, tmp_path, local_file
):
    """``sbatch sweep.sbatch`` as the README offers, in a folder whose path has spaces: status
    sees the queued tasks, resubmit adds nothing, and a local run at the same time computes only
    chunks no task has claimed. Every chunk is computed once, and the file is the local one."""
    where = tmp_path / "my sweeps"
    where.mkdir()
    (where / "spec one.toml").write_text(SPEC)
    sweep = sweeps.plan(where / "spec one.toml", where / "run one")
    script = (sweep.directory / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-3%2" in script and "#SBATCH --mem=500M" in script
    # submitted by hand from elsewhere: nothing of physcore sees the submission happen
    out = subprocess.run(
        ["sbatch", "--parsable", str(sweep.directory / "sweep.sbatch")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    job = out.stdout.strip().split(";")[0]
    state = sweeps.status(sweep)
    assert not state.queue_error and state.to_run == (), state.summary()
    assert set(state.active) | set(state.running) | set(state.done) == {0, 1, 2, 3}
    assert sweeps.resubmit(sweep) is None  # no second array
    deadline = time.monotonic() + 120
    while not any(sweep.chunk_path(c).exists() for c in range(4)):  # the array is under way
        assert time.monotonic() < deadline, "no array task finished"
        time.sleep(0.1)
    computed_here = sweeps.run(sweep, backend="serial", progress=False)  # races the array
    slurm.wait(sweep, timeout=240, poll=0.5)
    logs = sorted((sweep.directory / "logs").iterdir())
    state = sweeps.status(sweep)
    assert state.complete, state.summary() + "".join(p.read_text()[-2000:] for p in logs)
    assert [p.name for p in logs] == [f"{job}_{t}.out" for t in range(4)]
    computed_there = [p for p in logs if "computed" in p.read_text().split(": ")[-1]]
    assert len(computed_there) + computed_here == 4, [p.read_text() for p in logs]
    assert computed_there  # SLURM's chunks are in the file compared below
    assert slurm.job_ids(sweep) == [job]  # recorded by its own tasks
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
