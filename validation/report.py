"""``python -m validation report``: run the registered checks, write index.html and report.json.

::

    python -m validation report                      # every check, into results/validation
    python -m validation report --fast --out /tmp/r  # the fast ones (what `make test` runs)
    python -m validation report --paper 2101.01333 --paper cond-mat/0604594

The HTML page has one row per check (paper, reference, source, metric, measured distance,
tolerance, pass or fail) and, for checks that return curves, a figure with ours and the reference
on the left and their difference on the right. ``report.json`` holds the same rows. The exit status
is 1 when any selected check fails or raises, 2 when the selection is empty or ``--out`` cannot be
written (checked before any check runs).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import re
import sys
import textwrap
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .registry import Check, Outcome, discover

__all__ = ["CheckResult", "run_checks", "write_report", "main"]


@dataclass
class CheckResult:
    """The outcome of one check, as it goes into the report."""

    check: Check
    measured: float
    passed: bool
    seconds: float
    outcome: Outcome | None = None
    error: str = ""
    plot_file: str = ""

    @property
    def status(self) -> str:
        """PASS, FAIL, ERROR, DISAGREES (a documented discrepancy) or AGREES NOW (a documented
        discrepancy that no longer holds: remove the note)."""
        if self.error and not math.isfinite(self.measured):
            return "ERROR"
        if self.check.discrepancy:
            return "AGREES NOW" if self.passed else "DISAGREES"
        return "PASS" if self.passed else "FAIL"

    @property
    def ok(self) -> bool:
        """Whether this result leaves the run's exit status at 0."""
        return self.status in ("PASS", "DISAGREES")

    def row(self) -> dict:
        ref = self.check.reference
        return {
            "paper": ref.paper,
            "group": self.check.group,
            "check": self.check.name,
            "reference": ref.name,
            "source": ref.source,
            "citation": ref.citation,
            "location": ref.location,
            "obtained": ref.obtained,
            "metric": self.check.metric,
            "measured": self.measured if math.isfinite(self.measured) else None,
            "tolerance": self.check.tolerance,
            "passed": self.passed,
            "status": self.status,
            "ok": self.ok,
            "discrepancy": self.check.discrepancy,
            "fast": self.check.fast,
            "seconds": round(self.seconds, 3),
            "note": self.outcome.note if self.outcome else "",
            "rationale": self.check.rationale,
            "error": self.error,
            "plot": self.plot_file,
        }


def select(checks, *, papers=None, groups=None, fast: bool = False) -> list[Check]:
    """Checks of the given papers and groups (all when None), only fast ones if ``fast``."""
    out = []
    for c in checks:
        if papers and c.reference.paper not in papers:
            continue
        if groups and c.group not in groups:
            continue
        if fast and not c.fast:
            continue
        out.append(c)
    return out


def run_checks(checks, *, progress: bool = True) -> list[CheckResult]:
    """Run each check; one that raises (or returns a non-Outcome) fails with the error kept."""
    from tqdm.auto import tqdm

    results = []
    for c in tqdm(checks, desc="validation", unit="check", disable=not progress):
        start = time.perf_counter()
        try:
            outcome = c.compute()
            if not isinstance(outcome, Outcome):
                raise TypeError(f"check returned {type(outcome).__name__}, expected Outcome")
            measured = float(outcome.measured)
            results.append(
                CheckResult(c, measured, c.passes(measured), time.perf_counter() - start, outcome)
            )
        except Exception as err:
            results.append(
                CheckResult(
                    c,
                    math.nan,
                    False,
                    time.perf_counter() - start,
                    error=f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=-3)}",
                )
            )
    return results


