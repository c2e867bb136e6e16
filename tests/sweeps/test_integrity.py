"""A sweep never lies about its state: damaged chunks are found, reported and computed again;
no chunk is computed twice at the same time; workers die with a killed run; an unreadable SLURM
queue still leaves the file counts; a sweep folder's spec imports no code without consent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from physcore import sweeps
from physcore.sweeps.chunks import claim
from physcore.sweeps.cli import main

# 6 chunks of one (orientation, Z) point each, 21 biases
SPEC = """
computation = "semidirac.conductance"
name = "integrity"
[parameters]
mu = 10.0
gap = 1.0
orientation = ["linear", "quadratic"]
barrier = "delta"
Z = [0.0, 1.0, 2.0]
bias = {linspace = [0.0, 2.0, 21]}
n_q = 32
[chunks]
size = 1
"""

REPO = Path(__file__).resolve().parents[2]


def _plan(tmp_path, name="run", text=SPEC):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / f"{name}.toml").write_text(text)
    return sweeps.plan(tmp_path / f"{name}.toml", tmp_path / name)


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_leftover_processes():
    """A failing test must not leave its command running (and writing) behind."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _cli(*args, output=subprocess.PIPE, **kwargs):
    """``python -m physcore.sweeps ARGS`` in a fresh interpreter."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "physcore.sweeps", *map(str, args)],
        stdout=output,
        stderr=output,
        text=True,
        **kwargs,
    )
    _STARTED.append(proc)
    return proc


def test_damaged_chunks_are_reported_refused_and_recomputed(tmp_path, capsys):
    sweep = _plan(tmp_path)
    assert sweeps.run(sweep, backend="serial", progress=False) == 6
    expected = sweeps.collect(sweep).read_bytes()
    # a copy cut short, a file emptied by a full disk, a value altered after writing
    data = sweep.chunk_path(0).read_bytes()
    sweep.chunk_path(0).write_bytes(data[: len(data) // 2])
    sweep.chunk_path(1).write_bytes(b"")
    with xr.open_dataset(sweep.chunk_path(4)) as ds:
        altered = ds.load()
    altered["conductance"][0, 3] += 1e-9
    altered.to_netcdf(sweep.chunk_path(4), engine="h5netcdf")

    state = sweeps.status(sweep, query_slurm=False)
    assert state.done == (2, 3, 5) and state.damaged == (0, 1, 4) and not state.complete
    assert state.problems[1] == "empty file"
    assert state.problems[0].startswith("unreadable")
    assert state.problems[4].startswith("checksum mismatch")
    assert state.to_run == (0, 1, 4)
    assert main(["status", str(sweep.directory)]) == 1
    assert "3/6 chunks done" in capsys.readouterr().out
    assert "damaged: 0-1,4 (chunk 0: unreadable" in state.summary()
    with pytest.raises(ValueError, match=r"cannot collect .*damaged: 0-1,4"):
        sweeps.collect(sweep)  # a clear refusal, not an h5py traceback

    mtimes = {c: sweep.chunk_path(c).stat().st_mtime_ns for c in state.done}
    assert sweeps.resubmit(sweep, backend="serial") == 3  # only the damaged ones
    assert {c: sweep.chunk_path(c).stat().st_mtime_ns for c in state.done} == mtimes
    assert sweeps.status(sweep, query_slurm=False).complete
    assert sweeps.collect(sweep).read_bytes() == expected


@pytest.mark.slow
def test_a_claimed_chunk_is_left_to_its_holder_and_never_computed_twice(tmp_path):
    sweep = _plan(tmp_path)
    with claim(sweep.lock_path(2)) as mine:  # this test is "another worker" computing chunk 2
        assert mine
        proc = _cli("run", sweep.directory, "--no-progress")
        others = [c for c in range(6) if c != 2]
        deadline = time.monotonic() + 120
        while not all(sweep.chunk_path(c).exists() for c in others):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None  # the run waits for the chunk it did not compute
        state = sweeps.status(sweep, query_slurm=False)
        assert state.running == (2,) and state.to_run == (), state.summary()
        assert sweep.run_chunk(2) == "running elsewhere"  # a second claimant backs off
        sweep._compute(2)  # the holder finishes its chunk, then releases the lock
        written = sweep.chunk_path(2).stat().st_mtime_ns
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "computed 5 chunk(s) here" in out and "6/6 chunks done" in out
    assert sweep.chunk_path(2).stat().st_mtime_ns == written  # not recomputed after the wait


@pytest.mark.slow
def test_two_concurrent_runs_compute_each_chunk_once(tmp_path):
    sweep = _plan(tmp_path)
    procs = [_cli("run", sweep.directory, "--no-progress") for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = [int(out.split("computed ")[1].split()[0]) for out, _ in outputs]
    assert sum(counts) == 6, outputs
    assert sweeps.status(sweep, query_slurm=False).complete


def _descendants(pid: int) -> set[int]:
    """Process ids below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_die_with_a_killed_run(tmp_path):
    text = SPEC.replace("{linspace = [0.0, 2.0, 21]}", "{linspace = [0.0, 2.0, 400]}")
    sweep = _plan(tmp_path, text=text.replace("Z = [0.0, 1.0, 2.0]", "Z = [0.0, 0.5, 1.0, 1.5]"))
    # output to a file: an orphan holding a pipe would keep the test waiting for its end
    log = (tmp_path / "run.log").open("w")
    proc = _cli(
        "run", sweep.directory, "--backend", "processes", "--workers", "2", "--no-progress",
        output=log,
    )  # fmt: skip
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not any(sweep.chunk_path(c).exists() for c in range(sweep.spec.n_chunks)):
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "no chunk finished"
            time.sleep(0.02)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2  # the pool (and multiprocessing's resource tracker)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers):
            alive = [p for p in workers if _alive(p)]
            assert time.monotonic() < deadline, f"orphans alive: {alive}"
            time.sleep(0.05)
    finally:  # never leave this test's processes behind, whatever failed
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        log.close()
    # nothing keeps writing after the kill
    files = sorted(p.name for p in (sweep.directory / "chunks").iterdir())
    time.sleep(1.0)
    assert sorted(p.name for p in (sweep.directory / "chunks").iterdir()) == files
    # and the claims died with them: a new run finishes the sweep
    sweeps.run(sweep, backend="serial", progress=False)
    assert sweeps.status(sweep, query_slurm=False).complete


