"""Codes of coded subset aggregation: validation, utilization per construction, exact reach,
the annealing search."""

import itertools
import math

import numpy as np
import pytest

from mlcore.poisoning import (
    anneal_code,
    certifiable_users,
    check_code,
    cyclic_code,
    kautz_singleton_code,
    partition_code,
    projective_plane_code,
    random_selection_code,
    reach,
    reach_profile,
    utilization,
)


def brute_reach(C, k):
    """max |union of supports| over all user sets of size <= k (itertools)."""
    return max(
        (int(C[:, list(K)].max(axis=1).sum()) if K else 0)
        for r in range(k + 1)
        for K in itertools.combinations(range(C.shape[1]), r)
    )


def random_code(rng, M, N, p=0.3):
    C = (rng.random((M, N)) < p).astype(np.uint8)
    C[np.arange(M), rng.integers(0, N, M)] = 1  # no empty row
    C[rng.integers(0, M, N), np.arange(N)] = 1  # no empty column
    return C


@pytest.mark.parametrize(
    "code, match",
    [
        (np.array([[1, 0], [0, 0]]), "empty row: sub-model 1"),
        (np.array([[1, 0], [1, 0]]), "empty column: user 1"),
        (np.array([[1, 2], [0, 1]]), "binary .* found 2"),
        (np.array([[1.0, 0.5], [0, 1]]), "binary .* found 0.5"),
        (np.ones(3), "2-D matrix"),
    ],
)
def test_bad_code_is_refused_naming_the_problem(code, match):
    with pytest.raises(ValueError, match=match):
        check_code(code)
    with pytest.raises(ValueError, match=match):
        utilization(code)


def test_more_attackers_than_users_is_refused():
    C = cyclic_code(6, 6, 2)
    with pytest.raises(
        ValueError,
        match=r"k \(number of malicious users\) must be an integer in "
        r"\[0, 6\].*got 7",
    ):
        reach(C, 7)
    with pytest.raises(ValueError, match=r"k_max .* \[0, 6\]"):
        reach_profile(C, 9)


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: partition_code(12, 4), 1 / 4),
        (lambda: partition_code(10, 10), 1 / 10),
        (lambda: cyclic_code(12, 6, 3), 3 / 6),
        (lambda: cyclic_code(57, 57, 8), 8 / 57),
        (lambda: random_selection_code(20, 9, 5, random_state=3), 5 / 20),
        (lambda: projective_plane_code(2), 3 / 7),
        (lambda: projective_plane_code(7), 8 / 57),
    ],
)
def test_utilization_matches_the_construction_formula(build, expected):
    assert utilization(build()) == pytest.approx(expected, abs=1e-15)


def test_constructions_have_their_stated_weights():
    C = cyclic_code(12, 6, 3)
    assert (C.sum(axis=0) == 3).all() and (C.sum(axis=1) == 6).all()
    R = random_selection_code(20, 9, 5, random_state=3)
    assert (R.sum(axis=1) == 5).all() and (R.sum(axis=0) > 0).all()
    P = projective_plane_code(3)  # 13 points, 13 lines, 4 points per line
    assert P.shape == (13, 13) and (P.sum(axis=0) == 4).all() and (P.sum(axis=1) == 4).all()
    overlap = P.T.astype(int) @ P  # every two users share exactly one sub-model
    assert (overlap[~np.eye(13, dtype=bool)] == 1).all()
    K = kautz_singleton_code(12, 5)
    assert (K.sum(axis=0) == 5).all() and utilization(K) == pytest.approx(5 / K.shape[0])


@pytest.mark.parametrize(
    "bad",
    [
        lambda: projective_plane_code(4),
        lambda: partition_code(3, 5),
        lambda: cyclic_code(6, 6, 7),
        lambda: random_selection_code(10, 2, 3),
    ],
)
def test_construction_parameters_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match="must be"):
        bad()


def test_exact_reach_equals_brute_force_on_small_codes():
    rng = np.random.default_rng(0)
    for _ in range(25):
        M, N = rng.integers(3, 11, 2)
        C = random_code(rng, M, N)
        for k in range(min(N, 5) + 1):
            r = reach(C, k)
            assert r.exact and r.value == brute_reach(C, k) and r.lower == r.value


def test_integer_program_reach_equals_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(8):
        C = random_code(rng, 9, 8)
        for k in (2, 3):
            r = reach(C, k, max_sets=0)  # no enumeration: greedy or the integer program
            assert r.exact and r.method in ("greedy", "milp") and r.value == brute_reach(C, k)


def test_reach_falls_back_to_the_stated_bound():
    C = projective_plane_code(7)
    r = reach(C, 5, max_sets=1000, milp_time_limit=0)
    assert not r.exact and r.method == "bound"
    assert r.value == min(57, 5 * 8) and r.lower <= r.value
    assert reach(C, 5, max_sets=1000).value == 36  # the integer program: 5 * 8 - C(5, 2)
    assert reach(C, 2).value == 15  # two points share exactly one line
    assert reach(C, 3).value == 22  # three collinear points: 24 - 3 + 1


def test_partition_reach_and_certifiable_users():
    C = partition_code(9, 9)
    assert [r.value for r in reach_profile(C, 9)] == list(range(10))
    assert certifiable_users(C) == 4  # 2 T_k <= M - 1 = 8


def test_annealing_is_never_worse_than_its_start_and_keeps_weights():
    start = cyclic_code(12, 12, 3)
    out = anneal_code(start, 3, iterations=150, random_state=1)
    assert out.objective <= out.start_objective
    assert reach(out.code, 3).value <= reach(start, 3).value
    assert (out.code.sum(axis=0) == start.sum(axis=0)).all()
    assert (out.code.sum(axis=1) == start.sum(axis=1)).all()
    # the objective: T_k plus the share of k-sets attaining it
    sets = list(itertools.combinations(range(12), 3))
    sizes = [int(out.code[:, list(K)].max(axis=1).sum()) for K in sets]
    assert out.objective == pytest.approx(max(sizes) + sizes.count(max(sizes)) / len(sets))
    # from a start with disjoint supports everywhere the search finds overlaps
    assert out.objective < out.start_objective


def test_annealing_with_zero_moves_returns_the_start():
    start = cyclic_code(8, 8, 2)
    out = anneal_code(start, 2, iterations=0)
    assert (out.code == start).all() and out.objective == out.start_objective
    with pytest.raises(ValueError, match="k .* must be an integer in"):
        anneal_code(start, 9)
    with pytest.raises(ValueError, match="anneal_code.temperature must be a float in"):
        anneal_code(start, 2, temperature=-1.0)
    with pytest.raises(ValueError, match="anneal_code.iterations must be"):
        anneal_code(start, 2, iterations=-5)


def test_random_selection_is_reproducible():
    a = random_selection_code(15, 6, 4, random_state=7)
    assert (a == random_selection_code(15, 6, 4, random_state=7)).all()
    assert math.isclose(utilization(a), 4 / 15)
