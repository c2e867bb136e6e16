"""Attacks (ART), boundary samples, the nonlinear mapping and BPDA, the loss criteria; rng in
place of global reseeding, and the caller's model state restored."""

import random

import numpy as np
import pytest
import torch
from mlcore_test_helpers import tiny_mlp

from mlcore.robust import (
    NonlinearInputMapping,
    adversarial_loss,
    adversarial_train,
    boundary_retrain,
    boundary_samples,
    deepfool,
    fgsm,
    pgd,
    quantization_loss,
    robustness,
    with_mapping,
)
from mlcore.training import evaluate, fit


@pytest.fixture(scope="module")
def trained(digits):
    model = tiny_mlp(hidden=48)
    fit(model, digits[0], epochs=12, lr=3e-3, seed=0, progress=False)
    return model


def test_criteria_definitions():
    assert quantization_loss(0.98, 0.95) == pytest.approx(0.03)
    assert adversarial_loss(0.95, 0.40) == pytest.approx(0.55)


def test_attacks_stay_in_budget_and_hurt(digits, trained):
    test = digits[1]
    X, y = test.X[:200], test.y[:200]
    clean = evaluate(trained, (X, y))
    for attack in (
        lambda: fgsm(trained, X, y, eps=0.1),
        lambda: pgd(trained, X, y, eps=0.1, max_iter=10),
    ):
        x_adv = attack()
        assert np.abs(x_adv.astype(np.float64) - X).max() <= 0.1  # exact, no tolerance
        assert x_adv.min() >= 0 and x_adv.max() <= 1
        assert evaluate(trained, (x_adv, y)) < clean - 0.2
    with pytest.raises(ValueError, match="epsilon"):
        pgd(trained, X, y, eps=0.0)
    with pytest.raises(ValueError, match=r"ThreatModel.steps .* max_iter is \.steps"):
        pgd(trained, X, y, eps=0.1, max_iter=0)


def test_boundary_samples_lie_just_across_the_boundary(digits, trained):
    test = digits[1]
    X, y = test.X[:150], test.y[:150]
    xb = boundary_samples(trained, X, y, eps=0.15, rng=0)
    assert np.abs(xb.astype(np.float64) - X).max() <= 0.15
    x_pgd = pgd(trained, X, y, eps=0.15, max_iter=10, rng=0)
    pred = lambda x: trained(torch.as_tensor(x)).argmax(1).numpy()  # noqa: E731
    flipped = pred(x_pgd) != y
    assert flipped.mean() > 0.5
    # on the flipped ones, the boundary point is misclassified and closer than the PGD point
    assert np.all(pred(xb)[flipped] != y[flipped])
    dist_b = np.abs(xb - X).reshape(len(X), -1).max(1)
    dist_p = np.abs(x_pgd - X).reshape(len(X), -1).max(1)
    assert np.all(dist_b[flipped] <= dist_p[flipped] + 1e-6)
    assert dist_b[flipped].mean() < 0.8 * dist_p[flipped].mean()


def test_mapping_is_a_soft_staircase():
    mapping = NonlinearInputMapping(levels=4, temperature=200.0)
    x = torch.linspace(0, 1, 301, requires_grad=True)
    g = mapping(x)
    assert torch.all(g[1:] >= g[:-1])
    hard = torch.round(x.detach() * 3) / 3
    far = torch.abs(x.detach() * 3 - torch.round(x.detach() * 3)) < 0.3  # away from edges
    assert torch.allclose(g.detach()[far], hard[far], atol=1e-3)
    (grad,) = torch.autograd.grad(g.sum(), x)
    assert grad[far].abs().max() < 0.05  # flat steps: vanishing gradient
    with pytest.raises(ValueError, match="levels"):
        NonlinearInputMapping(levels=1)


@pytest.mark.slow
def test_bpda_sees_through_the_mapping(digits):
    train, test = digits
    mapping = NonlinearInputMapping(levels=2, temperature=400.0)
    model = tiny_mlp(hidden=48)
    fit(with_mapping(model, mapping), train, epochs=12, lr=3e-3, seed=0, progress=False)
    scores = robustness(model, test.subset(np.arange(200)), eps=0.2, mapping=mapping, pgd_iter=10)
    assert scores["clean"] > 0.8
    # gradients through the steep mapping vanish: white-box PGD is weak, BPDA is not
    assert scores["pgd_bpda"] < scores["pgd"] - 0.1


