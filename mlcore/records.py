"""Run records: small JSON files holding a result's command, parameters, seeds, library versions
and numbers, so that every reported number can be traced to the run that produced it."""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .training import provenance

__all__ = ["write_record", "read_record", "default_runs_dir", "write_text_atomic"]

SCHEMA = "mlcore-run/1"


def default_runs_dir() -> Path:
    """``validation/runs`` of the source checkout (where the reproduction records live)."""
    return Path(__file__).resolve().parent.parent / "validation" / "runs"


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and move it into place (atomic on
    POSIX), so that a killed run never leaves a half-written record. (physcore has the same
    helper; mlcore and physcore do not import each other.)"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_record(
    path: str | Path,
    *,
    result: str,
    params: dict,
    seeds: dict,
    numbers: dict,
    wall_time_s: float,
    command: str | None = None,
) -> Path:
    """Write one run record (JSON, sorted keys) and return its path."""
    record = {
        "schema": SCHEMA,
        "result": result,
        "command": command
        or " ".join(shlex.quote(a) for a in ["python", "-m", "mlcore", *sys.argv[1:]]),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_time_s": round(float(wall_time_s), 1),
        "params": params,
        "seeds": seeds,
        "versions": provenance(),
        "numbers": numbers,
    }
    return write_text_atomic(path, json.dumps(_plain(record), indent=1, sort_keys=True) + "\n")


def read_record(path: str | Path, result: str | None = None) -> dict:
    """Read a run record, checking its schema (and its result name when given)."""
    record = json.loads(Path(path).read_text())
    if record.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not an mlcore run record (schema {record.get('schema')!r})")
    if result is not None and record.get("result") != result:
        raise ValueError(f"{path} holds result {record.get('result')!r}, expected {result!r}")
    return record
