"""The documentation site's generated pages and gallery, checked without a full build (CI runs
``make docs``, which builds with warnings as errors and runs every example).

* the API plan documents every public name of physcore, mlcore and validation, each class,
  function and constant exactly once, and links every re-export to a documented entry;
* the disagreement pages list exactly the checks ``python -m validation report`` lists as
  DISAGREES, and the per-result fragments the guide includes exist and hold their group;
* pipes in docstrings are escaped only where rst would read a substitution;
* every gallery example has a title and draws a figure, and uses no deprecated name;
* every registered mlcore result has a guide page showing its committed summary.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("plot_*.py"))
GUIDE = sorted((DOCS / "guide").glob("*.rst"))


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "generated_pages", DOCS / "_ext" / "generated_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generated_pages", module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@pytest.fixture(scope="module")
def plan():
    return gen.api_plan()


def test_api_plan_lists_every_public_name(plan):
    for package in gen.PACKAGES:
        modules = gen.public_modules(package)
        assert package in modules
        for m in modules:
            module = importlib.import_module(m)
            assert [name for name, _, _ in plan[m]] == gen.public_names(module), m
    # the headline names sit where a reader looks for them
    kinds = {f"{m}.{n}": (k, t) for m, entries in plan.items() for n, k, t in entries}
    assert kinds["physcore.semidirac.junction.NSJunction"] == ("autoclass", None)
    assert kinds["physcore.semidirac.NSJunction"] == (
        "link",
        "physcore.semidirac.junction.NSJunction",
    )
    assert kinds["validation.registry.check"][0] == "autofunction"


def test_every_object_is_documented_once_and_links_resolve(plan):
    documented = [
        f"{m}.{n}"
        for m, entries in plan.items()
        for n, k, _ in entries
        if k not in ("link", "module")
    ]
    assert len(documented) == len(set(documented))
    objects = {}
    for full in documented:
        module, name = full.rsplit(".", 1)
        obj = getattr(importlib.import_module(module), name)
        if gen._kind(obj) != "data":  # constants may share a value (ints, strings)
            assert id(obj) not in objects, f"{full} and {objects.get(id(obj))} are one object"
            objects[id(obj)] = full
    targets = {t for entries in plan.values() for _, k, t in entries if k == "link"}
    assert targets <= set(documented), sorted(targets - set(documented))[:5]
    modules = {t for entries in plan.values() for _, k, t in entries if k == "module"}
    assert modules <= set(plan), modules - set(plan)  # a module-valued name links to its page


def test_constants_take_their_comment_not_their_type_docstring(tmp_path):
    gen.write_api(tmp_path)
    page = (tmp_path / "physcore.semidirac.models.rst").read_text()
    assert ".. py:data:: PARAMETER_LIMIT\n   :module: physcore.semidirac.models\n" in page
    assert "largest magnitude of an energy" in page
    every_page = "".join(p.read_text() for p in tmp_path.glob("*.rst"))
    assert "autodata" not in every_page
    assert dict.__doc__.splitlines()[0] not in every_page
    assert (tmp_path / "index.rst").is_file()


def test_disagreement_pages_list_exactly_the_reports_disagreements(tmp_path):
    from validation.registry import discover
    from validation.report import CheckResult

    gen.write_validation(tmp_path)
    checks = discover()
    # a documented disagreement is a failed check with a discrepancy note: the report's status
    reported = {
        (c.group, c.name)
        for c in checks
        if CheckResult(check=c, measured=1.0, passed=False, seconds=0.0).status == "DISAGREES"
    }
    page = (tmp_path / "disagreements.rst").read_text().splitlines()
    listed = {
        tuple(line.split(": ", 1))
        for line, under in zip(page, page[1:])
        if under and set(under) == {"-"} and len(under) == len(line)
    }
    assert listed == reported and len(reported) > 0
    # the fragments the guide pages include: each group's checks, its disagreements in full
    for group in {c.group for c in checks}:
        text = (tmp_path / "checks" / f"{group}.rst").read_text()
        mine = [c for c in checks if c.group == group]
        assert f"{len(mine)} checks in the validation report" in text
        for c in mine:
            assert (f"**Disagreement, {c.name}**" in text) == bool(c.discrepancy), c.name
            assert f"**{c.name}**" in text or f"Disagreement, {c.name}" in text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("metric |R_right - 1| at T", r"metric \|R_right - 1\| at T"),
        ("|E| = gap exactly", r"\|E\| = gap exactly"),
        ("keep ``a|b`` and :math:`|x|` as they are", "keep ``a|b`` and :math:`|x|` as they are"),
        ("| a | b |", "| a | b |"),
        ("+---+---+", "+---+---+"),
        (".. math::\n\n   |x - y|\n\nthen |z|", ".. math::\n\n   |x - y|\n\nthen \\|z\\|"),
        ("Example::\n\n    a = |b|\n", "Example::\n\n    a = |b|"),
    ],
)
def test_pipes_are_escaped_only_in_prose(text, expected):
    assert gen.escape_pipes(text) == expected


def test_escaped_prose_is_valid_rst():
    docutils_core = pytest.importorskip("docutils.core")
    text = gen.escape_pipes("max |G_ours - G_ref| / G_N and |period - pi|\n")
    doctree = docutils_core.publish_doctree(text, settings_overrides={"report_level": 5})
    assert "problematic" not in doctree.pformat()
    assert "|G_ours - G_ref|" in doctree.astext()


def _docstring_and_tree(path: Path):
    tree = ast.parse(path.read_text())
    return ast.get_docstring(tree, clean=True) or "", tree


def test_gallery_has_the_issues_examples():
    assert len(EXAMPLES) >= 8
    names = {p.stem for p in EXAMPLES}
    for needed in (
        "plot_semidirac_conductance",
        "plot_kwant_overlay",
        "plot_orientation_map",
        "plot_collision_current",
        "plot_rectification_map",
        "plot_sweep_local",
        "plot_mlcore_dynamic",
        "plot_validation_report",
    ):
        assert needed in names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_gallery_example_has_a_title_and_draws_a_figure(path):
    doc, tree = _docstring_and_tree(path)
    lines = doc.splitlines()
    assert len(lines) >= 4, "a title, its underline, a blank line and a description"
    assert lines[1] == "=" * len(lines[0]) and lines[0].strip(), "rst title with = underline"
    assert lines[3].strip(), "a paragraph saying what the example shows"
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "plt"
    }
    assert calls & {"subplots", "figure", "subplot"}, "the example must draw a figure"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_gallery_example_uses_no_deprecated_name(path):
    _, tree = _docstring_and_tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword):
            assert node.arg != "n_modes", "n_modes is deprecated: n_q"
            if node.arg in ("coupling", "kind") and isinstance(node.value, ast.Constant):
                assert node.value.value != "xx", "'xx' is deprecated"


def test_every_result_has_a_guide_page_with_its_committed_summary(tmp_path):
    gen.write_result_summaries(tmp_path)
    pages = {p.stem: p.read_text() for p in GUIDE}
    shipped = gen.shipped_results()
    assert {r.name for r in shipped} >= {
        "bsq", "boundary", "soteria", "coded_aggregation", "graphfl", "transfer", "dynamic"
    }  # fmt: skip
    for result in shipped:
        summary = (tmp_path / f"{result.name}.txt").read_text()
        assert "no committed record" not in summary, result.name
        assert f".. literalinclude:: /generated/results/{result.name}.txt" in pages[result.name]


def test_guide_includes_only_generated_files_that_exist(tmp_path):
    gen.write_validation(tmp_path)
    produced = {p.name for p in (tmp_path / "checks").glob("*.rst")}
    included = {
        name
        for text in (p.read_text() for p in GUIDE)
        for name in re.findall(r"\.\. include:: /generated/checks/(\S+)", text)
    }
    assert included and included <= produced, included - produced
    index = (DOCS / "index.rst").read_text()
    for page in ("install", "semidirac", "collision", "sweeps", "validation", "mlcore"):
        assert f"guide/{page}" in index
