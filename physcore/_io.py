"""Shared file plumbing for physcore: atomic writes, so that a killed job never leaves a
half-written file where a finished one is expected.

Every writer goes through :func:`atomic_write`: the content is written to a temporary file in
the target's folder (same file system) and moved into place with :func:`os.replace`, which is
atomic on POSIX. A reader therefore sees either the old file or the complete new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "write_text", "write_netcdf", "save_figure", "NETCDF_ENGINE"]

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