@pytest.fixture
def unreachable_slurm(tmp_path, monkeypatch):
    """``squeue`` and ``sbatch`` that fail as they do when slurmctld cannot be reached; sbatch
    leaves a marker if it is called at all."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    message = "slurm_load_jobs error: Unable to contact slurm controller (connect failure)"
    (bin_dir / "squeue").write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    (bin_dir / "sbatch").write_text(f"#!/bin/sh\ntouch '{tmp_path}/sbatch-called'\nexit 1\n")
    for tool in ("squeue", "sbatch"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "sbatch-called"


def test_status_without_a_reachable_slurm_shows_the_files(tmp_path, unreachable_slurm, capsys):
    sweep = _plan(tmp_path)
    from physcore.sweeps.slurm import record_job

    record_job(sweep, "4242", "test")  # a SLURM sweep: a job ran for it
    sweep.run_chunk(0)
    assert main(["status", str(sweep.directory)]) == 1  # incomplete, but counted
    out = capsys.readouterr().out
    assert "1/6 chunks done" in out and "missing: 1-5" in out
    assert "the SLURM queue could not be read: squeue failed: slurm_load_jobs error" in out
    # resubmitting blind could queue chunks twice: refused, and sbatch is never called
    assert main(["resubmit", str(sweep.directory)]) == 1
    assert "not submitting" in capsys.readouterr().err
    assert not unreachable_slurm.exists()


@pytest.mark.slow
def test_a_sweep_folder_imports_no_unregistered_code_without_consent(tmp_path):
    marker = tmp_path / "imported"
    (tmp_path / "their_module.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('their code ran')\n"
        "from physcore.sweeps._semidirac import CONDUCTANCE as COMPUTATION\n"
    )
    text = SPEC.replace('"semidirac.conductance"', '"their_module:COMPUTATION"')
    (tmp_path / "spec.toml").write_text(text)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}

    plan = _cli("plan", tmp_path / "spec.toml", "--dir", tmp_path / "run", env=env)
    _, err = plan.communicate(timeout=120)
    assert plan.returncode == 2 and "--allow-import" in err, err
    assert not marker.exists() and not (tmp_path / "run").exists()

    plan = _cli(
        "plan", tmp_path / "spec.toml", "--dir", tmp_path / "run", "--allow-import", env=env
    )
    assert plan.wait(timeout=120) == 0 and marker.exists()
    assert "--allow-import" in (tmp_path / "run" / "sweep.sbatch").read_text()
    marker.unlink()
    status = _cli("status", tmp_path / "run", env=env)  # someone else opens the folder
    _, err = status.communicate(timeout=120)
    assert status.returncode == 2 and "their_module:COMPUTATION" in err and "--allow-import" in err
    assert not marker.exists()


def test_paths_with_spaces_are_quoted_and_unusable_ones_refused(tmp_path):
    sweep = _plan(tmp_path / "my runs", "a b")
    script = (sweep.directory / "sweep.sbatch").read_text()
    assert f'#SBATCH --chdir="{sweep.directory}"' in script
    assert f'#SBATCH --output="{sweep.directory}/logs/%A_%a.out"' in script
    # the last line is the command bash runs: split as bash would, the directory is one word
    import shlex

    words = shlex.split(script.strip().splitlines()[-1])
    assert words[-2] == str(sweep.directory)
    with pytest.raises(ValueError, match="directory: .* contains"):
        sweeps.plan(tmp_path / "my runs" / "a b.toml", tmp_path / 'say "hi"')
    assert not (tmp_path / 'say "hi"').exists()
