"""The class correspondence matrix between a white-box and a black-box label space, and proxy
selection (Inkawhich et al., arXiv:2103.09916, §2.2 of our research notes).

Held-out images of every white-box (WB) class are shown to the black box (BB), and its top-1
predictions are counted: ``C[w, b]`` is the number of images of WB class ``w`` that the BB labels
``b``, so row ``w`` sums to the number of images of class ``w``. Normalised:

* ``P(b | w) = C[w, b] / sum_b' C[w, b']`` (:meth:`CorrespondenceMatrix.row_normalized`);
* ``P(w | b) = P(b | w) / sum_w' P(b | w')`` (:meth:`CorrespondenceMatrix.column_normalized`),
  Bayes' rule with a uniform prior over WB classes, so that a WB class with more held-out images
  does not look more related; with equal images per class it is ``C`` normalised by columns.

The proxies of a BB target ``t`` are the WB classes with the largest ``P(w | t)``; attacking the
WB towards them is what makes targeted transfer across disjoint label spaces possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import nn

from ..attacks.query import QueryCounter
from ..attacks.threat import check_images
from ..training import predict_logits
from .environments import Environment

__all__ = ["CorrespondenceMatrix", "correspondence_matrix", "environment_correspondence"]


@dataclass(frozen=True)
class CorrespondenceMatrix:
    """Counts of BB predictions on WB-class images.

    Attributes
    ----------
    counts : numpy.ndarray
        int64, shape ``(n_wb, n_bb)``; ``counts[w, b]`` images of WB class ``w`` predicted ``b``.
    wb_labels : tuple of str
        Names of the WB classes (rows).
    bb_labels : tuple of str
        Names of the BB classes (columns).
    """

    counts: np.ndarray
    wb_labels: tuple[str, ...]
    bb_labels: tuple[str, ...]

    def __post_init__(self):
        counts = np.asarray(self.counts)
        if counts.ndim != 2 or not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0:
            raise ValueError(
                f"counts must be a 2-d array of integers >= 0; got {counts.dtype} {counts.shape}"
            )
        if counts.shape != (len(self.wb_labels), len(self.bb_labels)):
            raise ValueError(
                f"counts has shape {counts.shape}; wb_labels and bb_labels give "
                f"({len(self.wb_labels)}, {len(self.bb_labels)})"
            )
        if np.any(counts.sum(axis=1) == 0):
            empty = [self.wb_labels[i] for i in np.flatnonzero(counts.sum(axis=1) == 0)]
            raise ValueError(f"no correspondence data for WB classes {empty} (rows of zeros)")
        counts = counts.astype(np.int64)
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "wb_labels", tuple(str(n) for n in self.wb_labels))
        object.__setattr__(self, "bb_labels", tuple(str(n) for n in self.bb_labels))

    @property
    def n_wb(self) -> int:
        """Number of WB classes (rows)."""
        return self.counts.shape[0]

    @property
    def n_bb(self) -> int:
        """Number of BB classes (columns)."""
        return self.counts.shape[1]

    def row_normalized(self) -> np.ndarray:
        """``P(b | w)``, float64 ``(n_wb, n_bb)``; every row sums to 1."""
        return self.counts / self.counts.sum(axis=1, keepdims=True)

    def column_normalized(self) -> np.ndarray:
        """``P(w | b)`` under a uniform prior over WB classes, float64 ``(n_wb, n_bb)``.

        Every column sums to 1, except the columns of BB classes that no WB-class image was
        predicted as: those are NaN (no evidence about their proxies).
        """
        p_b_given_w = self.row_normalized()
        total = p_b_given_w.sum(axis=0, keepdims=True)
        out = np.full_like(p_b_given_w, np.nan)
        np.divide(p_b_given_w, total, out=out, where=total > 0)
        return out

    def _check_target(self, target) -> None:
        if (
            isinstance(target, bool)
            or not isinstance(target, int | np.integer)
            or not 0 <= target < self.n_bb
        ):
            raise ValueError(
                f"target must be a BB class index in 0..{self.n_bb - 1}; got {target!r}"
            )

    def _column(self, target) -> np.ndarray:
        self._check_target(target)
        column = self.column_normalized()[:, int(target)]
        if np.isnan(column).any():
            raise ValueError(
                f"target {int(target)} ({self.bb_labels[int(target)]!r}): the BB predicted it "
                "for no correspondence image, so no proxy can be chosen (add correspondence data)"
            )
        return column

    def proxies(self, target: int, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` WB classes most associated with BB class ``target``.

        Parameters
        ----------
        target : int
            BB class index, ``0 <= target < n_bb``.
        k : int
            Number of proxies, ``1 <= k <= n_wb``.

        Returns
        -------
        indices : numpy.ndarray
            int64 ``(k,)`` WB class indices, sorted by decreasing ``P(w | target)`` (ties:
            lower index first).
        weights : numpy.ndarray
            float64 ``(k,)``, ``P(w | target)`` of those classes renormalised to sum to 1
            (a proxy with ``P = 0`` gets weight 0).
        """
        column = self._column(target)
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= self.n_wb:
            raise ValueError(f"k must be an integer in 1..{self.n_wb}; got {k!r}")
        order = np.argsort(-column, kind="stable")[: int(k)]
        weights = column[order]
        return order.astype(np.int64), weights / weights.sum()

    def support(self, target: int) -> int:
        """Correspondence images the BB labelled ``target`` (the evidence behind column
        ``target`` of ``P(w | b)``; a strength resting on a few images is a noisy estimate)."""
        self._check_target(target)
        return int(self.counts[:, int(target)].sum())

    def strength(self, target: int) -> float:
        """``P(w* | target)`` of the top proxy ``w*``, in ``[1 / n_wb, 1]``."""
        return float(self._column(target).max())

    def plot(self, ax=None):
        """Heat map of ``P(b | w)`` with the counts written in the cells.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure otherwise.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(1.0 + 0.8 * self.n_bb, 1.0 + 0.6 * self.n_wb))
        p = self.row_normalized()
        image = ax.imshow(p, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        for w in range(self.n_wb):
            for b in range(self.n_bb):
                colour = "black" if p[w, b] > 0.5 else "white"
                ax.text(b, w, str(self.counts[w, b]), ha="center", va="center", color=colour)
        ax.set_xticks(range(self.n_bb), self.bb_labels, rotation=30, ha="right")
        ax.set_yticks(range(self.n_wb), self.wb_labels)
        ax.set_xlabel("black-box prediction b")
        ax.set_ylabel("white-box class w")
        ax.figure.colorbar(image, ax=ax, label="P(b | w)")
        return ax


def correspondence_matrix(
    blackbox: nn.Module,
    images: np.ndarray,
    wb_labels: np.ndarray,
    n_bb: int,
    *,
    batch_size: int = 256,
    counter: QueryCounter | None = None,
    wb_names: Sequence[str] | None = None,
    bb_names: Sequence[str] | None = None,
) -> CorrespondenceMatrix:
    """Count the black box's top-1 predictions on images of the WB classes.

    Parameters
    ----------
    blackbox : torch.nn.Module
        The BB, mapping ``(batch, c, h, w)`` images to ``(batch, n_bb)`` scores; run in eval
        mode without gradients (its mode is restored).
    images : numpy.ndarray
        ``(n, c, h, w)`` float images in [0, 1], held out from WB training.
    wb_labels : numpy.ndarray
        int ``(n,)`` WB class index of every image, in ``0 .. n_wb - 1``.
    n_bb : int
        Number of BB classes, >= 2 (the width of the BB's output).
    batch_size : int
        Images per forward pass.
    counter : QueryCounter, optional
        A :class:`~mlcore.attacks.QueryCounter` wrapping ``blackbox``: the images then go
        through it, so every one counts as a query.
    wb_names, bb_names : sequence of str, optional
        Class names; default the indices. ``n_wb = len(wb_names)`` when given, otherwise
        ``max(wb_labels) + 1``; every WB class needs at least one image.

    Returns
    -------
    CorrespondenceMatrix
    """
    if len(np.shape(images)) == 4 and np.shape(images)[0] == 0:
        raise ValueError("images is empty: no correspondence data")
    x, y = check_images(images, wb_labels, name="images")
    if y.min() < 0:
        raise ValueError(f"wb_labels must be >= 0; got {y.min()}")
    if isinstance(n_bb, bool) or not isinstance(n_bb, int | np.integer) or n_bb < 2:
        raise ValueError(f"n_bb must be an integer >= 2; got {n_bb!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
    n_wb = len(wb_names) if wb_names is not None else int(y.max()) + 1
    if y.max() >= n_wb:
        raise ValueError(f"wb_labels must be in 0..{n_wb - 1} (len(wb_names)); got {y.max()}")
    if bb_names is not None and len(bb_names) != n_bb:
        raise ValueError(f"bb_names needs n_bb={n_bb} names; got {len(bb_names)}")
    wrapped = isinstance(counter, QueryCounter) and counter.model is blackbox
    if counter is not None and not wrapped:
        raise ValueError("counter must be a QueryCounter wrapping blackbox (counter.model)")
    scores = predict_logits(counter if counter is not None else blackbox, x, batch_size)
    if scores.ndim != 2 or scores.shape[1] != n_bb:
        raise ValueError(f"blackbox returns scores of shape {tuple(scores.shape)}; n_bb={n_bb}")
    predicted = scores.argmax(dim=1).numpy()
    counts = np.zeros((n_wb, int(n_bb)), dtype=np.int64)
    np.add.at(counts, (y, predicted), 1)
    return CorrespondenceMatrix(
        counts,
        tuple(wb_names) if wb_names is not None else tuple(str(i) for i in range(n_wb)),
        tuple(bb_names) if bb_names is not None else tuple(str(j) for j in range(n_bb)),
    )


def environment_correspondence(
    environment: Environment,
    blackbox: nn.Module,
    *,
    batch_size: int = 256,
    counter: QueryCounter | None = None,
) -> CorrespondenceMatrix:
    """:func:`correspondence_matrix` on ``environment.correspondence_data``, with the
    environment's class names (WB digits as rows, ``blackbox_label_names`` as columns)."""
    data = environment.correspondence_data
    return correspondence_matrix(
        blackbox,
        data.X,
        data.y,
        environment.n_bb,
        batch_size=batch_size,
        counter=counter,
        wb_names=environment.whitebox_label_names,
        bb_names=environment.blackbox_label_names,
    )