def _draws():
    return random.random(), float(np.random.random()), float(torch.rand(1))  # noqa: NPY002


def _seed_globals(seed):
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the test plays a caller with its own global seed)
    torch.manual_seed(seed)


def test_robustness_is_reproducible_and_leaves_globals_and_mode_alone(digits, trained):
    test = digits[1].subset(np.arange(100))
    mapping = NonlinearInputMapping(levels=4, temperature=60.0)
    _seed_globals(5)
    expected = _draws()
    _seed_globals(5)
    trained.train()
    scores = robustness(trained, test, eps=0.1, rng=3, pgd_iter=5, mapping=mapping)
    assert _draws() == expected
    assert trained.training and all(m.training for m in trained.modules())
    trained.eval()
    assert robustness(trained, test, eps=0.1, rng=3, pgd_iter=5, mapping=mapping) == scores
    assert not trained.training
    assert set(scores) == {"clean", "fgsm", "pgd", "pgd_bpda"}


def test_boundary_samples_follow_rng_not_the_global_seed(digits, trained):
    X, y = digits[1].X[:80], digits[1].y[:80]
    _seed_globals(1)
    a = boundary_samples(trained, X, y, eps=0.15, rng=4)
    expected = _draws()
    _seed_globals(2)  # another global seed changes nothing
    np.testing.assert_array_equal(a, boundary_samples(trained, X, y, eps=0.15, rng=4))
    _seed_globals(1)
    boundary_samples(trained, X, y, eps=0.15, rng=4)
    assert _draws() == expected
    assert not np.array_equal(a, boundary_samples(trained, X, y, eps=0.15, rng=5))


def test_seed_is_the_old_name_of_rng(digits, trained):
    X, y = digits[1].X[:40], digits[1].y[:40]
    np.testing.assert_array_equal(
        pgd(trained, X, y, eps=0.1, max_iter=3, seed=7),
        pgd(trained, X, y, eps=0.1, max_iter=3, rng=7),
    )
    with pytest.raises(ValueError, match="not both"):
        pgd(trained, X, y, eps=0.1, rng=1, seed=7)


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("method", ["boundary", "adversarial"])
def test_retraining_is_reproducible_from_rng_and_restores_the_mode(digits, trained, method):
    import copy

    train = digits[0].subset(np.arange(256))

    def retrain(rng):
        model = copy.deepcopy(trained).eval()
        if method == "boundary":
            boundary_retrain(model, train, eps=0.1, rounds=1, epochs_per_round=1, rng=rng,
                             progress=False)  # fmt: skip
        else:
            adversarial_train(model, train, eps=0.1, epochs=1, max_iter=2, rng=rng,
                              progress=False)  # fmt: skip
        assert not model.training and not any(m.training for m in model.modules())
        return _weights(model)

    first = retrain(0)
    assert not torch.equal(first, _weights(trained))
    assert torch.equal(first, retrain(0))
    assert not torch.equal(first, retrain(1))


def test_deepfool_crosses_the_boundary_with_small_steps(digits, trained):
    X, y = digits[1].X[:60], digits[1].y[:60]
    trained.train()
    x_df = deepfool(trained, X, max_iter=20)
    assert trained.training
    pred = trained.eval()(torch.as_tensor(X)).argmax(1).numpy()
    moved = trained(torch.as_tensor(x_df)).argmax(1).numpy()
    assert np.mean(moved != pred) > 0.9  # almost every image crosses its nearest boundary
    l2 = np.sqrt(((x_df - X) ** 2).reshape(len(X), -1).sum(1))
    fgsm_l2 = np.sqrt(((fgsm(trained, X, y, eps=0.1) - X) ** 2).reshape(len(X), -1).sum(1))
    assert np.median(l2) < np.median(fgsm_l2)  # minimal, unlike a fixed-size step


@pytest.mark.parametrize("method", ["boundary", "adversarial"])
def test_retraining_leaves_the_global_generators_alone(digits, method):
    train = digits[0].subset(np.arange(128))
    retrain = {
        "boundary": lambda m: boundary_retrain(
            m, train, eps=0.1, rounds=1, epochs_per_round=1, rng=0, progress=False
        ),
        "adversarial": lambda m: adversarial_train(
            m, train, eps=0.1, epochs=1, max_iter=2, rng=0, progress=False
        ),
    }[method]
    model = tiny_mlp()
    _seed_globals(9)
    expected = _draws()
    _seed_globals(9)
    retrain(model)
    assert _draws() == expected
