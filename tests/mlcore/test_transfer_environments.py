"""Environments with disjoint label spaces and the small CNN of mlcore.transfer."""

import numpy as np
import pytest
import torch

from mlcore.data import ImageDataset
from mlcore.transfer.environments import (
    ENVIRONMENTS,
    Environment,
    make_environment,
    upsample_digits,
)
from mlcore.transfer.models import SmallCNN, fit_small_cnn, small_cnn

SIZES = {"n_per_class": 20, "n_test_per_class": 10, "n_correspondence_per_class": 15}


@pytest.fixture(scope="module", params=sorted(ENVIRONMENTS))
def environment(request) -> Environment:
    return make_environment(request.param, random_state=3, **SIZES)


def _image_keys(data: ImageDataset) -> set[bytes]:
    return {image.tobytes() for image in data.X}


def test_label_spaces_disjoint_and_reindexed(environment):
    assert not set(environment.whitebox_classes) & set(environment.blackbox_classes)
    assert environment.n_bb == len(environment.blackbox_label_names)
    for part, n_classes in (
        ("wb_train", environment.n_wb),
        ("wb_test", environment.n_wb),
        ("correspondence_data", environment.n_wb),
        ("bb_train", environment.n_bb),
        ("bb_test", environment.n_bb),
    ):
        data = getattr(environment, part)
        assert data.y.dtype == np.int64 and data.X.dtype == np.float32
        assert data.X.shape[1:] == (1, 28, 28) and 0.0 <= data.X.min() and data.X.max() <= 1.0
        assert set(np.unique(data.y)) == set(range(n_classes)), part


def test_sizes_per_class(environment):
    wb_counts = np.bincount(environment.wb_train.y)
    assert list(wb_counts) == [SIZES["n_per_class"]] * environment.n_wb
    corr_counts = np.bincount(environment.correspondence_data.y)
    assert list(corr_counts) == [SIZES["n_correspondence_per_class"]] * environment.n_wb
    digits_per_output = [len(group) for group in environment.blackbox_groups]
    assert list(np.bincount(environment.bb_test.y)) == [
        SIZES["n_test_per_class"] * d for d in digits_per_output
    ]


def test_no_image_shared_between_parts(environment):
    parts = ("wb_train", "wb_test", "correspondence_data", "bb_train", "bb_test")
    keys = [_image_keys(getattr(environment, part)) for part in parts]
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            assert not keys[i] & keys[j], (parts[i], parts[j])


def test_wb_labels_match_original_digits():
    from mlcore.transfer.environments import _mnist  # the per-process cached MNIST subset

    env = make_environment("coarse", random_state=0, **SIZES)
    mnist = _mnist()
    assert len(mnist) == 5000 and list(np.bincount(mnist.y)) == [500] * 10
    lookup = {image.tobytes(): int(label) for image, label in zip(mnist.X, mnist.y)}
    originals = [lookup[image.tobytes()] for image in env.wb_test.X]
    assert originals == [env.whitebox_classes[i] for i in env.wb_test.y]
    group_of = {d: j for j, group in enumerate(env.blackbox_groups) for d in group}
    bb_originals = [lookup[image.tobytes()] for image in env.bb_train.X]
    assert [group_of[d] for d in bb_originals] == list(env.bb_train.y)
    assert env.n_bb == 2 and sorted(sum(env.blackbox_groups, ())) == [5, 6, 7, 8, 9]


def test_same_random_state_same_environment_other_state_differs():
    a = make_environment("same_source", random_state=5, **SIZES)
    b = make_environment("same_source", random_state=5, **SIZES)
    c = make_environment("same_source", random_state=6, **SIZES)
    np.testing.assert_array_equal(a.wb_train.X, b.wb_train.X)
    np.testing.assert_array_equal(a.bb_test.y, b.bb_test.y)
    assert not np.array_equal(a.wb_train.X, c.wb_train.X)


def test_different_source_uses_upsampled_sklearn_digits():
    from mlcore.data import load_digits

    env = make_environment("different_source", random_state=0, **SIZES)
    expected = _image_keys(ImageDataset(upsample_digits(load_digits().X), np.zeros(1797), "d"))
    assert _image_keys(env.bb_train) <= expected
    assert not _image_keys(env.wb_train) & expected
    assert "sklearn" in env.bb_train.name and "mnist" in env.wb_train.name
    assert "8x8" in env.describe() and "different_source" in env.describe()


