"""A sweep on disk: the planned spec, one file per finished chunk, the merged netCDF.

Layout of a sweep directory::

    spec.toml              the spec, verbatim (what every chunk computes from)
    sweep.json             digest of the spec, chunk count and size, grid shape
    sweep.sbatch           the SLURM array script (physcore.sweeps.slurm)
    jobs.json              SLURM job ids submitted for this sweep
    chunks/chunk-000007.nc      a finished chunk (written to a temporary file, then os.replace)
    chunks/chunk-000007.failed  the traceback of a chunk whose computation raised
    logs/                  SLURM task output
    sweep.nc               the merged result (collect)

A chunk is *done* when its ``.nc`` exists; because it appears only through ``os.replace`` (atomic
on POSIX within one file system), a task killed at any moment leaves either no file or a
complete one, and running a chunk again writes the same values. That is what makes ``resubmit``
and resuming a killed local run safe.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import traceback
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

from .._io import NETCDF_ENGINE as _ENGINE
from .._io import write_netcdf, write_text
from .spec import SweepSpec, parse_spec

__all__ = ["Sweep", "SweepStatus", "code_version", "library_versions"]

_LIBRARIES = ("numpy", "scipy", "xarray", "h5netcdf", "h5py", "numba", "qutip", "kwant", "torch")


@functools.cache
def code_version(package: str = "physcore") -> str:
    """``git describe --always --dirty --tags`` of the checkout holding ``package``, or its
    installed version when it is not in a git checkout."""
    try:
        module = __import__(package)
        where = Path(module.__file__).resolve().parent
        ignored = subprocess.run(  # e.g. a virtualenv inside a checkout: not its code
            ["git", "-C", str(where), "check-ignore", "-q", str(where)], capture_output=True
        )
        out = subprocess.run(
            ["git", "-C", str(where), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if ignored.returncode != 0 and out.returncode == 0 and out.stdout.strip():
            return f"{package} git {out.stdout.strip()}"
    except (ImportError, OSError, subprocess.SubprocessError, AttributeError, TypeError):
        pass
    version = getattr(sys.modules.get(package), "__version__", None)
    if version is None:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "unknown"
    return f"{package} {version}"


@functools.cache
def library_versions() -> str:
    """Python and the scientific libraries' versions, as a JSON object string (sorted keys)."""
    versions = {"python": sys.version.split()[0]}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return json.dumps(versions, sort_keys=True)


@dataclass(frozen=True)
class SweepStatus:
    """Chunk ids by state. ``active`` are pending or running in SLURM (empty without SLURM)."""

    n_chunks: int
    done: tuple[int, ...]
    failed: tuple[int, ...]
    missing: tuple[int, ...]
    active: tuple[int, ...] = ()

    @property
    def complete(self) -> bool:
        return len(self.done) == self.n_chunks

    @property
    def to_run(self) -> tuple[int, ...]:
        """Chunks that are neither done nor queued in SLURM: what ``resubmit`` runs."""
        active = set(self.active)
        return tuple(sorted(c for c in (*self.failed, *self.missing) if c not in active))

    def summary(self) -> str:
        def ids(chunks):
            return _compress(chunks) if chunks else "-"

        return (
            f"{len(self.done)}/{self.n_chunks} chunks done; failed: {ids(self.failed)}; "
            f"missing: {ids(self.missing)}; queued or running in SLURM: {ids(self.active)}"
        )


