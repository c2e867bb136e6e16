"""Partitions: coverage, requested skew, reproducibility and input checks."""

import numpy as np
import pytest

from mlcore import data
from mlcore.params import ParameterTypeError
from mlcore.partition import (
    dirichlet_partition,
    disjoint_class_partition,
    iid_partition,
    shard_partition,
)


@pytest.fixture(scope="module")
def labels():
    return data.load_digits().y


def graph_node_labels(n_nodes=600, n_classes=7, seed=3):
    """Labels of a synthetic graph's nodes: a plain list of ints, uneven class sizes."""
    rng = np.random.default_rng(seed)
    return rng.choice(n_classes, size=n_nodes, p=np.linspace(1, 3, n_classes) / 14).tolist()


SCHEMES = {
    "iid": lambda y, seed: iid_partition(y, 7, random_state=seed),
    "dirichlet": lambda y, seed: dirichlet_partition(y, 7, alpha=0.3, random_state=seed),
    "shard": lambda y, seed: shard_partition(y, 7, classes_per_client=2, random_state=seed),
    "disjoint": lambda y, seed: disjoint_class_partition(y, 3, random_state=seed),
    "disjoint_k": lambda y, seed: disjoint_class_partition(
        y, 2, classes_per_client=2, random_state=seed
    ),
}


def assert_exact_cover(partition, n_samples):
    """Client indices and ``unassigned`` are disjoint and together hold each index once."""
    everything = np.concatenate([*partition.indices, partition.unassigned])
    assert everything.size == n_samples
    np.testing.assert_array_equal(np.sort(everything), np.arange(n_samples))


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("dataset", ["digits", "graph"])
def test_every_sample_exactly_once(scheme, dataset, labels):
    y = labels if dataset == "digits" else graph_node_labels()
    partition = SCHEMES[scheme](y, 0)
    assert_exact_cover(partition, len(y))
    if scheme != "disjoint_k":
        assert partition.unassigned.size == 0
    # label_counts agree with the labels actually indexed
    y = np.asarray(y)
    for k, idx in enumerate(partition):
        np.testing.assert_array_equal(
            partition.label_counts[k], np.bincount(y[idx], minlength=y.max() + 1)
        )


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_reproducible_from_the_seed(scheme, labels):
    a, b, c = (SCHEMES[scheme](labels, s) for s in (5, 5, 6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    # a Generator is consumed, a SeedSequence gives the same as its int
    g = np.random.default_rng(5)
    first, second = SCHEMES[scheme](labels, g), SCHEMES[scheme](labels, g)
    assert not all(np.array_equal(x, y) for x, y in zip(first, second))
    from_seq = SCHEMES[scheme](labels, np.random.SeedSequence(5))
    assert all(np.array_equal(x, y) for x, y in zip(a, from_seq))


def test_iid_sizes_and_label_mix(labels):
    partition = iid_partition(labels, 9, random_state=1)
    sizes = partition.sizes()
    assert sizes.max() - sizes.min() <= 1
    # every client sees close to the global label distribution
    global_dist = np.bincount(labels) / labels.size
    hist = partition.label_histogram(normalize=True)
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)
    assert np.abs(hist - global_dist).max() < 0.08


def _label_spread(alpha, labels, seeds=range(4)):
    """Mean over classes of the std over clients of the clients' label distributions."""
    values = []
    for seed in seeds:
        p = dirichlet_partition(labels, 10, alpha=alpha, min_samples=0, random_state=seed)
        values.append(p.label_histogram(normalize=True).std(axis=0).mean())
    return float(np.mean(values))


def test_dirichlet_spread_grows_as_alpha_shrinks(labels):
    alphas = [100.0, 3.0, 0.3, 0.03]
    spreads = [_label_spread(a, labels) for a in alphas]
    assert all(a < b for a, b in zip(spreads, spreads[1:])), spreads
    assert spreads[0] < 0.03  # near IID
    # near one class per client: each class sits (almost) wholly on one client
    tiny = dirichlet_partition(labels, 10, alpha=0.001, min_samples=0, random_state=0)
    share = tiny.label_counts / tiny.label_counts.sum(axis=0)
    assert share.max(axis=0).mean() > 0.95


@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0])
def test_dirichlet_class_shares_have_the_dirichlet_variance(alpha, labels):
    """The share of class c on client k is a Dir(alpha 1_K) marginal: mean 1/K, variance
    (1/K)(1 - 1/K) / (K alpha + 1)."""
    n_clients = 5
    shares = []
    for seed in range(30):
        p = dirichlet_partition(labels, n_clients, alpha=alpha, min_samples=0, random_state=seed)
        shares.append(p.label_counts / p.label_counts.sum(axis=0))
    shares = np.concatenate(shares, axis=1)
    expected = (1 / n_clients) * (1 - 1 / n_clients) / (n_clients * alpha + 1)
    np.testing.assert_allclose(shares.mean(), 1 / n_clients, rtol=1e-12)
    assert shares.var() == pytest.approx(expected, rel=0.2)


