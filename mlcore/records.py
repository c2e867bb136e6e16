"""Typed run records: what a result's run produced, with the parameters, seeds, versions and
device that produced it, so that every reported number traces back to its run.

A record is a frozen dataclass (the pattern of :class:`mlcore.quantization.QuantizationScheme`):
one subclass of :class:`RunRecord` per result declares its parameters and per-seed metrics
types; :meth:`RunRecord.to_dict` / :meth:`RunRecord.from_dict` round-trip it through JSON, and an
unknown schema, result or field is a clear error. Metrics are dataclasses too (subclasses of
:class:`Metrics`) whose fields are identifiers (``boundary_retraining``, never a legend label);
:meth:`RunRecord.stat` gives the mean and spread over seeds of any metric, read by attribute.

Where records live (declared here, once)
----------------------------------------
* committed reference records: :func:`reference_runs_dir`, ``validation/runs/`` of the source
  checkout (``None`` for an installed package without the checkout). They are regenerated only
  on request (``python -m mlcore bsq --record validation/runs/bsq.json``).
* a user's runs: :func:`user_runs_dir`, ``./results/mlcore/<result>/`` under the working
  directory, never inside the installed package.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .params import Params

__all__ = [
    "SCHEMA",
    "Metrics",
    "Spread",
    "SeedRun",
    "RunRecord",
    "RecordError",
    "reference_runs_dir",
    "user_runs_dir",
    "atomic_write",
    "write_text_atomic",
    "RunCheckpoint",
]

SCHEMA = "mlcore-run/2"


class RecordError(ValueError):
    """A file that is not a run record of the expected result and schema."""


def reference_runs_dir() -> Path | None:
    """``validation/runs/`` of the source checkout, where the committed reference records live;
    ``None`` when mlcore runs from an installed package without the checkout."""
    path = Path(__file__).resolve().parent.parent / "validation" / "runs"
    return path if path.is_dir() else None


def user_runs_dir(result: str, root: str | Path = ".") -> Path:
    """Default folder of a user's run of ``result``: ``<root>/results/mlcore/<result>``."""
    return Path(root) / "results" / "mlcore" / result


def atomic_write(path: str | Path, write: Callable[[str], object], suffix: str = ".tmp") -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it into place
    (atomic on POSIX), so that a killed run never leaves a half-written file. (physcore has
    the same helper; mlcore and physcore do not import each other.)"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_write`."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


# -- plain data <-> typed dataclasses -----------------------------------------------------------


def to_plain(value: Any) -> Any:
    """JSON-ready copy: dataclasses and Params as dicts, tuples as lists, numpy scalars as
    Python numbers, non-finite floats as strings (``"nan"``, ``"inf"``)."""
    if hasattr(value, "to_dict") and not isinstance(value, type):
        value = value.to_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def from_plain(tp: Any, value: Any, where: str) -> Any:
    """``value`` (parsed JSON) converted to type ``tp``: dataclasses field by field (unknown or
    missing fields are a :class:`RecordError` naming ``where``), ``tuple[X, ...]``,
    ``dict[str, X]``, ``X | None``, float, int, str, bool."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else from_plain(options[0], value, where)
    if origin is tuple:
        return tuple(
            from_plain(typing.get_args(tp)[0], v, f"{where}[{i}]") for i, v in enumerate(value)
        )
    if origin is dict:
        item = typing.get_args(tp)[1]
        return {str(k): from_plain(item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and hasattr(tp, "from_dict") and not issubclass(tp, RunRecord):
        return tp.from_dict(value)
    if dataclasses.is_dataclass(tp):
        return _dataclass_from_plain(tp, value, where)
    if tp is float:
        return float(value)
    if tp in (int, str, bool):
        if not isinstance(value, tp):
            raise RecordError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    return value


def _dataclass_from_plain(cls, value: dict, where: str):
    if not isinstance(value, dict):
        raise RecordError(f"{where}: expected a {cls.__name__} mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {unknown} for {cls.__name__}")
    out = {}
    for name, f in fields.items():
        if name in value:
            out[name] = from_plain(hints[name], value[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RecordError(f"{where}: missing field {name!r} of {cls.__name__}")
    return cls(**out)


# -- metrics and their spread over seeds ---------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Mean and spread of one metric over seeds.

    ``std`` is the sample standard deviation (``ddof=1``; 0 for a single seed); ``values`` are
    the per-seed values in seed order."""

    mean: float
    std: float
    values: tuple[float, ...]

    @classmethod
    def of(cls, values) -> Spread:
        v = np.asarray(list(values), dtype=float)
        std = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
        return cls(float(np.mean(v)), std, tuple(float(x) for x in v))