def _plot(result: CheckResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plot = result.outcome.plot
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), constrained_layout=True)
    few = plot.x.size < 20  # a handful of points (e.g. lattice spacings): show them as markers
    left.plot(plot.x, plot.ours, "-o" if few else "-", color="C0", ms=4, label="ours")
    if plot.x_reference is None:
        left.plot(plot.x, plot.reference, "--", color="C3", label="reference")
        diff_x, diff = plot.x, plot.ours - plot.reference
        right.plot(diff_x, diff, "-o" if few else "-", color="C2", ms=4)
    else:
        left.plot(plot.x_reference, plot.reference, "o", color="C3", ms=4, label="reference")
        order = np.argsort(plot.x)
        diff_x = plot.x_reference
        diff = np.interp(plot.x_reference, plot.x[order], plot.ours[order]) - plot.reference
        right.plot(diff_x, diff, "o", color="C2", ms=4)
    right.axhline(0.0, color="0.6", lw=0.8)
    left.set(xlabel=plot.xlabel, ylabel=plot.ylabel, title="ours and reference")
    right.set(xlabel=plot.xlabel, ylabel="ours - reference", title="difference")
    left.legend(frameon=False)
    status = "PASS" if result.passed else "FAIL"
    title = (
        f"{result.check.reference.name}: {result.check.metric} = {result.measured:.3g} "
        f"(tolerance {result.check.tolerance:.3g}) {status}"
    )
    fig.suptitle(textwrap.fill(title, 120), fontsize=9)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def write_report(results: list[CheckResult], out: Path, *, title: str) -> tuple[Path, Path]:
    """Write ``out/index.html``, ``out/report.json`` and ``out/plots/*.png``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "plots").mkdir(exist_ok=True)
    for r in results:
        if r.outcome is not None and r.outcome.plot is not None:
            name = f"plots/{_slug(r.check.group)}__{_slug(r.check.name)}.png"
            try:
                _plot(r, out / name)
                r.plot_file = name
            except Exception as err:  # a broken plot must not hide the numbers
                r.error += f"plot failed: {type(err).__name__}: {err}"
    rows = [r.row() for r in results]
    n_pass = sum(r.passed for r in results)
    n_known = sum(r.status == "DISAGREES" for r in results)
    n_bad = sum(not r.ok for r in results)
    summary = {
        "title": title,
        "checks": len(results),
        "passed": n_pass,
        "documented_discrepancies": n_known,
        "failed": n_bad,
    }
    json_path = out / "report.json"
    json_path.write_text(json.dumps({"summary": summary, "checks": rows}, indent=1) + "\n")

    esc = html.escape
    table = []
    for row in rows:
        measured = "error" if row["measured"] is None else f"{row['measured']:.4g}"
        cls = {"PASS": "pass", "DISAGREES": "known"}.get(row["status"], "fail")
        link = f'<a href="#{esc(row["group"])}-{esc(row["check"])}">{esc(row["check"])}</a>'
        table.append(
            f'<tr class="{cls}"><td>{esc(row["paper"])}</td><td>{link}</td>'
            f"<td>{esc(row['reference'])}</td><td>{esc(row['source'])}</td>"
            f"<td>{esc(row['metric'])}</td><td>{measured}</td><td>{row['tolerance']:.4g}</td>"
            f"<td>{'PASS' if row['passed'] else 'FAIL'}</td><td>{row['seconds']:.2f}</td></tr>"
        )
    sections = []
    for row in rows:
        parts = [
            f'<h3 id="{esc(row["group"])}-{esc(row["check"])}">{esc(row["group"])} / '
            f"{esc(row['check'])}</h3>",
            f"<p><b>Source:</b> {esc(row['source'])}</p>",
        ]
        for key in ("discrepancy", "note", "rationale"):
            if row[key]:
                parts.append(f"<p><b>{key.capitalize()}:</b> {esc(row[key])}</p>")
        if row["plot"]:
            parts.append(f'<img src="{esc(row["plot"])}" alt="{esc(row["check"])}">')
        if row["error"]:
            parts.append(f"<pre>{esc(row['error'])}</pre>")
        sections.append("\n".join(parts))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 90%; }}
td, th {{ border: 1px solid #bbb; padding: 3px 6px; vertical-align: top; }}
tr.pass td:nth-child(8) {{ background: #c8f0c8; }}
tr.fail td:nth-child(8) {{ background: #f5b5b5; }}
tr.known td:nth-child(8) {{ background: #f5e0a0; }}
img {{ max-width: 100%; }}
pre {{ background: #f4f4f4; padding: 0.5em; overflow-x: auto; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{n_pass} of {len(results)} checks pass; {n_known} documented discrepancies (DISAGREES: a
published claim we do not reproduce, explained below); {n_bad} failures. A check passes when
its measured distance is finite and at most its tolerance.</p>
<table><tr><th>paper</th><th>check</th><th>reference</th><th>source</th><th>metric</th>
<th>measured</th><th>tolerance</th><th>result</th><th>s</th></tr>
{chr(10).join(table)}
</table>
{chr(10).join(sections)}
</body></html>
"""
    html_path = out / "index.html"
    html_path.write_text(page)
    return html_path, json_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m validation report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--paper", action="append", help="only this paper id (repeatable)")
    parser.add_argument(
        "--group", action="append", help="only this references module, e.g. semidirac (repeatable)"
    )
    parser.add_argument("--out", type=Path, default=Path("results/validation"))
    parser.add_argument("--fast", action="store_true", help="only the fast checks")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    problem = unwritable(args.out)
    if problem:  # before any check runs: a full report takes minutes
        print(f"error: --out {args.out}: {problem}", file=sys.stderr)
        return 2

    checks = select(discover(), papers=args.paper, groups=args.group, fast=args.fast)
    if not checks and (args.paper or args.group):
        print(f"error: no checks match --paper {args.paper} --group {args.group}", file=sys.stderr)
        return 2
    results = run_checks(checks, progress=not args.no_progress)
    title = "Validation against the published record" + (" (fast checks)" if args.fast else "")
    html_path, json_path = write_report(results, args.out, title=title)
    for r in results:
        if r.status == "DISAGREES":
            print(f"DISAGREES {r.check.key} ({r.check.reference.paper}): {r.check.discrepancy}")
    failed = [r for r in results if not r.ok]
    for r in failed:
        if r.status == "ERROR":
            what = r.error.splitlines()[0]
        elif r.status == "AGREES NOW":
            what = "passes now: remove its discrepancy note"
        else:
            what = f"{r.measured:.4g} > {r.check.tolerance:.4g}"
        print(f"{r.status} {r.check.key} ({r.check.reference.paper}): {r.check.metric}: {what}")
    print(f"{_summary(results)}; report: {html_path}, {json_path}")
    return 1 if failed else 0


def unwritable(out: Path) -> str:
    """Why the report folder ``out`` cannot be written, or "" when it can.

    Creates ``out`` (and its parents) and a temporary file in it, then removes the file.
    """
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        return f"cannot write the report there ({err.strerror or err}); choose another folder"
    return ""


def _summary(results: list[CheckResult]) -> str:
    """ "20/23 checks pass, 3 documented disagreements, 0 failures"."""
    n_pass = sum(r.passed for r in results)
    n_known = sum(r.status == "DISAGREES" for r in results)
    n_failed = sum(not r.ok for r in results)
    return (
        f"{n_pass}/{len(results)} checks pass, {n_known} documented disagreements, "
        f"{n_failed} failures"
    )


def demo(out_dir) -> Path:
    """`make demo` entry: the full report (every check) in ``out_dir`` (``make demo`` passes
    ``results/demo/validation``)."""
    checks = discover()
    results = run_checks(checks)
    html_path, _ = write_report(
        results, Path(out_dir), title="Validation against the published record"
    )
    print(f"validation: {_summary(results)} -> {html_path}")
    return html_path
