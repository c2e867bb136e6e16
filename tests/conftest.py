"""Test-suite set-up shared by every test package.

numba's on-disk cache: numba invalidates a cached kernel only when the source file of that very
function changes, not when a file it calls into does (``physcore/semidirac/_modes.py`` under
``_kernels.py``), so a stale kernel could survive an edit. The suite therefore runs with its own
``NUMBA_CACHE_DIR``, named after a hash of every numba source file of physcore: any edit gives a
fresh, empty cache (the kernels recompile once), an unchanged tree reuses the previous run's.
The folder lies in the system's temporary directory, outside the repository. Set before numba
is imported (this conftest is imported first); an explicit ``NUMBA_CACHE_DIR`` is respected, and
xdist workers inherit the controller's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _numba_sources_digest() -> str:
    """Hash of every physcore source file that imports numba (path and content)."""
    digest = hashlib.sha256()
    for path in sorted((_ROOT / "physcore").rglob("*.py")):
        text = path.read_bytes()
        if b"import numba" in text:
            digest.update(str(path.relative_to(_ROOT)).encode())
            digest.update(text)
    return digest.hexdigest()[:16]


if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(
        Path(tempfile.gettempdir()) / f"physcore-numba-cache-{_numba_sources_digest()}"
    )
