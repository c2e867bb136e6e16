"""``demo(out_dir)``: every registered result's figures and headline numbers, in seconds.

For each result of :mod:`mlcore.registry`, the committed reference record
(``validation/runs/<result>.json``, see :func:`mlcore.records.reference_runs_dir`) is plotted
and summarized; where none exists, a quick live run with the result's ``demo_params`` (one
seed) stands in for it, so the demo always shows a real computation.
"""

from __future__ import annotations

from pathlib import Path

from .records import RecordError, reference_runs_dir
from .registry import results

__all__ = ["demo"]


def demo(out_dir: str | Path, runs_dir: str | Path | None = None) -> list[Path]:
    """Write every result's figures into ``out_dir`` and print its summary; return the figure
    paths. ``runs_dir`` overrides where reference records are read from."""
    import matplotlib

    matplotlib.use("Agg")  # the demo is an entry point: it picks the non-interactive backend
    from .runner import run_result

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = Path(runs_dir) if runs_dir is not None else reference_runs_dir()
    written: list[Path] = []
    for result in results():
        path = None if runs is None else runs / f"{result.name}.json"
        record, source = None, "quick live run (no reference record found; one seed)"
        if path is not None and path.is_file():
            try:
                record = result.record.load(path)
                source = f"record {path}, seeds {list(record.seeds)}"
            except RecordError as err:  # e.g. a record of an older schema: say so, run instead
                source = f"quick live run, one seed (unreadable record: {err})"
        if record is None:
            record = run_result(
                result,
                result.demo_params,
                seeds=(0,),
                device="cpu",
                progress=False,
                plot=False,
                command=f"mlcore.demo (quick run of {result.name})",
            )
        written += result.plot(record, out)
        print(f"{result.name} ({source}): {result.description}")
        print("  " + result.summary(record).replace("\n", "\n  "))
    return written