def test_dirichlet_min_samples(labels):
    p = dirichlet_partition(labels, 20, alpha=0.05, min_samples=5, random_state=0)
    assert p.sizes().min() >= 5
    assert_exact_cover(p, labels.size)
    # 10 classes, each (almost surely) on one client: 20 clients cannot all get 10 samples
    with pytest.raises(ValueError, match="20 clients min_samples=10 samples at alpha=0.001"):
        dirichlet_partition(labels[:200], 20, alpha=0.001, min_samples=10, random_state=0)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_shards_give_exactly_k_classes(k, labels):
    p = shard_partition(labels, 10, classes_per_client=k, random_state=2)
    assert all(p.classes(c).size == k for c in range(10))
    # every class's samples are split evenly among its holders
    for c in range(10):
        held = p.label_counts[:, c][p.label_counts[:, c] > 0]
        assert held.max() - held.min() <= 1


def test_disjoint_classes_are_disjoint(labels):
    p = disjoint_class_partition(labels, 4, random_state=0)
    sets = [set(p.classes(k)) for k in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not sets[i] & sets[j]
    assert set().union(*sets) == set(range(10))
    assert sorted(len(s) for s in sets) == [2, 2, 3, 3]
    q = disjoint_class_partition(labels, 3, classes_per_client=2, random_state=0)
    summary = q.describe()
    assert summary["scheme"] == "disjoint_classes" and summary["params"]["classes_per_client"] == 2
    assert sum(summary["sizes"]) + summary["n_unassigned"] == labels.size
    held = set().union(*(set(q.classes(k)) for k in range(3)))
    assert len(held) == 6
    left = set(np.unique(labels[q.unassigned]))
    assert left == set(range(10)) - held


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda y: iid_partition(y, 0), r"iid_partition\.n_clients must be an integer in \[1, "),
        (
            lambda y: dirichlet_partition(y, 4, alpha=0.0),
            r"dirichlet_partition\.alpha must be a float in \(0, inf\); got 0\.0",
        ),
        (
            lambda y: dirichlet_partition(y, 4, alpha=float("nan")),
            r"dirichlet_partition\.alpha must be a float in \(0, inf\)",
        ),
        (
            lambda y: shard_partition(y, 4, classes_per_client=11),
            r"shard_partition\.classes_per_client must be an integer in \[1, 10\]; got 11",
        ),
        (
            lambda y: shard_partition(y, 4, classes_per_client=2),
            r"shard_partition\.n_clients \* classes_per_client must be >= 10",
        ),
        (
            lambda y: disjoint_class_partition(y, 11),
            r"disjoint_class_partition\.n_clients must be an integer in \[1, 10\]; got 11",
        ),
        (
            lambda y: disjoint_class_partition(y, 4, classes_per_client=3),
            r"n_clients \* classes_per_client must be <= 10",
        ),
        (lambda y: iid_partition(y.astype(float), 2), r"iid_partition\.labels must be"),
        (lambda y: iid_partition(y - 1, 2), r"iid_partition\.labels must be >= 0"),
        (lambda y: iid_partition(y, 2, random_state=-1), "random_state"),
    ],
)
def test_bad_inputs_name_the_parameter_and_range(call, message, labels):
    with pytest.raises(ValueError, match=message):
        call(labels)


def test_wrong_type_is_a_type_error_too(labels):
    with pytest.raises(ParameterTypeError, match="n_clients must be an integer"):
        iid_partition(labels, 2.5)
    with pytest.raises(TypeError, match="random_state"):
        iid_partition(labels, 2, random_state="zero")


def test_reexported_from_data():
    assert data.dirichlet_partition is dirichlet_partition
    assert data.Partition.__module__ == "mlcore.partition"
