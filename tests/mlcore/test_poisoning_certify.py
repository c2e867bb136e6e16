"""The certified vote: tie-break, DPA's radius on partitions, and soundness by exhaustive search
over every attacker set and every change of the corrupted votes on small codes."""

import itertools
import time

import numpy as np
import pytest

from mlcore.poisoning import (
    certified_accuracy,
    certify,
    cyclic_code,
    majority_vote,
    partition_code,
    projective_plane_code,
    random_selection_code,
)


def vote_after(votes, changed, new_votes, n_classes):
    """Predictions of one point after the sub-models ``changed`` vote ``new_votes`` (rows: every
    assignment), with the tie-break to the smaller class."""
    V = np.repeat(votes[None, :], new_votes.shape[0], axis=0)
    V[:, changed] = new_votes
    counts = np.stack([(V == c).sum(axis=1) for c in range(n_classes)], axis=1)
    return counts.argmax(axis=1)


def flippable(C, votes, users, n_classes):
    """True when the users ``users`` can change the vote of one point by any change of the
    votes of every sub-model they train (all n_classes ** |S| assignments)."""
    changed = np.flatnonzero(C[:, list(users)].max(axis=1)) if users else np.array([], int)
    base, _ = majority_vote(votes[:, None], n_classes)
    if changed.size == 0:
        return False
    options = np.array(list(itertools.product(range(n_classes), repeat=changed.size)))
    return bool((vote_after(votes, changed, options, n_classes) != base[0]).any())


def random_votes(rng, M, n_points, n_classes, bias=0.6):
    """Votes with a dominant class per point so that certificates are not all zero."""
    truth = rng.integers(0, n_classes, n_points)
    agree = rng.random((M, n_points)) < bias
    return np.where(agree, truth[None, :], rng.integers(0, n_classes, (M, n_points)))


def test_ties_go_to_the_smaller_class():
    votes = np.array([[2, 1], [1, 1], [2, 0], [1, 0]])
    pred, counts = majority_vote(votes, 3)
    assert pred.tolist() == [1, 0] and counts[0].tolist() == [0, 2, 2]


def test_partition_radius_is_dpa_formula():
    """Levine & Feizi: radius = floor(min_c (n_y - n_c - [c < y]) / 2) on a partition."""
    rng = np.random.default_rng(0)
    C = partition_code(11, 11)
    votes = random_votes(rng, 11, 300, 4)
    cert = certify(C, votes, 4)
    counts, y = cert.counts, cert.prediction
    gap = counts[np.arange(300), y][:, None] - counts - (np.arange(4)[None, :] < y[:, None])
    gap[np.arange(300), y] = 10**6
    expected = gap.min(axis=1) // 2
    assert (cert.radius_greedy == expected).all() and (cert.radius == expected).all()


CODES = {
    "partition": lambda rng: partition_code(8, 8),
    "cyclic": lambda rng: cyclic_code(8, 8, 2),
    "fano": lambda rng: projective_plane_code(2),
    "random": lambda rng: random_selection_code(10, 10, 2, random_state=rng),
    "shape_12x6": lambda rng: cyclic_code(12, 6, 2),
    "cyclic_12": lambda rng: cyclic_code(12, 12, 2),
    "pg_13_as_12": lambda rng: projective_plane_code(3)[:12, :12],
}


@pytest.mark.parametrize("name", list(CODES))
def test_certificate_is_never_wrong_exhaustively(name):
    """For every point, every attacker set of size <= its radius and every change of the
    corrupted sub-models' votes leaves the prediction unchanged."""
    rng = np.random.default_rng(list(CODES).index(name))
    C = CODES[name](rng)
    n_classes = 3 if C.shape[0] <= 8 else 2  # keeps n_classes ** |corrupted| small
    votes = random_votes(rng, C.shape[0], 12, n_classes, bias=0.85)
    cert = certify(C, votes, n_classes)
    users, tried = range(C.shape[1]), 0
    for p in range(votes.shape[1]):
        r = int(cert.radius[p])
        for K in itertools.chain.from_iterable(
            itertools.combinations(users, s) for s in range(1, r + 1)
        ):
            assert not flippable(C, votes[:, p], K, n_classes), (name, p, r, K)
            tried += 1
    assert tried >= 20  # the test has teeth: many certified (point, attacker set) pairs


def test_partition_one_more_attacker_flips_every_point():
    """On a partition the certificate is tight: radius + 1 users can flip each point."""
    rng = np.random.default_rng(5)
    C = partition_code(9, 9)
    votes = random_votes(rng, 9, 15, 3, bias=0.7)
    cert = certify(C, votes, 3)
    for p in range(votes.shape[1]):
        r = int(cert.radius[p])
        sets = itertools.combinations(range(9), r + 1)
        assert any(flippable(C, votes[:, p], K, 3) for K in sets), p


def test_reach_certificate_uses_overlap():
    """On PG(2, 2) two users corrupt at most 5 of 7 sub-models (not 6): a unanimous vote of 7
    is certified against 2 users by reach (2 * 5 <= 6 fails, so 1) but the greedy sum counts
    6 each: both are sound lower bounds and the reported radius is their maximum."""
    C = projective_plane_code(2)
    votes = np.zeros((7, 1), dtype=int)
    cert = certify(C, votes, 2)
    assert cert.reach[:3] == (0, 3, 5)
    assert cert.radius_reach[0] == 1 and cert.radius_greedy[0] == 1 and cert.radius[0] == 1


def test_certified_accuracy_counts_correct_and_certified_points():
    C = partition_code(5, 5)
    votes = np.array([[0, 1, 2]] * 5)  # unanimous: gap 5, radius 2 each
    cert = certify(C, votes, 3)
    acc = certified_accuracy(cert, np.array([0, 1, 0]), [0, 1, 2, 3])
    assert acc.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 0.0])
    with pytest.raises(ValueError, match="method must be one of"):
        certified_accuracy(cert, np.array([0, 1, 0]), [0], method="exact")


@pytest.mark.parametrize(
    "votes, match",
    [
        (np.zeros((4, 3), dtype=int), "one row per sub-model"),
        (np.full((5, 3), 3), r"class labels in \[0, 2\]"),
        (np.zeros((5, 3)), "integer matrix"),
    ],
)
def test_bad_votes_are_refused(votes, match):
    with pytest.raises(ValueError, match=match):
        certify(partition_code(5, 5), votes, 3)


def test_certificate_of_many_points_is_vectorized():
    """10,000 points and 100 sub-models certify in well under a minute even on a loaded CI
    core (the speed goal of < 1 s lives in benchmarks/bench_poisoning.py)."""
    rng = np.random.default_rng(2)
    C = cyclic_code(100, 100, 4)
    votes = random_votes(rng, 100, 10_000, 10)
    start = time.perf_counter()
    cert = certify(C, votes, 10, k_max=8)
    assert time.perf_counter() - start < 60
    assert cert.radius.shape == (10_000,) and cert.radius.max() > 0