def _compress(ids) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2,5,7-8' (SLURM's --array syntax)."""
    ids = sorted(set(ids))
    parts, start = [], None
    for i, c in enumerate(ids):
        if start is None:
            start = c
        if i + 1 == len(ids) or ids[i + 1] != c + 1:
            parts.append(str(start) if start == c else f"{start}-{c}")
            start = None
    return ",".join(parts)


class Sweep:
    """A planned sweep directory (see the module docstring).

    Use :meth:`create` to plan one from a validated spec and ``Sweep(directory)`` to open it.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory).resolve()
        meta_path = self.directory / "sweep.json"
        if not meta_path.is_file():
            raise ValueError(f"directory {self.directory} is not a planned sweep (no sweep.json)")
        self.meta = json.loads(meta_path.read_text())
        self.spec: SweepSpec = parse_spec(
            (self.directory / "spec.toml").read_text(),
            source=str(self.directory / "spec.toml"),
            check_points=False,  # validated at plan; the digest below proves the text unchanged
        )
        if self.spec.digest != self.meta["spec_sha256"]:
            raise ValueError(f"{self.directory}/spec.toml was edited after plan; plan again")

    @classmethod
    def create(cls, spec: SweepSpec, directory: str | Path) -> Sweep:
        """Write the sweep directory for ``spec`` (idempotent for the same spec).

        Raises
        ------
        ValueError
            If ``directory`` already holds a sweep of a different spec.
        """
        directory = Path(directory).resolve()
        meta_path = directory / "sweep.json"
        if meta_path.is_file():
            old = json.loads(meta_path.read_text())
            if old.get("spec_sha256") != spec.digest:
                raise ValueError(
                    f"directory {directory} holds a sweep of another spec; choose a new directory"
                )
        for sub in ("chunks", "logs"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        write_text(directory / "spec.toml", spec.text)
        meta = {
            "name": spec.name,
            "computation": spec.computation,
            "spec_sha256": spec.digest,
            "n_chunks": spec.n_chunks,
            "chunk_size": spec.chunk_size,
            "shape": list(spec.shape),
            "swept": list(spec.swept),
            "vector": {k: len(v) for k, v in spec.vector.items()},
            "n_points": spec.n_points,
        }
        write_text(meta_path, json.dumps(meta, indent=1) + "\n")
        return cls(directory)

    # --- chunks -------------------------------------------------------------------------------
    def chunk_path(self, chunk: int) -> Path:
        return self.directory / "chunks" / f"chunk-{chunk:06d}.nc"

    def failed_path(self, chunk: int) -> Path:
        return self.directory / "chunks" / f"chunk-{chunk:06d}.failed"

    def run_chunk(self, chunk: int, *, force: bool = False) -> bool:
        """Compute one chunk and write it atomically; returns False if it was already done.

        A computation that raises leaves ``chunk-NNNNNN.failed`` (its traceback) and re-raises.
        """
        spec = self.spec
        indices = spec.chunk_indices(chunk)
        path = self.chunk_path(chunk)
        if path.exists() and not force:
            return False
        impl = spec.impl
        vdims = tuple(spec.vector)
        vshape = tuple(len(v) for v in spec.vector.values())
        try:
            results: dict[str, np.ndarray] = {}
            for j, flat in enumerate(indices):
                values = impl.compute(spec.point(flat))
                for out_name in impl.outputs:
                    arr = np.asarray(values[out_name])
                    if arr.shape != vshape:
                        raise ValueError(
                            f"{impl.name} returned {out_name} of shape {arr.shape}, "
                            f"expected {vshape} (the vector parameters {vdims})"
                        )
                    if out_name not in results:
                        results[out_name] = np.empty((len(indices), *vshape), dtype=arr.dtype)
                    results[out_name][j] = arr
        except Exception:
            write_text(self.failed_path(chunk), traceback.format_exc())
            raise
        ds = xr.Dataset(
            {name: (("point", *vdims), arr) for name, arr in results.items()},
            coords={"flat_index": ("point", np.asarray(indices, dtype=np.int64))},
            attrs={
                "chunk": chunk,
                "spec_sha256": spec.digest,
                "code_version": code_version(getattr(impl, "package", "physcore")),
                "library_versions": library_versions(),
            },
        )
        write_netcdf(ds, path)
        self.failed_path(chunk).unlink(missing_ok=True)
        return True

    def status(self, active=()) -> SweepStatus:
        """Chunks done, failed and missing (``active``: chunk ids SLURM still has queued)."""
        n = self.spec.n_chunks
        done = [c for c in range(n) if self.chunk_path(c).exists()]
        done_set = set(done)
        failed = [c for c in range(n) if c not in done_set and self.failed_path(c).exists()]
        failed_set = set(failed)
        missing = [c for c in range(n) if c not in done_set and c not in failed_set]
        return SweepStatus(n, tuple(done), tuple(failed), tuple(missing), tuple(sorted(active)))

    # --- collect ------------------------------------------------------------------------------
    def collect(self, out: str | Path | None = None) -> Path:
        """Merge every chunk into one netCDF file (default ``<sweep>/sweep.nc``), atomically.

        The dataset has one dimension per swept parameter (spec order) then the vector
        parameters; fixed parameters, the spec text, the code version and the library versions
        are attributes.

        Raises
        ------
        ValueError
            If a chunk is missing or failed (naming them), belongs to another spec, or two
            chunks cover the same grid point.
        """
        spec = self.spec
        state = self.status()
        if not state.complete:
            raise ValueError(f"cannot collect {self.directory}: {state.summary()}")
        impl = spec.impl
        vshape = tuple(len(v) for v in spec.vector.values())
        data: dict[str, np.ndarray] = {}
        seen = np.zeros(spec.n_outer, dtype=np.int64)
        code_versions, lib_versions = set(), set()
        for chunk in range(spec.n_chunks):
            with xr.open_dataset(self.chunk_path(chunk), engine=_ENGINE) as ds:
                ds = ds.load()
            if ds.attrs.get("spec_sha256") != spec.digest:
                raise ValueError(f"{self.chunk_path(chunk)} was computed from another spec")
            flat = ds["flat_index"].values
            if not np.array_equal(flat, np.asarray(spec.chunk_indices(chunk))):
                raise ValueError(f"{self.chunk_path(chunk)} does not hold chunk {chunk}'s points")
            seen[flat] += 1
            code_versions.add(str(ds.attrs["code_version"]))
            lib_versions.add(str(ds.attrs["library_versions"]))
            for name in impl.outputs:
                arr = ds[name].values
                if name not in data:
                    data[name] = np.empty((spec.n_outer, *vshape), dtype=arr.dtype)
                data[name][flat] = arr
        if not np.all(seen == 1):
            bad = np.flatnonzero(seen != 1)[:10]
            raise ValueError(f"grid points {bad.tolist()} are covered {seen[bad].tolist()} times")
        dims = (*spec.swept, *spec.vector)
        shape = (*spec.shape, *vshape)
        coords = {k: (k, list(v)) for k, v in spec.swept.items()}
        coords.update({k: (k, v) for k, v in spec.vector.items()})
        result = xr.Dataset(
            {
                name: (dims, arr.reshape(shape), dict(impl.outputs[name]))
                for name, arr in data.items()
            },
            coords=coords,
        )
        for name, par in impl.parameters.items():
            if name in result.coords:
                result[name].attrs["description"] = par.doc
        result.attrs.update({f"param_{k}": v for k, v in spec.fixed.items()})
        result.attrs.update(
            {
                "computation": spec.computation,
                "sweep_name": spec.name,
                "sweep_spec": spec.text,
                "spec_sha256": spec.digest,
                "code_version": " | ".join(sorted(code_versions)),
                "library_versions": " | ".join(sorted(lib_versions)),
                "provenance_mixed": int(len(code_versions) > 1 or len(lib_versions) > 1),
            }
        )
        out = Path(out) if out is not None else self.directory / "sweep.nc"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_netcdf(result, out)
        return out
