"""Sweep specs: a TOML file naming a computation, a parameter grid, chunking and SLURM resources.

Example (``sweeps/semidirac_thin_barrier.toml``)::

    computation = "semidirac.conductance"
    name = "thin-barrier-period"

    [parameters]
    model = "semi-Dirac"
    orientation = "linear"
    mu = 10.0
    gap = 1.0
    barrier = "thin"
    chi = {linspace = [0.0, 6.2832, 25]}     # swept: one grid dimension
    bias = {linspace = [0.0, 2.0, 101]}      # a vector parameter: computed per call

    [chunks]
    size = 5                                 # grid points (of the swept parameters) per chunk

    [slurm]
    time = "00:10:00"
    cpus_per_task = 1
    mem = "1G"
    max_concurrent = 4                       # the M of --array=0-N%M

A parameter value is a scalar (fixed), a list (swept over its elements), or a table
``{linspace = [start, stop, num]}`` / ``{logspace = [start_exponent, stop_exponent, num]}``.
Every error names the field (``parameters.mu``, ``slurm.time``...) and is raised by
:func:`load_spec`, i.e. at ``plan``, before anything is submitted. Besides each point's range,
``plan`` refuses a parameter set where it has no effect (``chi`` without ``barrier = "thin"``:
every row would be the same) and grids beyond :data:`MAX_VALUES_PER_PARAMETER` values per
parameter or :data:`MAX_GRID_POINTS` points in all.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .computations import Computation, get_computation

__all__ = [
    "SpecError",
    "SweepSpec",
    "load_spec",
    "parse_spec",
    "MAX_VALUES_PER_PARAMETER",
    "MAX_GRID_POINTS",
]

#: most values one parameter may take (a linspace of 10^7 floats is 80 MB)
MAX_VALUES_PER_PARAMETER = 10**7
#: most grid points of a sweep, vector parameters included: ``collect`` holds every output in
#: memory (8 bytes a point per output)
MAX_GRID_POINTS = 10**8

_TOP_KEYS = {"computation", "name", "description", "parameters", "chunks", "slurm"}
#: SLURM resources a spec may set: key -> (type check, description)
_SLURM_KEYS = {
    "partition": "a partition name (string)",
    "time": "a time limit 'MM', 'HH:MM:SS' or 'D-HH:MM:SS' (string) or minutes (integer)",
    "cpus_per_task": "an integer >= 1",
    "mem": "memory per task, e.g. '2G' or '500M' (string) or MB (integer)",
    "max_concurrent": "an integer >= 1 (the M of --array=0-N%M)",
    "account": "an account name (string)",
    "qos": "a QOS name (string)",
    "constraint": "a node feature constraint (string)",
    "max_array_size": "an integer >= 1, the cluster's MaxArraySize (default 1001)",
    "setup": "shell lines run before the task, e.g. ['module load python'] (list of strings)",
    "python": "the Python interpreter the tasks run (default: the one running plan)",
}
_TIME_RE = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")
_MEM_RE = re.compile(r"^\d+[KMGT]?$")


class SpecError(ValueError):
    """A sweep spec that cannot run; the message names the field."""


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class SweepSpec:
    """A validated sweep spec.

    Attributes
    ----------
    computation : str
        The name (or import path) of the computation.
    fixed : dict
        Parameters held at one value (defaults included).
    swept : dict of str to tuple
        The swept (outer, chunked) parameters and their grid values, in spec order.
    vector : dict of str to numpy.ndarray
        Vector parameters (computed per call), each a 1-D float array.
    chunk_size : int
        Grid points of the swept parameters per chunk.
    slurm : dict
        SLURM resources.
    text : str
        The TOML text the spec was read from (stored verbatim in the provenance).
    """

    computation: str
    name: str
    fixed: dict
    swept: dict
    vector: dict
    chunk_size: int
    slurm: dict
    text: str
    description: str = ""
    allow_import: bool = False
    _impl: Computation | None = field(default=None, repr=False, compare=False)

    @property
    def impl(self) -> Computation:
        if self._impl is None:
            self._impl = get_computation(self.computation, allow_import=self.allow_import)
        return self._impl

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the swept grid (one axis per swept parameter)."""
        return tuple(len(v) for v in self.swept.values())

    @property
    def n_outer(self) -> int:
        return math.prod(self.shape)

    @property
    def n_points(self) -> int:
        """Total grid points, vector parameters included."""
        return self.n_outer * math.prod(len(v) for v in self.vector.values())

    @property
    def n_chunks(self) -> int:
        return -(-self.n_outer // self.chunk_size)

    @property
    def digest(self) -> str:
        """SHA-256 of the spec text: a sweep directory belongs to exactly one spec."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def point(self, flat_index: int) -> dict:
        """All parameters at one point of the swept grid (C order), vector ones as arrays."""
        idx = np.unravel_index(flat_index, self.shape) if self.swept else ()
        out = dict(self.fixed)
        for (name, values), i in zip(self.swept.items(), idx):
            out[name] = values[i]
        out.update(self.vector)
        return out

    def chunk_indices(self, chunk: int) -> range:
        """Flat indices of the swept grid computed by ``chunk``."""
        if not 0 <= chunk < self.n_chunks:
            raise ValueError(f"chunk must be in [0, {self.n_chunks - 1}], got {chunk!r}")
        return range(chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, self.n_outer))


def _grid(field_name: str, raw, kind: str, choices: tuple) -> list:
    """Expand one parameter's value into its list of grid values (a scalar -> one value)."""
    if isinstance(raw, dict):
        if len(raw) != 1 or next(iter(raw)) not in ("linspace", "logspace"):
            raise SpecError(
                f"{field_name}: a table must be {{linspace = [start, stop, num]}} or "
                f"{{logspace = [start, stop, num]}}, got {raw!r}"
            )
        how, args = next(iter(raw.items()))
        if (
            not isinstance(args, list)
            or len(args) != 3
            or not all(_is_number(a) for a in args[:2])
            or not isinstance(args[2], int)
            or isinstance(args[2], bool)
        ):
            raise SpecError(f"{field_name}: {how} takes [start, stop, num] with an integer num")
        if not 1 <= args[2] <= MAX_VALUES_PER_PARAMETER:
            raise SpecError(
                f"{field_name}: {how} num = {args[2]} is out of range; num must be in "
                f"[1, {MAX_VALUES_PER_PARAMETER}] (an empty grid, or more values than a sweep "
                "can hold)"
            )
        if kind not in ("float", "float_or_str"):
            raise SpecError(f"{field_name}: {how} gives floats but the parameter is {kind}")
        if not all(math.isfinite(a) for a in args[:2]):
            raise SpecError(f"{field_name}: {how} bounds must be finite, got {args[:2]}")
        values = getattr(np, how)(float(args[0]), float(args[1]), args[2])
        return [float(v) for v in values]
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise SpecError(f"{field_name}: empty grid (an empty list); give at least one value")
    if len(values) > MAX_VALUES_PER_PARAMETER:
        raise SpecError(
            f"{field_name}: {len(values)} values exceed the limit of "
            f"{MAX_VALUES_PER_PARAMETER} per parameter"
        )
    out = []
    for v in values:
        if kind == "str" or (kind == "float_or_str" and isinstance(v, str)):
            if not isinstance(v, str):
                raise SpecError(f"{field_name}: expected a string, got {v!r}")
            if choices and v not in choices:
                raise SpecError(f"{field_name}: {v!r} is not one of {list(choices)}")
            out.append(v)
        elif kind == "int":
            if not isinstance(v, int) or isinstance(v, bool):
                raise SpecError(f"{field_name}: expected an integer, got {v!r}")
            out.append(v)
        else:
            if not _is_number(v):
                raise SpecError(f"{field_name}: expected a number, got {v!r}")
            if not math.isfinite(v):
                raise SpecError(f"{field_name}: expected a finite number, got {v!r}")
            out.append(float(v))
    if len(set(map(repr, out))) != len(out):
        raise SpecError(f"{field_name}: repeated grid values in {values!r}")
    return out


def _check_slurm(raw) -> dict:
    if not isinstance(raw, dict):
        raise SpecError(f"slurm: expected a table, got {raw!r}")
    for key, value in raw.items():
        where = f"slurm.{key}"
        if key not in _SLURM_KEYS:
            raise SpecError(f"{where}: unknown key; allowed: {', '.join(sorted(_SLURM_KEYS))}")
        want = _SLURM_KEYS[key]
        if key in ("cpus_per_task", "max_concurrent", "max_array_size"):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        elif key == "time":
            ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 1) or (
                isinstance(value, str) and bool(_TIME_RE.match(value))
            )
        elif key == "mem":
            ok = (isinstance(value, int) and not isinstance(value, bool) and value >= 1) or (
                isinstance(value, str) and bool(_MEM_RE.match(value))
            )
        elif key == "setup":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, str) and bool(value.strip()) and "\n" not in value
        if not ok:
            raise SpecError(f"{where}: expected {want}, got {value!r}")
    return dict(raw)


