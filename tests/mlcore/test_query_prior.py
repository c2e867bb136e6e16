"""Targeted query attacks with a transfer prior (RGF / P-RGF, Square from a start): every
query counted and within the per-image budget, exact norm bound, the prior's effect, the
reference formulas, reproducibility and the declared errors."""

import random

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.attacks import QueryCounter, ThreatModel, perturbation_norms, project
from mlcore.attacks.prior import RGF, QueryResult, gradient_prior, prgf_lambda
from mlcore.attacks.square_start import SquareFromStart, square_p_schedule
from mlcore.training import fit

N_IMAGES = 24


@pytest.fixture(scope="module")
def trained(digits):
    model = tiny_mlp(hidden=48)
    fit(model, digits[0], epochs=8, lr=3e-3, seed=0, progress=False)
    return model


@pytest.fixture(scope="module")
def batch(digits, trained):
    """Test images and a target per image that the clean image is not predicted as."""
    X = digits[1].X[:N_IMAGES]
    with torch.no_grad():
        pred = trained(torch.as_tensor(X)).argmax(1).numpy()
    return X, (pred + 1) % 10


def _predict(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)).argmax(1).numpy()


# (threat, black box, images, targets, white box for the prior): QueryResult
ATTACKS = {
    "rgf": lambda th, m, x, t, wb: RGF(th).run(m, x, t, 0),
    "p-rgf": lambda th, m, x, t, wb: RGF(th).run(m, x, t, 0, prior=gradient_prior(wb, t)),
    "square": lambda th, m, x, t, wb: SquareFromStart(th).run(m, x, t, 0),
}


@pytest.mark.parametrize("name", list(ATTACKS))
@pytest.mark.parametrize("budget", [1, 30, 150])
def test_queries_counted_within_budget_and_bound_exact(trained, batch, name, budget):
    X, target = batch
    outer = QueryCounter(trained)  # an audit independent of the attack's own counter
    threat = ThreatModel(epsilon=0.2, query_budget=budget)
    result = ATTACKS[name](threat, outer, X, target, trained)
    assert isinstance(result, QueryResult) and result.budget == budget
    assert result.queries.dtype == np.int64 and result.queries.shape == (len(X),)
    assert result.queries.min() >= 1 and result.queries.max() <= budget
    assert result.total_queries == outer.queries == sum(outer.call_sizes)
    assert result.query_calls == outer.calls
    norms = perturbation_norms(result.x_adv, X, "linf")
    assert norms.max() <= 0.2 and np.array_equal(norms, result.norms)
    assert result.x_adv.dtype == np.float32 and 0 <= result.x_adv.min() <= result.x_adv.max() <= 1
    # success is the target model's own verdict on the returned images
    np.testing.assert_array_equal(result.success, _predict(trained, result.x_adv) == target)
    if budget == 1:  # only the start was evaluated: the clean image, or Square's stripes
        assert np.array_equal(result.queries, np.ones(len(X)))
        if name != "square":
            assert not result.success.any() and np.array_equal(result.x_adv, X)


def test_rgf_l2_bound_exact(trained, batch):
    X, target = batch
    result = RGF(ThreatModel(norm="l2", epsilon=1.0, query_budget=100)).run(trained, X, target, 1)
    assert perturbation_norms(result.x_adv, X, "l2").max() <= 1.0
    assert result.queries.max() <= 100 and result.success.any()


def test_perfect_prior_cuts_queries_and_raises_success(trained, batch):
    X, target = batch
    threat = ThreatModel(epsilon=0.2, query_budget=300)
    rgf = RGF(threat, loss="ce")
    plain = rgf.run(trained, X, target, 0)
    prior = gradient_prior(trained, target)  # the black box's own gradient of the ce loss
    guided = rgf.run(trained, X, target, 0, prior=prior)
    assert guided.success_rate > plain.success_rate
    assert guided.median_queries_to_success < 0.5 * plain.median_queries_to_success
    assert guided.success_within(100) > plain.success_within(100) + 0.2
    # P-RGF fixes the prior's sign from alpha, so the opposite gradient is as good
    flipped = rgf.run(trained, X, target, 0, prior=lambda xb, i: -prior(xb, i))
    np.testing.assert_array_equal(flipped.queries, guided.queries)


