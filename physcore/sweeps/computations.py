"""Computations a sweep can run, registered by name and resolved lazily by import path.

A computation is any object with the attributes of :class:`Computation` (duck typing: a package
that must not import :mod:`physcore`, such as :mod:`mlcore`, defines an object of the same shape
and names it in the spec by import path, ``computation = "mlcore.some_module:SOME_OBJECT"``).

Built-in names (resolved only when a spec uses them, so importing :mod:`physcore.sweeps` imports
no physics):

* ``semidirac.conductance``: :meth:`physcore.semidirac.NSJunction.conductance` over a grid.
* ``collision.steady_state``: the two-bath collision model's steady state.

Trust: resolving an import path imports that module, i.e. runs its code. A spec names its
computation, and opening a sweep folder reads its spec, so a folder from someone else could run
their code. Only registered computations (the built-ins, :func:`register_computation`, the
entry-point group ``physcore.sweeps``) are resolved by default; any other import path needs
``allow_import=True`` (CLI: ``--allow-import``), given by whoever runs the command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np

__all__ = [
    "Parameter",
    "Computation",
    "register_computation",
    "get_computation",
    "available_computations",
    "UntrustedComputation",
]

#: kinds a parameter value may have
KINDS = ("float", "int", "str", "float_or_str")


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a computation.

    Parameters
    ----------
    kind : {"float", "int", "str", "float_or_str"}
        The TOML value type accepted (an integer is accepted where a float is).
    default : object
        Value when the spec omits the parameter; ``None`` makes it required.
    vector : bool
        True for a parameter the computation handles as one array per call (e.g. ``bias``): it
        becomes a trailing dimension of every output and is never split across chunks.
    doc : str
        One line, with units.
    choices : tuple
        For ``str`` parameters, the allowed values (empty: any string).
    needs : mapping of str to tuple
        When the parameter has an effect at all: ``{"barrier": ("thin",)}`` says that it changes
        nothing unless ``barrier`` is ``"thin"``. A spec that sets it where it cannot act (for
        every point of its grid) is refused at plan, naming what it needs.
    """

    kind: str
    default: object = None
    vector: bool = False
    doc: str = ""
    choices: tuple = ()
    needs: Mapping[str, tuple] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Parameter kind must be one of {KINDS}, got {self.kind!r}")
        needs = {str(k): tuple(v) for k, v in dict(self.needs).items()}
        object.__setattr__(self, "needs", needs)

    @classmethod
    def from_constraint(cls, constraint, *, vector: bool = False, **overrides) -> Parameter:
        """A parameter generated from a declared constraint (:mod:`physcore._validation`).

        The kind follows the rule (``Interval`` of floats -> ``"float"``, of ints -> ``"int"``,
        ``Choices`` -> ``"str"`` with its values as ``choices``, ``AnyOf`` -> ``"float_or_str"``),
        the default is the constraint's (a required one -> ``None``) and the doc its
        :meth:`~physcore._validation.Constraint.describe`. ``overrides`` (``kind``, ``default``,
        ``choices``, ``needs``, ``doc``) set what a sweep spells differently, e.g. a default of
        ``None``, which TOML cannot hold.
        """
        from physcore._validation import AnyOf, Choices, Interval

        rule = constraint.rule
        fields = {"default": None if constraint.required else constraint.default}
        if isinstance(rule, Interval):
            fields["kind"] = "int" if rule.kind is int else "float"
        elif isinstance(rule, Choices):
            fields.update(kind="str", choices=tuple(rule.values))
        elif isinstance(rule, AnyOf):
            fields["kind"] = "float_or_str"
        fields.update(doc=constraint.describe(), vector=vector, **overrides)
        if "kind" not in fields:
            raise ValueError(f"no sweep parameter kind for the rule {rule!r}; give kind=")
        return cls(**fields)


@dataclass(frozen=True)
class Computation:
    """A computation over one grid point: the scalar parameters plus the vector parameters.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"semidirac.conductance"``.
    parameters : mapping of str to Parameter
        Every parameter a spec may set.
    outputs : mapping of str to dict
        Output variable name -> its attributes (``units``, ``long_name``).
    compute : callable
        ``compute(point) -> {output: array}``; ``point`` maps every parameter to its value
        (vector parameters to 1-D float arrays); each array has the shape of the vector
        parameters in declaration order.
    validate : callable
        ``validate(point) -> None``; raises ValueError naming the parameter for a point out of
        range. Must be cheap (no solving): it runs for every grid point at plan time.
    package : str
        Top-level package whose version goes into the provenance.
    """

    name: str
    parameters: Mapping[str, Parameter]
    outputs: Mapping[str, dict]
    compute: Callable[[dict], Mapping[str, np.ndarray]]
    validate: Callable[[dict], None]
    package: str = "physcore"
    doc: str = field(default="")

    @property
    def vector_dims(self) -> tuple[str, ...]:
        return tuple(k for k, p in self.parameters.items() if p.vector)


