"""A sweep on disk: the planned spec, one file per finished chunk, the merged netCDF.

Layout of a sweep directory::

    spec.toml              the spec, verbatim (what every chunk computes from)
    sweep.json             digest of the spec, chunk count and size, grid shape
    sweep.sbatch           the SLURM array script (physcore.sweeps.slurm)
    jobs/12345.json        one file per SLURM job that ran for this sweep, whoever submitted it
    chunks/chunk-000007.nc      a finished chunk (written to a temporary file, then os.replace)
    chunks/chunk-000007.failed  the traceback of a chunk whose computation raised
    locks/chunk-000007.lock     the lock a process holds while it computes the chunk
    logs/                  SLURM task output
    sweep.nc               the merged result (collect)

A chunk is *done* when its ``.nc`` exists and passes :func:`.chunks.chunk_problem` (it opens,
holds the chunk's points and shapes, and matches the checksum written with it). It appears only
through ``os.replace`` (atomic on POSIX within one file system), so a task killed at any moment
leaves either no file or a complete one; a file damaged later (a full disk, a copy cut short) is
reported as *damaged* and computed again. A chunk is computed only by the process holding its
lock (:func:`.chunks.claim`), so concurrent runs never compute it twice at the same time, and
running a chunk again writes the same values. That is what makes ``resubmit`` and resuming a
killed local run safe.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

from .._io import NETCDF_ENGINE as _ENGINE
from .._io import write_netcdf, write_text
from .chunks import CHECKSUM_ATTR, chunk_problem, claim, data_checksum, is_claimed
from .spec import SweepSpec, parse_spec

__all__ = ["Sweep", "SweepStatus", "code_version", "library_versions"]

#: what :meth:`Sweep.run_chunk` did
COMPUTED, ALREADY_DONE, CLAIMED = "computed", "already done", "running elsewhere"

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
    """Chunk ids by state.

    ``done``: sound chunk files. ``running``: claimed by a process now (here or on a node).
    ``damaged``: a chunk file that fails its checks (``problems`` says why), computed again.
    ``failed``: the computation raised (``chunks/*.failed``). ``missing``: none of these.
    ``active``: pending or running in SLURM (empty without SLURM). ``queue_error``: why the SLURM
    queue could not be read ("" when it was, or when no SLURM is in use).
    """

    n_chunks: int
    done: tuple[int, ...]
    failed: tuple[int, ...]
    missing: tuple[int, ...]
    active: tuple[int, ...] = ()
    damaged: tuple[int, ...] = ()
    running: tuple[int, ...] = ()
    problems: dict = field(default_factory=dict, compare=False)
    queue_error: str = ""

    @property
    def complete(self) -> bool:
        return len(self.done) == self.n_chunks

    @property
    def to_run(self) -> tuple[int, ...]:
        """Chunks neither done, nor being computed, nor queued in SLURM: what ``resubmit`` runs."""
        busy = set(self.active) | set(self.running)
        todo = (*self.failed, *self.missing, *self.damaged)
        return tuple(sorted(c for c in todo if c not in busy))

    def summary(self) -> str:
        def ids(chunks):
            return _compress(chunks) if chunks else "-"

        damaged = ids(self.damaged)
        if self.damaged:
            first = self.damaged[0]
            damaged += f" (chunk {first}: {self.problems.get(first, '?')}; computed again by run)"
        text = (
            f"{len(self.done)}/{self.n_chunks} chunks done; running: {ids(self.running)}; "
            f"damaged: {damaged}; failed: {ids(self.failed)}; missing: {ids(self.missing)}; "
            f"queued or running in SLURM: {ids(self.active)}"
        )
        if self.queue_error:
            text += (
                f" (the SLURM queue could not be read: {self.queue_error}; "
                "chunks queued there are counted as missing)"
            )
        return text


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

    Parameters
    ----------
    directory : str or Path
        The sweep folder.
    allow_import : bool
        Import the computation its ``spec.toml`` names even when that is an import path no
        registration names. Opening a folder from someone else would otherwise run their code;
        see :mod:`physcore.sweeps.computations`.
    """

    def __init__(self, directory: str | Path, *, allow_import: bool = False):
        self.directory = Path(directory).resolve()
        self.allow_import = allow_import
        self._sound: dict[int, tuple] = {}  # chunk -> file identity when last verified sound
        meta_path = self.directory / "sweep.json"
        if not meta_path.is_file():
            raise ValueError(f"directory {self.directory} is not a planned sweep (no sweep.json)")
        self.meta = json.loads(meta_path.read_text())
        self.spec: SweepSpec = parse_spec(
            (self.directory / "spec.toml").read_text(),
            source=str(self.directory / "spec.toml"),
            check_points=False,  # validated at plan; the digest below proves the text unchanged
            allow_import=allow_import,
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
        return cls(directory, allow_import=spec.allow_import)

    # --- chunks -------------------------------------------------------------------------------
    def chunk_path(self, chunk: int) -> Path:
        return self.directory / "chunks" / f"chunk-{chunk:06d}.nc"

    def failed_path(self, chunk: int) -> Path:
        return self.directory / "chunks" / f"chunk-{chunk:06d}.failed"

    def lock_path(self, chunk: int) -> Path:
        return self.directory / "locks" / f"chunk-{chunk:06d}.lock"

    def chunk_problem(self, chunk: int) -> str | None:
        """Why chunk ``chunk``'s file is not a sound result ("no file", "empty file",
        "checksum mismatch"...), or None when it is (see :func:`.chunks.chunk_problem`)."""
        path = self.chunk_path(chunk)
        try:
            st = path.stat()
        except FileNotFoundError:
            return "no file"
        identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._sound.get(chunk) == identity:
            return None
        spec = self.spec
        problem = chunk_problem(
            path,
            spec_sha256=spec.digest,
            indices=spec.chunk_indices(chunk),
            outputs=list(spec.impl.outputs),
            vector_shape=tuple(len(v) for v in spec.vector.values()),
        )
        if problem is None:
            self._sound[chunk] = identity
        return problem

    def run_chunk(self, chunk: int, *, force: bool = False, wait: bool = False) -> str:
        """Claim one chunk and, unless it is done (or ``force``), compute it and write it
        atomically.

        Returns ``"computed"``, ``"already done"`` (a sound file exists) or ``"running
        elsewhere"`` (another process holds the chunk's lock; with ``wait=True`` this waits for
        it instead, then computes the chunk only if that process did not finish it). A damaged
        file is computed again. A computation that raises leaves ``chunk-NNNNNN.failed`` (its
        traceback) and re-raises.
        """
        self.spec.chunk_indices(chunk)  # range check before creating a lock file
        with claim(self.lock_path(chunk), wait=wait) as mine:
            if not mine:
                return CLAIMED
            if not force and self.chunk_problem(chunk) is None:
                return ALREADY_DONE
            self._compute(chunk)
            return COMPUTED

    def _compute(self, chunk: int) -> None:
        """Compute ``chunk`` and write it with its checksum (the caller holds its lock)."""
        spec = self.spec
        indices = spec.chunk_indices(chunk)
        path = self.chunk_path(chunk)
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
        ds.attrs[CHECKSUM_ATTR] = data_checksum(ds)
        write_netcdf(ds, path)
        self.failed_path(chunk).unlink(missing_ok=True)

    def status(self, active=(), *, queue_error: str = "") -> SweepStatus:
        """The state of every chunk, from the files and locks (``active``: chunk ids SLURM has
        pending or running; ``queue_error``: why the SLURM queue could not be read)."""
        states: dict[str, list[int]] = {k: [] for k in ("done", "running", "damaged", "failed")}
        states["missing"], problems = [], {}
        for c in range(self.spec.n_chunks):
            problem = self.chunk_problem(c)
            if problem is None:
                states["done"].append(c)
            elif is_claimed(self.lock_path(c)):
                states["running"].append(c)
            elif problem != "no file":
                states["damaged"].append(c)
                problems[c] = problem
            else:
                states["failed" if self.failed_path(c).exists() else "missing"].append(c)
        return SweepStatus(
            self.spec.n_chunks,
            **{k: tuple(v) for k, v in states.items()},
            active=tuple(sorted(active)),
            problems=problems,
            queue_error=queue_error,
        )

    # --- collect ------------------------------------------------------------------------------
    def collect(self, out: str | Path | None = None) -> Path:
        """Merge every chunk into one netCDF file (default ``<sweep>/sweep.nc``), atomically.

        The dataset has one dimension per swept parameter (spec order) then the vector
        parameters; fixed parameters, the spec text, the code version and the library versions
        are attributes.

        Raises
        ------
        ValueError
            If a chunk is missing, failed, running or damaged (naming them and, for a damaged
            one, what is wrong: belonging to another spec, a checksum mismatch...).
        """
        spec = self.spec
        state = self.status()
        if not state.complete:
            raise ValueError(f"cannot collect {self.directory}: {state.summary()}")
        impl = spec.impl
        vshape = tuple(len(v) for v in spec.vector.values())
        data: dict[str, np.ndarray] = {}
        code_versions, lib_versions = set(), set()
        for chunk in range(spec.n_chunks):  # each verified by status(): spec, points, checksum
            with xr.open_dataset(self.chunk_path(chunk), engine=_ENGINE) as ds:
                ds = ds.load()
            flat = ds["flat_index"].values
            code_versions.add(str(ds.attrs["code_version"]))
            lib_versions.add(str(ds.attrs["library_versions"]))
            for name in impl.outputs:
                arr = ds[name].values
                if name not in data:
                    data[name] = np.empty((spec.n_outer, *vshape), dtype=arr.dtype)
                data[name][flat] = arr
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
