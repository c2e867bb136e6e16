"""Parameter sweeps: a TOML spec -> chunks -> SLURM job arrays or local processes -> one netCDF.

Importing this package imports no physics: computations are found by name in a registry and
imported only when a spec uses them (:mod:`.computations`), so :mod:`mlcore` can run its own
computations through the same machinery by naming their import path in the spec.

Workflow (the CLI ``python -m physcore.sweeps`` offers the same steps)::

    from physcore import sweeps

    sweep = sweeps.plan("sweeps/semidirac_thin_barrier.toml", "runs/thin")  # validates everything
    sweeps.run(sweep, backend="processes")     # or backend="slurm": sbatch the array script
    print(sweeps.status(sweep).summary())      # done / running / damaged / missing / queued...
    sweeps.resubmit(sweep, backend="slurm")    # only what is missing, failed or damaged
    path = sweeps.collect(sweep)               # runs/thin/sweep.nc, with provenance

* ``plan`` parses the spec (:mod:`.spec`), runs the computation's own parameter validation on every
  grid point, splits the swept grid into chunks and writes the SLURM array script
  (``#SBATCH --array=0-N%M``); nothing is submitted.
* Each chunk (a SLURM array task, or a local worker) claims the chunk's lock, computes its grid
  points and writes ``chunks/chunk-NNNNNN.nc`` atomically (temporary file + ``os.replace``) with
  a checksum of its values. ``status`` opens every chunk file: an empty, truncated or altered one
  is reported as damaged and computed again by ``run`` and ``resubmit``.
* Every SLURM job that runs for the sweep is recorded in ``jobs/``, whoever submitted it (the
  array tasks record themselves), and ``status`` finds queued tasks by their working directory,
  so ``sbatch sweep.sbatch`` by hand is seen too; ``resubmit`` never queues a chunk that is
  queued or running. If the queue cannot be read, ``status`` says so and still counts the files.

* ``collect`` merges the chunks into one netCDF with the spec text, the code version (``git
  describe``) and the library versions as attributes. Chunks do not depend on the back-end, so
  SLURM, serial and process-pool runs give identical files.

Trust: a sweep's ``spec.toml`` names the computation to import. Registered computations are
imported freely; an unregistered import path (``"module:attribute"``) runs that module's code, so
it needs ``allow_import=True`` (CLI ``--allow-import``) from whoever plans or opens the sweep.
Submitting a sweep's ``sweep.sbatch`` runs its shell lines (``[slurm] setup``): read a script
from someone else before you ``sbatch`` it.
"""

from __future__ import annotations

from pathlib import Path

from .computations import (
    Computation,
    Parameter,
    UntrustedComputation,
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
    "UntrustedComputation",
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


def plan(
    spec: str | Path | SweepSpec,
    directory: str | Path,
    *,
    allow_import: bool = False,
    progress: bool = True,
) -> Sweep:
    """Validate ``spec`` (a path or a parsed spec), create the sweep directory and write the SLURM
    array script. Raises :class:`SpecError` naming the field for a bad spec, before any file is
    written. ``allow_import``: see :func:`get_computation`; ``progress``: a progress bar while
    a large grid is checked."""
    from .slurm import check_directory, write_script

    directory = check_directory(directory)  # before any file is written
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec, allow_import=allow_import, progress=progress)
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

        todo = list(chunks) if chunks is not None else list(_queue_checked(sweep).to_run)
        if not todo:
            return None
        return submit(sweep, todo)
    from .backends import BACKENDS

    if backend == "serial":
        return BACKENDS["serial"](sweep, chunks, progress=progress)
    return BACKENDS["processes"](sweep, chunks, workers=workers, progress=progress)


def status(sweep: Sweep | str | Path, *, query_slurm: bool = True) -> SweepStatus:
    """Done, running, damaged, failed, missing and (when SLURM answers) queued chunks.

    When the SLURM queue cannot be read, the file counts are still returned and
    :attr:`SweepStatus.queue_error` says why the queue is missing from them.
    """
    sweep = _sweep(sweep)
    active, error = (), ""
    if query_slurm:
        from .slurm import SlurmQueueError, active_chunks

        try:
            active = active_chunks(sweep)
        except SlurmQueueError as err:
            error = str(err)
    return sweep.status(active, queue_error=error)


def _queue_checked(sweep: Sweep) -> SweepStatus:
    """The status, refusing to go on when SLURM's queue is unreadable (a submission could then
    queue chunks that are already queued)."""
    state = status(sweep, query_slurm=True)
    if state.queue_error:
        raise RuntimeError(
            f"the SLURM queue could not be read ({state.queue_error}); not submitting, since "
            "chunks already queued would be queued twice. Try again when squeue answers."
        )
    return state


def resubmit(sweep: Sweep | str | Path, *, backend: str = "slurm", workers: int | None = None):
    """Run or submit only the chunks that are missing, failed or damaged, and neither queued in
    SLURM nor being computed.

    Returns what :func:`run` returns, or None when there is nothing to do.
    """
    sweep = _sweep(sweep)
    if backend == "slurm":
        todo = _queue_checked(sweep).to_run
    else:  # local: the chunk locks keep a task SLURM starts meanwhile from running it twice
        todo = status(sweep, query_slurm=True).to_run
    if not todo:
        return None
    return run(sweep, backend=backend, chunks=list(todo), workers=workers)


def collect(sweep: Sweep | str | Path, out: str | Path | None = None) -> Path:
    """Merge the chunks into one netCDF (default ``<sweep>/sweep.nc``).

    See :meth:`Sweep.collect`.
    """
    return _sweep(sweep).collect(out)