_BUILTIN = {
    "semidirac.conductance": "physcore.sweeps._semidirac:CONDUCTANCE",
    "collision.steady_state": "physcore.sweeps._collision:STEADY_STATE",
}
_REGISTRY: dict[str, object] = dict(_BUILTIN)
_ENTRY_POINT_GROUP = "physcore.sweeps"


def register_computation(name: str, target) -> None:
    """Register ``target`` as ``name``: a Computation, an object with its attributes, or the
    import path ``"module:attribute"`` of one (imported only when a spec uses it).

    A registration made at run time lives in this process only, so it serves the serial
    back-end; process pools and SLURM tasks start fresh interpreters and find a computation by
    built-in name, by the entry-point group ``physcore.sweeps`` (``name = "module:attribute"``,
    how another package registers without importing physcore) or by its import path in the spec.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"computation name must be a non-empty string, got {name!r}")
    if not isinstance(target, str):
        target = target if isinstance(target, Computation) else _from_duck(name, target)
    _REGISTRY[name] = target


def available_computations() -> list[str]:
    """Names usable in a spec's ``computation`` field (import paths are accepted too)."""
    names = set(_REGISTRY)
    names.update(ep.name for ep in metadata.entry_points(group=_ENTRY_POINT_GROUP))
    return sorted(names)


def _resolve_path(path: str):
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise ValueError(f"import path must read 'module:attribute', got {path!r}")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class UntrustedComputation(ValueError):
    """An import path that is not registered, refused because importing it runs its code."""


def _registered_paths() -> set[str]:
    """Import paths a registration names (built-ins, register_computation, entry points)."""
    paths = {t for t in _REGISTRY.values() if isinstance(t, str)}
    paths.update(ep.value for ep in metadata.entry_points(group=_ENTRY_POINT_GROUP))
    return paths


def get_computation(name: str, *, allow_import: bool = False) -> Computation:
    """The computation registered as ``name``, or found at the import path ``name``.

    Parameters
    ----------
    name : str
        A registered name, or an import path ``"module:attribute"``.
    allow_import : bool
        Import an import path that no registration names. Importing runs the module's code, so
        this is off by default: a spec (or a sweep folder) from someone else must not run their
        code unless whoever runs the command says so.

    Raises
    ------
    UntrustedComputation
        For an unregistered import path without ``allow_import`` (nothing is imported).
    ValueError
        Naming the field ``computation`` and the registered names when ``name`` is unknown.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"computation must be a non-empty string, got {name!r}")
    target = _REGISTRY.get(name)
    if target is None:
        eps = [ep for ep in metadata.entry_points(group=_ENTRY_POINT_GROUP) if ep.name == name]
        if eps:
            target = eps[0].value
        elif ":" in name:
            target = name
            if not allow_import and name not in _registered_paths():
                raise UntrustedComputation(
                    f"computation: {name!r} is an import path that no registration names; "
                    "importing it runs that module's code. If you trust it, pass "
                    "allow_import=True (command line: --allow-import), or register it "
                    f"(entry-point group '{_ENTRY_POINT_GROUP}')"
                )
        else:
            raise ValueError(
                f"computation: unknown computation {name!r}; registered: "
                f"{', '.join(available_computations())} (or an import path 'module:attribute')"
            )
    if isinstance(target, str):
        try:
            target = _resolve_path(target)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"computation: cannot import {name!r} ({target}): {err}") from err
    if isinstance(target, Computation):
        return target
    return _from_duck(name, target)


def _from_duck(name: str, target) -> Computation:
    """A :class:`Computation` from any object with the same attributes (e.g. one defined in
    :mod:`mlcore`, which does not import physcore); parameters may be plain dicts."""
    for attr in ("name", "parameters", "outputs", "compute", "validate"):
        if not hasattr(target, attr):
            raise ValueError(f"computation: {name!r} resolves to {target!r}, which has no {attr!r}")
    params = {}
    for key, par in dict(target.parameters).items():
        if isinstance(par, Mapping):
            par = Parameter(**par)
        elif not isinstance(par, Parameter):
            par = Parameter(
                kind=par.kind,
                default=getattr(par, "default", None),
                vector=getattr(par, "vector", False),
                doc=getattr(par, "doc", ""),
                choices=tuple(getattr(par, "choices", ())),
                needs=dict(getattr(par, "needs", {})),
            )
        params[key] = par
    return Computation(
        name=target.name,
        parameters=params,
        outputs=dict(target.outputs),
        compute=target.compute,
        validate=target.validate,
        package=getattr(target, "package", name.split(".")[0].split(":")[0]),
        doc=getattr(target, "doc", ""),
    )