def _field_names(message: str, names) -> list[str]:
    """The parameter names a validation message mentions (whole words)."""
    return [n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", message)]


def parse_spec(
    text: str,
    *,
    source: str = "<spec>",
    check_points: bool = True,
    allow_import: bool = False,
    progress: bool = True,
) -> SweepSpec:
    """Parse and validate a spec given as TOML text (see the module docstring).

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        Where the text came from (for messages).
    check_points : bool
        Run the computation's validation on every grid point (False when reopening a sweep
        planned from this text).
    allow_import : bool
        Import a computation named by an import path that no registration names (this runs the
        module's code; see :mod:`physcore.sweeps.computations`).
    progress : bool
        Show a progress bar while the grid points are checked, once that takes over a second.

    Raises
    ------
    SpecError
        Naming the offending field, for unknown keys or computations, an unregistered import
        path without ``allow_import``, wrong types, empty or oversized grids, parameters set
        where they have no effect and parameter points the computation rejects.
    """
    raw = _read_toml(text, source)
    impl = _computation(raw, allow_import)
    fixed, swept, vector = _parameter_grids(impl, raw.get("parameters", {}))
    n_outer = math.prod(len(v) for v in swept.values())
    size = _chunk_size(raw.get("chunks", {}), n_outer)
    slurm = _check_slurm(raw.get("slurm", {}))
    name, description = _name_and_description(raw, impl)
    spec = SweepSpec(
        computation=raw["computation"],
        name=name,
        fixed=fixed,
        swept=swept,
        vector=vector,
        chunk_size=min(size, max(n_outer, 1)),
        slurm=slurm,
        text=text,
        description=description,
        allow_import=allow_import,
        _impl=impl,
    )
    _check_array_size(spec)
    if check_points:
        _validate_points(spec, impl, progress=progress)
    return spec


def _read_toml(text: str, source: str) -> dict:
    """The spec's TOML table, with only known top-level keys."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source}: not valid TOML: {err}") from None
    for key in raw:
        if key not in _TOP_KEYS:
            raise SpecError(
                f"{key}: unknown top-level key; allowed: {', '.join(sorted(_TOP_KEYS))}"
            )
    return raw


def _computation(raw: dict, allow_import: bool) -> Computation:
    """The computation the spec names (required)."""
    if "computation" not in raw:
        raise SpecError("computation: missing; name the computation, e.g. 'semidirac.conductance'")
    try:
        return get_computation(raw["computation"], allow_import=allow_import)
    except ValueError as err:  # UntrustedComputation included: nothing was imported
        raise SpecError(str(err)) from None


def _name_and_description(raw: dict, impl: Computation) -> tuple[str, str]:
    """The sweep's name (default: the computation's, dots as dashes) and description."""
    name = raw.get("name", impl.name.replace(".", "-"))
    if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+", name):
        raise SpecError(f"name: expected letters, digits, '.', '_' or '-', got {name!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"description: expected a string, got {description!r}")
    return name, description


def _check_array_size(spec: SweepSpec) -> None:
    """Refuse more chunks than one SLURM job array may hold (``slurm.max_array_size``)."""
    max_array = spec.slurm.get("max_array_size", 1001)
    if spec.n_chunks > max_array:
        raise SpecError(
            f"chunks.size: {spec.n_chunks} chunks exceed the SLURM array limit "
            f"(slurm.max_array_size = {max_array}); raise chunks.size to at least "
            f"{-(-spec.n_outer // max_array)}"
        )


def _parameter_grids(impl: Computation, params) -> tuple[dict, dict, dict]:
    """The fixed, swept (in spec order) and vector parameters of a spec's [parameters] table,
    defaults filled in, each checked for its kind, size and effect."""
    if not isinstance(params, dict):
        raise SpecError(f"parameters: expected a table, got {params!r}")
    declared = dict(impl.parameters)
    for key in params:
        if key not in declared:
            raise SpecError(
                f"parameters.{key}: not a parameter of {impl.name!r}; "
                f"its parameters: {', '.join(declared)}"
            )
    fixed, swept, vector = {}, {}, {}
    n_points = 1
    for key, par in declared.items():
        where = f"parameters.{key}"
        if key not in params and par.default is None:
            raise SpecError(f"{where}: required by {impl.name!r} ({par.doc})")
        values = _grid(where, params.get(key, par.default), par.kind, tuple(par.choices))
        n_points *= len(values)
        if n_points > MAX_GRID_POINTS:
            raise SpecError(
                f"{where}: the grid reaches more than {MAX_GRID_POINTS} points with this "
                f"parameter ({len(values)} values); split the sweep into several specs"
            )
        if par.vector:
            vector[key] = np.asarray(values, dtype=float)
        elif isinstance(params.get(key), list | dict):
            swept[key] = tuple(values)
        else:
            fixed[key] = values[0]
    swept = {k: swept[k] for k in params if k in swept}  # the order the spec wrote them in
    _check_effective(declared, params, fixed, swept)
    return fixed, swept, vector


def _chunk_size(chunks, n_outer: int) -> int:
    """The [chunks] table's size (default: about 100 chunks)."""
    if not isinstance(chunks, dict) or set(chunks) - {"size"}:
        raise SpecError(f"chunks: expected a table with the key 'size' only, got {chunks!r}")
    size = chunks.get("size", max(1, -(-n_outer // 100)))
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise SpecError(f"chunks.size: expected an integer >= 1, got {size!r}")
    return size


def _check_effective(declared: dict, params: dict, fixed: dict, swept: dict) -> None:
    """Refuse a parameter the spec sets where it changes nothing (``Parameter.needs``).

    The grid is the product of the swept values, so a parameter acts somewhere on it exactly
    when each parameter it needs takes one of the required values somewhere.
    """
    for key in params:
        for other, allowed in declared[key].needs.items():
            values = swept.get(other, (fixed.get(other),))
            if not any(v in allowed for v in values):
                what = "swept" if key in swept else "set"
                have = list(values) if other in swept else values[0]
                want = " or ".join(repr(a) for a in allowed)
                raise SpecError(
                    f"parameters.{key}: {what} but it has no effect unless {other} is {want} "
                    f"(the spec has {other} = {have!r}); every row would be the same. Set "
                    f"{other} = {allowed[0]!r}, or remove {key}"
                )


def _validate_points(spec: SweepSpec, impl, *, progress: bool = True) -> None:
    """Run the computation's own validation on every point of the grid (cheap: no solving).

    A progress bar appears when this takes over a second (10^6 points take about 25 s).
    """
    from tqdm.auto import tqdm

    points = tqdm(
        range(spec.n_outer),
        desc=f"checking the grid points of {spec.name}",
        unit="point",
        delay=1.0,
        mininterval=0.5,
        disable=not progress or spec.n_outer < 1000,
    )
    for flat in points:
        point = spec.point(flat)
        try:
            impl.validate(point)
        except ValueError as err:
            message = str(err)
            names = _field_names(message, list(spec.swept) + list(spec.fixed) + list(spec.vector))
            fields = ", ".join(f"parameters.{n}" for n in names) or "parameters"
            at = {k: point[k] for k in spec.swept}
            raise SpecError(f"{fields}: {message}" + (f" (at {at})" if at else "")) from err


def load_spec(path: str | Path, *, allow_import: bool = False, progress: bool = True) -> SweepSpec:
    """Read and validate the spec file at ``path``; see :func:`parse_spec`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SpecError(f"cannot read the spec {path}: {err}") from None
    return parse_spec(text, source=str(path), allow_import=allow_import, progress=progress)
