"""Pages written at build time from the code itself, so that they cannot drift from it:

* ``api/``: one page per public module of physcore, mlcore and validation, every name of its
  ``__all__`` documented once (where it is defined, or here when its home is private) and
  linked from every other module that re-exports it;
* ``generated/validation.rst`` and ``generated/disagreements.rst``: every published reference
  and check of :mod:`validation.registry`, and the documented disagreements;
* ``generated/results/<result>.txt``: the headline summary of each mlcore result from its
  committed run record (``validation/runs/``), and ``generated/results/hardware.rst``, the
  chip comparison table of the hardware model;
* ``generated/checks/<group>.rst`` and ``generated/checks/paper-<paper>.rst``: the checks of
  one result, with its documented disagreements, included by the user guide pages.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

PACKAGES = ("physcore", "mlcore", "validation")
#: entry-point modules that are not API (the command lines behind ``python -m``)
SKIP = {"__main__"}


def public_modules(package: str) -> list[str]:
    """Importable module names of ``package`` with no private part (``_x``)."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[-1] in SKIP:
            continue
        names.append(info.name)
    return sorted(names)


def public_names(module) -> list[str]:
    """``__all__``, or the names defined in the module that do not start with ``_``."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and getattr(obj, "__module__", None) == module.__name__
        and (inspect.isclass(obj) or inspect.isfunction(obj))
    ]


def _documentable(obj) -> bool:
    """A class or function (also behind ``functools`` wrappers such as ``lru_cache``): autodoc
    documents it from its own docstring."""
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return True
    return hasattr(obj, "__wrapped__") and inspect.isfunction(inspect.unwrap(obj))


def _kind(obj) -> str:
    """``autoclass``, ``autofunction``, ``module`` (a link to its page) or ``data``."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "autoclass"
    return "autofunction" if _documentable(obj) else "data"


def _attr_docs(module: str) -> dict[str, str]:
    """The ``#:`` comments (and string literals after the assignment) of module-level names,
    read from the source by Sphinx's own analyzer; never the docstring of the value's type."""
    from sphinx.pycode import ModuleAnalyzer

    try:
        analyzer = ModuleAnalyzer.for_module(module)
        analyzer.analyze()
    except Exception:  # no source (a compiled or namespace module): no comment docs
        return {}
    return {
        name: " ".join(lines).strip()
        for (cls, name), lines in analyzer.attr_docs.items()
        if not cls
    }


def api_plan() -> dict[str, list[tuple[str, str, str | None]]]:
    """Per public module: ``(name, kind, target)`` for every public name, kind one of
    ``autoclass``, ``autofunction``, ``data`` (documented here, target None) or ``link``
    (target: the full name documented elsewhere) or ``module`` (target: the module's name).

    A class or function is documented once: in the public module that defines and exports it,
    else in the first public module (in name order) exporting it. A constant is documented once
    too: in the module whose source documents it with a ``#:`` comment, else in the deepest
    module exporting it (where it is usually defined); elsewhere it is a link."""
    modules = {m: importlib.import_module(m) for p in PACKAGES for m in public_modules(p)}
    home_of: dict[object, str] = {}
    for m, mod in modules.items():
        for name in public_names(mod):
            obj = getattr(mod, name)
            if _documentable(obj) and getattr(obj, "__module__", None) == m:
                home_of.setdefault(id(obj), f"{m}.{name}")
    # constants: keyed by (name, id) so that equal small values of different names stay apart
    data_homes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for m, mod in modules.items():
        for name in public_names(mod):
            if _kind(getattr(mod, name)) == "data":
                data_homes[(name, id(getattr(mod, name)))].append(m)
    docs = {m: _attr_docs(m) for m in sorted({m for ms in data_homes.values() for m in ms})}
    for (name, key), ms in data_homes.items():
        documented = [m for m in ms if name in docs[m]]
        home = (documented or sorted(ms, key=lambda m: (-m.count("."), m)))[0]
        home_of[(name, key)] = f"{home}.{name}"
    plan = {}
    for m, mod in modules.items():
        entries = []
        for name in public_names(mod):
            obj = getattr(mod, name)
            here, kind = f"{m}.{name}", _kind(obj)
            if kind == "module":
                entries.append((name, "module", obj.__name__))
                continue
            key = (name, id(obj)) if kind == "data" else id(obj)
            target = home_of.setdefault(key, here)
            entries.append((name, "link", target) if target != here else (name, kind, None))
        plan[m] = entries
    return plan


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _data_entry(module: str, name: str, doc: str | None) -> list[str]:
    """A constant: its ``#:`` documentation, or a pointer to the module's docstring."""
    text = doc or f"See the module documentation of :mod:`{module}`."
    return [f".. py:data:: {name}", f"   :module: {module}", "", f"   {escape_pipes(text)}", ""]


