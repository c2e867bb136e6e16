"""Local back-ends: run a sweep's chunks in this process or in a process pool.

They run the very same chunks as the SLURM array tasks (:meth:`Sweep.run_chunk`), skip chunks
already done (so a killed run resumes where it stopped) and chunks another process is computing
(each chunk is claimed with a lock), and show progress with tqdm.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from tqdm.auto import tqdm

from .store import CLAIMED, COMPUTED, Sweep

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
    """The chunks (default: all) without a sound file: missing, failed or damaged ones."""
    chunks = range(sweep.spec.n_chunks) if chunks is None else chunks
    return [c for c in chunks if sweep.chunk_problem(c) is not None]


def run_serial(sweep: Sweep, chunks=None, *, progress: bool = True) -> int:
    """Run the given chunks (default: all not yet done) one after the other in this process.

    A chunk another process is computing (its lock is held) is left to it; once the others are
    done, this waits for it and computes it only if that process did not finish it. Returns the
    number of chunks computed here. Raises :class:`ChunkFailures` after trying them all if any
    raised.
    """
    failures: dict[int, BaseException] = {}
    computed = 0
    todo = _todo(sweep, chunks)
    for wait in (False, True):  # second pass: the chunks that were running elsewhere
        claimed = []
        bar = tqdm(todo, desc=f"sweep {sweep.spec.name}", unit="chunk", disable=not progress)
        for chunk in bar:
            try:
                outcome = sweep.run_chunk(chunk, wait=wait)
            except Exception as err:  # recorded in the .failed file; keep going with the others
                failures[chunk] = err
                continue
            computed += outcome == COMPUTED
            if outcome == CLAIMED:
                claimed.append(chunk)
        todo = claimed
    if failures:
        raise ChunkFailures(failures)
    return computed


_WORKER_SWEEP: Sweep | None = None


def _die_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends, even by ``kill -9``.

    Linux: the kernel sends SIGKILL on the parent's death (``PR_SET_PDEATHSIG``). Everywhere: a
    daemon thread checks every 0.2 s that the parent is still ours (an orphan is re-parented).
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _worker_init(directory: str, allow_import: bool, parent: int) -> None:
    global _WORKER_SWEEP
    _die_with_parent(parent)
    _WORKER_SWEEP = Sweep(directory, allow_import=allow_import)


def _worker_run(chunk: int, wait: bool) -> str:
    return _WORKER_SWEEP.run_chunk(chunk, wait=wait)


def run_processes(
    sweep: Sweep, chunks=None, *, workers: int | None = None, progress: bool = True
) -> int:
    """Run the chunks (default: all not yet done) in a pool of ``workers`` processes.

    Workers are started with ``spawn`` (no state inherited from this process, as on a cluster)
    and end when this process ends, however it ends. Each sets the thread count of the
    numerical libraries to 1 through the environment, so the pool does not oversubscribe the
    cores. Chunks are claimed as in :func:`run_serial`; returns the number computed here.
    """
    todo = _todo(sweep, chunks)
    if not todo:
        return 0
    if workers is None:
        workers = max(1, min(len(todo), os.cpu_count() or 1))
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    failures: dict[int, BaseException] = {}
    computed = 0
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    os.environ.update({k: "1" for k in saved})  # inherited by the spawned workers
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(str(sweep.directory), sweep.allow_import, os.getpid()),
        ) as pool:
            bar = tqdm(
                total=len(todo), desc=f"sweep {sweep.spec.name}", unit="chunk", disable=not progress
            )
            for wait in (False, True):  # second pass: the chunks that were running elsewhere
                futures = {pool.submit(_worker_run, c, wait): c for c in todo}
                todo = []
                for fut in as_completed(futures):
                    try:
                        outcome = fut.result()
                    except Exception as err:
                        failures[futures[fut]] = err
                        bar.update()
                        continue
                    computed += outcome == COMPUTED
                    if outcome == CLAIMED:
                        todo.append(futures[fut])
                    else:
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
    return computed


BACKENDS = {"serial": run_serial, "processes": run_processes}