def test_random_prior_is_not_better_than_no_prior(trained, batch):
    X, target = batch
    threat = ThreatModel(epsilon=0.3, query_budget=300)
    plain = RGF(threat).run(trained, X, target, 0)
    noise = np.random.default_rng(5).standard_normal(X.shape).astype(np.float32)
    guided = RGF(threat).run(trained, X, target, 0, prior=lambda xb, i: noise[i])
    # an uninformative prior has alpha ~ 0, so lambda ~ 0: P-RGF falls back to RGF and pays
    # only the prior's probes (lambda stuck at 1 would walk along noise and fail)
    assert 0.5 * plain.success_rate <= guided.success_rate <= plain.success_rate + 0.1


class _Constant(torch.nn.Module):
    """Scores that ignore the image: class 3 wins by 10 (never fooled)."""

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(10))
        with torch.no_grad():
            self.bias[3] = 10.0

    def forward(self, x):
        return self.bias.expand(len(x), -1)


@pytest.mark.parametrize("budget", [2, 17, 60])
def test_square_spends_exactly_its_budget_on_a_target_never_fooled(batch, budget):
    X, _ = batch
    outer = QueryCounter(_Constant())
    result = SquareFromStart(ThreatModel(epsilon=0.1, query_budget=budget)).run(outer, X, 5, 0)
    assert np.all(result.queries == budget) and outer.queries == budget * len(X)
    assert not result.success.any()


def test_square_from_a_successful_start_costs_one_query(trained, batch):
    X, target = batch
    clean = _predict(trained, X)
    goal = np.where(np.arange(len(X)) % 2 == 0, clean, target)  # even images already there
    outer = QueryCounter(trained)
    result = SquareFromStart(ThreatModel(epsilon=0.2, query_budget=50)).run(
        outer, X, goal, 0, start=X
    )
    even = np.arange(len(X)) % 2 == 0
    assert np.all(result.queries[even] == 1) and result.success[even].all()
    np.testing.assert_array_equal(result.x_adv[even], X[even])
    assert np.all(result.queries[~even] > 1) and outer.queries == result.total_queries


def test_square_start_from_transfer_images_helps(trained, batch, digits):
    X, target = batch
    threat = ThreatModel(epsilon=0.2, query_budget=200)
    surrogate = tiny_mlp(seed=1, hidden=48)
    fit(surrogate, digits[0], epochs=8, lr=3e-3, seed=1, progress=False)
    grad = gradient_prior(surrogate, target)(X, np.arange(len(X)))
    start = project(X + 0.2 * np.sign(grad), X, threat)  # a targeted FGSM transfer example
    stripes = SquareFromStart(threat).run(trained, X, target, 0)
    started = SquareFromStart(threat).run(trained, X, target, 0, start=start)
    assert started.success_within(20) > stripes.success_within(20)
    assert started.median_queries_to_success < stripes.median_queries_to_success


@pytest.mark.parametrize("name", list(ATTACKS))
def test_reproducible_global_rng_and_model_state_untouched(trained, batch, name):
    X, target = batch
    threat = ThreatModel(epsilon=0.2, query_budget=40)
    trained.train()
    flags = [p.requires_grad for p in trained.parameters()]
    state = (random.getstate(), np.random.get_state(), torch.get_rng_state())  # noqa: NPY002
    first = ATTACKS[name](threat, trained, X, target, trained)
    after = (random.random(), np.random.random(), float(torch.rand(1)))  # noqa: NPY002
    random.setstate(state[0])
    np.random.set_state(state[1])  # noqa: NPY002
    torch.set_rng_state(state[2])
    assert after == (random.random(), np.random.random(), float(torch.rand(1)))  # noqa: NPY002
    assert trained.training and [p.requires_grad for p in trained.parameters()] == flags
    trained.eval()
    second = ATTACKS[name](threat, trained, X, target, trained)
    np.testing.assert_array_equal(first.x_adv, second.x_adv)
    np.testing.assert_array_equal(first.queries, second.queries)


