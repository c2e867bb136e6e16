"""Disjunct codes and decoding (checked exhaustively on small codes), and the BadNets attack."""

import itertools

import numpy as np
import pytest

from mlcore.attacks.protocols import PoisoningAttack
from mlcore.poisoning import (
    BadNets,
    attack_success_rate,
    decode,
    is_disjunct,
    kautz_singleton_code,
    kautz_singleton_design_k,
    partition_code,
    positive_tests,
    random_disjunct_code,
)


def brute_disjunct(C, k):
    """No user's support inside the union of k others' (itertools over every k-set)."""
    N = C.shape[1]
    for j in range(N):
        others = [u for u in range(N) if u != j]
        for K in itertools.combinations(others, k):
            if (C[:, list(K)].max(axis=1) >= C[:, j]).all():
                return False
    return True


@pytest.mark.parametrize("n_users, q", [(12, 5), (9, 3), (12, 7), (8, 3)])
def test_kautz_singleton_is_disjunct_up_to_its_design_k(n_users, q):
    C = kautz_singleton_code(n_users, q)
    k = kautz_singleton_design_k(n_users, q)
    assert k >= 1
    assert is_disjunct(C, k) and brute_disjunct(C, k)
    if k + 1 <= n_users - 1:
        assert is_disjunct(C, k + 1) == brute_disjunct(C, k + 1)


def test_is_disjunct_agrees_with_brute_force_on_random_codes():
    rng = np.random.default_rng(0)
    verdicts = []
    for seed in range(12):
        C = random_disjunct_code(9, 12, 2, random_state=seed)
        for k in (1, 2, 3):
            verdict = is_disjunct(C, k)
            assert verdict == brute_disjunct(C, k)
            verdicts.append(verdict)
    assert any(verdicts) and not all(verdicts)  # both outcomes occur
    assert rng is not None


@pytest.mark.parametrize("n_users, q", [(12, 5), (9, 3)])
def test_decoding_recovers_every_planted_set_up_to_design_k(n_users, q):
    C = kautz_singleton_code(n_users, q)
    k = kautz_singleton_design_k(n_users, q)
    for size in range(k + 1):
        for K in itertools.combinations(range(n_users), size):
            positive = C[:, list(K)].max(axis=1).astype(bool) if K else np.zeros(len(C), bool)
            assert decode(C, positive).tolist() == list(K)


def test_decoding_beyond_design_k_can_name_innocents():
    """A partition is only 0-disjunct in the sense that matters when users share sub-models;
    with two users per sub-model an attacker's partner is named too (a false positive)."""
    C = np.repeat(partition_code(4, 4), 2, axis=1)  # users 2i and 2i + 1 share sub-model i
    assert not is_disjunct(C, 1)
    assert decode(C, C[:, 0].astype(bool)).tolist() == [0, 1]


def test_positive_tests_and_bad_input():
    assert positive_tests([0.9, 0.1, 0.5], 0.5).tolist() == [True, False, False]
    with pytest.raises(ValueError, match="threshold must be in"):
        positive_tests([0.2], 1.0)
    with pytest.raises(ValueError, match="positive must be bool of shape"):
        decode(partition_code(3, 3), [True, False])
    with pytest.raises(ValueError, match="q must be a prime"):
        kautz_singleton_code(10, 4)


def test_badnets_stamps_the_patch_and_relabels_its_budget():
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 8, 8)).astype(np.float32) * 0.5
    y = rng.integers(0, 10, 40)
    attack = BadNets(target=7, patch_size=2, poison_fraction=0.25)
    assert isinstance(attack, PoisoningAttack)
    xp, yp, chosen = attack.poison(x, y, 3)
    assert chosen.sum() == 10 and (yp[chosen] == 7).all() and (yp[~chosen] == y[~chosen]).all()
    assert (xp[chosen][:, :, 6:, 6:] == 1.0).all() and (xp[~chosen] == x[~chosen]).all()
    assert (xp[chosen][:, :, :6, :] == x[chosen][:, :, :6, :]).all()  # only the patch changed
    again = attack.poison(x, y, 3)
    assert (again[2] == chosen).all()  # same rng, same samples
    trig = BadNets(corner="top_left", patch_size=3).trigger(x)
    assert (trig[:, :, :3, :3] == 1.0).all() and (trig[:, :, 3:, :] == x[:, :, 3:, :]).all()


def test_badnets_bad_parameters_are_named():
    with pytest.raises(ValueError, match="BadNets.poison_fraction must be"):
        BadNets(poison_fraction=1.5)
    with pytest.raises(ValueError, match="BadNets.patch_size must be <= the image side 4"):
        BadNets(patch_size=5).trigger(np.zeros((1, 1, 4, 4)))


def test_attack_success_rate_ignores_target_class_points():
    pred = np.array([0, 0, 1, 0])
    labels = np.array([0, 2, 3, 4])
    assert attack_success_rate(pred, labels, 0) == pytest.approx(2 / 3)