def write_api(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    plan = api_plan()
    index = [_title("API reference"), "Every public module, generated from its docstrings.\n"]
    for package in PACKAGES:
        index += ["", _title(package, "-"), ".. toctree::", "   :maxdepth: 1", ""]
        index += [f"   {m}" for m in sorted(plan) if m == package or m.startswith(package + ".")]
        for m in (m for m in plan if m == package or m.startswith(package + ".")):
            lines = [_title(m), f".. automodule:: {m}", "   :no-members:", ""]
            docs = _attr_docs(m)
            links = []
            for name, kind, target in plan[m]:
                if kind == "link":
                    links.append(f"* ``{name}``: :obj:`{target}`")
                elif kind == "module":
                    links.append(f"* ``{name}``: the module :mod:`{target}`")
                elif kind == "data":
                    lines += _data_entry(m, name, docs.get(name))
                else:
                    lines += [f".. {kind}:: {m}.{name}", ""]
            if links:
                lines += ["Also available here", "-------------------", "", *links, ""]
            (out / f"{m}.rst").write_text("\n".join(lines))
    (out / "index.rst").write_text("\n".join(index) + "\n")


_CODE = re.compile(r"(``.+?``|:[\w:.+-]+:`[^`]*`|`[^`]*`_{0,2})")
_TABLE = re.compile(r"^\s*(\|(\s|$)|\+[-=])")  # a grid-table row or border, a line block
_VERBATIM = re.compile(r"^(\s*)(\.\. [\w:-]+::|.*::\s*$)")


def escape_pipes(text: str) -> str:
    """``|x - y|`` in prose is not an rst substitution: escape the pipes outside inline code and
    roles (``:math:`|x|``` stays LaTeX), outside literal blocks and directives (``.. math::``),
    and in lines that are tables (``| a | b |``, ``+---+``) or line blocks (``| text``)."""
    out, verbatim_indent = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if verbatim_indent is not None:
            if not line.strip() or indent > verbatim_indent:
                out.append(line)
                continue
            verbatim_indent = None
        if _VERBATIM.match(line):
            verbatim_indent = indent
        if _TABLE.match(line) or "|" not in line:
            out.append(line)
            continue
        parts = _CODE.split(line)
        out.append("".join(p if i % 2 else p.replace("|", r"\|") for i, p in enumerate(parts)))
    return "\n".join(out)


def _prose(text: str) -> str:
    """Registry text on one line (it sits in list items and indented blocks), pipes escaped."""
    return escape_pipes(" ".join(str(text).split()))


def _escape_docstring(app, what, name, obj, options, lines) -> None:
    """autodoc-process-docstring: :func:`escape_pipes` on every docstring, in place."""
    lines[:] = escape_pipes("\n".join(lines)).split("\n")


def _indent(text: str, by: str = "   ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _check_entry(c) -> list[str]:
    r = c.reference
    state = "fast" if c.fast else "slow"
    state += ", documented disagreement" if c.discrepancy else ""
    return [
        f"**{c.name}** ({state})",
        "",
        f"   *Reference* ``{r.paper}`` / ``{r.name}``: {_prose(r.source)}.",
        "",
        f"   *Metric*: {_prose(c.metric)}; tolerance {c.tolerance:g}.",
        "",
    ]


def _disagreement_entry(c, title_char: str = "-") -> list[str]:
    what = c.reference.description or c.reference.name
    return [
        _title(f"{c.group}: {c.name}", title_char),
        f"*Reference*: {_prose(c.reference.source)}.",
        "",
        f"*What it states*: {_prose(what)}",
        "",
        f"*What we find*: {_prose(c.discrepancy)}",
        "",
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")


def write_validation(out: Path) -> None:
    """``validation.rst`` (every check by group), ``disagreements.rst`` (every check with a
    documented disagreement, exactly those ``python -m validation report`` lists as DISAGREES)
    and, for the user guide, ``checks/<group>.rst`` and ``checks/paper-<paper>.rst``: the
    checks of one group or one paper with their disagreements in full."""
    from validation.registry import discover

    checks = discover()
    by_group, by_paper = defaultdict(list), defaultdict(list)
    for c in checks:
        by_group[c.group].append(c)
        by_paper[c.reference.paper].append(c)
    page = [_title("Published references and their checks")]
    page.append(
        "Generated from :mod:`validation.registry` at build time. A check passes when its "
        "measured distance is within its tolerance; ``python -m validation report`` runs them.\n"
    )
    for group in sorted(by_group):
        page += [_title(group, "-")]
        for c in by_group[group]:
            page += _check_entry(c)
    (out / "validation.rst").write_text("\n".join(page))
    dis = [_title("Documented disagreements with published claims")]
    dis.append(
        "Every check that carries a documented disagreement (``discrepancy=``): the report "
        "lists it as DISAGREES without failing, and fails should it start to pass. Generated "
        "from the registry, so this page lists exactly the checks of "
        "``python -m validation report``.\n"
    )
    for c in checks:
        if c.discrepancy:
            dis += _disagreement_entry(c)
    (out / "disagreements.rst").write_text("\n".join(dis))
    # included by the guide pages (no title of their own: they sit under the page's section)
    sub = out / "checks"
    sub.mkdir(exist_ok=True)
    for stem, group_checks in [
        *by_group.items(),
        *((f"paper-{_slug(p)}", cs) for p, cs in by_paper.items()),
    ]:
        (sub / f"{stem}.rst").write_text("\n".join(_checks_section(group_checks)))


def _checks_section(checks) -> list[str]:
    passing = [c for c in checks if not c.discrepancy]
    disagreeing = [c for c in checks if c.discrepancy]
    lines = [
        f"{len(checks)} checks in the validation report: {len(passing)} compared within a "
        f"tolerance, {len(disagreeing)} documented disagreements (generated from "
        ":mod:`validation.registry`; their status comes from ``python -m validation report``).",
        "",
    ]
    for c in passing:
        r = c.reference
        lines += [
            f"* **{c.name}**: ``{r.paper}`` {_prose(r.source)}; metric "
            f"{_prose(c.metric)}, tolerance {c.tolerance:g}."
        ]
    lines.append("")
    for c in disagreeing:
        lines += [
            f"**Disagreement, {c.name}**",
            "",
            f"   *Reference*: ``{c.reference.paper}`` {_prose(c.reference.source)}.",
            "",
            f"   *What it states*: {_prose(c.reference.description or c.reference.name)}",
            "",
            f"   *What we find*: {_prose(c.discrepancy)}",
            "",
        ]
    return lines


def shipped_results() -> list:
    """The registered results that mlcore ships (``mlcore.experiments``), not ones a caller or
    a test registered in the same process."""
    from mlcore.registry import results

    return [
        r for r in results() if getattr(r.run, "__module__", "").startswith("mlcore.experiments")
    ]


def write_result_summaries(out: Path) -> None:
    from mlcore.records import reference_runs_dir

    out.mkdir(parents=True, exist_ok=True)
    runs = reference_runs_dir()
    for result in shipped_results():
        path = None if runs is None else runs / f"{result.name}.json"
        if path is None or not path.is_file():
            text = f"(no committed record of {result.name})"
        else:
            record = result.record.load(path)
            text = f"{result.name}: record {path.name}\n{result.summary(record)}"
        (out / f"{result.name}.txt").write_text(text + "\n")


def write_hardware_table(out: Path) -> None:
    """``hardware.rst``: :func:`mlcore.hardware.chips.comparison_table` computed at build time
    (the hardware model is evaluated, not trained: no run record), with its own column titles
    and formats (:data:`mlcore.hardware.chips.COLUMNS`)."""
    from mlcore.hardware.chips import COLUMNS, comparison_table

    rows = comparison_table()
    lines = [".. list-table::", "   :header-rows: 1", ""]
    lines.append("   * - " + "\n     - ".join(title for _, title, _ in COLUMNS))
    for row in rows:
        cells = [fmt.format(row[key]) for key, _, fmt in COLUMNS]
        lines.append("   * - " + "\n     - ".join(escape_pipes(c) for c in cells))
    (out / "hardware.rst").write_text("\n".join(lines) + "\n")


def generate(app) -> None:
    src = Path(app.srcdir)
    write_api(src / "api")
    gen = src / "generated"
    gen.mkdir(exist_ok=True)
    write_validation(gen)
    write_result_summaries(gen / "results")
    write_hardware_table(gen / "results")


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", _escape_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
