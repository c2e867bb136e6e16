"""Plumbing shared by the reduced-scale reproductions: collapse detection, text and figures.

No ``matplotlib.use`` here: the entry points (``python -m mlcore``, the demos) choose the
backend; a library caller keeps whatever backend they set.
"""

from __future__ import annotations

from pathlib import Path

from ..records import Spread

__all__ = ["is_collapsed", "percent", "save_figure", "COLLAPSE_FACTOR"]

#: A run "collapses" when its accuracy is at most this multiple of chance (1 / n_classes).
COLLAPSE_FACTOR = 2.0


def is_collapsed(accuracy: float, n_classes: int) -> bool:
    """True when ``accuracy`` (in [0, 1]) is at most :data:`COLLAPSE_FACTOR` times chance.

    Collapsed runs stay in the record, its means and its figures; they are flagged, never
    dropped."""
    return float(accuracy) <= COLLAPSE_FACTOR / n_classes


def percent(spread: Spread) -> str:
    """``"97.1 ± 0.3 %"`` for a spread of accuracies in [0, 1]."""
    return f"{100 * spread.mean:.1f} ± {100 * spread.std:.1f} %"


def save_figure(fig, path: str | Path) -> Path:
    """Save ``fig`` as PNG at ``path`` (parents created) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