class Metrics:
    """Base of a result's per-seed metrics dataclass: JSON round trip and named metrics.

    A field is a number, a nested :class:`Metrics`, a tuple of them, or ``None``. An item of a
    tuple may define ``key`` (an identifier, e.g. ``alpha_0p05``) used in metric names."""

    def to_dict(self) -> dict:
        return {f.name: to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict):
        return _dataclass_from_plain(cls, data, cls.__name__)

    def named_metrics(self, prefix: str = "") -> dict[str, float]:
        """Every numeric field, ``{dotted identifier path: value}`` (booleans as 0/1)."""
        out: dict[str, float] = {}
        for f in dataclasses.fields(self):
            _collect(getattr(self, f.name), prefix + f.name, out)
        return out


def _collect(value, name: str, out: dict) -> None:
    if isinstance(value, Metrics):
        out.update(value.named_metrics(name + "."))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            key = getattr(item, "key", None)
            _collect(item, f"{name}.{key if isinstance(key, str) else i}", out)
    elif isinstance(value, bool | int | float | np.number) and not isinstance(value, str):
        out[name] = float(value)


# -- the record ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedRun:
    """One seed of a run: the root seed, the named child seeds derived from it, timing, the
    resumed checkpoint steps, and the result's metrics."""

    seed: int
    derived_seeds: dict[str, int]
    wall_time_s: float
    stage_times_s: dict[str, float]
    resumed_steps: tuple[str, ...]
    metrics: Any


