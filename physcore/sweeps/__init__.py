"""Parameter sweeps: a TOML spec -> chunks -> SLURM job arrays or local processes -> one netCDF.

Importing this package imports no physics: computations are found by name in a registry and
imported only when a spec uses them (:mod:`.computations`), so :mod:`mlcore` can run its own
computations through the same machinery by naming their import path in the spec.

Workflow (the CLI ``python -m physcore.sweeps`` offers the same steps)::

    from physcore import sweeps

    sweep = sweeps.plan("sweeps/semidirac_thin_barrier.toml", "runs/thin")  # validates everything
    sweeps.run(sweep, backend="processes")     # or backend="slurm": sbatch the array script
    print(sweeps.status(sweep).summary())      # done / failed / missing / queued chunks
    sweeps.resubmit(sweep, backend="slurm")    # only what is missing or failed
    path = sweeps.collect(sweep)               # runs/thin/sweep.nc, with provenance

* ``plan`` parses the spec (:mod:`.spec`), runs the computation's own parameter validation on every
  grid point, splits the swept grid into chunks and writes the SLURM array script
  (``#SBATCH --array=0-N%M``); nothing is submitted.
* Each chunk (a SLURM array task, or a local worker) computes its grid points and writes
  ``chunks/chunk-NNNNNN.nc`` atomically (temporary file + ``os.replace``).
* ``collect`` merges the chunks into one netCDF with the spec text, the code version (``git
  describe``) and the library versions as attributes. Chunks do not depend on the back-end, so
  SLURM, serial and process-pool runs give identical files.
"""

from __future__ import annotations

from pathlib import Path

from .computations import (
    Computation,
    Parameter,
    available_computations,
    get_computation,
    register_computation,
)
from .spec import SpecError, SweepSpec, load_spec, parse_spec
from .store import Sweep, SweepStatus

__all__ = [
    "Computation",
    "Parameter",
    "register_computation",
    "get_computation",
    "available_computations",
    "SpecError",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "Sweep",
    "SweepStatus",
    "plan",
    "run",
    "status",
    "resubmit",
    "collect",
]

_BACKENDS = ("serial", "processes", "slurm")


def _sweep(sweep) -> Sweep:
    return sweep if isinstance(sweep, Sweep) else Sweep(sweep)


def plan(spec: str | Path | SweepSpec, directory: str | Path) -> Sweep:
    """Validate ``spec`` (a path or a parsed spec), create the sweep directory and write the SLURM
    array script. Raises :class:`SpecError` naming the field for a bad spec, before any file is
    written."""
    from .slurm import write_script

    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    sweep = Sweep.create(spec, directory)
    write_script(sweep)
    return sweep


def run(
    sweep: Sweep | str | Path,
    *,
    backend: str = "serial",
    chunks=None,
    workers: int | None = None,
    progress: bool = True,
):
    """Run the chunks not yet done (or just ``chunks``) with ``backend``.

    ``"serial"`` and ``"processes"`` compute here and return the number of chunks computed;
    ``"slurm"`` submits the array job and returns its job id (see :func:`status`).
    """
    sweep = _sweep(sweep)
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    if backend == "slurm":
        from .slurm import submit

        todo = list(chunks) if chunks is not None else list(status(sweep).to_run)
        if not todo:
            return None
        return submit(sweep, todo)
    from .backends import BACKENDS

    if backend == "serial":
        return BACKENDS["serial"](sweep, chunks, progress=progress)
    return BACKENDS["processes"](sweep, chunks, workers=workers, progress=progress)


def status(sweep: Sweep | str | Path, *, query_slurm: bool = True) -> SweepStatus:
    """Done, failed, missing and (when SLURM answers) queued-or-running chunks."""
    sweep = _sweep(sweep)
    active = ()
    if query_slurm:
        from .slurm import active_chunks

        active = active_chunks(sweep)
    return sweep.status(active)


def resubmit(sweep: Sweep | str | Path, *, backend: str = "slurm", workers: int | None = None):
    """Run or submit only the chunks that are missing or failed and not queued in SLURM.

    Returns what :func:`run` returns, or None when there is nothing to do.
    """
    sweep = _sweep(sweep)
    todo = status(sweep, query_slurm=True).to_run
    if not todo:
        return None
    return run(sweep, backend=backend, chunks=list(todo), workers=workers)


def collect(sweep: Sweep | str | Path, out: str | Path | None = None) -> Path:
    """Merge the chunks into one netCDF (default ``<sweep>/sweep.nc``).

    See :meth:`Sweep.collect`.
    """
    return _sweep(sweep).collect(out)
