"""Data loaders (built-in sets, local IDX and CIFAR-10 binary files), models, training loop."""

import gzip
import hashlib

import numpy as np
import pytest
import torch

from mlcore.data import (
    ImageDataset,
    load_cifar10,
    load_digits,
    load_mnist,
    load_mnist_subset,
    train_test_split,
)
from mlcore.models import LeNet5, ResNet20, make_model
from mlcore.training import evaluate, fit


def test_mnist_subset_is_real_balanced_digits():
    data = load_mnist_subset()
    assert data.X.shape == (5000, 1, 28, 28) and data.X.dtype == np.float32
    assert 0.0 == data.X.min() and data.X.max() == 1.0
    assert np.all(np.bincount(data.y) == 500)


def test_digits_and_stratified_split():
    data = load_digits()
    assert data.X.shape == (1797, 1, 8, 8) and data.X.max() == 1.0
    train, test = train_test_split(data, test_fraction=0.25, seed=3)
    assert len(train) + len(test) == len(data)
    assert np.all(np.abs(np.bincount(test.y) / np.bincount(data.y) - 0.25) < 0.02)
    again, _ = train_test_split(data, test_fraction=0.25, seed=3)
    assert np.array_equal(again.y, train.y)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(data, test_fraction=1.5)


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_loader_with_checksums(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 28, 28))
    labels = np.arange(6) % 10
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    data = load_mnist(tmp_path, train=False)
    assert np.allclose(data.X[:, 0] * 255, images) and np.array_equal(data.y, labels)
    digest = hashlib.sha256((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()).hexdigest()
    assert data.info["t10k-labels-idx1-ubyte.gz"] == digest
    with pytest.raises(ValueError, match="sha256"):
        load_mnist(tmp_path, train=False, checksums={"t10k-labels-idx1-ubyte.gz": "0" * 64})
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_mnist(tmp_path, train=True)


def test_cifar10_binary_loader(tmp_path):
    rng = np.random.default_rng(1)
    records = rng.integers(0, 256, size=(4, 3073)).astype(np.uint8)
    records[:, 0] = [3, 1, 4, 1]
    records.tofile(tmp_path / "test_batch.bin")
    data = load_cifar10(tmp_path, train=False)
    assert data.X.shape == (4, 3, 32, 32) and list(data.y) == [3, 1, 4, 1]
    assert np.allclose(data.X[2, 1, 0, :5] * 255, records[2, 1 + 1024 : 1 + 1024 + 5])
    (tmp_path / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="3073"):
        load_cifar10(tmp_path, train=False)


def test_dataset_checks_shapes():
    with pytest.raises(ValueError, match="shape"):
        ImageDataset(np.zeros((3, 8, 8), np.float32), np.zeros(3, np.int64), "bad")


def test_model_shapes_and_sizes():
    lenet = LeNet5()
    assert sum(p.numel() for p in lenet.parameters()) == 61706
    assert lenet(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    resnet = ResNet20()
    assert sum(p.numel() for p in resnet.parameters()) == pytest.approx(0.27e6, rel=0.02)
    assert resnet(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert make_model("resnet20", in_channels=1, n_classes=4, image_size=28)(
        torch.zeros(1, 1, 28, 28)
    ).shape == (1, 4)
    with pytest.raises(ValueError, match="model"):
        make_model("vgg", in_channels=1, n_classes=10, image_size=28)


def test_fit_is_seeded_and_learns(digits):
    train, test = digits
    from mlcore_test_helpers import tiny_mlp

    a, b = tiny_mlp(0), tiny_mlp(0)
    hist = fit(a, train, epochs=6, lr=3e-3, seed=5, progress=False)
    fit(b, train, epochs=6, lr=3e-3, seed=5, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert evaluate(a, test) > 0.85
    with pytest.raises(ValueError, match="epochs"):
        fit(a, train, epochs=-1)