@dataclass(frozen=True)
class RunRecord:
    """A run of one result over one or more seeds (base of every result's record class).

    Subclasses declare ``result`` (the registry name), ``params_type`` (a
    :class:`mlcore.params.Params` dataclass) and ``metrics_type`` (a :class:`Metrics` dataclass)
    as class keywords, checked when the class is made::

        @dataclass(frozen=True)
        class ExampleRecord(
            RunRecord, result="example", params_type=ExampleParams, metrics_type=ExampleMetrics
        ):
            ...

    (Setting the three class variables in the class body works too.)

    Attributes
    ----------
    params : Params
        The result's parameters.
    runs : tuple of SeedRun
        One per root seed, in the order run.
    device, torch_threads
        Where it ran: exact reproduction is promised for the same seeds, device and threads.
    versions, git_describe, command, created_utc, wall_time_s
        Provenance: library versions, ``git describe`` of the source checkout, the command
        line, the UTC start time and the total wall time in seconds.
    """

    result: ClassVar[str] = ""
    params_type: ClassVar[type] = object
    metrics_type: ClassVar[type] = Metrics

    params: Any
    runs: tuple[SeedRun, ...]
    device: str
    torch_threads: int
    versions: dict[str, Any]
    git_describe: str
    command: str
    created_utc: str
    wall_time_s: float
    schema: str = field(default=SCHEMA)

    def __init_subclass__(
        cls,
        *,
        result: str | None = None,
        params_type: type | None = None,
        metrics_type: type | None = None,
        **kwargs,
    ):
        super().__init_subclass__(**kwargs)
        if result is not None:
            if not isinstance(result, str) or not result.isidentifier():
                raise ValueError(f"{cls.__name__}: result must be an identifier; got {result!r}")
            cls.result = result
        if params_type is not None:
            if not (isinstance(params_type, type) and issubclass(params_type, Params)):
                raise TypeError(
                    f"{cls.__name__}: params_type must be a Params dataclass; got {params_type!r}"
                )
            cls.params_type = params_type
        if metrics_type is not None:
            if not (
                isinstance(metrics_type, type)
                and issubclass(metrics_type, Metrics)
                and dataclasses.is_dataclass(metrics_type)
            ):
                raise TypeError(
                    f"{cls.__name__}: metrics_type must be a Metrics dataclass; "
                    f"got {metrics_type!r}"
                )
            cls.metrics_type = metrics_type

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(r.seed for r in self.runs)

    @property
    def metrics(self) -> tuple:
        """The per-seed metrics, in seed order."""
        return tuple(r.metrics for r in self.runs)

    def stat(self, metric: Callable[[Any], float]) -> Spread:
        """Mean and spread over seeds of ``metric(m)`` for each seed's metrics ``m``, e.g.
        ``record.stat(lambda m: m.accuracy_full_precision)``."""
        return Spread.of(metric(m) for m in self.metrics)

    def spread(self) -> dict[str, Spread]:
        """Mean and spread of every named metric that all seeds report."""
        named = [m.named_metrics() for m in self.metrics]
        common = [k for k in named[0] if all(k in n for n in named[1:])]
        return {k: Spread.of(n[k] for n in named) for k in common}

    def to_dict(self) -> dict:
        out = {"schema": self.schema, "result": self.result}
        for f in dataclasses.fields(self):
            out[f.name] = to_plain(getattr(self, f.name))
        out["summary"] = {k: {"mean": s.mean, "std": s.std} for k, s in self.spread().items()}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> RunRecord:
        if data.get("schema") != SCHEMA:
            raise RecordError(
                f"not an mlcore run record of schema {SCHEMA!r} (found {data.get('schema')!r})"
            )
        if data.get("result") != cls.result:
            raise RecordError(f"record of result {data.get('result')!r}, expected {cls.result!r}")
        body = {k: v for k, v in data.items() if k not in ("result", "summary")}
        runs = [
            {**r, "metrics": cls.metrics_type.from_dict(r["metrics"])} for r in body.pop("runs")
        ]
        params = cls.params_type.from_dict(body.pop("params"))
        record = _dataclass_from_plain(cls, {**body, "runs": [], "params": {}}, cls.__name__)
        runs = tuple(_dataclass_from_plain(SeedRun, r, f"runs[{i}]") for i, r in enumerate(runs))
        return dataclasses.replace(record, params=params, runs=runs)

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON (sorted keys), atomically."""
        return write_text_atomic(path, json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        """Read a record of this result; :class:`RecordError` naming the file otherwise."""
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except RecordError as err:
            raise RecordError(f"{path}: {err}") from None


# -- resumable runs ------------------------------------------------------------------------------


class RunCheckpoint:
    """Finished steps of a long run, so that a killed run started again loses nothing finished.

    Steps live under ``root/<result>-<hash>/``, where the hash covers ``key`` (the run's
    parameters, seed, device and thread count): a run with other settings never reuses them. A
    step is either a JSON-able dict (:meth:`step`) or a model's weights (:meth:`module`, saved
    with ``torch.save`` of the state dict and read back with ``torch.load(...,
    weights_only=True)``: no pickle of code). Every file appears atomically, so a step is either
    complete or absent. ``root=None`` disables checkpointing (every step is computed).
    """

    def __init__(self, root: str | Path | None, result: str, key: dict):
        import hashlib

        text = json.dumps(to_plain(key), sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.path = None if root is None else Path(root) / f"{result}-{digest}"
        self.reused: list[str] = []

    def step(self, name: str, compute: Callable[[], Any]) -> Any:
        """The stored result of step ``name`` (plain JSON data), or ``compute()`` stored now."""
        if self.path is not None:
            file = self.path / f"{name}.json"
            if file.exists():
                self.reused.append(name)
                return json.loads(file.read_text())
        value = to_plain(compute())
        if self.path is not None:
            write_text_atomic(file, json.dumps(value, sort_keys=True))
        return value

    def module(self, name: str, module, train: Callable) -> Any:
        """``module`` with the stored weights of step ``name``, or trained by ``train(module)``
        (which trains in place, or returns the trained module)."""
        import torch

        if self.path is not None:
            file = self.path / f"{name}.pt"
            if file.exists():
                state = torch.load(file, weights_only=True, map_location="cpu")
                module.load_state_dict(state)
                self.reused.append(name)
                return module
        trained = train(module)
        if isinstance(trained, torch.nn.Module):
            module = trained
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
            os.close(fd)
            try:
                torch.save(module.state_dict(), tmp)
                os.replace(tmp, file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return module
