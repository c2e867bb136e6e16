"""Fixtures for the sweep tests: a real one-node SLURM cluster (tools/slurm_local.sh).

The cluster is started once per machine (``.ci/run`` starts it before ``make test`` and exports
SLURM_CONF; otherwise the first test that needs it starts it, under a file lock shared by the
pytest-xdist workers). If it cannot start here (not root, no apt-get, daemons refusing), the
SLURM tests are skipped with the script's reason; nothing is simulated.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "slurm_local.sh"


@pytest.fixture(scope="session")
def slurm_cluster() -> str:
    """SLURM_CONF of a working cluster, or skip with the reason."""
    from physcore.sweeps.slurm import slurm_available

    if os.environ.get("SLURM_CONF") and slurm_available() is None:
        return os.environ["SLURM_CONF"]
    with open("/tmp/physcore-slurm.lock", "w") as lock:
        deadline = time.monotonic() + 600  # a start takes minutes at most (apt-get included)
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.skip("no SLURM cluster: /tmp/physcore-slurm.lock held for 600 s")
                time.sleep(1.0)
        try:
            out = subprocess.run(
                ["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=300
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if out.returncode != 0:
        pytest.skip(f"no SLURM cluster: {out.stderr.strip() or out.stdout.strip()}")
    line = [s for s in out.stdout.splitlines() if s.startswith("export SLURM_CONF=")][-1]
    os.environ["SLURM_CONF"] = line.split("=", 1)[1]
    reason = slurm_available()
    if reason is not None:
        pytest.skip(f"no SLURM cluster: {reason}")
    return os.environ["SLURM_CONF"]