def test_upsample_digits_framing_and_range():
    from mlcore.data import load_digits

    X = load_digits().X[:50]
    out = upsample_digits(X)
    assert out.shape == (50, 1, 28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and np.allclose(out.max(axis=(1, 2, 3)), 1.0)
    # MNIST framing: the digit fills the central 20 x 20 box, the 4-pixel border is black
    assert np.all(out[:, :, :4] == 0) and np.all(out[:, :, -4:] == 0)
    assert np.all(out[:, :, :, :4] == 0) and np.all(out[:, :, :, -4:] == 0)
    # bilinear resize of a constant image is constant
    flat = upsample_digits(np.full((1, 1, 8, 8), 0.5, np.float32), size=28, box=28)
    np.testing.assert_allclose(flat, 1.0)
    # a bright left half stays on the left
    half = np.zeros((1, 1, 8, 8), np.float32)
    half[..., :4] = 1.0
    up = upsample_digits(half, box=20)[0, 0, 4:24, 4:24]
    assert up[:, :9].min() == pytest.approx(1.0) and up[:, 11:].max() == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"box": 0}, "box must be an integer in"),
        ({"box": 30}, "box must be an integer in"),
        ({"size": 0}, "size must be an integer >= 1"),
    ],
)
def test_upsample_digits_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        upsample_digits(np.zeros((2, 1, 8, 8), np.float32), **kwargs)


def test_upsample_digits_rejects_out_of_range_pixels():
    with pytest.raises(ValueError, match=r"X must hold pixel values in \[0, 1\]"):
        upsample_digits(np.full((1, 1, 8, 8), 16.0, np.float32))


def test_make_environment_errors():
    with pytest.raises(ValueError, match="name must be one of"):
        make_environment("cifar", random_state=0)
    with pytest.raises(ValueError, match="n_per_class must be an integer >= 1"):
        make_environment("coarse", random_state=0, n_per_class=0)
    with pytest.raises(ValueError, match="holds 174 images of class 8"):
        make_environment("different_source", random_state=0, n_per_class=125)
    with pytest.raises(ValueError, match="n_correspondence_per_class"):
        make_environment("same_source", random_state=0, n_correspondence_per_class=400)


def test_small_cnn_feature_split_and_layers():
    model = small_cnn(3, width=4, random_state=0).eval()
    x = torch.rand(5, 1, 28, 28)
    torch.testing.assert_close(model(x), model.head(model.features(x)))
    assert model(x).shape == (5, 3)
    shapes = {}
    for name in model.feature_layers:
        layer = model.get_submodule(name)
        layer.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, o.shape))
    model(x)
    assert shapes == {
        "features.pool1": (5, 4, 14, 14),
        "features.pool2": (5, 8, 7, 7),
        "features.relu3": (5, 64),
    }


def test_small_cnn_seeded_and_global_rng_untouched():
    before = torch.get_rng_state()
    a, b, c = (small_cnn(2, width=4, random_state=s) for s in (1, 1, 2))
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.head.weight, b.head.weight)
    assert not torch.equal(a.head.weight, c.head.weight)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_classes": 1}, "n_classes must be an integer >= 2"),
        ({"n_classes": 2, "width": 0}, "width must be an integer >= 1"),
        ({"n_classes": 2, "image_size": 3}, "image_size must be an integer >= 4"),
    ],
)
def test_small_cnn_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SmallCNN(**kwargs)


def test_fit_small_cnn_learns_digits(digits):
    train, test = digits
    train = ImageDataset(upsample_digits(train.X[:200]), train.y[:200], "d")
    test = ImageDataset(upsample_digits(test.X), test.y, "d")
    model = fit_small_cnn(train, epochs=10, width=8, lr=5e-3, batch_size=32, random_state=0)
    assert not model.training
    accuracy = (model(torch.from_numpy(test.X)).argmax(1).numpy() == test.y).mean()
    assert accuracy > 0.6  # ten classes: chance is 0.1
    with pytest.raises(ValueError, match="data must be an mlcore.data.ImageDataset"):
        fit_small_cnn((train.X, train.y), epochs=1)
