"""The class correspondence matrix and proxy selection of mlcore.transfer."""

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from mlcore.attacks.query import QueryCounter
from mlcore.transfer.correspondence import (
    CorrespondenceMatrix,
    correspondence_matrix,
    environment_correspondence,
)
from mlcore.transfer.environments import make_environment
from mlcore.transfer.models import fit_small_cnn

matplotlib.use("Agg")


class _BrightnessBlackBox(nn.Module):
    """A 3-class stand-in black box: the class is the image's mean brightness bin
    ([0, 1/3), [1/3, 2/3), [2/3, 1]), as one-hot scores."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        level = (x.mean(dim=(1, 2, 3)) * 3).clamp(max=2.999).floor().long()
        return torch.nn.functional.one_hot(level, 3).float() * self.scale


def _known_case():
    """Four WB classes whose images fall in known brightness bins: known counts."""
    brightness = [0.1] * 6 + [0.5] * 4 + [0.9] * 2 + [0.1] * 3 + [0.5] * 2 + [0.9] * 5
    labels = [0] * 10 + [1] * 2 + [2] * 5 + [3] * 5
    # class 0: 6 dark + 4 mid; class 1: 2 bright; class 2: 3 dark + 2 mid; class 3: 5 bright
    x = np.asarray(brightness, np.float32)[:, None, None, None] * np.ones((1, 1, 4, 4), np.float32)
    expected = np.array([[6, 4, 0], [0, 0, 2], [3, 2, 0], [0, 0, 5]])
    return x, np.asarray(labels), expected


def test_counts_known_and_rows_sum_to_images_per_class():
    x, labels, expected = _known_case()
    cm = correspondence_matrix(_BrightnessBlackBox(), x, labels, 3, batch_size=4)
    np.testing.assert_array_equal(cm.counts, expected)
    np.testing.assert_array_equal(cm.counts.sum(axis=1), np.bincount(labels))
    assert cm.counts.dtype == np.int64 and not cm.counts.flags.writeable
    assert cm.wb_labels == ("0", "1", "2", "3") and cm.bb_labels == ("0", "1", "2")


def test_normalisations():
    x, labels, expected = _known_case()
    cm = correspondence_matrix(_BrightnessBlackBox(), x, labels, 3)
    rows = cm.row_normalized()
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_allclose(rows[0], [0.6, 0.4, 0.0])
    cols = cm.column_normalized()
    np.testing.assert_allclose(cols.sum(axis=0), 1.0)
    # uniform prior over WB classes: P(w|b) is P(b|w) normalised over w, not raw counts
    np.testing.assert_allclose(cols[:, 0], [0.6 / 1.2, 0.0, 0.6 / 1.2, 0.0])
    np.testing.assert_allclose(cols[:, 2], [0.0, 0.5, 0.0, 0.5])


def test_proxies_sorted_weights_sum_to_one():
    counts = np.array([[10, 0], [30, 5], [20, 5], [40, 0]])
    cm = CorrespondenceMatrix(counts, ("a", "b", "c", "d"), ("x", "y"))
    p = cm.column_normalized()[:, 0]
    for k in range(1, 5):
        index, weights = cm.proxies(0, k=k)
        assert index.dtype == np.int64 and len(index) == k
        assert np.all(np.diff(p[index]) <= 0)  # sorted by P(w | target)
        assert weights.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(weights, p[index] / p[index].sum())
    # P(x | w) = 1, 6/7, 4/5, 1: rows are normalised first, so "a" (10 images) ties with "d"
    # (40 images) and the tie goes to the lower index
    index, weights = cm.proxies(0, k=3)
    assert list(index) == [0, 3, 1]
    np.testing.assert_allclose(weights, np.array([1, 1, 6 / 7]) / (2 + 6 / 7))
    assert cm.strength(0) == pytest.approx(1 / (1 + 6 / 7 + 4 / 5 + 1))
    assert (cm.support(0), cm.support(1)) == (100, 10)
    # P(y | w) = 0, 1/7, 1/5, 0: a class with P = 0 gets weight 0
    index, weights = cm.proxies(1, k=3)
    assert list(index) == [2, 1, 0] and weights[2] == 0.0
    np.testing.assert_allclose(weights[:2], np.array([1 / 5, 1 / 7]) / (1 / 5 + 1 / 7))


def test_counter_counts_every_image_and_same_result():
    x, labels, expected = _known_case()
    blackbox = _BrightnessBlackBox()
    counter = QueryCounter(blackbox)
    cm = correspondence_matrix(blackbox, x, labels, 3, batch_size=5, counter=counter)
    np.testing.assert_array_equal(cm.counts, expected)
    assert counter.queries == len(x) and counter.call_sizes == [5, 5, 5, 5, 2]
    with pytest.raises(ValueError, match="counter must be a QueryCounter wrapping blackbox"):
        correspondence_matrix(blackbox, x, labels, 3, counter=QueryCounter(_BrightnessBlackBox()))


def test_blackbox_mode_restored_and_names():
    x, labels, _ = _known_case()
    blackbox = _BrightnessBlackBox().train()
    names = ("w0", "w1", "w2", "w3")
    cm = correspondence_matrix(blackbox, x, labels, 3, wb_names=names, bb_names=("d", "m", "b"))
    assert blackbox.training and cm.wb_labels == names and cm.bb_labels == ("d", "m", "b")


def test_never_predicted_target_has_no_proxy():
    counts = np.array([[5, 0, 1], [4, 0, 2]])
    cm = CorrespondenceMatrix(counts, ("a", "b"), ("x", "y", "z"))
    assert np.isnan(cm.column_normalized()[:, 1]).all()
    with pytest.raises(ValueError, match="target 1 .* no proxy can be chosen"):
        cm.proxies(1)
    with pytest.raises(ValueError, match="no proxy can be chosen"):
        cm.strength(1)
    assert cm.support(1) == 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda cm: cm.proxies(3), r"target must be a BB class index in 0\.\.2; got 3"),
        (lambda cm: cm.proxies(-1), r"target must be a BB class index in 0\.\.2; got -1"),
        (lambda cm: cm.strength(True), r"target must be a BB class index in 0\.\.2"),
        (lambda cm: cm.support(3), r"target must be a BB class index in 0\.\.2; got 3"),
        (lambda cm: cm.proxies(0, k=0), r"k must be an integer in 1\.\.4; got 0"),
        (lambda cm: cm.proxies(0, k=5), r"k must be an integer in 1\.\.4; got 5"),
    ],
)
def test_proxy_errors(call, match):
    x, labels, _ = _known_case()
    cm = correspondence_matrix(_BrightnessBlackBox(), x, labels, 3)
    with pytest.raises(ValueError, match=match):
        call(cm)


def test_correspondence_input_errors():
    blackbox = _BrightnessBlackBox()
    x, labels, _ = _known_case()
    with pytest.raises(ValueError, match="no correspondence data"):
        correspondence_matrix(blackbox, np.zeros((0, 1, 4, 4), np.float32), labels[:0], 3)
    with pytest.raises(ValueError, match=r"no correspondence data for WB classes \['1'\]"):
        correspondence_matrix(blackbox, x[labels != 1], labels[labels != 1], 3)
    with pytest.raises(ValueError, match="n_bb must be an integer >= 2"):
        correspondence_matrix(blackbox, x, labels, 1)
    with pytest.raises(ValueError, match=r"blackbox returns scores of shape \(22, 3\); n_bb=4"):
        correspondence_matrix(blackbox, x, labels, 4)
    with pytest.raises(ValueError, match=r"wb_labels must be in 0\.\.1"):
        correspondence_matrix(blackbox, x, labels, 3, wb_names=("a", "b"))
    with pytest.raises(ValueError, match=r"images must hold finite pixel values in \[0, 1\]"):
        correspondence_matrix(blackbox, x * 2, labels, 3)
    with pytest.raises(ValueError, match="counts has shape"):
        CorrespondenceMatrix(np.ones((2, 2), np.int64), ("a",), ("x", "y"))


def test_plot_annotates_counts():
    x, labels, expected = _known_case()
    cm = correspondence_matrix(_BrightnessBlackBox(), x, labels, 3)
    ax = cm.plot()
    texts = sorted(int(t.get_text()) for t in ax.texts)
    assert texts == sorted(expected.ravel().tolist())
    assert [t.get_text() for t in ax.get_yticklabels()] == list(cm.wb_labels)
    matplotlib.pyplot.close(ax.figure)


@pytest.fixture(scope="module")
def small_environment():
    """Loading the MNIST subset (about 1.5 s) happens once per process."""
    return make_environment(
        "same_source",
        random_state=0,
        n_per_class=30,
        n_test_per_class=5,
        n_correspondence_per_class=30,
    )


def test_environment_correspondence_with_trained_blackbox(small_environment):
    """A tiny BB trained for a few epochs on MNIST 5-9: every correspondence image queried
    once, rows sum to the per-class counts, and the counts are the BB's own top-1 predictions."""
    env = small_environment
    blackbox = fit_small_cnn(env.bb_train, epochs=3, width=4, lr=5e-3, random_state=0)
    counter = QueryCounter(blackbox)
    cm = environment_correspondence(env, blackbox, counter=counter, batch_size=64)
    assert counter.queries == len(env.correspondence_data)
    np.testing.assert_array_equal(cm.counts.sum(axis=1), [30] * 5)
    assert cm.wb_labels == ("0", "1", "2", "3", "4") and cm.bb_labels == env.blackbox_label_names
    with torch.no_grad():
        predicted = blackbox(torch.from_numpy(env.correspondence_data.X)).argmax(1).numpy()
    for w in range(cm.n_wb):
        of_w = predicted[env.correspondence_data.y == w]
        np.testing.assert_array_equal(cm.counts[w], np.bincount(of_w, minlength=cm.n_bb))
