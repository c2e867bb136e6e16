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

__all__ = [
    "write_record",
    "read_record",
    "default_runs_dir",
    "write_text_atomic",
    "RunCheckpoint",
]

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


class RunCheckpoint:
    """Finished steps of a long run, so that a killed run started again loses nothing finished.

    Steps live under ``root/<result>-<hash>/``, where the hash covers the run's parameters and
    seed: a run with other parameters never reuses them. A step is either a JSON-able dict
    (:meth:`step`) or a model's weights (:meth:`module`, saved with ``torch.save`` of the
    state dict and read back with ``torch.load(..., weights_only=True)``: no pickle of code).
    Every file appears atomically, so a step is either complete or absent. ``root=None``
    disables checkpointing (every step is computed).
    """

    def __init__(self, root: str | Path | None, result: str, params: dict, seed: int):
        import hashlib

        key = json.dumps(_plain({"params": params, "seed": seed}), sort_keys=True, default=str)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.path = None if root is None else Path(root) / f"{result}-{digest}"
        self.reused: list[str] = []

    def step(self, name: str, compute) -> dict:
        """The stored result of step ``name``, or ``compute()`` stored now."""
        if self.path is not None:
            file = self.path / f"{name}.json"
            if file.exists():
                self.reused.append(name)
                return json.loads(file.read_text())
        value = _plain(compute())
        if self.path is not None:
            write_text_atomic(file, json.dumps(value, sort_keys=True))
        return value

    def module(self, name: str, module, train) -> object:
        """``module`` with the stored weights of step ``name``, or trained by ``train(module)``
        (which trains in place, or returns the trained module)."""
        import torch

        if self.path is not None:
            file = self.path / f"{name}.pt"
            if file.exists():
                module.load_state_dict(torch.load(file, weights_only=True))
                self.reused.append(name)
                return module
        trained = train(module)
        if isinstance(trained, torch.nn.Module):
            module = trained
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
            os.close(fd)
            try:
                torch.save(module.state_dict(), tmp)
                os.replace(tmp, file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return module
