"""Local back-ends: serial and process-pool runs give identical files, a run killed at a random
moment resumes to the same netCDF, failed and missing chunks are reported, never merged."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from physcore import sweeps
from physcore.sweeps.backends import ChunkFailures

# 5 barrier strengths x 4 dopings x 500 biases = 10^4 grid points, in 20 chunks
SPEC_1E4 = """
computation = "semidirac.conductance"
name = "resume-1e4"
[parameters]
mu = 10.0
gap = 1.0
barrier = "thin"
chi = {linspace = [0.0, 3.0, 5]}
U0 = [0.0, 10.0, 40.0, 90.0]
bias = {linspace = [0.0, 2.0, 500]}
n_q = 32
normalize = "none"
[chunks]
size = 1
"""

SMALL = """
computation = "semidirac.conductance"
name = "small"
[parameters]
mu = 10.0
gap = 1.0
orientation = ["linear", "quadratic"]
barrier = "delta"
Z = [0.0, 1.0, 2.0]
bias = {linspace = [0.0, 2.0, 21]}
n_q = 32
[chunks]
size = 2
"""


def _plan(tmp_path, text, name):
    spec_file = tmp_path / f"{name}.toml"
    spec_file.write_text(text)
    return sweeps.plan(spec_file, tmp_path / name)


def test_serial_and_process_pool_give_the_same_file(tmp_path):
    a = _plan(tmp_path, SMALL, "serial")
    b = _plan(tmp_path, SMALL, "processes")
    assert sweeps.run(a, backend="serial", progress=False) == 3
    assert sweeps.run(b, backend="processes", workers=2, progress=False) == 3
    assert sweeps.run(a, backend="serial", progress=False) == 0  # nothing left to do
    fa, fb = sweeps.collect(a), sweeps.collect(b)
    assert fa.read_bytes() == fb.read_bytes()
    ds = xr.open_dataset(fa)
    assert ds["conductance"].dims == ("orientation", "Z", "bias")
    assert list(ds["orientation"].values) == ["linear", "quadratic"]
    # provenance: the spec verbatim, code and library versions, the fixed parameters
    assert ds.attrs["sweep_spec"] == SMALL
    assert ds.attrs["code_version"] and "numpy" in ds.attrs["library_versions"]
    assert ds.attrs["param_mu"] == 10.0 and ds.attrs["provenance_mixed"] == 0
    # the merged values are the solver's, point by point (not shuffled between chunks)
    from physcore import semidirac

    junction = semidirac.NSJunction(
        semidirac.SemiDirac(), "quadratic", mu=10.0, gap=1.0, barrier=semidirac.DeltaBarrier(Z=1.0)
    )
    direct = junction.conductance(ds["bias"].values, n_q=32)
    np.testing.assert_array_equal(
        ds["conductance"].sel(orientation="quadratic", Z=1.0).values, direct.values
    )


def test_run_killed_at_a_random_moment_resumes_to_the_same_netcdf(tmp_path):
    reference = _plan(tmp_path, SPEC_1E4, "uninterrupted")
    assert reference.spec.n_points == 10_000
    sweeps.run(reference, backend="serial", progress=False)
    expected = sweeps.collect(reference).read_bytes()

    killed = _plan(tmp_path, SPEC_1E4, "killed")
    rng = np.random.default_rng(20261125)
    proc = subprocess.Popen(
        [sys.executable, "-m", "physcore.sweeps", "run", str(killed.directory), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    n = killed.spec.n_chunks
    target = int(rng.integers(1, n - 3))  # kill after this many chunks, plus a random delay
    try:
        deadline = time.monotonic() + 120
        while sum(killed.chunk_path(c).exists() for c in range(n)) < target:
            assert proc.poll() is None, "the run ended early"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.2))  # a random moment within the next chunk or its write
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    state = sweeps.status(killed, query_slurm=False)
    assert 0 < len(state.done) < killed.spec.n_chunks, state.summary()  # really interrupted
    with pytest.raises(ValueError, match="missing"):
        sweeps.collect(killed)  # an incomplete sweep is never merged

    assert sweeps.run(killed, backend="serial", progress=False) == len(state.missing)
    assert sweeps.collect(killed).read_bytes() == expected
    leftovers = [p.name for p in (killed.directory / "chunks").iterdir() if ".tmp." in p.name]
    assert len(leftovers) <= 1  # at most the temporary file of the killed write, never merged


def test_failed_chunk_is_recorded_and_rerun(tmp_path):
    sweep = _plan(tmp_path, SMALL, "failing")
    impl = sweep.spec.impl
    real_compute = impl.compute

    def crash_on_quadratic(point):  # stands in for a node crashing in the middle of chunk 1
        if point["orientation"] == "quadratic" and point["Z"] == 0.0:
            raise MemoryError("node ran out of memory")
        return real_compute(point)

    sweep.spec._impl = dataclasses.replace(impl, compute=crash_on_quadratic)
    with pytest.raises(ChunkFailures, match=r"chunk\(s\) failed: \[1\]"):
        sweeps.run(sweep, backend="serial", progress=False)
    state = sweep.status()
    assert state.done == (0, 2) and state.failed == (1,) and state.missing == ()
    assert state.to_run == (1,)
    assert "MemoryError: node ran out of memory" in sweep.failed_path(1).read_text()
    with pytest.raises(ValueError, match="failed: 1"):
        sweeps.collect(sweep)
    sweep.spec._impl = impl
    mtimes = {c: os.stat(sweep.chunk_path(c)).st_mtime_ns for c in (0, 2)}
    assert sweeps.resubmit(sweep, backend="serial") == 1  # only the failed chunk
    assert {c: os.stat(sweep.chunk_path(c)).st_mtime_ns for c in (0, 2)} == mtimes
    assert not sweep.failed_path(1).exists() and sweep.status().complete
    sweeps.collect(sweep)


def test_chunk_of_another_spec_is_refused(tmp_path):
    a = _plan(tmp_path, SMALL, "a")
    b = _plan(tmp_path, SMALL.replace("n_q = 32", "n_q = 48"), "b")
    sweeps.run(a, backend="serial", progress=False)
    sweeps.run(b, backend="serial", chunks=[1, 2], progress=False)
    os.replace(a.chunk_path(0), b.chunk_path(0))
    with pytest.raises(ValueError, match="another spec"):
        sweeps.collect(b)


def test_cli_plan_status_run_collect(tmp_path, capsys):
    from physcore.sweeps.cli import main

    spec = tmp_path / "small.toml"
    spec.write_text(SMALL)
    run_dir = tmp_path / "run"
    assert main(["plan", str(spec), "--dir", str(run_dir)]) == 0
    assert "126 grid points, 3 chunks of 2" in capsys.readouterr().out
    assert main(["status", str(run_dir)]) == 1  # nothing done yet
    assert "0/3 chunks done" in capsys.readouterr().out
    assert main(["collect", str(run_dir)]) == 1
    assert "missing: 0-2" in capsys.readouterr().err
    assert main(["run-chunk", str(run_dir), "1"]) == 0
    assert main(["run", str(run_dir), "--backend", "serial", "--no-progress"]) == 0
    assert "3/3 chunks done" in capsys.readouterr().out
    assert main(["collect", str(run_dir), "--out", str(tmp_path / "out.nc")]) == 0
    assert (tmp_path / "out.nc").is_file()
