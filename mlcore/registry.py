"""The experiment registry: every mlcore result declares itself once, as one :class:`Result`.

A result is a module (or package) in :mod:`mlcore.experiments` that builds a :class:`Result`
and passes it to :func:`register` when imported; :func:`discover` imports every such module
(``pkgutil``), so adding a result is adding a module. The command line (``python -m mlcore``),
the mlcore demo and ``make demo`` iterate :func:`results`; nothing else keeps a list.

Example (a module ``mlcore/experiments/example.py``)::

    @dataclass(frozen=True)
    class ExampleParams(Params):
        epochs: int = parameter(5, Interval(int, 1, None), "training epochs", unit="epochs")

    @dataclass(frozen=True)
    class ExampleMetrics(Metrics):
        accuracy: float

    @dataclass(frozen=True)
    class ExampleRecord(
        RunRecord, result="example", params_type=ExampleParams, metrics_type=ExampleMetrics
    ):
        pass

    def run(params, context):        # one seed; context: mlcore.runner.RunContext
        ...
        return ExampleMetrics(accuracy=...)

    register(Result("example", "one line", ExampleParams, ExampleRecord, run, plot, summary))
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .params import Params
from .records import RecordError, RunRecord

__all__ = ["Result", "register", "get", "results", "discover", "load_record"]


@dataclass(frozen=True)
class Result:
    """One registered result.

    Attributes
    ----------
    name : str
        Command-line name (``python -m mlcore <name>``), an identifier.
    description : str
        One line for ``python -m mlcore list``.
    params : type
        Its parameters dataclass (a :class:`mlcore.params.Params` subclass): defaults, ranges,
        help and units; the command line is generated from it.
    record : type
        Its :class:`mlcore.records.RunRecord` subclass.
    run : callable(params, context) -> Metrics
        One seed of the result (``context`` is a :class:`mlcore.runner.RunContext`); the runner
        assembles the seeds' metrics into ``record``.
    plot : callable(record, out_dir) -> list of Path
        Figures of a record (PNG files written into ``out_dir``).
    summary : callable(record) -> str
        The headline numbers as text (mean and spread over seeds).
    demo_params : dict
        Parameter overrides for a quick live run, used by the demo when no reference record
        exists.
    """

    name: str
    description: str
    params: type
    record: type
    run: Callable[[Any, Any], Any]
    plot: Callable[[Any, Path], list]
    summary: Callable[[Any], str]
    demo_params: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"Result.name must be an identifier; got {self.name!r}")
        if not (isinstance(self.params, type) and issubclass(self.params, Params)):
            raise TypeError(f"Result.params must be a Params dataclass; got {self.params!r}")
        if not (isinstance(self.record, type) and issubclass(self.record, RunRecord)):
            raise TypeError(f"Result.record must be a RunRecord subclass; got {self.record!r}")
        if self.record.result != self.name:
            raise ValueError(
                f"{self.record.__name__}.result is {self.record.result!r}, expected {self.name!r}"
            )


_RESULTS: dict[str, Result] = {}
_DISCOVERED = False


def register(result: Result) -> Result:
    """Add ``result`` to the registry (a name registered twice is an error)."""
    known = _RESULTS.get(result.name)
    if known is not None and known is not result:
        raise ValueError(f"result {result.name!r} is already registered")
    _RESULTS[result.name] = result
    return result


def discover() -> None:
    """Import every module and package of :mod:`mlcore.experiments` (names not starting with
    ``_``), which registers their results."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    from . import experiments

    for info in pkgutil.iter_modules(experiments.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{experiments.__name__}.{info.name}")
    _DISCOVERED = True


def results() -> list[Result]:
    """Every registered result, sorted by name."""
    discover()
    return [_RESULTS[name] for name in sorted(_RESULTS)]


def get(name: str) -> Result:
    """The result called ``name``; ``ValueError`` listing the known names otherwise."""
    discover()
    if name not in _RESULTS:
        raise ValueError(f"unknown result {name!r}; registered: {sorted(_RESULTS)}")
    return _RESULTS[name]


def load_record(path: str | Path, result: str | None = None) -> RunRecord:
    """Read a run record of any registered result (or of ``result``), typed by its record class.

    Raises
    ------
    RecordError
        Not a record of the current schema, of an unknown result, or not of ``result``.
    """
    import json

    data = json.loads(Path(path).read_text())
    name = data.get("result") if isinstance(data, dict) else None
    if result is not None and name != result:
        raise RecordError(f"{path}: record of result {name!r}, expected {result!r}")
    try:
        cls = get(str(name)).record
    except ValueError as err:
        raise RecordError(f"{path}: {err}") from None
    return cls.load(path)
