"""Shared file plumbing for physcore: atomic writes, so that a killed job never leaves a
half-written file where a finished one is expected.

Every writer goes through :func:`atomic_write`: the content is written to a temporary file in
the target's folder (same file system) and moved into place with :func:`os.replace`, which is
atomic on POSIX. A reader therefore sees either the old file or the complete new one.

:func:`provenance` is the one helper that records library versions on a result (keys
``"<name>_version"``), used by every physcore package.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "atomic_write",
    "write_text",
    "write_netcdf",
    "save_figure",
    "provenance",
    "NETCDF_ENGINE",
]

#: netCDF4 (HDF5) files through h5netcdf: supports complex values and compression.
NETCDF_ENGINE = "h5netcdf"


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` and move the finished file onto ``path``.

    The temporary file is removed if ``write`` raises (or the process is interrupted inside
    Python); it is hidden (leading dot) so that globbing for results never picks it up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # keep the suffix: writers such as savefig choose the format from it
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}"
    )
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_netcdf(dataset, path: str | os.PathLike) -> Path:
    """Atomically write an xarray Dataset or DataArray to ``path`` as netCDF4."""
    return atomic_write(path, lambda tmp: dataset.to_netcdf(tmp, engine=NETCDF_ENGINE))


def save_figure(figure, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Atomically save a matplotlib figure; the format follows ``path``'s suffix."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    return atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi, format=fmt))


#: libraries every provenance record names (besides those a caller adds)
_CORE_LIBRARIES = ("numpy",)


def _version_of(name: str) -> str:
    """Installed version of distribution or module ``name`` ("not installed" if absent)."""
    import importlib.metadata
    import sys

    module = sys.modules.get(name)
    version = getattr(module, "__version__", None)
    if version is None:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
    return str(version)


def provenance(*libraries: str) -> dict[str, str]:
    """Versions for a result's attributes, one key style: ``"<name>_version"``.

    Always names Python, physcore and numpy; ``libraries`` adds the others the result depends
    on (``provenance("scipy", "qutip", "xarray")``). Keys are the lower-case distribution name
    with ``-`` and ``.`` turned into ``_`` followed by ``_version`` (``"python_version"``,
    ``"physcore_version"``, ``"qutip_version"``); values are version strings, so the dict can
    go straight into xarray or netCDF attributes. A library that is not installed is recorded
    as ``"not installed"`` rather than left out, so that a record says what it was asked for.
    """
    import platform

    from physcore import __version__

    out = {"python_version": platform.python_version(), "physcore_version": __version__}
    for name in (*_CORE_LIBRARIES, *libraries):
        if not isinstance(name, str) or not name:
            raise ValueError(f"libraries must be non-empty names, got {name!r}")
        key = name.lower().replace("-", "_").replace(".", "_") + "_version"
        out.setdefault(key, _version_of(name))
    return out
