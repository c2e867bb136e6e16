"""Plumbing shared by the checks that read committed mlcore run records (``validation/runs/``).

Over seeds: a claim is a comparison ``d`` computed per seed (paired: what is compared shares the
seed's data and networks), and it holds when its mean over the seeds exceeds its spread (sample
standard deviation) in the claimed direction; :func:`_shortfall` is the measured distance.
"""

from __future__ import annotations

import numpy as np


def _record(result: str):
    """The committed reference record of ``result``, typed by its record class."""
    from mlcore.records import reference_runs_dir
    from mlcore.registry import load_record

    runs = reference_runs_dir()
    path = None if runs is None else runs / f"{result}.json"
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"reference record of {result!r} missing: run `python -m mlcore {result} "
            f"--record validation/runs/{result}.json` first"
        )
    return load_record(path, result)


def _pp(values) -> np.ndarray:
    return 100 * np.asarray(values, dtype=float)


def _shortfall(d) -> float:
    """``max(0, std(d) - mean(d))`` of per-seed differences ``d`` (pp) that the claim says are
    positive: 0 when the mean exceeds the spread."""
    d = np.asarray(d, dtype=float)
    return float(max(0.0, np.std(d, ddof=1) - np.mean(d)))


def _ms(d) -> str:
    d = np.asarray(d, dtype=float)
    return f"{np.mean(d):.2f} ± {np.std(d, ddof=1):.2f}"


def _note(rec) -> str:
    return (
        f"record {rec.result}.json: `{rec.command}`, seeds {list(rec.seeds)}, device "
        f"{rec.device}, {rec.torch_threads} thread(s); mean ± std over seeds"
    )
