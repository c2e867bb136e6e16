"""Chunk files and chunk claims: what makes a chunk *done*, and what keeps it from running twice.

* A chunk file carries a SHA-256 checksum of its values (attribute ``data_sha256``), written with
  it. :func:`chunk_problem` opens the file and checks the spec digest, the grid points, the
  outputs' shapes and the checksum: an empty, truncated or altered file is *damaged*, never
  *done*, and ``run``/``resubmit`` compute it again.
* Whoever computes a chunk (a local worker, a SLURM array task) first claims it with an exclusive
  ``flock`` on ``locks/chunk-NNNNNN.lock`` (:func:`claim`). The kernel drops the lock when the
  holder exits or is killed, so a crashed task never leaves a stale claim, and two processes never
  compute one chunk at the same time (NFS v4 and Lustre honour ``flock`` across nodes). Lock files
  are never deleted: deleting one while another process waits on it would let two processes lock
  two different files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from .._io import NETCDF_ENGINE

__all__ = ["CHECKSUM_ATTR", "data_checksum", "chunk_problem", "claim", "is_claimed"]

#: the chunk attribute holding :func:`data_checksum` of its values
CHECKSUM_ATTR = "data_sha256"


def data_checksum(ds: xr.Dataset) -> str:
    """SHA-256 of a chunk's values: every data variable and ``flat_index``, by name, with its
    shape; numbers as little-endian bytes, strings as JSON (independent of the file format)."""
    digest = hashlib.sha256()
    for name in sorted([*map(str, ds.data_vars), "flat_index"]):
        arr = np.asarray(ds[name].values)
        digest.update(f"{name}{arr.shape}".encode())
        if arr.dtype.kind in "OUSb":
            digest.update(json.dumps(arr.tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()


def chunk_problem(
    path: Path,
    *,
    spec_sha256: str,
    indices: Sequence[int],
    outputs: Sequence[str],
    vector_shape: tuple[int, ...],
) -> str | None:
    """Why the chunk file at ``path`` cannot be used, or None when it is sound.

    Reads the whole file: a truncated HDF5 file often opens but fails on reading its data.
    """
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with xr.open_dataset(path, engine=NETCDF_ENGINE) as ds:
            ds = ds.load()
    except FileNotFoundError:
        return "no file"
    except Exception as err:  # h5py/netCDF errors of many types for a damaged file
        return f"unreadable ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    if ds.attrs.get("spec_sha256") != spec_sha256:
        return "computed from another spec"
    if "flat_index" not in ds or not np.array_equal(ds["flat_index"].values, indices):
        return "does not hold the chunk's grid points"
    want = (len(indices), *vector_shape)
    for name in outputs:
        if name not in ds.data_vars:
            return f"no output {name!r}"
        if ds[name].shape != want:
            return f"output {name!r} has shape {ds[name].shape}, expected {want}"
    written = ds.attrs.get(CHECKSUM_ATTR)
    if written is None:
        return "no checksum (written by an older version)"
    if written != data_checksum(ds):
        return "checksum mismatch (the values changed after writing)"
    return None


@contextlib.contextmanager
def claim(lock_path: Path, *, wait: bool = False, patience: float = 2.0) -> Iterator[bool]:
    """Claim a chunk: yields True while this process holds its exclusive lock, False when another
    process holds it.

    ``wait=True`` blocks until the lock is free. Otherwise the lock is retried for ``patience``
    seconds, so that a brief probe by :func:`is_claimed` (``status``) is not taken for a worker.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.05)
        yield True
    finally:
        os.close(fd)  # releases the lock


def is_claimed(lock_path: Path) -> bool:
    """Whether a process holds the chunk's lock now (probed without waiting)."""
    try:  # read-only: flock needs no write access, so a colleague's folder can be inspected
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
