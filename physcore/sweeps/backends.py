"""Local back-ends: run a sweep's chunks in this process or in a process pool.

They run the very same chunks as the SLURM array tasks (:meth:`Sweep.run_chunk`), skip chunks
already done (so a killed run resumes where it stopped), and show progress with tqdm.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed

from tqdm.auto import tqdm

from .store import Sweep

__all__ = ["run_serial", "run_processes", "BACKENDS", "ChunkFailures"]


class ChunkFailures(RuntimeError):
    """Some chunks raised; each left its traceback in ``chunks/chunk-NNNNNN.failed``."""

    def __init__(self, failures: dict[int, BaseException]):
        self.failures = failures
        first = next(iter(failures.items()))
        super().__init__(
            f"{len(failures)} chunk(s) failed: {sorted(failures)}; first ({first[0]}): "
            f"{type(first[1]).__name__}: {first[1]}"
        )


def _todo(sweep: Sweep, chunks) -> list[int]:
    chunks = range(sweep.spec.n_chunks) if chunks is None else chunks
    return [c for c in chunks if not sweep.chunk_path(c).exists()]


def run_serial(sweep: Sweep, chunks=None, *, progress: bool = True) -> int:
    """Run the given chunks (default: all not yet done) one after the other in this process.

    Returns the number of chunks computed. Raises :class:`ChunkFailures` after trying them all
    if any raised.
    """
    todo = _todo(sweep, chunks)
    failures: dict[int, BaseException] = {}
    for chunk in tqdm(todo, desc=f"sweep {sweep.spec.name}", unit="chunk", disable=not progress):
        try:
            sweep.run_chunk(chunk)
        except Exception as err:  # recorded in the .failed file; keep going with the others
            failures[chunk] = err
    if failures:
        raise ChunkFailures(failures)
    return len(todo)


_WORKER_SWEEP: Sweep | None = None


def _worker_init(directory: str) -> None:
    global _WORKER_SWEEP
    _WORKER_SWEEP = Sweep(directory)


def _worker_run(chunk: int) -> int:
    _WORKER_SWEEP.run_chunk(chunk)
    return chunk


def run_processes(
    sweep: Sweep, chunks=None, *, workers: int | None = None, progress: bool = True
) -> int:
    """Run the chunks (default: all not yet done) in a pool of ``workers`` processes.

    Workers are started with ``spawn`` (no state inherited from this process, as on a cluster).
    Each sets the thread count of the numerical libraries to 1 through the environment, so the
    pool does not oversubscribe the cores.
    """
    todo = _todo(sweep, chunks)
    if not todo:
        return 0
    if workers is None:
        workers = max(1, min(len(todo), os.cpu_count() or 1))
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    failures: dict[int, BaseException] = {}
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    os.environ.update({k: "1" for k in saved})  # inherited by the spawned workers
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(str(sweep.directory),),
        ) as pool:
            futures = {pool.submit(_worker_run, c): c for c in todo}
            bar = tqdm(
                total=len(todo), desc=f"sweep {sweep.spec.name}", unit="chunk", disable=not progress
            )
            for fut in as_completed(futures):
                try:
                    fut.result()
                except Exception as err:
                    failures[futures[fut]] = err
                bar.update()
            bar.close()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if failures:
        raise ChunkFailures(dict(sorted(failures.items())))
    return len(todo)


BACKENDS = {"serial": run_serial, "processes": run_processes}