def test_prgf_lambda_reference_formula_and_limits():
    n, q = 784, 20
    a = np.array([0.0, 0.02, 0.05, 0.1, 0.3, 0.6, 1.0, -1.0, 1.2])
    lam = prgf_lambda(a, n, q)
    assert lam[0] == 0.0 and lam[1] == 0.0  # a^2 (n + 2q - 2) < 1: no weight on the prior
    assert lam[6] == lam[7] == lam[8] == 1.0  # |alpha| >= 1: the prior alone
    m = n + 2 * q - 2
    a2 = 0.1**2  # interior case, Cheng et al. 2019 Theorem 1
    expected = (1 - a2) * (1 - a2 * m) / (a2 * a2 * n * m - 2 * a2 * n * q + 1)
    assert 0 < expected < 1 and lam[3] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.diff(lam[:7]) >= 0)  # a better prior never gets less weight


def test_square_p_schedule_matches_reference():
    cases = {0: 0.05, 10: 0.05, 11: 0.025, 50: 0.025, 51: 0.0125, 201: 0.05 / 8, 9999: 0.05 / 512}
    for it, p in cases.items():
        assert square_p_schedule(0.05, it, 10000) == pytest.approx(p)
    assert square_p_schedule(0.05, 3, 100) == pytest.approx(0.05 / 8)  # rescaled to n_iters


def test_gradient_prior_is_the_weighted_input_gradient(trained, batch):
    X, _ = batch
    x = X[:3]
    idx = np.array([0, 1, 2])
    two = gradient_prior(trained, np.tile([[2, 7]], (3, 1)), weights=[0.25, 0.75])(x, idx)
    a = gradient_prior(trained, np.full(3, 2))(x, idx)
    b = gradient_prior(trained, np.full(3, 7))(x, idx)
    np.testing.assert_allclose(two, 0.25 * a + 0.75 * b, rtol=1e-5, atol=1e-7)
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="weights"):
        gradient_prior(trained, np.tile([[2, 7]], (3, 1)), weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="classes must lie in 0..9"):
        gradient_prior(trained, np.full(3, 10))(x, idx)


def test_errors_name_the_parameter(trained, batch):
    X, target = batch
    with pytest.raises(ValueError, match="query_budget"):
        RGF(ThreatModel(epsilon=0.1))
    with pytest.raises(ValueError, match="query_budget"):
        SquareFromStart(ThreatModel(epsilon=0.1))
    with pytest.raises(ValueError, match="epsilon"):
        ThreatModel(epsilon=0.0, query_budget=10)
    threat = ThreatModel(epsilon=0.1, query_budget=10)
    with pytest.raises(ValueError, match=r"target must lie in .* 0\.\.9; got 10"):
        RGF(threat).run(trained, X, np.full(len(X), 10), 0)
    with pytest.raises(ValueError, match="target must be integer classes >= 0"):
        SquareFromStart(threat).run(trained, X, -1, 0)
    with pytest.raises(ValueError, match="start must lie within epsilon"):
        SquareFromStart(threat).run(trained, X, target, 0, start=np.clip(X + 0.2, 0, 1))
    with pytest.raises(ValueError, match="norm='linf'"):
        SquareFromStart(ThreatModel(norm="l2", epsilon=1.0, query_budget=10))
    with pytest.raises(ValueError, match="samples"):
        RGF(threat, samples=0)
    with pytest.raises(ValueError, match="loss"):
        RGF(threat, loss="hinge")
    with pytest.raises(ValueError, match="p_init"):
        SquareFromStart(threat, p_init=1.0)
    with pytest.raises(ValueError, match="prior must return"):
        RGF(threat).run(trained, X, target, 0, prior=lambda xb, i: xb[:, :, :2])
    result = RGF(threat).run(trained, X, target, 0)
    with pytest.raises(ValueError, match=r"budget must be an integer in \[1, 10\]"):
        result.success_within(11)
